// The CUDA twins of model/'s ops; see ops.hpp. Read each kernel beside its CPU loop: the loop's
// index becomes the thread's index, computed from blockIdx, blockDim and threadIdx.
#include "kvlm/cuda/ops.hpp"

#include <cuda_runtime.h>

#include <cmath>
#include <string>

#include "kvlm/cuda/device.hpp"
#include "kvlm/cuda/kernel_helpers.cuh"
#include "kvlm/error.hpp"

namespace kvlm::cuda {
namespace {

using namespace detail;  // kThreads, blocks_for, thread_index, block_sum, block_max, visible

__device__ float silu(float x) { return x / (1.0f + expf(-x)); }
__device__ float gelu(float x) {
  const float k = 0.7978845608028654f;  // sqrt(2 / pi)
  return 0.5f * x * (1.0f + tanhf(k * (x + 0.044715f * x * x * x)));
}

// ---- Embeddings: one thread per output value.

__global__ void embed_tokens_kernel(const float* table, int dim, const int* ids, int T, float* out) {
  const long i = thread_index();
  if (i >= static_cast<long>(T) * dim) return;
  const long t = i / dim, d = i % dim;
  out[i] = table[static_cast<long>(ids[t]) * dim + d];
}

__global__ void add_positions_kernel(float* x, const float* table, int T, int dim, int start_pos) {
  const long i = thread_index();
  if (i >= static_cast<long>(T) * dim) return;
  const long t = i / dim, d = i % dim;
  x[i] += table[(start_pos + t) * dim + d];
}

// ---- Norms: one block per row; its threads share the row's sum.

__global__ void rms_norm_kernel(const float* x, const float* weight, int D, float eps, float* y) {
  const float* row = x + static_cast<long>(blockIdx.x) * D;
  float* out = y + static_cast<long>(blockIdx.x) * D;
  double squares = 0;
  for (int i = threadIdx.x; i < D; i += blockDim.x) squares += static_cast<double>(row[i]) * row[i];
  const double mean_square = block_sum(squares) / D;
  const float scale = static_cast<float>(1.0 / sqrt(mean_square + eps));
  for (int i = threadIdx.x; i < D; i += blockDim.x) out[i] = row[i] * scale * weight[i];
}

__global__ void layer_norm_kernel(const float* x, const float* weight, const float* bias, int D, float eps, float* y) {
  const float* row = x + static_cast<long>(blockIdx.x) * D;
  float* out = y + static_cast<long>(blockIdx.x) * D;
  double sum = 0;
  for (int i = threadIdx.x; i < D; i += blockDim.x) sum += row[i];
  const double mean = block_sum(sum) / D;
  double squares = 0;
  for (int i = threadIdx.x; i < D; i += blockDim.x) squares += (row[i] - mean) * (row[i] - mean);
  const double inv_std = 1.0 / sqrt(block_sum(squares) / D + eps);
  for (int i = threadIdx.x; i < D; i += blockDim.x)
    out[i] = static_cast<float>((row[i] - mean) * inv_std) * weight[i] + bias[i];
}

// ---- RoPE: one thread per rotating pair (t, head, i).

__global__ void rope_kernel(float* x, int T, int num_heads, int head_dim, const float* cos, const float* sin,
                            bool interleaved) {
  const int half = head_dim / 2;
  const long idx = thread_index();
  if (idx >= static_cast<long>(T) * num_heads * half) return;
  const int i = idx % half;
  const int h = (idx / half) % num_heads;
  const long t = idx / half / num_heads;
  float* head = x + (t * num_heads + h) * head_dim;
  const int ia = interleaved ? 2 * i : i;  // the two dimensions that rotate together
  const int ib = interleaved ? 2 * i + 1 : i + half;
  const float a = head[ia], b = head[ib];
  const float c = cos[t * half + i], s = sin[t * half + i];
  head[ia] = a * c - b * s;
  head[ib] = b * c + a * s;
}

// ---- linear: one thread per output y[t, r], a dot product of row t of x and row r of W.

__global__ void linear_kernel(const float* x, const float* w, const float* bias, int T, int in, int out, float* y) {
  const long idx = thread_index();
  if (idx >= static_cast<long>(T) * out) return;
  const long t = idx / out, r = idx % out;
  const float* x_row = x + t * in;
  const float* w_row = w + r * in;
  float sum = 0.0f;
  for (int k = 0; k < in; ++k) sum += x_row[k] * w_row[k];
  y[idx] = bias ? sum + bias[r] : sum;
}

// ---- Attention: one thread per (query t, head h), over every key, three passes: the largest
// visible score, the softmax's denominator, then the weighted sum of values. Each score is recomputed
// per pass: the plain version keeps no [T, S] matrix.

__global__ void attention_kernel(const float* q, const float* k, const float* v, int T, int S, int num_heads,
                                 int num_kv_heads, int head_dim, int start_pos, float scale, int sliding_window,
                                 float* out) {
  const long idx = thread_index();
  if (idx >= static_cast<long>(T) * num_heads) return;
  const int h = idx % num_heads;
  const long t = idx / num_heads;
  const int kv = h / (num_heads / num_kv_heads);  // HF: repeat_kv
  const float* q_h = q + (t * num_heads + h) * head_dim;
  float* out_h = out + (t * num_heads + h) * head_dim;
  const long query_pos = start_pos + t;
  const auto score = [&](long j) {
    const float* k_j = k + (j * num_kv_heads + kv) * head_dim;
    float s = 0.0f;
    for (int d = 0; d < head_dim; ++d) s += q_h[d] * k_j[d];
    return s * scale;
  };
  float max = -INFINITY;
  for (long j = 0; j < S; ++j)
    if (visible(j, query_pos, sliding_window)) max = fmaxf(max, score(j));
  float sum = 0.0f;
  for (long j = 0; j < S; ++j)
    if (visible(j, query_pos, sliding_window)) sum += expf(score(j) - max);
  for (int d = 0; d < head_dim; ++d) out_h[d] = 0.0f;
  for (long j = 0; j < S; ++j) {
    if (!visible(j, query_pos, sliding_window)) continue;
    const float p = expf(score(j) - max) / sum;
    const float* v_j = v + (j * num_kv_heads + kv) * head_dim;
    for (int d = 0; d < head_dim; ++d) out_h[d] += p * v_j[d];
  }
}

// ---- Causal softmax: one block per row of scores (query t, head h). Its threads share the row's
// largest visible score and the sum of the exponentials, as attention.cpp's softmax step does.

__global__ void causal_softmax_kernel(float* scores, int num_heads, int S, int start_pos, int sliding_window) {
  const long row = blockIdx.x;                        // t * num_heads + h
  const long query_pos = start_pos + row / num_heads;  // query t's position
  float* p = scores + row * S;
  float max = -INFINITY;
  for (int j = threadIdx.x; j < S; j += blockDim.x)
    if (visible(j, query_pos, sliding_window)) max = fmaxf(max, p[j]);
  max = block_max(max);
  double sum = 0;
  for (int j = threadIdx.x; j < S; j += blockDim.x) {
    p[j] = visible(j, query_pos, sliding_window) ? expf(p[j] - max) : 0.0f;  // masked: weight exactly 0
    sum += p[j];
  }
  const float total = static_cast<float>(block_sum(sum));
  for (int j = threadIdx.x; j < S; j += blockDim.x) p[j] /= total;
}

// ---- Element-wise: one thread per value.

__global__ void add_kernel(float* x, const float* a, long n) {
  const long i = thread_index();
  if (i < n) x[i] += a[i];
}

__global__ void scale_kernel(float* x, long n, float s) {
  const long i = thread_index();
  if (i < n) x[i] *= s;
}

// ---- Activations: one thread per value.

__global__ void silu_mul_kernel(float* gate, const float* up, long n) {
  const long i = thread_index();
  if (i < n) gate[i] = silu(gate[i]) * up[i];
}

__global__ void gelu_tanh_mul_kernel(float* gate, const float* up, long n) {
  const long i = thread_index();
  if (i < n) gate[i] = gelu(gate[i]) * up[i];
}

__global__ void gelu_tanh_kernel(float* x, long n) {
  const long i = thread_index();
  if (i < n) x[i] = gelu(x[i]);
}

// ---- argmax: one block; each thread scans every kThreads-th value, then the block compares the
// threads' winners in a tree. A tie goes to the lower index at every step, so to the lowest overall.

__global__ void argmax_kernel(const float* x, int n, int* result) {
  __shared__ float best_value[kThreads];
  __shared__ int best_index[kThreads];
  float value = -INFINITY;
  int index = -1;
  for (int i = threadIdx.x; i < n; i += blockDim.x)
    if (index < 0 || x[i] > value) value = x[i], index = i;
  best_value[threadIdx.x] = value;
  best_index[threadIdx.x] = index;
  __syncthreads();
  for (int stride = kThreads / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) {
      const int other = threadIdx.x + stride;
      const bool mine_empty = best_index[threadIdx.x] < 0, other_empty = best_index[other] < 0;
      const bool take_other =
          !other_empty && (mine_empty || best_value[other] > best_value[threadIdx.x] ||
                           (best_value[other] == best_value[threadIdx.x] && best_index[other] < best_index[threadIdx.x]));
      if (take_other) {
        best_value[threadIdx.x] = best_value[other];
        best_index[threadIdx.x] = best_index[other];
      }
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) *result = best_index[0];
}

}  // namespace

void embed_tokens(const float* table, int vocab, int dim, const int* ids, int T, float* out) {
  for (int t = 0; t < T; ++t)
    if (ids[t] < 0 || ids[t] >= vocab)
      throw Error("token id " + std::to_string(ids[t]) + " is outside the vocabulary of " + std::to_string(vocab));
  if (T == 0) return;
  const DeviceArray<int> device_ids(ids, T);
  embed_tokens_kernel<<<blocks_for(static_cast<long>(T) * dim), kThreads>>>(table, dim, device_ids.data(), T, out);
  check_last_error("embed_tokens");
}

void add_position_embeddings(float* x, const float* table, int T, int dim, int start_pos) {
  add_positions_kernel<<<blocks_for(static_cast<long>(T) * dim), kThreads>>>(x, table, T, dim, start_pos);
  check_last_error("add_position_embeddings");
}

void rms_norm(const float* x, const float* weight, int T, int D, float eps, float* y) {
  if (T == 0) return;
  rms_norm_kernel<<<T, kThreads>>>(x, weight, D, eps, y);
  check_last_error("rms_norm");
}

void layer_norm(const float* x, const float* weight, const float* bias, int T, int D, float eps, float* y) {
  if (T == 0) return;
  layer_norm_kernel<<<T, kThreads>>>(x, weight, bias, D, eps, y);
  check_last_error("layer_norm");
}

void apply_rope(float* x, int T, int num_heads, int head_dim, const float* cos, const float* sin, bool interleaved) {
  const long pairs = static_cast<long>(T) * num_heads * (head_dim / 2);
  if (pairs == 0) return;
  rope_kernel<<<blocks_for(pairs), kThreads>>>(x, T, num_heads, head_dim, cos, sin, interleaved);
  check_last_error("apply_rope");
}

void linear(const float* x, const float* w, const float* bias, int T, int in, int out, float* y) {
  const long n = static_cast<long>(T) * out;
  if (n == 0) return;
  linear_kernel<<<blocks_for(n), kThreads>>>(x, w, bias, T, in, out, y);
  check_last_error("linear");
}

void scaled_dot_product_attention(const float* q, const float* k, const float* v, int T, int S, int num_heads,
                                  int num_kv_heads, int head_dim, int start_pos, float scale, int sliding_window,
                                  float* out) {
  check_attention_args(T, S, num_heads, num_kv_heads, start_pos);
  const long n = static_cast<long>(T) * num_heads;
  if (n == 0) return;
  attention_kernel<<<blocks_for(n), kThreads>>>(q, k, v, T, S, num_heads, num_kv_heads, head_dim, start_pos, scale,
                                                sliding_window, out);
  check_last_error("scaled_dot_product_attention");
}

void causal_softmax(float* scores, int T, int num_heads, int S, int start_pos, int sliding_window) {
  const long rows = static_cast<long>(T) * num_heads;
  if (rows == 0 || S == 0) return;
  causal_softmax_kernel<<<rows, kThreads>>>(scores, num_heads, S, start_pos, sliding_window);
  check_last_error("causal_softmax");
}

void add(float* x, const float* a, long n) {
  if (n == 0) return;
  add_kernel<<<blocks_for(n), kThreads>>>(x, a, n);
  check_last_error("add");
}

void scale(float* x, long n, float s) {
  if (n == 0) return;
  scale_kernel<<<blocks_for(n), kThreads>>>(x, n, s);
  check_last_error("scale");
}

void silu_mul(float* gate, const float* up, long n) {
  if (n == 0) return;
  silu_mul_kernel<<<blocks_for(n), kThreads>>>(gate, up, n);
  check_last_error("silu_mul");
}

void gelu_tanh_mul(float* gate, const float* up, long n) {
  if (n == 0) return;
  gelu_tanh_mul_kernel<<<blocks_for(n), kThreads>>>(gate, up, n);
  check_last_error("gelu_tanh_mul");
}

void gelu_tanh(float* x, long n) {
  if (n == 0) return;
  gelu_tanh_kernel<<<blocks_for(n), kThreads>>>(x, n);
  check_last_error("gelu_tanh");
}

int argmax(const float* x, int n) {
  if (n <= 0) throw Error("argmax of no values");
  DeviceArray<int> result(1);
  argmax_kernel<<<1, kThreads>>>(x, n, result.data());
  check_last_error("argmax");
  int index = -1;
  result.download(&index, 1);
  return index;
}

}  // namespace kvlm::cuda
