// Tests exercise 2 of chapter 03 (scaled_dot_product_attention) inside the real model: every layer
// of a fixture is recomputed from HF's hidden state with the exercise's attention in place of the
// library's, and must give HF's next hidden state. Covers MHA, GQA and MQA, and the causal mask
// for a chunk that starts after position 0 (the case chapter 06's cache relies on).
#include <gtest/gtest.h>

#include "common/exercise_test.hpp"
#include "common/reference_layer.hpp"
#include "exercises.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/model/linear.hpp"
#include "kvlm/verify/reference.hpp"

namespace kvlm::exercises {
namespace {

// The attention block of attention.cpp, with the exercise where the library calls its own.
// Queries are those of rows first_query.. of h; keys and values are those of every row.
Matrix attention_block(const ModelConfig& c, const LayerWeights& w, const MatrixRef& h, int first_query,
                       std::vector<Matrix>* probs = nullptr) {
  const int T = static_cast<int>(h.rows());
  const RopeAngles angles = rope_angles(c.head_dim, c.rope_theta, 0, T);
  Matrix q = linear(h, w.q_proj, w.q_bias), k = linear(h, w.k_proj, w.k_bias), v = linear(h, w.v_proj, w.v_bias);
  kvlm::apply_rope(q, c.num_attention_heads, c.head_dim, angles, c.rope_layout);
  kvlm::apply_rope(k, c.num_key_value_heads, c.head_dim, angles, c.rope_layout);
  const Matrix q_chunk = q.bottomRows(T - first_query);
  const Matrix context = exercises::scaled_dot_product_attention(q_chunk, k, v, c.num_attention_heads, c.num_key_value_heads,
                                                      c.head_dim, first_query, probs);
  Matrix out = Matrix::Zero(T, c.hidden_size);  // rows before first_query are not compared
  if (context.rows() == T - first_query && context.cols() == c.q_dim())
    out.bottomRows(T - first_query) = linear(context, w.o_proj, w.o_bias);
  return out;
}

void expect_hf_hidden_states(const std::string& fixture, int first_query = 0) {
  const Model m = load_model(test::model_dir(fixture));
  test::LayerParts parts;
  parts.attention = [&](const ModelConfig& c, const LayerWeights& w, const MatrixRef& h, int) {
    return attention_block(c, w, h, first_query);
  };
  test::expect_layers_match_hf(m, fixture, parts, first_query);
}

TEST(Attention, MultiHeadMatchesHf) { expect_hf_hidden_states("llama-mha"); }
TEST(Attention, GroupedQueryMatchesHf) { expect_hf_hidden_states("llama-gqa-tied"); }
TEST(Attention, MultiQueryMatchesHf) { expect_hf_hidden_states("llama-mqa-f16"); }
TEST(Attention, QueriesStartingAtPosition5MatchHf) { expect_hf_hidden_states("llama-gqa-tied", 5); }

// The weights: one [T, S] matrix per query head, each row a distribution over the visible keys.
TEST(Attention, WeightsAreCausalDistributions) {
  const Model m = load_model(test::model_dir("llama-gqa-tied"));
  const ReferencePrompt p = read_reference(test::reference_of("llama-gqa-tied")).back();
  const ModelConfig& c = m.config;
  const LayerWeights& w = m.weights.layers[0];
  std::vector<Matrix> probs;
  attention_block(c, w, kvlm::norm(c, p.hidden[0], w.input_layernorm, w.input_layernorm_bias), 0, &probs);
  ASSERT_EQ(probs.size(), static_cast<size_t>(c.num_attention_heads));
  const Eigen::Index T = static_cast<Eigen::Index>(p.input_ids.size());
  for (const Matrix& head : probs) {
    ASSERT_EQ(head.rows(), T);
    ASSERT_EQ(head.cols(), T);
    for (Eigen::Index t = 0; t < T; ++t) {
      EXPECT_NEAR(head.row(t).sum(), 1.0f, 1e-5f) << "row " << t;
      for (Eigen::Index s = t + 1; s < T; ++s) EXPECT_EQ(head(t, s), 0.0f) << "query " << t << " sees key " << s;
    }
  }
}

}  // namespace
}  // namespace kvlm::exercises
