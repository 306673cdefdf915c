// Tests exercise 2 of chapter 07 (the causal softmax kernel) against HF transformers: every layer of
// a fixture is recomputed from HF's hidden state with attention's softmax step done by the kernel
// (scores, and the weighted sum after it, on the CPU), and must give HF's next hidden state. Covers
// GQA, queries starting after position 0 (a KV cache's chunk) and Mistral's sliding window of 8.
// Skips, saying so, where no GPU is present.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "common/exercise_test.hpp"
#include "common/reference_layer.hpp"
#include "exercises.hpp"
#include "gpu.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/model/linear.hpp"
#include "kvlm/model/rope.hpp"
#include "kvlm/verify/reference.hpp"

namespace kvlm::exercises {
namespace {

// attention.cpp's attention block, opened up: scores on the CPU, the exercise's causal softmax on the
// GPU, the weighted sum and o_proj on the CPU. Queries are rows first_query.. of h.
Matrix attention_block(const ModelConfig& c, const LayerWeights& w, const MatrixRef& h, int layer, int first_query) {
  const int T = static_cast<int>(h.rows()), Tq = T - first_query;
  const int H = c.num_attention_heads, hd = c.head_dim, groups = H / c.num_key_value_heads;
  const RopeAngles angles = rope_angles(rope_frequencies(c), 0, T);
  Matrix q = linear(h, w.q_proj, w.q_bias), k = linear(h, w.k_proj, w.k_bias), v = linear(h, w.v_proj, w.v_bias);
  kvlm::apply_rope(q, H, hd, angles, c.rope_layout);
  kvlm::apply_rope(k, c.num_key_value_heads, hd, angles, c.rope_layout);

  Matrix scores(static_cast<Eigen::Index>(Tq) * H, T);  // row t * H + head: query first_query + t
  for (int t = 0; t < Tq; ++t)
    for (int head = 0; head < H; ++head)
      scores.row(t * H + head) = q.row(first_query + t).segment(head * hd, hd) *
                                 k.middleCols((head / groups) * hd, hd).transpose() * c.attention_scale();
  auto d_scores = test::to_gpu(scores);
  exercises::causal_softmax(d_scores.data(), Tq, H, T, first_query, c.layer_window(layer));
  const Matrix p = test::to_host(d_scores, scores.rows(), T);

  Matrix context(Tq, H * hd);
  for (int t = 0; t < Tq; ++t)
    for (int head = 0; head < H; ++head)
      context.row(t).segment(head * hd, hd) = p.row(t * H + head) * v.middleCols((head / groups) * hd, hd);
  Matrix out = Matrix::Zero(T, c.hidden_size);  // rows before first_query are not compared
  out.bottomRows(Tq) = linear(context, w.o_proj, w.o_bias);
  return out;
}

void expect_hf_hidden_states(const std::string& fixture, int first_query = 0) {
  const Model m = load_model(test::model_dir(fixture));
  test::LayerParts parts;
  parts.attention = [&](const ModelConfig& c, const LayerWeights& w, const MatrixRef& h, int layer) {
    return attention_block(c, w, h, layer, first_query);
  };
  test::expect_layers_match_hf(m, fixture, parts, first_query);
}

TEST(CausalSoftmaxKernel, GroupedQueryMatchesHf) {
  KVLM_EXERCISE_REQUIRE_GPU();
  expect_hf_hidden_states("llama-gqa-tied");
}
TEST(CausalSoftmaxKernel, QueriesStartingAtPosition5MatchHf) {
  KVLM_EXERCISE_REQUIRE_GPU();
  expect_hf_hidden_states("llama-gqa-tied", 5);
}
TEST(CausalSoftmaxKernel, MistralSlidingWindowMatchesHf) {
  KVLM_EXERCISE_REQUIRE_GPU();
  expect_hf_hidden_states("mistral");
}

// Rows longer than the block (700 keys for 256 threads), a window, two heads: each visible weight
// within 32 u (relative) of the float64 softmax (exp amplifies the rounding of s - max, |s - max| <= 8,
// to 8 u; expf adds 2; the sum carries 10; the division 1), and each hidden key exactly 0.
TEST(CausalSoftmaxKernel, LongRowsMatchFloat64) {
  KVLM_EXERCISE_REQUIRE_GPU();
  const int T = 3, heads = 2, start_pos = 697, S = start_pos + T;
  for (const int window : {0, 300}) {
    std::mt19937 rng(11 + window);
    std::uniform_real_distribution<float> uniform(-4.0f, 4.0f);
    Matrix scores(T * heads, S);
    for (Eigen::Index i = 0; i < scores.size(); ++i) scores.data()[i] = uniform(rng);
    auto d = test::to_gpu(scores);
    exercises::causal_softmax(d.data(), T, heads, S, start_pos, window);
    const Matrix p = test::to_host(d, scores.rows(), S);
    const double u = 1.0 / (1 << 24);
    for (int row = 0; row < T * heads; ++row) {
      const int query_pos = start_pos + row / heads;
      const auto visible = [&](int j) { return j <= query_pos && (window <= 0 || j > query_pos - window); };
      double max = -INFINITY, sum = 0;
      for (int j = 0; j < S; ++j)
        if (visible(j)) max = std::max(max, static_cast<double>(scores(row, j)));
      for (int j = 0; j < S; ++j)
        if (visible(j)) sum += std::exp(scores(row, j) - max);
      for (int j = 0; j < S; ++j) {
        if (!visible(j)) {
          ASSERT_EQ(p(row, j), 0.0f) << "window " << window << " row " << row << " key " << j << " is hidden";
          continue;
        }
        const double exact = std::exp(scores(row, j) - max) / sum;
        ASSERT_NEAR(p(row, j), exact, 32 * u * exact) << "window " << window << " row " << row << " key " << j;
      }
    }
  }
}

}  // namespace
}  // namespace kvlm::exercises
