// Tests exercise 1 of chapter 03 (apply_rope) against HF's KV cache: layer{l}.k in a fixture's
// reference.safetensors holds HF's keys after RoPE. We recompute the keys before RoPE with the
// library (norm, k_proj) from HF's hidden state, rotate them with the exercise, and compare.
#include <gtest/gtest.h>

#include "common/exercise_test.hpp"
#include "exercises.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/io/safetensors.hpp"
#include "kvlm/model/linear.hpp"
#include "kvlm/model/norms.hpp"
#include "kvlm/verify/reference.hpp"

namespace kvlm::exercises {
namespace {

// HF stores a layer's keys as [KV, T, hd]; kvlm works on [T, KV * hd].
Matrix hf_keys(const SafetensorsFile& ref, const std::string& prompt, int layer, const ModelConfig& c, int T) {
  const Tensor k = ref.read(prompt + ".layer" + std::to_string(layer) + ".k");
  Matrix out(T, c.kv_dim());
  for (int h = 0; h < c.num_key_value_heads; ++h)
    for (int t = 0; t < T; ++t)
      for (int d = 0; d < c.head_dim; ++d) out(t, h * c.head_dim + d) = k.data(h, t * c.head_dim + d);
  return out;
}

// Keys of layer `layer` before RoPE, from HF's hidden state entering that layer.
Matrix unrotated_keys(const Model& m, int layer, const Matrix& hidden) {
  const LayerWeights& w = m.weights.layers[layer];
  return linear(kvlm::norm(m.config, hidden, w.input_layernorm, w.input_layernorm_bias), w.k_proj, w.k_bias);
}

// HF's keys are rotated half-split; Meta-layout keys hold dimension i of HF at 2i (i < hd/2) and
// dimension hd/2 + i at 2i + 1. This puts a Meta-layout key back in HF's order.
Matrix interleaved_to_half_split(const Matrix& k, int num_heads, int head_dim) {
  Matrix out(k.rows(), k.cols());
  const int half = head_dim / 2;
  for (Eigen::Index t = 0; t < k.rows(); ++t)
    for (int h = 0; h < num_heads; ++h)
      for (int i = 0; i < half; ++i) {
        out(t, h * head_dim + i) = k(t, h * head_dim + 2 * i);
        out(t, h * head_dim + half + i) = k(t, h * head_dim + 2 * i + 1);
      }
  return out;
}

void expect_hf_half_split_keys(const std::string& fixture) {
  const Model m = load_model(test::model_dir(fixture));
  const SafetensorsFile ref(test::reference_of(fixture));
  const ModelConfig& c = m.config;
  ASSERT_EQ(c.rope_layout, RopeLayout::kHalfSplit);
  for (const ReferencePrompt& p : read_reference(test::reference_of(fixture))) {
    const int T = static_cast<int>(p.input_ids.size());
    const RopeAngles angles = rope_angles(c.head_dim, c.rope_theta, 0, T);
    for (int l = 0; l < c.num_hidden_layers; ++l) {
      Matrix k = unrotated_keys(m, l, p.hidden[l]);
      exercises::apply_rope(k, c.num_key_value_heads, c.head_dim, angles, RopeLayout::kHalfSplit);
      EXPECT_TRUE(test::matrices_near(k, hf_keys(ref, p.name, l, c, T), test::kTolerance))
          << fixture << " " << p.name << " layer " << l;
    }
  }
}

TEST(Rope, HalfSplitGivesHfKeysOnLlamaGqa) { expect_hf_half_split_keys("llama-gqa-tied"); }
TEST(Rope, HalfSplitGivesHfKeysOnQwen2WithTheta1e6) { expect_hf_half_split_keys("qwen2-bf16"); }

// The same model saved by llama2.c (llama-mha/llama2c.bin): Meta's q/k row order, interleaved RoPE.
// Rotating its keys interleaved and reordering the dimensions must give HF's keys.
TEST(Rope, InterleavedOnALlama2cFileGivesHfKeys) {
  const Model m = load_model(test::model_dir("llama-mha") / "llama2c.bin");
  const SafetensorsFile ref(test::reference_of("llama-mha"));
  const ModelConfig& c = m.config;
  ASSERT_EQ(c.rope_layout, RopeLayout::kInterleaved);
  for (const ReferencePrompt& p : read_reference(test::reference_of("llama-mha"))) {
    const int T = static_cast<int>(p.input_ids.size());
    const RopeAngles angles = rope_angles(c.head_dim, c.rope_theta, 0, T);
    for (int l = 0; l < c.num_hidden_layers; ++l) {
      Matrix k = unrotated_keys(m, l, p.hidden[l]);
      exercises::apply_rope(k, c.num_key_value_heads, c.head_dim, angles, RopeLayout::kInterleaved);
      EXPECT_TRUE(test::matrices_near(interleaved_to_half_split(k, c.num_key_value_heads, c.head_dim),
                                      hf_keys(ref, p.name, l, c, T), test::kTolerance))
          << p.name << " layer " << l;
    }
  }
}

// Position 0 has angle 0 for every frequency: RoPE leaves the first token alone.
TEST(Rope, PositionZeroIsNotRotated) {
  const RopeAngles angles = rope_angles(8, 10000.0f, 0, 1);
  const Matrix x = Matrix::Random(1, 16);
  for (RopeLayout layout : {RopeLayout::kHalfSplit, RopeLayout::kInterleaved}) {
    Matrix y = x;
    exercises::apply_rope(y, 2, 8, angles, layout);
    EXPECT_TRUE(test::matrices_near(y, x, 0.0f)) << to_string(layout);
  }
}

}  // namespace
}  // namespace kvlm::exercises
