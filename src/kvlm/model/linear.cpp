// linear; see linear.hpp. Both cases cut the output columns (the weight's rows) into slices of a
// fixed size and hand them to parallel_for (threads.hpp), each slice one single-threaded Eigen product:
//  - decode (T = 1) is matrix-vector: slices of 64 rows;
//  - prefill (T > 1) is matrix-matrix: slices of 128 rows. Eigen's own threading barely helps for
//    tall weights such as gate_proj [1536, 576] or lm_head [49152, 576]; slices of the weight do.
// The slices do not depend on the number of threads, and each output is computed by the same code
// whichever thread takes its slice, so the results are identical for any --threads.
#include "kvlm/model/linear.hpp"

#include <cassert>

#include "kvlm/threads.hpp"

namespace kvlm {
namespace {

// Rows per slice: multiples of 16 (one AVX-512 register), so every slice is vectorized the same way.
constexpr Eigen::Index kDecodeSlice = 64;
constexpr Eigen::Index kPrefillSlice = 128;
// Threads only pay off past this many multiply-adds; below it, waking them costs more than the work.
constexpr Eigen::Index kMinParallelWork = Eigen::Index{1} << 18;

Matrix sliced_product(const MatrixRef& x, const Matrix& weight, Eigen::Index slice) {
  const Eigen::Index out = weight.rows();
  Matrix y(x.rows(), out);
  const int slices = static_cast<int>((out + slice - 1) / slice);
  const auto product = [&](int s) {
    const Eigen::Index r0 = s * slice, n = std::min(slice, out - r0);
    y.middleCols(r0, n).noalias() = x * weight.middleRows(r0, n).transpose();  // [T, n]
  };
  if (x.rows() * out * weight.cols() > kMinParallelWork) {
    parallel_for(slices, product);
  } else {
    for (int s = 0; s < slices; ++s) product(s);
  }
  return y;
}

}  // namespace

Matrix linear(const MatrixRef& x, const Matrix& weight, const Vector& bias) {
  assert(x.cols() == weight.cols());
  Matrix y = sliced_product(x, weight, x.rows() == 1 ? kDecodeSlice : kPrefillSlice);
  if (bias.size()) y.rowwise() += bias.transpose();
  return y;
}

}  // namespace kvlm
