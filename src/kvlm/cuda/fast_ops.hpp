// The fast versions of chapter 07's two costly ops, each beside its plain twin in ops.hpp, with the
// same signature and the same results (tests/cuda/test_ops.cpp holds each to the twin and to float64).
// This is llm.c's dev/cuda habit: the plain kernel is the lesson, the fast one is what runs.
//
// What makes them faster, in one line each:
//   - linear: the plain kernel gives each thread one output and a whole row of W to read alone, so
//     neighbouring threads read addresses `in` floats apart and memory serves them one by one. Here,
//     for a few rows of x (decode), a warp reads one row of W together, 32 neighbouring floats at a
//     time, and sums across its lanes; for many rows (prefill), a block stages 64 x 16 tiles of x and W
//     in shared memory, so each value fetched from memory is used 64 times instead of once.
//   - attention: the plain kernel gives one thread a whole (query, head) row, so a decode step runs
//     only num_heads threads. Here the [T, H, S] scores are one thread each, the causal softmax one
//     block per row (ops.hpp's causal_softmax), and the weighted sum one thread per output value.
//
// Not cuBLAS: kvlm's own kernels stay readable, and its binaries need no library beyond the CUDA
// runtime. Not fused across ops or captured in a CUDA graph: each is still one op, launched in order.
#pragma once

#include "kvlm/cuda/device.hpp"

namespace kvlm::cuda::fast {

// ops.hpp's linear: y = x W^T + b, x [T, in], w [out, in], bias [out] or nullptr -> y [T, out].
// T <= kGemvRows: one warp per row of W; more rows: 64 x 64 output tiles through shared memory.
inline constexpr int kGemvRows = 8;
void linear(const float* x, const float* w, const float* bias, int T, int in, int out, float* y);

// ops.hpp's scaled_dot_product_attention (causal, GQA, sliding window), in three launches per chunk
// of queries: scores = q k^T * scale, causal_softmax, out = scores v. `scratch` holds the scores; it
// is grown when too small (to at most 2^26 floats, 256 MiB: longer inputs run in chunks of queries),
// so a forward pass passes the same one to every layer and allocates it once.
void scaled_dot_product_attention(const float* q, const float* k, const float* v, int T, int S, int num_heads,
                                  int num_kv_heads, int head_dim, int start_pos, float scale, int sliding_window,
                                  DeviceArray<float>& scratch, float* out);

}  // namespace kvlm::cuda::fast
