// Chapter 07 exercises: two kernels with a block's threads working on one row together, with the
// library's signatures (src/kvlm/cuda/ops.hpp). Every pointer is device memory. With
// KVLM_EXERCISE_SOLUTIONS defined, these are the library's own.
#pragma once

#include "kvlm/cuda/ops.hpp"

namespace kvlm::exercises {
#ifdef KVLM_EXERCISE_SOLUTIONS
using kvlm::cuda::causal_softmax;
using kvlm::cuda::rms_norm;
#else
// Exercise 1 (kernels.cu): y = x / sqrt(mean(x^2) + eps) * weight, row by row; x, y [T, D]. One block
// per row; the mean of squares summed in double, as on the CPU (model/norms.cpp).
void rms_norm(const float* x, const float* weight, int T, int D, float eps, float* y);

// Exercise 2 (kernels.cu): scores [T, num_heads, S], row (t, h) the scores of the query at position
// start_pos + t against keys 0 .. S - 1. Each row becomes its softmax over the keys that query sees
// (key j <= its position, and with sliding_window > 0 also j > its position - sliding_window); the
// keys it does not see get exactly 0. One block per row.
void causal_softmax(float* scores, int T, int num_heads, int S, int start_pos, int sliding_window);
#endif
}  // namespace kvlm::exercises
