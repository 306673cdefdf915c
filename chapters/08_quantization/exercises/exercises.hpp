// Chapter 08 exercises: the readable block product and the rounding of x for the fast one, with the
// library's signatures (src/kvlm/model/quantized.hpp). With KVLM_EXERCISE_SOLUTIONS defined, these
// are the library's own.
#pragma once

#include <cstdint>
#include <span>

#include "kvlm/model/quantized.hpp"

namespace kvlm::exercises {
#ifdef KVLM_EXERCISE_SOLUTIONS
using kvlm::dot_dequantized;
using kvlm::quantize_activations;
#else
// Exercise 1 (quantized.cpp): row `row` of w (Q8_0, Q4_0 or Q4_1 blocks) dotted with x [w.cols],
// one block at a time: decode the block's 32 values from its bytes, multiply-add them with x's.
float dot_dequantized(const QuantizedMatrix& w, int64_t row, const float* x);

// Exercise 2 (quantized.cpp): x rounded to 16-bit blocks of 32 for the integer dot products:
// d[b] = max |x| in block b / 32767, q[i] = round(x[i] / d[b]) (0 when d is 0), s[b] = d[b] * sum of q.
QuantizedActivations quantize_activations(std::span<const float> x);
#endif
}  // namespace kvlm::exercises
