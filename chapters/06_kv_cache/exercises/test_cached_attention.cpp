// Tests exercise 2 of chapter 06 (attention with a KV cache) against HF transformers: the cache is
// prefilled with the prompt but its last token by the library, then the last token is decoded
// layer by layer with the exercise's attention; each layer's output must be HF's hidden state.
#include <gtest/gtest.h>

#include "common/exercise_test.hpp"
#include "common/reference_layer.hpp"
#include "exercises.hpp"
#include "kvlm/error.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/model/transformer.hpp"
#include "kvlm/verify/reference.hpp"

namespace kvlm::exercises {
namespace {

// The exercise's attention for rows start_pos.. of a sequence, reading and filling `cache`.
test::LayerParts with_exercise_attention(int start_pos, kvlm::KVCache* cache) {
  test::LayerParts parts;
  parts.attention = [=](const ModelConfig& c, const LayerWeights& w, const MatrixRef& h, int layer) {
    const RopeAngles angles = rope_angles(c.head_dim, c.rope_theta, start_pos, static_cast<int>(h.rows()));
    return exercises::attention(c, w, h, angles, layer, start_pos, cache);
  };
  return parts;
}

void expect_decode_step_matches_hf(const std::string& fixture) {
  const Model m = load_model(test::model_dir(fixture));
  for (const ReferencePrompt& p : read_reference(test::reference_of(fixture))) {
    const int T = static_cast<int>(p.input_ids.size());
    if (T < 2) continue;
    kvlm::ContiguousKVCache cache(m.config, T);
    forward(m, std::span<const int>(p.input_ids).first(T - 1), 0, &cache);  // positions 0 .. T-2
    const test::LayerParts parts = with_exercise_attention(T - 1, &cache);
    for (int l = 0; l < m.config.num_hidden_layers; ++l) {
      const Matrix x = p.hidden[l].bottomRows(1);  // the new token entering layer l
      EXPECT_TRUE(test::matrices_near(test::run_layer(m, l, x, parts), p.hidden[l + 1].bottomRows(1), test::kTolerance))
          << fixture << " " << p.name << " layer " << l << ", decoding position " << T - 1;
    }
    EXPECT_EQ(cache.length(), T) << "the decode step must append its key and value";
  }
}

TEST(CachedAttention, DecodeStepMatchesHfOnLlamaGqa) { expect_decode_step_matches_hf("llama-gqa-tied"); }
TEST(CachedAttention, DecodeStepMatchesHfOnQwen2WithBiases) { expect_decode_step_matches_hf("qwen2-bf16"); }

// Prefill through the exercise: an empty cache, the whole prompt at once.
TEST(CachedAttention, PrefillIntoAnEmptyCacheMatchesHf) {
  const Model m = load_model(test::model_dir("llama-mha"));
  const ReferencePrompt p = read_reference(test::reference_of("llama-mha")).back();
  kvlm::ContiguousKVCache cache(m.config, static_cast<int>(p.input_ids.size()));
  const test::LayerParts parts = with_exercise_attention(0, &cache);
  for (int l = 0; l < m.config.num_hidden_layers; ++l)
    EXPECT_TRUE(test::matrices_near(test::run_layer(m, l, p.hidden[l], parts), p.hidden[l + 1], test::kTolerance))
        << "layer " << l;
}

// Without a cache the block is chapter 03's: positions from 0, and nothing else makes sense.
TEST(CachedAttention, WithoutACacheWorksFromZeroAndRefusesLaterPositions) {
  const Model m = load_model(test::model_dir("llama-mha"));
  const ReferencePrompt p = read_reference(test::reference_of("llama-mha")).back();
  const test::LayerParts parts = with_exercise_attention(0, nullptr);
  for (int l = 0; l < m.config.num_hidden_layers; ++l)
    EXPECT_TRUE(test::matrices_near(test::run_layer(m, l, p.hidden[l], parts), p.hidden[l + 1], test::kTolerance))
        << "layer " << l;
  const ModelConfig& c = m.config;
  const Matrix x = p.hidden[0].bottomRows(1);
  EXPECT_THROW(exercises::attention(c, m.weights.layers[0], x, rope_angles(c.head_dim, c.rope_theta, 3, 1), 0, 3, nullptr),
               kvlm::Error);
}

}  // namespace
}  // namespace kvlm::exercises
