// Chapter 05 exercises: greedy choice, temperature/top-k/top-p sampling and the naive generation
// loop, with the library's signatures (src/kvlm/generate/sampler.hpp, generate.hpp).
// With KVLM_EXERCISE_SOLUTIONS defined, these names are the library's own.
#pragma once

#include <cstdint>
#include <random>
#include <span>

#include "kvlm/generate/generate.hpp"
#include "kvlm/generate/sampler.hpp"

namespace kvlm::exercises {
#ifdef KVLM_EXERCISE_SOLUTIONS
using kvlm::argmax;
using kvlm::generate_naive;
using kvlm::Sampler;
#else
// Exercise 1 (sampler.cpp): the id of the largest logit; ties go to the lowest id, as torch.argmax.
int argmax(std::span<const float> logits);

// Exercise 2 (sampler.cpp): kvlm::Sampler. The constructor checks the config (given); sample()
// is yours. Greedy when temperature == 0; otherwise HF's order: divide by temperature, keep
// top-k, keep top-p, renormalize, draw with uniform().
class Sampler {
 public:
  explicit Sampler(const SamplerConfig& config);
  int sample(std::span<const float> logits);

 private:
  double uniform();  // in [0, 1), given
  SamplerConfig config_;
  std::mt19937_64 rng_;
};

// Exercise 3 (naive.cpp): every step runs forward over prompt + everything generated so far.
Generation generate_naive(const Model& model, std::span<const int> prompt, const GenerationConfig& config,
                          const OnToken& on_token = {});
#endif
}  // namespace kvlm::exercises
