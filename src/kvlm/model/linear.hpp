// linear: y = x W^T + b, the one matrix product every projection goes through.
// Not a BLAS: Eigen does the product; this only fixes the (out, in) convention and the bias.
#pragma once

#include "kvlm/tensor.hpp"

namespace kvlm {

// x [T, in], weight [out, in] (PyTorch's nn.Linear layout), bias [out] or empty -> [T, out].
// With T = 1 (decode) this is a matrix-vector product: every weight is read once per token.
Matrix linear(const MatrixRef& x, const Matrix& weight, const Vector& bias = Vector());

}  // namespace kvlm
