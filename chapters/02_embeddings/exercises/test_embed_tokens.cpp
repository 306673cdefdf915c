// Tests exercise 1 of chapter 02 (embed_tokens) against HF transformers: hidden0 in a fixture's
// reference.safetensors is HF's `output_hidden_states[0]`, the embeddings of the prompt.
#include <gtest/gtest.h>

#include "common/exercise_test.hpp"
#include "exercises.hpp"
#include "kvlm/error.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/verify/reference.hpp"

namespace kvlm::exercises {
namespace {

// Llama-style fixtures have no position embeddings: hidden0 is the lookup alone.
void expect_hf_embeddings(const std::string& fixture) {
  const Model model = load_model(test::model_dir(fixture));
  for (const ReferencePrompt& p : read_reference(test::reference_of(fixture)))
    EXPECT_TRUE(test::matrices_near(exercises::embed_tokens(model.weights.embed_tokens.fp32(), p.input_ids), p.hidden[0], 0.0f))
        << fixture << " " << p.name << " (a lookup copies: exact)";
}

TEST(EmbedTokens, MatchesHfOnLlama) { expect_hf_embeddings("llama-mha"); }
TEST(EmbedTokens, MatchesHfOnQwen2Bf16) { expect_hf_embeddings("qwen2-bf16"); }

TEST(EmbedTokens, RejectsIdsOutsideTheVocabulary) {
  const Model model = load_model(test::model_dir("llama-mha"));
  const int vocab = model.config.vocab_size;
  const std::vector<int> too_big = {1, vocab}, negative = {-1};
  EXPECT_THROW(exercises::embed_tokens(model.weights.embed_tokens.fp32(), too_big), kvlm::Error);
  EXPECT_THROW(exercises::embed_tokens(model.weights.embed_tokens.fp32(), negative), kvlm::Error);
}

}  // namespace
}  // namespace kvlm::exercises
