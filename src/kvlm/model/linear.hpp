// linear: y = x W^T + b, the one matrix product every projection goes through, and LinearWeight,
// what W is: an fp32 matrix, or (chapter 08) ggml blocks kept as the GGUF file stores them.
// linear() is the one place that tells the two apart; the model code above it does not.
// Not a BLAS: Eigen and model/matmul.hpp do the fp32 products; model/quantized.hpp the block ones.
#pragma once

#include "kvlm/model/quantized.hpp"
#include "kvlm/tensor.hpp"

namespace kvlm {

// A weight [out, in] in PyTorch's nn.Linear layout, in fp32 or in Q8_0/Q4_0/Q4_1/Q5_0/Q4_K/Q6_K blocks.
class LinearWeight {
 public:
  LinearWeight() = default;
  LinearWeight(Matrix fp32) : fp32_(std::move(fp32)) {}  // NOLINT: implicit, fp32 is the common case
  template <typename Derived>
  LinearWeight(const Eigen::MatrixBase<Derived>& fp32) : fp32_(fp32) {}  // NOLINT: a block of a Matrix
  explicit LinearWeight(QuantizedMatrix blocks) : blocks_(std::move(blocks)) {}

  bool quantized() const { return blocks_.data != nullptr; }
  Eigen::Index rows() const { return quantized() ? blocks_.rows : fp32_.rows(); }
  Eigen::Index cols() const { return quantized() ? blocks_.cols : fp32_.cols(); }
  Eigen::Index size() const { return rows() * cols(); }  // 0: "this architecture has none"
  size_t bytes() const { return quantized() ? blocks_.bytes() : fp32_.size() * sizeof(float); }

  const Matrix& fp32() const;              // the fp32 matrix (not quantized())
  const QuantizedMatrix& blocks() const;   // the blocks (quantized())
  RowVector row(Eigen::Index r) const;     // one row in fp32 (an embedding lookup)
  LinearWeight middle_rows(Eigen::Index first, Eigen::Index n) const;  // blocks: a view, no copy
  Matrix dequantized() const;              // the whole matrix in fp32

 private:
  Matrix fp32_;
  QuantizedMatrix blocks_;
};

// x [T, in], weight [out, in], bias [out] or empty -> [T, out].
// With T = 1 (decode) this is a matrix-vector product: every weight is read once per token.
Matrix linear(const MatrixRef& x, const Matrix& weight, const Vector& bias = Vector());
// The same for either kind of weight: the fp32 product above, or the block products (quantized.hpp).
Matrix linear(const MatrixRef& x, const LinearWeight& weight, const Vector& bias = Vector());

}  // namespace kvlm
