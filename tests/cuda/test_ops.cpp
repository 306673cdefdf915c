// Chapter 07: one test body per op, run on each backend ("cpu": model/'s functions; "cuda": the
// kernels of src/kvlm/cuda/ops.hpp). Every body checks its backend against the same float64
// computation written out here, on random inputs of awkward shapes (T = 1, 7, 33; head_dim 32 and
// 64; GQA groups 1, 3 and 8; both RoPE layouts), so the CPU code and its CUDA twin are held to one
// reference and, through it, to each other.
//
// CudaKernels, at the end, holds the kernels with no CPU function of their own (the causal softmax
// and the fast versions of linear and attention) to the same references.
//
// The "cuda" instances skip with one line where kvlm was built without CUDA or no device is present.
// Tolerances are stated per op as a count of fp32 roundings, u = 2^-24 (the unit roundoff).
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "kvlm/error.hpp"
#include "kvlm/generate/sampler.hpp"
#include "kvlm/model/attention.hpp"
#include "kvlm/model/embeddings.hpp"
#include "kvlm/model/linear.hpp"
#include "kvlm/model/mlp.hpp"
#include "kvlm/model/norms.hpp"
#include "kvlm/model/rope.hpp"
#if KVLM_HAS_CUDA
#include "kvlm/cuda/device.hpp"
#include "kvlm/cuda/fast_ops.hpp"
#include "kvlm/cuda/ops.hpp"
#endif

namespace kvlm {
namespace {

constexpr double kU = 1.0 / (1 << 24);  // fp32's unit roundoff

Matrix random_matrix(Eigen::Index rows, Eigen::Index cols, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-scale, scale);
  Matrix m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = uniform(rng);
  return m;
}

// Why the CUDA tests cannot run here, or "" when they can: kvlm built without CUDA, or no GPU.
std::string no_gpu_reason() {
#if KVLM_HAS_CUDA
  std::string why;
  return cuda::device_present(&why) ? "" : "no GPU to run the CUDA kernels on: " + why;
#else
  return "kvlm was built without CUDA (KVLM_CUDA=OFF or no nvcc)";
#endif
}

class Ops : public ::testing::TestWithParam<std::string> {
 protected:
  bool cuda() const { return GetParam() == "cuda"; }
  void SetUp() override {
    if (!cuda()) return;
    if (const std::string why = no_gpu_reason(); !why.empty()) GTEST_SKIP() << why;
  }
};

#if KVLM_HAS_CUDA
// Host <-> device for the cuda instances.
cuda::DeviceArray<float> up(const Matrix& m) { return cuda::DeviceArray<float>(m.data(), m.size()); }
cuda::DeviceArray<float> up(const Vector& v) { return cuda::DeviceArray<float>(v.data(), v.size()); }
Matrix down(const cuda::DeviceArray<float>& a, Eigen::Index rows, Eigen::Index cols) {
  Matrix m(rows, cols);
  a.download(m.data(), m.size());
  return m;
}
#define KVLM_CUDA_ONLY(...) __VA_ARGS__
#else
#define KVLM_CUDA_ONLY(...)
#endif

TEST_P(Ops, EmbedTokensCopiesRowsAndRefusesBadIds) {
  const Matrix table = random_matrix(50, 24, 1);
  const std::vector<int> ids = {3, 49, 0, 3, 17, 8, 21};  // T = 7, a repeat, both ends of the vocabulary
  Matrix x;
  if (!cuda()) x = embed_tokens(table, ids);
  KVLM_CUDA_ONLY(if (cuda()) {
    const auto d_table = up(table);
    cuda::DeviceArray<float> d_x(ids.size() * 24);
    cuda::embed_tokens(d_table.data(), 50, 24, ids.data(), 7, d_x.data());
    x = down(d_x, 7, 24);
  })
  for (size_t t = 0; t < ids.size(); ++t)
    for (int d = 0; d < 24; ++d) ASSERT_EQ(x(t, d), table(ids[t], d)) << "t " << t << " d " << d;  // a copy: exact

  const std::vector<int> bad = {1, 50};
  if (!cuda()) {
    EXPECT_THROW(embed_tokens(table, bad), Error);
  }
  KVLM_CUDA_ONLY(if (cuda()) {
    const auto d_table = up(table);
    cuda::DeviceArray<float> d_x(2 * 24);
    EXPECT_THROW(cuda::embed_tokens(d_table.data(), 50, 24, bad.data(), 2, d_x.data()), Error);
  })
}

// y = x * scale * w with scale from a double mean: the fp32 steps are scale's rounding and two
// products, so |y - exact| <= 4 u |exact| (+ a floor for exact zeros).
TEST_P(Ops, RmsNormMatchesFloat64) {
  for (const int T : {1, 7, 33}) {
    const Matrix x = random_matrix(T, 96, 10 + T, 3.0f);
    const Vector w = random_matrix(96, 1, 20 + T).col(0);
    Matrix y;
    if (!cuda()) y = rms_norm(x, w, 1e-5f);
    KVLM_CUDA_ONLY(if (cuda()) {
      const auto dx = up(x), dw = up(w);
      cuda::DeviceArray<float> dy(x.size());
      cuda::rms_norm(dx.data(), dw.data(), T, 96, 1e-5f, dy.data());
      y = down(dy, T, 96);
    })
    for (int t = 0; t < T; ++t) {
      double ms = 0;
      for (int i = 0; i < 96; ++i) ms += static_cast<double>(x(t, i)) * x(t, i) / 96;
      for (int i = 0; i < 96; ++i) {
        const double exact = x(t, i) / std::sqrt(ms + 1e-5) * w(i);
        ASSERT_NEAR(y(t, i), exact, 4 * kU * std::abs(exact) + 1e-30) << "T " << T << " t " << t << " i " << i;
      }
    }
  }
}

// (x - mean) / std in double, rounded once to fp32, then * w + b: three fp32 roundings, each at most
// u of the value it rounds, whose sizes are bounded by |normalized * w| + |b|.
TEST_P(Ops, LayerNormMatchesFloat64) {
  for (const int T : {1, 7, 33}) {
    const Matrix x = random_matrix(T, 64, 30 + T, 2.0f);
    const Vector w = random_matrix(64, 1, 40 + T).col(0), b = random_matrix(64, 1, 50 + T).col(0);
    Matrix y;
    if (!cuda()) y = layer_norm(x, w, b, 1e-5f);
    KVLM_CUDA_ONLY(if (cuda()) {
      const auto dx = up(x), dw = up(w), db = up(b);
      cuda::DeviceArray<float> dy(x.size());
      cuda::layer_norm(dx.data(), dw.data(), db.data(), T, 64, 1e-5f, dy.data());
      y = down(dy, T, 64);
    })
    for (int t = 0; t < T; ++t) {
      double mean = 0, var = 0;
      for (int i = 0; i < 64; ++i) mean += x(t, i) / 64.0;
      for (int i = 0; i < 64; ++i) var += (x(t, i) - mean) * (x(t, i) - mean) / 64.0;
      for (int i = 0; i < 64; ++i) {
        const double normalized = (x(t, i) - mean) / std::sqrt(var + 1e-5);
        const double exact = normalized * w(i) + b(i);
        ASSERT_NEAR(y(t, i), exact, 4 * kU * (std::abs(normalized * w(i)) + std::abs(b(i))) + 1e-30) << "t " << t;
      }
    }
  }
}

// a' = a c - b s, b' = b c + a s with the same fp32 cos and sin: two products and a sum, each within
// u of its value, and |cos|, |sin| <= 1: |error| <= 3 u (|a| + |b|).
TEST_P(Ops, RopeMatchesFloat64InBothLayouts) {
  for (const RopeLayout layout : {RopeLayout::kHalfSplit, RopeLayout::kInterleaved})
    for (const int head_dim : {32, 64})
      for (const int T : {1, 7, 33}) {
        const int heads = 3;
        const Matrix x = random_matrix(T, heads * head_dim, T + head_dim, 2.0f);
        const RopeAngles angles = rope_angles(head_dim, 10000.0f, /*start_pos=*/5, T);
        Matrix y = x;
        if (!cuda()) apply_rope(y, heads, head_dim, angles, layout);
        KVLM_CUDA_ONLY(if (cuda()) {
          auto dy = up(x);
          const auto dcos = up(angles.cos), dsin = up(angles.sin);
          cuda::apply_rope(dy.data(), T, heads, head_dim, dcos.data(), dsin.data(), layout == RopeLayout::kInterleaved);
          y = down(dy, T, heads * head_dim);
        })
        const int half = head_dim / 2;
        for (int t = 0; t < T; ++t)
          for (int h = 0; h < heads; ++h)
            for (int i = 0; i < half; ++i) {
              const int ia = h * head_dim + (layout == RopeLayout::kHalfSplit ? i : 2 * i);
              const int ib = h * head_dim + (layout == RopeLayout::kHalfSplit ? i + half : 2 * i + 1);
              const double a = x(t, ia), b = x(t, ib), c = angles.cos(t, i), s = angles.sin(t, i);
              const double bound = 3 * kU * (std::abs(a) + std::abs(b)) + 1e-30;
              ASSERT_NEAR(y(t, ia), a * c - b * s, bound) << "t " << t << " h " << h << " i " << i;
              ASSERT_NEAR(y(t, ib), b * c + a * s, bound) << "t " << t << " h " << h << " i " << i;
            }
      }
}

// A dot product of K terms in any order of fp32 additions, fused or not, is within
// gamma_K * sum |x w| of the exact one, gamma_K = K u / (1 - K u) (Higham, 3.1); the bias adds one more u.
void expect_linear_near_float64(const Matrix& x, const Matrix& w, const Vector& bias, const Matrix& y) {
  const Eigen::Index in = x.cols();
  const double gamma = (in + 1) * kU / (1 - (in + 1) * kU);
  ASSERT_EQ(y.rows(), x.rows());
  ASSERT_EQ(y.cols(), w.rows());
  for (Eigen::Index t = 0; t < x.rows(); ++t)
    for (Eigen::Index r = 0; r < w.rows(); ++r) {
      double exact = bias.size() ? bias(r) : 0.0, magnitude = std::abs(exact);
      for (Eigen::Index k = 0; k < in; ++k) {
        exact += static_cast<double>(x(t, k)) * w(r, k);
        magnitude += std::abs(static_cast<double>(x(t, k)) * w(r, k));
      }
      ASSERT_NEAR(y(t, r), exact, gamma * magnitude) << "T " << x.rows() << " in " << in << " t " << t << " r " << r;
    }
}

TEST_P(Ops, LinearMatchesFloat64) {
  for (const int T : {1, 7, 33}) {
    const int in = 80, out = 45;
    const Matrix x = random_matrix(T, in, 60 + T), w = random_matrix(out, in, 70 + T);
    const Vector bias = random_matrix(out, 1, 80 + T).col(0);
    Matrix y;
    if (!cuda()) y = linear(x, w, bias);
    KVLM_CUDA_ONLY(if (cuda()) {
      const auto dx = up(x), dw = up(w), db = up(bias);
      cuda::DeviceArray<float> dy(static_cast<size_t>(T) * out);
      cuda::linear(dx.data(), dw.data(), db.data(), T, in, out, dy.data());
      y = down(dy, T, out);
    })
    ASSERT_NO_FATAL_FAILURE(expect_linear_near_float64(x, w, bias, y));
  }
}

// Causal softmax attention with GQA, written out in float64. Inputs in [-1, 1], so |scores| <= hd *
// scale and every output is a convex combination of values in [-1, 1]. The fp32 path rounds each
// score (hd terms), its exp (a few u, relative) and the S-term weighted sums; (hd + S + 16) u covers
// each contribution, and 4x that is the bound (for S = 40 and hd = 64, 7e-6).
struct AttentionCase {
  int T, start_pos, heads, kv_heads, head_dim, window;
  int S() const { return start_pos + T; }
  float scale() const { return 1.0f / std::sqrt(static_cast<float>(head_dim)); }
};
const AttentionCase kAttentionCases[] = {{1, 0, 3, 3, 32, 0},  {7, 0, 3, 1, 64, 0},  {7, 0, 8, 1, 32, 0},
                                         {33, 0, 6, 2, 32, 0}, {1, 32, 8, 1, 64, 0}, {7, 26, 3, 3, 32, 0},
                                         {33, 0, 4, 2, 64, 5}, {1, 39, 4, 4, 32, 8}};

struct AttentionInputs {
  Matrix q, k, v;
};
AttentionInputs attention_inputs(const AttentionCase& c) {
  const int S = c.S();
  return {random_matrix(c.T, c.heads * c.head_dim, 90 + S), random_matrix(S, c.kv_heads * c.head_dim, 91 + S),
          random_matrix(S, c.kv_heads * c.head_dim, 92 + S)};
}

void expect_attention_near_float64(const AttentionCase& c, const AttentionInputs& in, const Matrix& out) {
  const int S = c.S();
  const double bound = 4 * (c.head_dim + S + 16) * kU;
  const int groups = c.heads / c.kv_heads;
  ASSERT_EQ(out.rows(), c.T);
  ASSERT_EQ(out.cols(), c.heads * c.head_dim);
  for (int t = 0; t < c.T; ++t)
    for (int h = 0; h < c.heads; ++h) {
      const int kv = h / groups, query_pos = c.start_pos + t;
      std::vector<double> p(S, 0.0);
      double max = -INFINITY, sum = 0;
      for (int j = 0; j < S; ++j) {
        if (j > query_pos || (c.window > 0 && j <= query_pos - c.window)) continue;
        for (int d = 0; d < c.head_dim; ++d)
          p[j] += static_cast<double>(in.q(t, h * c.head_dim + d)) * in.k(j, kv * c.head_dim + d);
        p[j] *= c.scale();
        max = std::max(max, p[j]);
      }
      for (int j = 0; j < S; ++j) {
        const bool visible = j <= query_pos && (c.window <= 0 || j > query_pos - c.window);
        p[j] = visible ? std::exp(p[j] - max) : 0.0;
        sum += p[j];
      }
      for (int d = 0; d < c.head_dim; ++d) {
        double exact = 0;
        for (int j = 0; j < S; ++j) exact += p[j] / sum * in.v(j, kv * c.head_dim + d);
        ASSERT_NEAR(out(t, h * c.head_dim + d), exact, bound)
            << "T " << c.T << " start " << c.start_pos << " H " << c.heads << " KV " << c.kv_heads << " window "
            << c.window << " t " << t << " h " << h << " d " << d;
      }
    }
}

TEST_P(Ops, AttentionMatchesFloat64WithGqaAndCausalMask) {
  for (const AttentionCase& c : kAttentionCases) {
    const AttentionInputs in = attention_inputs(c);
    Matrix out;
    if (!cuda())
      out = scaled_dot_product_attention(in.q, in.k, in.v, c.heads, c.kv_heads, c.head_dim, c.start_pos, c.scale(),
                                         c.window);
    KVLM_CUDA_ONLY(if (cuda()) {
      const auto dq = up(in.q), dk = up(in.k), dv = up(in.v);
      cuda::DeviceArray<float> d_out(in.q.size());
      cuda::scaled_dot_product_attention(dq.data(), dk.data(), dv.data(), c.T, c.S(), c.heads, c.kv_heads,
                                         c.head_dim, c.start_pos, c.scale(), c.window, d_out.data());
      out = down(d_out, c.T, c.heads * c.head_dim);
    })
    ASSERT_NO_FATAL_FAILURE(expect_attention_near_float64(c, in, out));
  }
}

// The residual add and Gemma's embedding scale: one fp32 rounding of the exact result each, so the
// result is exactly the float64 result rounded to fp32.
TEST_P(Ops, ResidualAddAndScaleRoundOnce) {
  const Matrix x = random_matrix(7, 40, 130), a = random_matrix(7, 40, 131);
  const float s = 24.0f / 7.0f;
  Matrix sum, scaled;
  if (!cuda()) sum = x + a, scaled = x * s;
  KVLM_CUDA_ONLY(if (cuda()) {
    auto dsum = up(x), dscaled = up(x);
    const auto da = up(a);
    cuda::add(dsum.data(), da.data(), x.size());
    cuda::scale(dscaled.data(), x.size(), s);
    sum = down(dsum, 7, 40);
    scaled = down(dscaled, 7, 40);
  })
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    ASSERT_EQ(sum.data()[i], static_cast<float>(static_cast<double>(x.data()[i]) + a.data()[i])) << i;
    ASSERT_EQ(scaled.data()[i], static_cast<float>(static_cast<double>(x.data()[i]) * s)) << i;
  }
}

// silu(g) * u: exp within 2 u (glibc, Eigen, CUDA's expf all are), then a sum, a division and a
// product: 8 u relative to the result covers them.
TEST_P(Ops, SiluGateMatchesFloat64) {
  for (const int T : {1, 7, 33}) {
    const Matrix gate = random_matrix(T, 48, 100 + T, 12.0f), upm = random_matrix(T, 48, 110 + T, 2.0f);
    Matrix y;
    if (!cuda()) y = silu(gate).cwiseProduct(upm);
    KVLM_CUDA_ONLY(if (cuda()) {
      auto dg = up(gate);
      const auto du = up(upm);
      cuda::silu_mul(dg.data(), du.data(), gate.size());
      y = down(dg, T, 48);
    })
    for (Eigen::Index i = 0; i < gate.size(); ++i) {
      const double g = gate.data()[i], exact = g / (1 + std::exp(-g)) * upm.data()[i];
      ASSERT_NEAR(y.data()[i], exact, 8 * kU * std::abs(exact) + 1e-30) << "g " << g;
    }
  }
}

// gelu_tanh(x) (GPT-2, Gemma): tanh within a few u, and about 8 more fp32 steps. 1 + tanh can
// cancel for negative x, so the bound is taken on the terms' size: 32 u (|x| + |result|).
// Gemma's GeGLU, gelu_tanh(g) * u, the same with one more product: the bound times |u| plus 1 u.
TEST_P(Ops, GeluTanhMatchesFloat64) {
  const Matrix x = random_matrix(7, 64, 120, 6.0f), upm = random_matrix(7, 64, 121, 2.0f);
  Matrix y, gated;
  if (!cuda()) y = x.unaryExpr(&gelu_tanh), gated = x.unaryExpr(&gelu_tanh).cwiseProduct(upm);
  KVLM_CUDA_ONLY(if (cuda()) {
    auto dx = up(x), dg = up(x);
    const auto du = up(upm);
    cuda::gelu_tanh(dx.data(), x.size());
    cuda::gelu_tanh_mul(dg.data(), du.data(), x.size());
    y = down(dx, 7, 64);
    gated = down(dg, 7, 64);
  })
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const double v = x.data()[i], u = upm.data()[i];
    const double exact = 0.5 * v * (1 + std::tanh(std::sqrt(2 / std::numbers::pi) * (v + 0.044715 * v * v * v)));
    const double bound = 32 * kU * (std::abs(v) + std::abs(exact));
    ASSERT_NEAR(y.data()[i], exact, bound) << "x " << v;
    ASSERT_NEAR(gated.data()[i], exact * u, bound * std::abs(u) + kU * std::abs(exact * u)) << "x " << v;
  }
}

// argmax: exact, with ties to the lowest index (torch.argmax's rule), over more values than a block
// has threads and fewer.
TEST_P(Ops, ArgmaxTakesTheLowestOfTies) {
  for (const int n : {1, 7, 300, 49152}) {
    std::vector<float> x(n);
    std::mt19937 rng(n);
    std::uniform_real_distribution<float> uniform(-5.0f, 5.0f);
    for (float& v : x) v = uniform(rng);
    const int first = n / 3, second = n - 1;  // the largest value, twice
    x[first] = 9.0f;
    x[second] = 9.0f;
    int got = -1;
    if (!cuda()) got = argmax(x);
    KVLM_CUDA_ONLY(if (cuda()) {
      const cuda::DeviceArray<float> dx(x);
      got = cuda::argmax(dx.data(), n);
    })
    EXPECT_EQ(got, first) << "n " << n;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, Ops, ::testing::Values("cpu", "cuda"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// ---- The kernels that have no CPU function of their own: the causal softmax (a step inside the
// CPU's scaled_dot_product_attention) and the fast versions of linear and attention (fast_ops.hpp),
// each held to the same float64 references as the plain kernels above, and to the plain kernels.
class CudaKernels : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string why = no_gpu_reason(); !why.empty()) GTEST_SKIP() << why;
  }
};

#if KVLM_HAS_CUDA
// Scores in [-4, 4] (T queries from start_pos, S = start_pos + T keys, num_heads rows each), softmax in
// float64. The kernel's steps: s - max rounds to within u |s - max| <= 8 u, which exp turns into 8 u
// relative; expf adds 2 u; the sum (in double) carries its terms' 10 u; the division adds 1 u. So
// each weight is within 32 u of its exact value, relative. Masked keys get exactly 0.
TEST_F(CudaKernels, CausalSoftmaxMatchesFloat64) {
  struct Case {
    int T, start_pos, heads, window;
  };
  for (const Case& c : {Case{1, 0, 1, 0}, Case{7, 0, 3, 0}, Case{33, 0, 8, 0}, Case{1, 300, 2, 0}, Case{33, 4, 3, 5},
                        Case{7, 600, 1, 256}}) {
    const int S = c.start_pos + c.T;
    const Matrix scores = random_matrix(static_cast<Eigen::Index>(c.T) * c.heads, S, 140 + S, 4.0f);  // rows (t, h)
    auto d = up(scores);
    cuda::causal_softmax(d.data(), c.T, c.heads, S, c.start_pos, c.window);
    const Matrix p = down(d, scores.rows(), S);
    for (int t = 0; t < c.T; ++t)
      for (int h = 0; h < c.heads; ++h) {
        const Eigen::Index row = static_cast<Eigen::Index>(t) * c.heads + h;
        const int query_pos = c.start_pos + t;
        const auto visible = [&](int j) { return j <= query_pos && (c.window <= 0 || j > query_pos - c.window); };
        double max = -INFINITY, sum = 0;
        for (int j = 0; j < S; ++j)
          if (visible(j)) max = std::max(max, static_cast<double>(scores(row, j)));
        for (int j = 0; j < S; ++j)
          if (visible(j)) sum += std::exp(scores(row, j) - max);
        for (int j = 0; j < S; ++j) {
          const auto where = ::testing::Message() << "T " << c.T << " start " << c.start_pos << " t " << t << " h " << h
                                                  << " j " << j;
          if (!visible(j)) {
            ASSERT_EQ(p(row, j), 0.0f) << where;
            continue;
          }
          const double exact = std::exp(scores(row, j) - max) / sum;
          ASSERT_NEAR(p(row, j), exact, 32 * kU * exact) << where;
        }
      }
  }
}

// fast::linear on both of its paths (T <= kGemvRows: a warp per row of W, as float4 when rows are a
// multiple of 4 long, else one float at a time; more rows: 64 x 64 tiles), at the edges of both: T
// around kGemvRows and past one tile, widths that leave partial tiles and odd row lengths. The same
// float64 bound as the plain kernel, and against the plain kernel twice that bound.
TEST_F(CudaKernels, FastLinearMatchesFloat64AndThePlainKernel) {
  for (const int T : {1, 3, cuda::fast::kGemvRows, cuda::fast::kGemvRows + 1, 33, 70})
    for (const int in : {80, 81, 576})
      for (const int out : {45, 130}) {
        const Matrix x = random_matrix(T, in, 150 + T + in), w = random_matrix(out, in, 160 + in + out);
        const Vector bias = random_matrix(out, 1, 170 + out).col(0);
        const auto dx = up(x), dw = up(w), db = up(bias);
        cuda::DeviceArray<float> d_fast(static_cast<size_t>(T) * out), d_plain(d_fast.size());
        cuda::fast::linear(dx.data(), dw.data(), db.data(), T, in, out, d_fast.data());
        cuda::linear(dx.data(), dw.data(), db.data(), T, in, out, d_plain.data());
        const Matrix fast = down(d_fast, T, out), plain = down(d_plain, T, out);
        ASSERT_NO_FATAL_FAILURE(expect_linear_near_float64(x, w, bias, fast)) << "out " << out;
        // Without a bias too (the MLP's projections): the same bound with bias 0.
        cuda::fast::linear(dx.data(), dw.data(), nullptr, T, in, out, d_fast.data());
        ASSERT_NO_FATAL_FAILURE(expect_linear_near_float64(x, w, Vector(), down(d_fast, T, out))) << "no bias";
        const double gamma = (in + 1) * kU / (1 - (in + 1) * kU);
        const double magnitude = (x.cwiseAbs() * w.cwiseAbs().transpose()).maxCoeff() + bias.cwiseAbs().maxCoeff();
        EXPECT_LE((fast - plain).cwiseAbs().maxCoeff(), 2 * gamma * magnitude) << "T " << T << " in " << in;
      }
}

TEST_F(CudaKernels, FastAttentionMatchesFloat64) {
  cuda::DeviceArray<float> scratch;  // grown by the first case that needs more, as in a forward pass
  for (const AttentionCase& c : kAttentionCases) {
    const AttentionInputs in = attention_inputs(c);
    const auto dq = up(in.q), dk = up(in.k), dv = up(in.v);
    cuda::DeviceArray<float> d_out(in.q.size());
    cuda::fast::scaled_dot_product_attention(dq.data(), dk.data(), dv.data(), c.T, c.S(), c.heads, c.kv_heads,
                                             c.head_dim, c.start_pos, c.scale(), c.window, scratch, d_out.data());
    ASSERT_NO_FATAL_FAILURE(expect_attention_near_float64(c, in, down(d_out, c.T, c.heads * c.head_dim)));
  }
}

// Past 2^26 scores (here 32 heads x 2,048 keys x 2,048 queries = 2^27) the fast attention runs in
// chunks of queries (two here). Too large for the float64 loop, so it is held to the plain kernel: both
// are within the float64 bound of the same exact values, so within twice that of each other.
TEST_F(CudaKernels, FastAttentionInChunksMatchesThePlainKernel) {
  const AttentionCase c{2048, 0, 32, 8, 64, 0};
  const AttentionInputs in = attention_inputs(c);
  const auto dq = up(in.q), dk = up(in.k), dv = up(in.v);
  cuda::DeviceArray<float> d_fast(in.q.size()), d_plain(in.q.size()), scratch;
  cuda::fast::scaled_dot_product_attention(dq.data(), dk.data(), dv.data(), c.T, c.S(), c.heads, c.kv_heads,
                                           c.head_dim, 0, c.scale(), 0, scratch, d_fast.data());
  EXPECT_LT(scratch.size(), static_cast<size_t>(c.T) * c.heads * c.S()) << "the scores were not chunked";
  cuda::scaled_dot_product_attention(dq.data(), dk.data(), dv.data(), c.T, c.S(), c.heads, c.kv_heads, c.head_dim, 0,
                                     c.scale(), 0, d_plain.data());
  const Matrix fast = down(d_fast, c.T, c.heads * c.head_dim), plain = down(d_plain, c.T, c.heads * c.head_dim);
  EXPECT_LE((fast - plain).cwiseAbs().maxCoeff(), 2 * 4 * (c.head_dim + c.S() + 16) * kU);
}

// A given-back DeviceArray's block goes to the next array of its size class, without cudaFree (which
// waits for the GPU) and cudaMalloc: a forward pass's scratch is reused step after step.
TEST_F(CudaKernels, GivenBackDeviceMemoryIsReused) {
  const float* first = nullptr;
  {
    const cuda::DeviceArray<float> a(1000);
    first = a.data();
  }
  const cuda::DeviceArray<float> b(900);  // 4,000 and 3,600 bytes: both in the 4,096-byte class
  EXPECT_EQ(b.data(), first);
  const cuda::DeviceArray<float> c(900);  // that block is taken: another one
  EXPECT_NE(c.data(), first);
}

// The fast attention refuses what the plain one refuses, with the same sentences.
TEST_F(CudaKernels, FastAttentionRefusesBadShapes) {
  cuda::DeviceArray<float> q(64), k(64), v(64), out(64), scratch;
  EXPECT_THROW(cuda::fast::scaled_dot_product_attention(q.data(), k.data(), v.data(), 1, 1, 3, 2, 8, 0, 1.0f, 0, scratch,
                                                        out.data()),
               Error);  // 3 heads over 2 KV heads
  EXPECT_THROW(cuda::fast::scaled_dot_product_attention(q.data(), k.data(), v.data(), 1, 3, 2, 2, 8, 0, 1.0f, 0, scratch,
                                                        out.data()),
               Error);  // the query at position 0 is not the newest of 3 keys
}
#endif

}  // namespace
}  // namespace kvlm
