// linear; see linear.hpp. Prefill (T > 1) is a matrix-matrix product that Eigen already spreads
// over OpenMP threads; decode (T = 1) is matrix-vector, which Eigen runs on one thread, so we split
// the output rows across threads ourselves. Each output is one row's dot product, computed by the
// same code whatever the number of threads, so results do not depend on it.
#include "kvlm/model/linear.hpp"

#include <omp.h>

#include <cassert>

namespace kvlm {
namespace {

// Rows per thread are a multiple of this so every thread's block is vectorized the same way.
constexpr Eigen::Index kRowBlock = 64;

Matrix matrix_vector(const MatrixRef& x, const Matrix& weight) {
  const Eigen::Index out = weight.rows();
  Matrix y(1, out);
  const Eigen::Index blocks = (out + kRowBlock - 1) / kRowBlock;
#pragma omp parallel for schedule(static) if (out * weight.cols() > (1 << 18))
  for (Eigen::Index b = 0; b < blocks; ++b) {
    const Eigen::Index r0 = b * kRowBlock, n = std::min(kRowBlock, out - r0);
    y.middleCols(r0, n).noalias() = x.row(0) * weight.middleRows(r0, n).transpose();
  }
  return y;
}

}  // namespace

Matrix linear(const MatrixRef& x, const Matrix& weight, const Vector& bias) {
  assert(x.cols() == weight.cols());
  Matrix y;
  if (x.rows() == 1) {
    y = matrix_vector(x, weight);
  } else {
    y.resize(x.rows(), weight.rows());
    y.noalias() = x * weight.transpose();
  }
  if (bias.size()) y.rowwise() += bias.transpose();
  return y;
}

}  // namespace kvlm
