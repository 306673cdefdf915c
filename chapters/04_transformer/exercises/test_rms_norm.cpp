// Tests exercise 1 of chapter 04 (rms_norm) against HF transformers: every layer of a fixture is
// recomputed from HF's hidden state with the exercise's RMSNorm in all three places (before
// attention, before the MLP, the final norm) and must give HF's next hidden state.
#include <gtest/gtest.h>

#include "common/exercise_test.hpp"
#include "common/reference_layer.hpp"
#include "exercises.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/verify/reference.hpp"

namespace kvlm::exercises {
namespace {

void expect_hf_hidden_states(const std::string& fixture) {
  const Model m = load_model(test::model_dir(fixture));
  ASSERT_EQ(m.config.norm, NormKind::kRmsNorm);
  test::LayerParts parts;
  parts.norm = [](const ModelConfig& c, const MatrixRef& x, const Vector& weight, const Vector&) {
    return exercises::rms_norm(x, weight, c.norm_eps);
  };
  test::expect_layers_match_hf(m, fixture, parts);
}

TEST(RmsNorm, EveryLayerMatchesHfOnLlama) { expect_hf_hidden_states("llama-mha"); }
TEST(RmsNorm, EveryLayerMatchesHfOnQwen2) { expect_hf_hidden_states("qwen2-bf16"); }

// The scale of the input does not matter (up to eps): RMSNorm(3x) = RMSNorm(x).
TEST(RmsNorm, IsScaleInvariant) {
  const Model m = load_model(test::model_dir("llama-mha"));
  const ReferencePrompt p = read_reference(test::reference_of("llama-mha")).back();
  const Vector& w = m.weights.layers[0].input_layernorm;
  const Matrix a = exercises::rms_norm(p.hidden[1], w, 0.0f), b = exercises::rms_norm(3.0f * p.hidden[1], w, 0.0f);
  EXPECT_TRUE(test::matrices_near(a, b, 1e-5f));
}

}  // namespace
}  // namespace kvlm::exercises
