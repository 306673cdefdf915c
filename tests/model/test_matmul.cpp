// matmul_transposed (prefill's fp32 product) against the exact product, computed in float64, for
// every tile edge the kernel has (T and N from 1 to past a whole tile), row strides wider than the
// rows, and K that is and is not a whole number of SIMD vectors (the latter runs Eigen's product).
//
// Tolerance: any order of fp32 additions of K products, fused or not, is within gamma_K * sum |x w|
// of the exact dot product, gamma_K = K u / (1 - K u), u = 2^-24 (Higham, Accuracy and Stability of
// Numerical Algorithms, 3.1). The kernel and Eigen add in different orders; both must meet it.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "kvlm/model/matmul.hpp"

namespace kvlm {
namespace {

struct Case {
  Eigen::Index T, N, K;
};

void check(const Case& c, bool kernel, uint32_t seed) {
  // Row strides wider than the rows, as linear() passes them: x a view of a wider matrix, and y a
  // slice of columns [2, 2 + N) of a wider output whose other columns must not change.
  const Eigen::Index ldx = c.K + 3, ldw = c.K + 5, ldy = c.N + 4;
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(c.T * ldx), w(c.N * ldw), y(c.T * ldy, -7.0f);
  for (float& v : x) v = normal(rng);
  for (float& v : w) v = normal(rng);
  const MatmulArgs args{x.data(), ldx, w.data(), ldw, y.data() + 2, ldy, c.T, c.N, c.K};
  kernel ? matmul_transposed(args) : matmul_transposed_eigen(args);

  const double u = std::ldexp(1.0, -24), gamma = c.K * u / (1 - c.K * u);
  for (Eigen::Index t = 0; t < c.T; ++t) {
    for (Eigen::Index col = 0; col < ldy; ++col) {
      const float got = y[t * ldy + col];
      const Eigen::Index r = col - 2;
      if (r < 0 || r >= c.N) {
        ASSERT_EQ(got, -7.0f) << "wrote outside its slice at t " << t << ", column " << col;
        continue;
      }
      double exact = 0, magnitude = 0;
      for (Eigen::Index k = 0; k < c.K; ++k) {
        const double p = static_cast<double>(x[t * ldx + k]) * w[r * ldw + k];
        exact += p;
        magnitude += std::abs(p);
      }
      ASSERT_LE(std::abs(got - exact), gamma * magnitude)
          << "T " << c.T << " N " << c.N << " K " << c.K << " at (" << t << ", " << r << ")";
    }
  }
}

// T and N run through every remainder of the tiles (4 x 6 with AVX-512, 4 x 3 with AVX2) and past
// a whole tile; K = 24 is not a whole number of AVX-512 vectors, K = 20 of neither.
const Case kCases[] = {{1, 1, 16}, {1, 7, 64},   {2, 5, 32},    {3, 6, 48},    {4, 6, 16},  {5, 7, 64},
                       {7, 13, 96}, {8, 12, 32}, {13, 19, 576}, {9, 96, 1536}, {6, 11, 24}, {5, 9, 20}};

TEST(Matmul, KernelMatchesExactProduct) {
  uint32_t seed = 1;
  for (const Case& c : kCases) check(c, /*kernel=*/true, seed++);
}

TEST(Matmul, EigenTwinMatchesExactProduct) {
  uint32_t seed = 1;
  for (const Case& c : kCases) check(c, /*kernel=*/false, seed++);
}

}  // namespace
}  // namespace kvlm
