// Tests exercise 3 of chapter 05 (generate_naive) against HF transformers' greedy paths, and its
// contract: one timing per token, streaming callback, stop tokens, context check.
#include <gtest/gtest.h>

#include "common/exercise_test.hpp"
#include "exercises.hpp"
#include "greedy_reference.hpp"
#include "kvlm/error.hpp"
#include "kvlm/io/load.hpp"

namespace kvlm::exercises {
namespace {

TEST(GenerateNaive, GreedyTokensAreHfs) {
  for (const char* fixture : {"llama-mha", "llama-gqa-tied", "qwen2-bf16", "gpt2"}) {
    const Model m = load_model(test::model_dir(fixture));
    for (const ReferencePrompt& p : read_reference(test::reference_of(fixture))) {
      const std::vector<int> expected = test::trusted_greedy(p);
      GenerationConfig config;
      config.max_new_tokens = static_cast<int>(expected.size());
      config.stop_at_eos = false;  // HF's greedy references run their full length, past any EOS
      EXPECT_EQ(exercises::generate_naive(m, p.input_ids, config).tokens, expected) << fixture << " " << p.name;
    }
  }
}

TEST(GenerateNaive, TimesEveryStepAndStreamsEveryToken) {
  const Model m = load_model(test::model_dir("llama-gqa-tied"));
  const ReferencePrompt p = read_reference(test::reference_of("llama-gqa-tied")).at(1);
  GenerationConfig config;
  config.max_new_tokens = 6;
  config.stop_at_eos = false;
  std::vector<int> streamed;
  const Generation g = exercises::generate_naive(m, p.input_ids, config, [&](int id) { streamed.push_back(id); });
  EXPECT_EQ(g.tokens.size(), 6u);
  EXPECT_EQ(streamed, g.tokens);
  ASSERT_EQ(g.stats.step_ms.size(), 6u);
  for (double ms : g.stats.step_ms) EXPECT_GE(ms, 0.0);
}

TEST(GenerateNaive, StopsAfterAStopTokenAndKeepsIt) {
  const Model m = load_model(test::model_dir("llama-gqa-tied"));
  const ReferencePrompt p = read_reference(test::reference_of("llama-gqa-tied")).at(1);
  GenerationConfig config;
  config.max_new_tokens = 10;
  config.stop_at_eos = false;  // only the stop id below ends it
  config.stop_token_ids = {p.greedy.at(2)};
  const std::vector<int> tokens = exercises::generate_naive(m, p.input_ids, config).tokens;
  ASSERT_FALSE(tokens.empty());
  EXPECT_EQ(tokens.back(), p.greedy.at(2));
  EXPECT_LE(tokens.size(), 3u);
}

TEST(GenerateNaive, RefusesWhatDoesNotFitTheContext) {
  const Model m = load_model(test::model_dir("llama-gqa-tied"));
  const std::vector<int> prompt = {1, 2, 3};
  GenerationConfig config;
  config.max_new_tokens = m.config.max_position_embeddings;
  EXPECT_THROW(exercises::generate_naive(m, prompt, config), kvlm::Error);
}

}  // namespace
}  // namespace kvlm::exercises
