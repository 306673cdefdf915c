// Chapter 07 exercises: write two kernels and their launches. Compiled by nvcc; graded on a GPU by
// test_rms_norm_kernel.cpp and test_causal_softmax_kernel.cpp, which skip where no GPU is present.
// Not graded by reading: the tests run your kernels inside a fixture's layers and compare with HF.
//
// Both kernels give one block of kThreads threads to one row. Thread i handles the row's values i,
// i + kThreads, i + 2 kThreads, ... (so rows longer than the block work too), and the block combines
// the threads' partial results through shared memory:
//
//   __shared__ double partial[kThreads];        // one slot per thread of the block
//   partial[threadIdx.x] = mine;
//   __syncthreads();                            // every slot is written before any is read
//   for (int stride = kThreads / 2; stride > 0; stride /= 2) {
//     if (threadIdx.x < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
//     __syncthreads();
//   }
//   // partial[0] now holds the block's total; read it, then __syncthreads() before reusing partial.
//
// Every thread of the block must reach each __syncthreads(): never put one inside a branch that some
// threads skip. src/kvlm/cuda/ops.cu has the library's versions: solve these before reading it.
#include <cuda_runtime.h>

#include <stdexcept>

#include "exercises.hpp"
#include "kvlm/cuda/device.hpp"  // check_last_error

namespace kvlm::exercises {

inline constexpr int kThreads = 256;  // threads per block

// Exercise 1. Block b normalizes row b of x [T, D] into row b of y:
// 1. each thread sums the squares (in double) of its values of the row;
// 2. the block adds the threads' sums (the tree above) -> mean_square = total / D;
// 3. scale = 1 / sqrt(mean_square + eps); each thread writes y = x * scale * weight for its values.
__global__ void rms_norm_kernel(const float* x, const float* weight, int D, float eps, float* y) {
  (void)x, (void)weight, (void)D, (void)eps, (void)y;
}

// Exercise 2. Block b turns row b of scores [T * num_heads, S] into its causal softmax. The row's
// query is t = b / num_heads, at position start_pos + t.
// 1. each thread finds the largest score among its visible keys; the block takes the largest of those
//    (the same tree with fmaxf instead of +, starting from -INFINITY);
// 2. each thread writes exp(score - max) for its visible keys, 0 for the others, and sums what it
//    wrote; the block adds the sums;
// 3. each thread divides its values by the total.
__global__ void causal_softmax_kernel(float* scores, int num_heads, int S, int start_pos, int sliding_window) {
  (void)scores, (void)num_heads, (void)S, (void)start_pos, (void)sliding_window;
}



// Launch one block of kThreads per row: kernel<<<blocks, kThreads>>>(...), then
// cuda::check_last_error("rms_norm"), which turns a failed launch into an error. Delete the throw.
void rms_norm(const float* x, const float* weight, int T, int D, float eps, float* y) {
  (void)x, (void)weight, (void)T, (void)D, (void)eps, (void)y;
  throw std::logic_error("exercise: not implemented: rms_norm (chapters/07_cuda/exercises/kernels.cu)");
}

// One block per row (T * num_heads rows), then cuda::check_last_error("causal_softmax").
void causal_softmax(float* scores, int T, int num_heads, int S, int start_pos, int sliding_window) {
  (void)scores, (void)T, (void)num_heads, (void)S, (void)start_pos, (void)sliding_window;
  throw std::logic_error("exercise: not implemented: causal_softmax (chapters/07_cuda/exercises/kernels.cu)");
}

}  // namespace kvlm::exercises
