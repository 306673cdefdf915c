// linear; see linear.hpp. Every case cuts the output columns (the weight's rows) into slices of 96
// rows and hands them to parallel_for (threads.hpp):
//  - fp32: matmul_transposed on each slice (matmul.hpp: a register-tiled kernel on x and W in place,
//    beside Eigen's product, its readable twin), for decode (T = 1, matrix-vector) and prefill alike.
//    Eigen's own threading barely helps for tall weights such as gate_proj [1536, 576]; slices do;
//  - quantized, few rows (decode): each row of x is rounded to 16-bit blocks once, then every weight
//    row is one dot_int per row of x (quantized.hpp): the weights are read as the file has them;
//  - quantized, many rows (prefill): each slice of weight rows is widened to fp32 and goes through the
//    fp32 product: the widening is paid once per slice and shared by all T rows, and the fp32 GEMM is
//    faster than T integer dot products (benchmarks/bench_quantized.cpp). This is exactly the
//    --dequantize path's product; the integer one differs from it by x's 16-bit rounding (~1e-5).
// The slices do not depend on the number of threads, and each output is computed by the same code
// whichever thread takes its slice, so the results are identical for any --threads.
#include "kvlm/model/linear.hpp"

#include <cassert>
#include <vector>

#include "kvlm/error.hpp"
#include "kvlm/model/matmul.hpp"
#include "kvlm/threads.hpp"

namespace kvlm {
namespace {

// Rows per slice: multiples of 16 (one AVX-512 register) and of the prefill kernel's tiles (6 or 3
// rows of W, matmul.cpp), so every slice is vectorized the same way. SmolLM2's 576, 1536, 192 and
// 49152 rows are whole numbers of 96, so two threads get equal shares: at prefill, slices of 128
// left one thread 3 of q_proj's 5 (4.5) and 1 of k_proj's 2 (1.5). Each slice costs two atomic
// updates shared by the threads: decode at 2 threads was 6-8% faster than with 64 rows, and 9%
// slower with 32 (vs_llama_cpp.py's run, one machine, interleaved).
constexpr Eigen::Index kSlice = 96;
// Threads only pay off past this many multiply-adds; below it, waking them costs more than the work.
// 2^16 splits SmolLM2's k and v projections [192, 576] too (+3% decode at 2 threads over 2^18).
constexpr Eigen::Index kMinParallelWork = Eigen::Index{1} << 16;
// Up to this many rows of x, a quantized weight is multiplied by integer dot products; above, by
// widened fp32 tiles. Measured on SmolLM2's head [49152, 576], one thread (bench_quantized): integer
// dots cost ~1.1 ms (Q8_0) and ~2.2 ms (Q4_1) per row of x, tiles 11 / 22 ms at 4 rows and 22 / 32 ms
// at 16: they cross near 12 rows. A chat turn's few new tokens stay on the integer path.
constexpr Eigen::Index kMaxIntRows = 8;

// Runs product(s) for every slice s of `out` rows, in parallel when the work is large enough.
template <typename Product>
void for_each_slice(Eigen::Index out, Eigen::Index slice, Eigen::Index work, const Product& product) {
  const int slices = static_cast<int>((out + slice - 1) / slice);
  const auto run = [&](int s) {
    const Eigen::Index r0 = s * slice;
    product(r0, std::min(slice, out - r0));
  };
  if (work > kMinParallelWork) {
    parallel_for(slices, run);
  } else {
    for (int s = 0; s < slices; ++s) run(s);
  }
}

Matrix fp32_product(const MatrixRef& x, const Matrix& weight) {
  Matrix y(x.rows(), weight.rows());
  for_each_slice(weight.rows(), kSlice, x.size() * weight.rows(),
                 [&](Eigen::Index r0, Eigen::Index n) {
                   matmul_transposed({x.data(), x.outerStride(), weight.row(r0).data(), weight.cols(), &y(0, r0),
                                      y.cols(), x.rows(), n, x.cols()});  // [T, n]
                 });
  return y;
}

Matrix int_product(const MatrixRef& x, const QuantizedMatrix& w) {
  std::vector<QuantizedActivations> xq;  // each row of x rounded to 16 bits, once for all weight rows
  for (Eigen::Index t = 0; t < x.rows(); ++t) {
    const RowVector row = x.row(t);
    xq.push_back(quantize_activations({row.data(), static_cast<size_t>(row.size())}));
  }
  Matrix y(x.rows(), w.rows);  // row-major: row t's outputs r0 .. r0 + n are contiguous
  for_each_slice(w.rows, kSlice, x.size() * w.rows, [&](Eigen::Index r0, Eigen::Index n) {
    for (Eigen::Index t = 0; t < x.rows(); ++t) dot_int_rows(w, r0, n, xq[t], &y(t, r0));
  });
  return y;
}

Matrix tiled_product(const MatrixRef& x, const QuantizedMatrix& w) {
  Matrix y(x.rows(), w.rows);
  for_each_slice(w.rows, kSlice, x.size() * w.rows, [&](Eigen::Index r0, Eigen::Index n) {
    Matrix tile(n, w.cols);  // this slice's weight rows in fp32
    dequantize_rows(w, r0, n, tile.data());
    matmul_transposed({x.data(), x.outerStride(), tile.data(), w.cols, &y(0, r0), y.cols(), x.rows(), n, w.cols});
  });
  return y;
}

}  // namespace

const Matrix& LinearWeight::fp32() const {
  assert(!quantized());
  return fp32_;
}

const QuantizedMatrix& LinearWeight::blocks() const {
  assert(quantized());
  return blocks_;
}

RowVector LinearWeight::row(Eigen::Index r) const {
  if (!quantized()) return fp32_.row(r);
  RowVector out(blocks_.cols);
  dequantize_rows(blocks_, r, 1, out.data());
  return out;
}

LinearWeight LinearWeight::middle_rows(Eigen::Index first, Eigen::Index n) const {
  if (!quantized()) return LinearWeight(Matrix(fp32_.middleRows(first, n)));
  QuantizedMatrix view = blocks_;
  view.rows = n;
  view.data = blocks_.row(first);
  return LinearWeight(std::move(view));
}

Matrix LinearWeight::dequantized() const {
  if (!quantized()) return fp32_;
  Matrix out(blocks_.rows, blocks_.cols);
  dequantize_rows(blocks_, 0, blocks_.rows, out.data());
  return out;
}

Matrix linear(const MatrixRef& x, const Matrix& weight, const Vector& bias) {
  assert(x.cols() == weight.cols());
  Matrix y = fp32_product(x, weight);
  if (bias.size()) y.rowwise() += bias.transpose();
  return y;
}

Matrix linear(const MatrixRef& x, const LinearWeight& weight, const Vector& bias) {
  if (!weight.quantized()) return linear(x, weight.fp32(), bias);
  assert(x.cols() == weight.cols());
  Matrix y = x.rows() <= kMaxIntRows ? int_product(x, weight.blocks()) : tiled_product(x, weight.blocks());
  if (bias.size()) y.rowwise() += bias.transpose();
  return y;
}

}  // namespace kvlm
