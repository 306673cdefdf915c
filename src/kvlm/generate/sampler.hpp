// Sampler (chapter 05): logits of the last position -> the next token id.
// Not a beam search: greedy, or temperature + top-k + top-p sampling from a seeded generator.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace kvlm {

struct SamplerConfig {
  float temperature = 0.0f;  // 0 = greedy (argmax)
  int top_k = 0;             // keep the k most likely tokens; 0 = all
  float top_p = 1.0f;        // keep the smallest set whose probability reaches p; 1 = all
  uint64_t seed = 0;         // same seed, same logits -> same tokens, on every machine
};

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
  explicit Sampler(const SamplerConfig& config);
  // HF's order: divide by temperature, keep top-k, keep top-p, renormalize, draw.
  // view, when given, receives the candidates (costs a softmax over the vocabulary).
  int sample(std::span<const float> logits, SamplerView* view = nullptr);

 private:
  double uniform();  // in [0, 1), from the generator's bits (std's distributions vary by library)
  SamplerConfig config_;
  std::mt19937_64 rng_;
};

}  // namespace kvlm
