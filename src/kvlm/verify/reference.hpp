// Checking kvlm against a reference file made by HF transformers (scripts/reference/make_reference.py).
// Not a test framework: it measures differences and says where they start; callers decide pass/fail.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "kvlm/generate/decoder.hpp"
#include "kvlm/model/weights.hpp"

namespace kvlm {

// Tolerances, with their reasons (fp32 against a float64 reference: about 1e-4 on small models):
struct Tolerance {
  // Logits, fp32 against HF's float64 run. The tiny fixtures stay within 6e-5 (the tests hold them
  // to 1e-4); SmolLM2, 30 layers with logits up to 38, reaches 9.5e-5 (the same for any thread
  // count: linear.cpp's slices do not depend on it), where HF's own fp32 run is 5e-5 off.
  float logits = 2e-4f;
  // Hidden states: |diff| <= hidden + hidden_relative x (largest |value| at that position). fp32
  // rounding in a position's vector scales with its largest entries, since norms and products mix
  // every dimension; real models carry "massive activations" (SmolLM2: 2e4 at position 0).
  float hidden = 1e-4f;
  // Measured on SmolLM2 (data/smollm2): HF's own fp32 run departs from its float64 run by up to 5e-6
  // of the row's largest value, kvlm's by up to 1.7e-5 (position 0, where the attention sink forms
  // and amplifies rounding: a single layer step agrees to 1 ulp). 5e-5 leaves room for that, no more.
  float hidden_relative = 5e-5f;
  float greedy_margin = 1e-3f; // a greedy step whose reference top-1/top-2 gap is below this may flip in fp32
};

// The GPU's logits bound (DESIGN.md): its fp32 kernels add in other orders than the CPU's, and its
// expf and tanhf differ from glibc's by an ulp or two. `kvlm compare --device cuda` uses it.
inline constexpr float kGpuLogitTolerance = 1e-3f;

// One prompt of a reference file, as stored (see ../shared/models/README.md).
struct ReferencePrompt {
  std::string name;                   // "p0"
  std::vector<int> input_ids;         // [T]
  Matrix logits;                      // [T, V], or empty when only the top-k is stored
  Matrix topk_values;                 // [T, K] (compact references for large vocabularies)
  std::vector<std::vector<int>> topk_ids;  // [T][K]
  std::vector<Matrix> hidden;         // L + 1 of [T, D] (may be empty)
  std::vector<int> greedy;            // greedy continuation
  std::vector<float> greedy_margin;   // top-1 minus top-2 at each greedy step (may be empty)
};

std::vector<ReferencePrompt> read_reference(const std::filesystem::path& path);

// What `kvlm compare` reports for one prompt.
struct PromptComparison {
  std::string name;
  int num_tokens = 0;
  float max_logit_diff = 0;        // over every position (and the stored top-k ids, for compact files)
  bool logits_ok = true;
  std::optional<int> first_bad_layer;     // first hidden state beyond tolerance: 0 = embeddings, L = final norm
  std::optional<int> first_bad_position;  // the first position within that layer
  float max_hidden_diff = 0;
  bool hidden_checked = false;            // the decoder records traces and the reference has hidden states
  int greedy_checked = 0;
  int greedy_agree = 0;                   // length of the common prefix with the reference path
  std::optional<int> greedy_first_diff;   // step of the first differing token
  bool greedy_diff_is_near_tie = false;   // the reference margin at that step was below tolerance
  bool ok() const { return logits_ok && !first_bad_layer && (!greedy_first_diff || greedy_diff_is_near_tie); }
};

// On the device the decoder stands for (generate/decoder.hpp); hidden states only where it records
// traces (the CPU). The Model overload is the CPU's.
PromptComparison compare_prompt(const Decoder& decoder, const ReferencePrompt& ref, const Tolerance& tol = {});
PromptComparison compare_prompt(const Model& model, const ReferencePrompt& ref, const Tolerance& tol = {});

}  // namespace kvlm
