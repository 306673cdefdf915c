// The fast versions of linear and attention; see fast_ops.hpp. Read each beside its plain twin in
// ops.cu: the same sums, with the work spread differently over threads and memory.
#include "kvlm/cuda/fast_ops.hpp"

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "kvlm/cuda/kernel_helpers.cuh"
#include "kvlm/cuda/ops.hpp"

namespace kvlm::cuda::fast {
namespace {

using namespace detail;  // kThreads, blocks_for, thread_index, visible, check_attention_args

constexpr int kWarp = 32;
constexpr int kWarpsPerBlock = kThreads / kWarp;

// ---- linear for a few rows of x (decode): one warp per row r of W, that is per output column.
// Lane l reads W[r][4l .. 4l + 3], then the next 128 values, ...: the warp's 32 loads are 512
// neighbouring bytes, which memory serves together (coalesced). Each lane keeps one partial sum per
// row of x; the 32 partial sums of a row are then added across the lanes with shuffles (no shared
// memory). kVec4: rows whose length is a multiple of 4 and whose starts are 16-byte aligned are read
// as float4, a quarter of the load instructions.
template <bool kVec4>
__global__ void gemv_kernel(const float* x, const float* w, const float* bias, int T, int in, int out, float* y) {
  const int lane = threadIdx.x % kWarp;
  const long r = static_cast<long>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / kWarp;
  if (r >= out) return;  // the whole warp: r is the same for its 32 lanes
  const float* w_row = w + r * in;
  float sum[kGemvRows] = {};
  if constexpr (kVec4) {
    const float4* w4 = reinterpret_cast<const float4*>(w_row);
    for (int k = lane; k < in / 4; k += kWarp) {
      const float4 wk = w4[k];
#pragma unroll
      for (int t = 0; t < kGemvRows; ++t) {
        if (t >= T) break;
        const float4 xk = reinterpret_cast<const float4*>(x + static_cast<long>(t) * in)[k];
        sum[t] += xk.x * wk.x + xk.y * wk.y + xk.z * wk.z + xk.w * wk.w;
      }
    }
  } else {
    for (int k = lane; k < in; k += kWarp) {
      const float wk = w_row[k];
#pragma unroll
      for (int t = 0; t < kGemvRows; ++t) {
        if (t >= T) break;
        sum[t] += x[static_cast<long>(t) * in + k] * wk;
      }
    }
  }
#pragma unroll
  for (int t = 0; t < kGemvRows; ++t) {
    if (t >= T) break;
    float s = sum[t];
    for (int offset = kWarp / 2; offset > 0; offset /= 2) s += __shfl_down_sync(0xffffffffu, s, offset);
    if (lane == 0) y[static_cast<long>(t) * out + r] = bias ? s + bias[r] : s;
  }
}

// ---- linear for many rows of x (prefill): each block computes a 64 x 64 tile of y. It walks the
// inner dimension 16 values at a time: its 256 threads copy a 64 x 16 tile of x and one of W into
// shared memory (4 values each), then every thread adds those 16 products into its own 4 x 4 outputs,
// reading x and W from shared memory. Each value fetched from global memory serves 64 outputs. Each
// output still sums k = 0, 1, ..., in - 1 in order, as the plain kernel does.
constexpr int kTile = 64, kTileK = 16, kPerThread = kTile / 16;  // 16 x 16 threads, 4 x 4 outputs each

__global__ void gemm_kernel(const float* x, const float* w, const float* bias, int T, int in, int out, float* y) {
  __shared__ float xs[kTileK][kTile + 1];  // xs[k][i] = x[row0 + i][k0 + k]; +1 spreads the stores over banks
  __shared__ float ws[kTileK][kTile + 1];  // ws[k][j] = W[col0 + j][k0 + k]
  const long row0 = static_cast<long>(blockIdx.y) * kTile, col0 = static_cast<long>(blockIdx.x) * kTile;
  const int ty = threadIdx.x / 16, tx = threadIdx.x % 16;  // outputs (row0 + ty + 16i, col0 + tx + 16j)
  float acc[kPerThread][kPerThread] = {};
  for (int k0 = 0; k0 < in; k0 += kTileK) {
    for (int n = threadIdx.x; n < kTile * kTileK; n += kThreads) {  // neighbouring threads: neighbouring k
      const int i = n / kTileK, k = n % kTileK;
      const bool k_in = k0 + k < in;
      xs[k][i] = row0 + i < T && k_in ? x[(row0 + i) * in + k0 + k] : 0.0f;
      ws[k][i] = col0 + i < out && k_in ? w[(col0 + i) * in + k0 + k] : 0.0f;
    }
    __syncthreads();
#pragma unroll
    for (int k = 0; k < kTileK; ++k) {
      float a[kPerThread], b[kPerThread];
#pragma unroll
      for (int i = 0; i < kPerThread; ++i) a[i] = xs[k][ty + 16 * i];
#pragma unroll
      for (int j = 0; j < kPerThread; ++j) b[j] = ws[k][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < kPerThread; ++i)
#pragma unroll
        for (int j = 0; j < kPerThread; ++j) acc[i][j] += a[i] * b[j];
    }
    __syncthreads();  // every thread is done with this tile before the next overwrites it
  }
#pragma unroll
  for (int i = 0; i < kPerThread; ++i)
#pragma unroll
    for (int j = 0; j < kPerThread; ++j) {
      const long r = row0 + ty + 16 * i, c = col0 + tx + 16 * j;
      if (r < T && c < out) y[r * out + c] = bias ? acc[i][j] + bias[c] : acc[i][j];
    }
}

// ---- attention, step 1: one thread per score (query t, head h, key j): q_t,h . k_j,kv * scale.
// Keys the query does not see are left at 0; causal_softmax gives them weight 0 whatever they hold.
__global__ void scores_kernel(const float* q, const float* k, int T, int S, int num_heads, int num_kv_heads,
                              int head_dim, int start_pos, float scale, int sliding_window, float* scores) {
  const long idx = thread_index();
  if (idx >= static_cast<long>(T) * num_heads * S) return;
  const long j = idx % S;
  const int h = (idx / S) % num_heads;
  const long t = idx / S / num_heads;
  float s = 0.0f;
  if (visible(j, start_pos + t, sliding_window)) {
    const int kv = h / (num_heads / num_kv_heads);  // HF: repeat_kv
    const float* q_h = q + (t * num_heads + h) * head_dim;
    const float* k_j = k + (j * num_kv_heads + kv) * head_dim;
    for (int d = 0; d < head_dim; ++d) s += q_h[d] * k_j[d];
    s *= scale;
  }
  scores[idx] = s;
}

// ---- attention, step 3: one thread per output value (t, h, d): the weights of row (t, h) times
// column d of the values, over the keys the query sees. Neighbouring threads read neighbouring d.
__global__ void weighted_sum_kernel(const float* p, const float* v, int T, int S, int num_heads, int num_kv_heads,
                                    int head_dim, int start_pos, int sliding_window, float* out) {
  const long idx = thread_index();
  if (idx >= static_cast<long>(T) * num_heads * head_dim) return;
  const int d = idx % head_dim;
  const int h = (idx / head_dim) % num_heads;
  const long t = idx / head_dim / num_heads;
  const int kv = h / (num_heads / num_kv_heads);
  const float* row = p + (t * num_heads + h) * S;
  const long query_pos = start_pos + t;
  const long first = sliding_window > 0 && query_pos >= sliding_window ? query_pos - sliding_window + 1 : 0;
  float sum = 0.0f;
  for (long j = first; j <= query_pos; ++j) sum += row[j] * v[(j * num_kv_heads + kv) * head_dim + d];
  out[idx] = sum;
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

}  // namespace

void linear(const float* x, const float* w, const float* bias, int T, int in, int out, float* y) {
  if (static_cast<long>(T) * out == 0) return;
  if (T <= kGemvRows) {
    const unsigned blocks = static_cast<unsigned>((out + kWarpsPerBlock - 1) / kWarpsPerBlock);
    if (in % 4 == 0 && aligned16(x) && aligned16(w)) {
      gemv_kernel<true><<<blocks, kThreads>>>(x, w, bias, T, in, out, y);
    } else {
      gemv_kernel<false><<<blocks, kThreads>>>(x, w, bias, T, in, out, y);
    }
  } else {
    const dim3 grid((out + kTile - 1) / kTile, (T + kTile - 1) / kTile);
    gemm_kernel<<<grid, kThreads>>>(x, w, bias, T, in, out, y);
  }
  check_last_error("fast::linear");
}

void scaled_dot_product_attention(const float* q, const float* k, const float* v, int T, int S, int num_heads,
                                  int num_kv_heads, int head_dim, int start_pos, float scale, int sliding_window,
                                  DeviceArray<float>& scratch, float* out) {
  check_attention_args(T, S, num_heads, num_kv_heads, start_pos);
  if (static_cast<long>(T) * num_heads == 0) return;
  constexpr long kMaxScratch = 1L << 26;  // floats: 256 MiB of scores at most, whatever the context
  const long per_query = static_cast<long>(num_heads) * S;
  const int chunk = static_cast<int>(std::clamp<long>(kMaxScratch / per_query, 1, T));
  if (scratch.size() < static_cast<size_t>(chunk * per_query)) scratch = DeviceArray<float>(chunk * per_query);
  const long q_stride = static_cast<long>(num_heads) * head_dim;
  for (int t0 = 0; t0 < T; t0 += chunk) {
    const int n = std::min(chunk, T - t0);
    const int pos = start_pos + t0;  // the chunk's first query; its last sees keys 0 .. pos + n - 1
    const int keys = pos + n;
    scores_kernel<<<blocks_for(static_cast<long>(n) * num_heads * keys), kThreads>>>(
        q + t0 * q_stride, k, n, keys, num_heads, num_kv_heads, head_dim, pos, scale, sliding_window, scratch.data());
    check_last_error("fast::scaled_dot_product_attention (scores)");
    causal_softmax(scratch.data(), n, num_heads, keys, pos, sliding_window);
    weighted_sum_kernel<<<blocks_for(n * q_stride), kThreads>>>(scratch.data(), v, n, keys, num_heads, num_kv_heads,
                                                                head_dim, pos, sliding_window, out + t0 * q_stride);
    check_last_error("fast::scaled_dot_product_attention (weighted sum)");
  }
}

}  // namespace kvlm::cuda::fast
