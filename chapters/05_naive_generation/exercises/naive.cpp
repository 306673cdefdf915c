// Exercise 3 of chapter 05: the naive generation loop. Fill in generate_naive().
// Not graded by reading: test_generate_naive.cpp compares your tokens with HF's greedy paths.
#include <stdexcept>

#include "exercises.hpp"
#include "kvlm/model/transformer.hpp"

namespace kvlm::exercises {

// 1. kvlm::check_fits_context(model, prompt.size(), config.max_new_tokens) (throws if it does not fit).
// 2. sequence = the prompt; a kvlm::Sampler built from config.sampler.
// 3. For each of config.max_new_tokens steps:
//      logits = kvlm::forward(model, sequence, /*start_pos=*/0, /*cache=*/nullptr)   [len, V]
//      next   = sampler.sample(the LAST row of logits)   (std::span over a RowVectorXf copy of it)
//      record the step's time in milliseconds in out.stats.step_ms (std::chrono::steady_clock),
//      push next into out.tokens and into sequence, call on_token(next) if set,
//      stop early if kvlm::is_stop_token(model, config, next): the model's EOS or one of
//      config.stop_token_ids (the stop token is kept).
// Use kvlm::Sampler here (exercise 2 is graded on its own).
Generation generate_naive(const Model& model, std::span<const int> prompt, const GenerationConfig& config,
                          const OnToken& on_token) {
  (void)model;
  (void)prompt;
  (void)config;
  (void)on_token;
  throw std::logic_error(
      "exercise: not implemented: generate_naive (chapters/05_naive_generation/exercises/naive.cpp)");
}

}  // namespace kvlm::exercises
