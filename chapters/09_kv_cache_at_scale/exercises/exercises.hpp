// Chapter 09 exercises: the int8 KV quantize step (quantize_row_int8) and the window cache's ring
// arithmetic (window_row, ring_runs), with the library's signatures (src/kvlm/cache/int8_kv_cache.hpp,
// src/kvlm/cache/window_kv_cache.hpp). With KVLM_EXERCISE_SOLUTIONS defined, these are the library's own.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "kvlm/cache/int8_kv_cache.hpp"
#include "kvlm/cache/window_kv_cache.hpp"

namespace kvlm::exercises {
#ifdef KVLM_EXERCISE_SOLUTIONS
using kvlm::quantize_row_int8;
using kvlm::ring_runs;
using kvlm::window_row;
#else
// Exercise 2 (int8_row.cpp): x [head_dim] -> q [head_dim] int8, returns the scale (x ~ q * scale).
float quantize_row_int8(std::span<const float> x, std::span<int8_t> q);

// Exercise 3 (window_ring.cpp): the row of a position among S sinks and a ring of W rows, and the
// runs of ring rows that hold positions [first, end).
int window_row(int position, int sinks, int window);
std::vector<WindowRun> ring_runs(int first, int end, int sinks, int window);
#endif
}  // namespace kvlm::exercises
