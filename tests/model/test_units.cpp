// Unit tests of single stages whose reference is a property HF's code also has (the end-to-end
// numbers against HF are in test_reference.cpp): RoPE's two layouts, the causal mask, the cache.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "kvlm/cache/contiguous.hpp"
#include "kvlm/error.hpp"
#include "kvlm/model/attention.hpp"
#include "kvlm/model/mlp.hpp"
#include "kvlm/model/rope.hpp"

namespace kvlm {
namespace {

// HF converts Meta checkpoints by permuting each head's q/k rows: interleaved index 2i -> i,
// 2i+1 -> i + hd/2. Rotating in one layout must equal permuting, rotating in the other, permuting back.
// The MLP's vectorized silu (Eigen's exp) against the scalar one (std::exp) and against float64:
// each exp is within a few ulp of the exact one, so both silus stay within 4 ulp of float64's, here
// over [-100, 100]. Past -88.7, e^-x overflows float to inf and both give -0 where the exact value is
// below 3e-37: the absolute 1e-36 covers that and nothing else.
TEST(Silu, VectorizedMatchesScalarAndFloat64) {
  Matrix x(1, 2001);
  for (int i = 0; i < x.cols(); ++i) x(0, i) = -100.0f + 0.1f * static_cast<float>(i);
  const Matrix y = silu(x);
  for (int i = 0; i < x.cols(); ++i) {
    const double exact = x(0, i) / (1.0 + std::exp(-static_cast<double>(x(0, i))));
    const double tolerance = 4 * std::numeric_limits<float>::epsilon() * std::abs(exact) + 1e-36;
    EXPECT_NEAR(y(0, i), exact, tolerance) << "x = " << x(0, i);
    EXPECT_NEAR(silu(x(0, i)), exact, tolerance) << "x = " << x(0, i);
  }
}

TEST(Rope, InterleavedIsAPermutationOfHalfSplit) {
  const int heads = 3, hd = 8, T = 5;
  const Matrix x = Matrix::Random(T, heads * hd);
  Matrix permuted(T, heads * hd);  // x in half-split order
  for (int h = 0; h < heads; ++h)
    for (int i = 0; i < hd / 2; ++i) {
      permuted.col(h * hd + i) = x.col(h * hd + 2 * i);
      permuted.col(h * hd + i + hd / 2) = x.col(h * hd + 2 * i + 1);
    }
  const RopeAngles angles = rope_angles(hd, 10000.0f, 7, T);
  Matrix a = x, b = permuted;
  apply_rope(a, heads, hd, angles, RopeLayout::kInterleaved);
  apply_rope(b, heads, hd, angles, RopeLayout::kHalfSplit);
  for (int h = 0; h < heads; ++h)
    for (int i = 0; i < hd / 2; ++i) {
      EXPECT_LE((a.col(h * hd + 2 * i) - b.col(h * hd + i)).cwiseAbs().maxCoeff(), 1e-6f);
      EXPECT_LE((a.col(h * hd + 2 * i + 1) - b.col(h * hd + i + hd / 2)).cwiseAbs().maxCoeff(), 1e-6f);
    }
}

// The point of RoPE: q.k depends only on the distance between the two positions.
TEST(Rope, DotProductDependsOnlyOnDistance) {
  const int hd = 16;
  const Matrix q0 = Matrix::Random(1, hd), k0 = Matrix::Random(1, hd);
  auto rotated_dot = [&](int pq, int pk) {
    Matrix q = q0, k = k0;
    apply_rope(q, 1, hd, rope_angles(hd, 10000.0f, pq, 1), RopeLayout::kHalfSplit);
    apply_rope(k, 1, hd, rope_angles(hd, 10000.0f, pk, 1), RopeLayout::kHalfSplit);
    return (q * k.transpose())(0, 0);
  };
  EXPECT_NEAR(rotated_dot(10, 7), rotated_dot(103, 100), 1e-5f);
  EXPECT_NEAR(rotated_dot(3, 3), (q0 * k0.transpose())(0, 0), 1e-5f);  // distance 0: no rotation at all
}

TEST(Attention, CausalMaskHidesTheFuture) {
  const int T = 6, heads = 4, kv_heads = 2, hd = 4;
  const Matrix q = Matrix::Random(T, heads * hd), k = Matrix::Random(T, kv_heads * hd), v = Matrix::Random(T, kv_heads * hd);
  std::vector<Matrix> probs;
  const Matrix out = scaled_dot_product_attention(q, k, v, heads, kv_heads, hd, 0, &probs);
  ASSERT_EQ(probs.size(), static_cast<size_t>(heads));
  for (const Matrix& p : probs)
    for (int t = 0; t < T; ++t) {
      EXPECT_NEAR(p.row(t).sum(), 1.0f, 1e-6f);
      for (int s = t + 1; s < T; ++s) EXPECT_EQ(p(t, s), 0.0f) << "query " << t << " sees key " << s;
    }
  // Position 0 sees only itself: its output is its own value vector, for each head's KV head.
  for (int h = 0; h < heads; ++h)
    EXPECT_LE((out.block(0, h * hd, 1, hd) - v.block(0, (h / 2) * hd, 1, hd)).cwiseAbs().maxCoeff(), 1e-6f);
  // Changing a later key or value changes nothing before it.
  Matrix k2 = k, v2 = v;
  k2.row(T - 1).setRandom();
  v2.row(T - 1).setRandom();
  const Matrix out2 = scaled_dot_product_attention(q, k2, v2, heads, kv_heads, hd, 0);
  EXPECT_EQ(out.topRows(T - 1), out2.topRows(T - 1));
}

TEST(ContiguousKVCache, BytesFollowTheFormula) {
  ModelConfig c;
  c.num_hidden_layers = 30;
  c.num_key_value_heads = 3;
  c.head_dim = 64;
  c.num_attention_heads = 9;
  EXPECT_EQ(KVCache::bytes_per_token(c), 2u * 30 * 3 * 64 * 4);  // SmolLM2-135M: 46080 bytes per token
  ContiguousKVCache cache(c, 100);
  EXPECT_EQ(cache.bytes(), 100 * KVCache::bytes_per_token(c));
}

TEST(ContiguousKVCache, UpdateReturnsEveryPositionSoFar) {
  ModelConfig c;
  c.num_hidden_layers = 1;
  c.num_key_value_heads = 1;
  c.head_dim = 2;
  c.num_attention_heads = 1;
  ContiguousKVCache cache(c, 4);
  const Matrix k1 = Matrix::Constant(3, 2, 1.0f), v1 = Matrix::Constant(3, 2, 2.0f);
  const KVView first = cache.update(0, 0, k1, v1);
  ASSERT_EQ(first.size(), 1u);  // one segment, at position 0
  EXPECT_EQ(first[0].keys.rows(), 3);
  const Matrix k2 = Matrix::Constant(1, 2, 5.0f);
  const KVView view = cache.update(0, 3, k2, k2);
  ASSERT_EQ(view.size(), 1u);
  ASSERT_EQ(view[0].keys.rows(), 4);
  EXPECT_EQ(view[0].first_pos, 0);
  EXPECT_EQ(view[0].keys(3, 0), 5.0f);
  EXPECT_EQ(view[0].values(0, 0), 2.0f);
  EXPECT_EQ(cache.length(), 4);
  EXPECT_THROW(cache.update(0, 4, k2, k2), Error);  // full
  cache.clear();
  EXPECT_THROW(cache.update(0, 1, k2, k2), Error);  // a gap: position 0 was never written
}

}  // namespace
}  // namespace kvlm
