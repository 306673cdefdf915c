// Exercises 1 and 2 of chapter 05: argmax and Sampler::sample. Fill in both.
// Not graded by reading: test_argmax.cpp follows HF's greedy paths, test_sampler.cpp measures
// the frequencies your sampler draws.
#include <stdexcept>

#include "exercises.hpp"
#include "kvlm/error.hpp"

namespace kvlm::exercises {

// Exercise 1. Return the index of the largest value; on ties the FIRST such index.
int argmax(std::span<const float> logits) {
  (void)logits;
  throw std::logic_error("exercise: not implemented: argmax (chapters/05_naive_generation/exercises/sampler.cpp)");
}

Sampler::Sampler(const SamplerConfig& config) : config_(config), rng_(config.seed) {
  if (!(config.temperature >= 0.0f)) throw Error("temperature must be >= 0");
  if (config.top_k < 0) throw Error("top-k must be >= 0");
  if (!(config.top_p > 0.0f && config.top_p <= 1.0f)) throw Error("top-p must be in (0, 1]");
}

double Sampler::uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }

// Exercise 2.
//   1. temperature == 0: return argmax(logits).
//   2. Sort the ids by logit, largest first (std::stable_sort keeps ties in id order).
//   3. top_k > 0: keep only the first top_k ids.
//   4. p_i = exp((logit_i - max) / temperature), then divide by their sum (softmax; in double).
//   5. top_p < 1: keep the shortest prefix of the sorted ids whose probabilities sum to >= top_p
//      (always at least one id: the token that crosses the threshold is kept, as in HF).
//   6. Draw: r = uniform() * (sum of the kept p_i); walk the kept ids adding p_i, return the first
//      id where the running sum exceeds r.
int Sampler::sample(std::span<const float> logits) {
  (void)logits;
  throw std::logic_error("exercise: not implemented: Sampler::sample (chapters/05_naive_generation/exercises/sampler.cpp)");
}

}  // namespace kvlm::exercises
