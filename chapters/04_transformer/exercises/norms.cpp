// Exercise 1 of chapter 04: RMSNorm. Fill in rms_norm().
// Not graded by reading: test_rms_norm.cpp runs it in every layer and compares with HF.
#include <stdexcept>

#include "exercises.hpp"

namespace kvlm::exercises {

// For each row t of x [T, D]:
//   mean_square = (x[t,0]^2 + ... + x[t,D-1]^2) / D      (accumulate in double: D can be large)
//   y[t, d] = x[t, d] / sqrt(mean_square + eps) * weight[d]
// There is no mean subtraction and no bias: that is what makes it RMSNorm and not LayerNorm.
Matrix rms_norm(const MatrixRef& x, const Vector& weight, float eps) {
  (void)x;
  (void)weight;
  (void)eps;
  throw std::logic_error("exercise: not implemented: rms_norm (chapters/04_transformer/exercises/norms.cpp)");
}

}  // namespace kvlm::exercises
