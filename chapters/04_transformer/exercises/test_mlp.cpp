// Tests exercise 2 of chapter 04 (mlp) against HF transformers: every layer of a fixture is
// recomputed from HF's hidden state with the exercise's MLP and must give HF's next hidden state.
// SwiGLU on Llama and Qwen2, the GELU (tanh) MLP with biases on GPT-2.
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
  test::LayerParts parts;
  parts.mlp = [](const ModelConfig& c, const LayerWeights& w, const MatrixRef& x) { return exercises::mlp(c, w, x); };
  test::expect_layers_match_hf(m, fixture, parts);
}

TEST(Mlp, SwiGluMatchesHfOnLlama) { expect_hf_hidden_states("llama-gqa-tied"); }
TEST(Mlp, SwiGluMatchesHfOnQwen2) { expect_hf_hidden_states("qwen2-bf16"); }
TEST(Mlp, GeluMlpMatchesHfOnGpt2) { expect_hf_hidden_states("gpt2"); }

}  // namespace
}  // namespace kvlm::exercises
