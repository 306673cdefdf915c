// linear; see linear.hpp. Both cases split the output columns (the weight's rows) between OpenMP
// threads, each thread running one single-threaded Eigen product on its slice:
//  - decode (T = 1) is matrix-vector, which Eigen would run on one thread. Slices are multiples of
//    64 rows, and each output is one row's dot product computed by the same code whatever the
//    number of threads, so decode results do not depend on it;
//  - prefill (T > 1) is matrix-matrix. Eigen's own threading barely helps for tall weights such as
//    gate_proj [1536, 576] or lm_head [49152, 576] (1.0x with 2 threads), so each thread gets its own
//    slice of the weight instead (1.8-1.9x). Eigen picks its blocking from the slice's size, so
//    prefill sums may change order with the thread count.
// Small matrix-matrix products run outside any OpenMP region: an Eigen matrix-matrix product inside
// a region that OpenMP made serial (an `if` clause) starts a nested team and spins waiting for
// threads that never come. Matrix-vector products never thread inside Eigen, so decode's `if` is safe.
#include "kvlm/model/linear.hpp"

#include <omp.h>

#include <cassert>

namespace kvlm {
namespace {

// Slices are a multiple of this many weight rows, so every slice is vectorized the same way.
constexpr Eigen::Index kRowBlock = 64;
// Threads only pay off past this many multiply-adds; below it, waking them costs more than the work.
constexpr Eigen::Index kMinParallelWork = Eigen::Index{1} << 18;

Matrix matrix_vector(const MatrixRef& x, const Matrix& weight) {
  const Eigen::Index out = weight.rows();
  Matrix y(1, out);
  const Eigen::Index blocks = (out + kRowBlock - 1) / kRowBlock;
#pragma omp parallel for schedule(static) if (out * weight.cols() > kMinParallelWork)
  for (Eigen::Index b = 0; b < blocks; ++b) {
    const Eigen::Index r0 = b * kRowBlock, n = std::min(kRowBlock, out - r0);
    y.middleCols(r0, n).noalias() = x.row(0) * weight.middleRows(r0, n).transpose();
  }
  return y;
}

Matrix matrix_matrix(const MatrixRef& x, const Matrix& weight) {
  const Eigen::Index out = weight.rows();
  Matrix y(x.rows(), out);
  const int slices = omp_get_max_threads();
  if (slices == 1 || x.rows() * out * weight.cols() <= kMinParallelWork) {
    y.noalias() = x * weight.transpose();
    return y;
  }
  // One slice per thread, of equal size rounded up to a multiple of 16 (one AVX-512 register).
  constexpr Eigen::Index kAlign = 16;
  const Eigen::Index per_slice = ((out + slices - 1) / slices + kAlign - 1) / kAlign * kAlign;
#pragma omp parallel for schedule(static) num_threads(slices)
  for (int s = 0; s < slices; ++s) {
    const Eigen::Index r0 = std::min(out, s * per_slice), n = std::min(per_slice, out - r0);
    if (n > 0) y.middleCols(r0, n).noalias() = x * weight.middleRows(r0, n).transpose();
  }
  return y;
}

}  // namespace

Matrix linear(const MatrixRef& x, const Matrix& weight, const Vector& bias) {
  assert(x.cols() == weight.cols());
  Matrix y = x.rows() == 1 ? matrix_vector(x, weight) : matrix_matrix(x, weight);
  if (bias.size()) y.rowwise() += bias.transpose();
  return y;
}

}  // namespace kvlm
