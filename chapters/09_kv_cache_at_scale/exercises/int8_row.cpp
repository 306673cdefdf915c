// Exercise 2 of chapter 09: the int8 KV cache's quantize step. Fill in quantize_row_int8().
// Not graded by reading: test_int8_row.cpp checks hand-worked rows and HF's own cached keys.
#include <stdexcept>

#include "exercises.hpp"

namespace kvlm::exercises {

// One KV head's row at one position, x [head_dim] fp32 -> q [head_dim] int8 and one fp32 scale
// (the library's version: src/kvlm/cache/int8_kv_cache.hpp). Symmetric, "absmax":
// 1. amax = max |x[i]|. A row of zeros: every q[i] = 0, return scale 0.
//    A row holding a NaN or an Inf: every q[i] = 0, return a quiet NaN (so the NaN reaches the logits,
//    where generate's non-finite check reports it; casting NaN to int8 is undefined behaviour).
// 2. q[i] = round(x[i] * 127 / amax), rounding halves away from zero (std::round, as ggml's Q8_0);
//    the results lie in -127..127 (-128 is never used: the range stays symmetric).
// 3. return scale = amax / 127: then x[i] ~ q[i] * scale, within scale / 2.
float quantize_row_int8(std::span<const float> x, std::span<int8_t> q) {
  (void)x;
  (void)q;
  throw std::logic_error("exercise: not implemented: quantize_row_int8 (chapters/09_kv_cache_at_scale/exercises/int8_row.cpp)");
}

}  // namespace kvlm::exercises
