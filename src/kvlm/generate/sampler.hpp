// Sampler (chapter 05): logits of the last position -> the next token id.
// Not a beam search: greedy, or temperature + top-k + top-p (+ min-p) sampling from a seeded
// generator, after an optional repetition penalty.
#pragma once

#include <cstdint>
#include <deque>
#include <random>
#include <span>
#include <vector>

namespace kvlm {

struct SamplerConfig {
  float temperature = 0.0f;  // 0 = greedy (argmax)
  int top_k = 0;             // keep the k most likely tokens; 0 = all
  float top_p = 1.0f;        // keep the smallest set whose probability reaches p; 1 = all
  uint64_t seed = 0;         // same seed, same logits -> same tokens, on every machine
  float min_p = 0.0f;        // keep tokens whose probability is >= min_p x the top one's; 0 = all
  // llama.cpp's repetition penalty: the logit of every token among the last repeat_last_n tokens of
  // the sequence (prompt included) is divided by repeat_penalty if positive, multiplied if not.
  float repeat_penalty = 1.0f;  // 1 = off
  int repeat_last_n = 64;       // -1 = the whole sequence, 0 = off
};

// Throws kvlm::Error naming the first value out of range (temperature < 0, top-p outside (0, 1], ...).
void validate(const SamplerConfig& config);

int argmax(std::span<const float> logits);  // ties go to the lowest id, as torch.argmax

// What the sampler saw, for `--trace`: the most likely candidates before and after it filtered.
struct SamplerView {
  struct Candidate {
    int id;
    double prob;
  };
  static constexpr int kTop = 10;
  std::vector<Candidate> before;  // softmax(logits), the kTop largest, most likely first
  std::vector<Candidate> after;   // the renormalized distribution drawn from (greedy: the argmax, 1.0)
};

class Sampler {
 public:
  // `prompt` is the start of the sequence, which the repetition penalty looks back over.
  explicit Sampler(const SamplerConfig& config, std::span<const int> prompt = {});
  // The repetition penalty (if on), then greedy or HF's order: divide by temperature, keep top-k,
  // keep top-p, keep min-p, renormalize, draw. The token drawn joins the sequence the penalty sees.
  // view, when given, receives the candidates (costs a softmax over the vocabulary).
  int sample(std::span<const float> logits, SamplerView* view = nullptr);

 private:
  double uniform();  // in [0, 1), from the generator's bits (std's distributions vary by library)
  int choose(std::span<const float> logits, SamplerView* view);
  SamplerConfig config_;
  std::mt19937_64 rng_;
  std::deque<int> recent_;  // the last repeat_last_n tokens of the sequence
};

}  // namespace kvlm
