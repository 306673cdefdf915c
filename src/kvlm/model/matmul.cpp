// matmul_transposed; see matmul.hpp.
#include "kvlm/model/matmul.hpp"

#include <algorithm>

#if defined(__AVX2__) && defined(__FMA__)
// GCC 12 warns inside its own AVX-512 intrinsics (their _mm512_undefined_ps), not about our code.
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#endif

namespace kvlm {

void matmul_transposed_eigen(const MatmulArgs& a) {
  using Stride = Eigen::OuterStride<>;
  const Eigen::Map<const Matrix, 0, Stride> x(a.x, a.T, a.K, Stride(a.ldx));
  const Eigen::Map<const Matrix, 0, Stride> w(a.w, a.N, a.K, Stride(a.ldw));
  Eigen::Map<Matrix, 0, Stride> y(a.y, a.T, a.N, Stride(a.ldy));
  y.noalias() = x * w.transpose();
}

#if defined(__AVX2__) && defined(__FMA__)
namespace {

// One SIMD register of floats and the four operations the kernel needs. Tile sizes: AVX-512 has 32
// registers, so 4 x 6 accumulators + 6 rows of W + 1 row of x = 31; AVX2 has 16: 4 x 3 + 3 + 1 = 16.
#if defined(__AVX512F__)
using Vec = __m512;
constexpr int kLanes = 16, kRM = 4, kRN = 6;
Vec zero() { return _mm512_setzero_ps(); }
Vec load(const float* p) { return _mm512_loadu_ps(p); }
Vec fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
float sum(Vec v) { return _mm512_reduce_add_ps(v); }
#else
using Vec = __m256;
constexpr int kLanes = 8, kRM = 4, kRN = 3;
Vec zero() { return _mm256_setzero_ps(); }
Vec load(const float* p) { return _mm256_loadu_ps(p); }
Vec fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
float sum(Vec v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
#endif

// The RM x RN outputs y[t0 .. t0 + RM, r0 .. r0 + RN): acc[i][j] holds kLanes partial sums of
// row t0 + i of x times row r0 + j of W; each step of k loads RN vectors of W and RM of x.
template <int RM, int RN>
void tile(const MatmulArgs& a, Eigen::Index t0, Eigen::Index r0) {
  Vec acc[RM][RN];
  for (int i = 0; i < RM; ++i)
    for (int j = 0; j < RN; ++j) acc[i][j] = zero();
  const float* x = a.x + t0 * a.ldx;
  const float* w = a.w + r0 * a.ldw;
  for (Eigen::Index k = 0; k < a.K; k += kLanes) {
    Vec wv[RN];
    for (int j = 0; j < RN; ++j) wv[j] = load(w + j * a.ldw + k);
    for (int i = 0; i < RM; ++i) {
      const Vec xv = load(x + i * a.ldx + k);
      for (int j = 0; j < RN; ++j) acc[i][j] = fma(xv, wv[j], acc[i][j]);
    }
  }
  for (int i = 0; i < RM; ++i)
    for (int j = 0; j < RN; ++j) a.y[(t0 + i) * a.ldy + r0 + j] = sum(acc[i][j]);
}

// The edges, where fewer than kRM rows of x or kRN rows of W are left: the same tile, instantiated
// for every smaller size (rm <= RM, rn <= RN), so that its loops still unroll into registers.
template <int RM, int RN>
void edge_tile(const MatmulArgs& a, Eigen::Index t0, Eigen::Index r0, int rm, int rn) {
  if constexpr (RM > 1) {
    if (rm < RM) return edge_tile<RM - 1, RN>(a, t0, r0, rm, rn);
  }
  if constexpr (RN > 1) {
    if (rn < RN) return edge_tile<RM, RN - 1>(a, t0, r0, rm, rn);
  }
  tile<RM, RN>(a, t0, r0);
}

}  // namespace

void matmul_transposed(const MatmulArgs& a) {
  if (a.K % kLanes != 0) return matmul_transposed_eigen(a);
  // Tiles of W's rows outside, x's inside: RN rows of W (RN x 2.3 KB for SmolLM2) stay in L1 while
  // every row of x streams past them from L2.
  for (Eigen::Index r0 = 0; r0 < a.N; r0 += kRN) {
    const int rn = static_cast<int>(std::min<Eigen::Index>(kRN, a.N - r0));
    for (Eigen::Index t0 = 0; t0 < a.T; t0 += kRM) {
      const int rm = static_cast<int>(std::min<Eigen::Index>(kRM, a.T - t0));
      if (rm == kRM && rn == kRN) {
        tile<kRM, kRN>(a, t0, r0);
      } else {
        edge_tile<kRM, kRN>(a, t0, r0, rm, rn);
      }
    }
  }
}

#else

void matmul_transposed(const MatmulArgs& a) { matmul_transposed_eigen(a); }

#endif

}  // namespace kvlm
