// What every chapter 07 kernel file shares: the block size, the launch arithmetic, the reductions
// across a block, and the argument checks the plain and fast attention both make. Internal to
// src/kvlm/cuda (CUDA code: only .cu files include it).
#pragma once

#include <cmath>
#include <string>

#include "kvlm/error.hpp"

namespace kvlm::cuda::detail {

constexpr int kThreads = 256;  // threads per block: a multiple of the warp's 32

// Blocks of kThreads needed for one thread per item.
inline unsigned blocks_for(long items) { return static_cast<unsigned>((items + kThreads - 1) / kThreads); }

// This thread's index in a launch of one thread per item.
inline __device__ long thread_index() { return static_cast<long>(blockIdx.x) * blockDim.x + threadIdx.x; }

// The sum of every thread's v in a block of kThreads threads (a tree: 256 -> 128 -> ... -> 1).
// Every thread of the block must call it, and gets the total.
inline __device__ double block_sum(double v) {
  __shared__ double partial[kThreads];
  partial[threadIdx.x] = v;
  __syncthreads();
  for (int stride = kThreads / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
    __syncthreads();
  }
  const double total = partial[0];
  __syncthreads();  // every thread has read it before the next call overwrites it
  return total;
}

// The largest of every thread's v in a block of kThreads threads, the same tree as block_sum.
inline __device__ float block_max(float v) {
  __shared__ float partial[kThreads];
  partial[threadIdx.x] = v;
  __syncthreads();
  for (int stride = kThreads / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) partial[threadIdx.x] = fmaxf(partial[threadIdx.x], partial[threadIdx.x + stride]);
    __syncthreads();
  }
  const float largest = partial[0];
  __syncthreads();
  return largest;
}

// Whether the query at query_pos sees the key at key_pos: causal, and within a sliding window when
// there is one (attention.cpp's visible()).
inline __device__ bool visible(long key_pos, long query_pos, int sliding_window) {
  return key_pos <= query_pos && (sliding_window <= 0 || key_pos > query_pos - sliding_window);
}

// The attention arguments both versions refuse, with the same sentences.
inline void check_attention_args(int T, int S, int num_heads, int num_kv_heads, int start_pos) {
  if (num_kv_heads <= 0 || num_heads % num_kv_heads != 0)
    throw Error("attention needs num_heads (" + std::to_string(num_heads) + ") to be a multiple of num_kv_heads (" +
                std::to_string(num_kv_heads) + ")");
  if (start_pos + T != S)
    throw Error("attention's last query (position " + std::to_string(start_pos + T - 1) +
                ") must be its newest key (position " + std::to_string(S - 1) + ")");
}

}  // namespace kvlm::cuda::detail
