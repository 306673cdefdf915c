// Chapter 06's headline at chapter level: chapter 05's loop and chapter 06's loop, same model,
// same prompt, give the same tokens, greedy and sampled. The full version, at every prefill/decode
// split and on every fixture, is tests/generate/test_equivalence.cpp.
#include <gtest/gtest.h>

#include "common/exercise_test.hpp"
#include "kvlm/generate/generate.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/verify/reference.hpp"

namespace kvlm {
namespace {

TEST(Chapter06, CachedGivesTheSameTokensAsNaive) {
  for (const char* fixture : {"llama-gqa-tied", "qwen2-bf16", "gpt2"}) {
    const Model m = load_model(exercises::test::model_dir(fixture));
    const std::vector<int> prompt = read_reference(exercises::test::reference_of(fixture)).at(1).input_ids;
    GenerationConfig greedy;
    greedy.max_new_tokens = 24;
    greedy.stop_at_eos = false;  // compare all 24 steps
    EXPECT_EQ(generate_cached(m, prompt, greedy).tokens, generate_naive(m, prompt, greedy).tokens) << fixture;
    GenerationConfig sampled = greedy;
    sampled.sampler = {0.8f, 40, 0.95f, 1234};
    EXPECT_EQ(generate_cached(m, prompt, sampled).tokens, generate_naive(m, prompt, sampled).tokens) << fixture;
  }
}

}  // namespace
}  // namespace kvlm
