// A GPU on the CPU, for running chapter 07's kernels where no GPU is present (CI, a student's laptop):
// the parts of the CUDA runtime that src/kvlm/cuda uses, emulated in plain C++. Used only by the
// emulated build (tests/cuda/emulator/CMakeLists.txt), which compiles the same .cu files with each
// launch kernel<<<grid, block>>>(args) rewritten as emu::launch(grid, block, kernel, args) (launches.py).
//
// How it runs a launch: the blocks one after another; within a block, each thread is a fiber (its own
// stack, ucontext), and the fibers take turns on one CPU thread. A thread runs until it reaches a
// barrier (__syncthreads, or either half of a warp shuffle) or returns, then the next thread runs.
// Once every thread has had its turn, all stand at the same barrier (or have returned), and the next
// round begins: exactly the guarantee __syncthreads gives.
//
// What it checks: indexing, bounds, reductions, barriers, shuffles, launch shapes, and the results
// against the same references as on a GPU. What it cannot: speed, and what only the hardware does
// (warps running side by side, memory ordering, races between threads: compute-sanitizer's racecheck
// on a real GPU). Device memory is host memory; every call succeeds or returns an error as CUDA does.
#pragma once

#include <ucontext.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __shared__ static  // one copy, shared by the block's threads (blocks run one at a time)

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct float4 {
  float x, y, z, w;
};

// The running thread's coordinates, set by the scheduler each time it resumes a thread.
inline dim3 blockIdx, threadIdx, blockDim, gridDim;

namespace emu {

constexpr size_t kStackBytes = 128 * 1024;  // each thread's stack; kernels use a few hundred bytes

struct Thread {
  ucontext_t context;
  bool done = false;
};

struct Block {
  ucontext_t scheduler;
  std::vector<Thread> threads;
  unsigned current = 0;            // the thread that is running
  std::vector<float> warp_slots;   // 32 per warp, for __shfl_down_sync
};

inline Block* block = nullptr;
inline std::function<void()> kernel_call;  // the kernel with its arguments, for the fibers to run

inline char* stack(unsigned thread) {  // allocated once, reused by every block
  static std::vector<std::unique_ptr<char[]>> stacks;
  while (stacks.size() <= thread) stacks.emplace_back(new char[kStackBytes]);
  return stacks[thread].get();
}

inline void run_thread() {
  kernel_call();
  block->threads[block->current].done = true;
}  // returns to uc_link: the scheduler

// Thread t's fiber, which will start in run_thread and return to the scheduler. Not inlined: getcontext
// returns twice, like setjmp, and the compiler then warns about the caller's loop variables.
[[gnu::noinline]] inline void prepare(ucontext_t& c, unsigned t, ucontext_t* scheduler) {
  getcontext(&c);
  c.uc_stack.ss_sp = stack(t);
  c.uc_stack.ss_size = kStackBytes;
  c.uc_link = scheduler;
  makecontext(&c, run_thread, 0);
}

// Back to the scheduler until every other thread of the block has had its turn.
inline void wait_for_the_others() { swapcontext(&block->threads[block->current].context, &block->scheduler); }

template <typename Kernel, typename... Args>
void launch(dim3 grid, dim3 threads, Kernel kernel, Args... args) {
  const unsigned n = threads.x * threads.y * threads.z;
  kernel_call = [&] { kernel(args...); };
  blockDim = threads;
  gridDim = grid;
  for (unsigned bz = 0; bz < grid.z; ++bz)
    for (unsigned by = 0; by < grid.y; ++by)
      for (unsigned bx = 0; bx < grid.x; ++bx) {
        Block b;
        block = &b;
        blockIdx = dim3(bx, by, bz);
        b.threads.resize(n);
        b.warp_slots.assign(32 * ((n + 31) / 32), 0.0f);
        for (unsigned t = 0; t < n; ++t) prepare(b.threads[t].context, t, &b.scheduler);
        // Rounds: each thread that has not returned runs to its next barrier.
        for (bool running = true; running;) {
          running = false;
          for (unsigned t = 0; t < n; ++t) {
            if (b.threads[t].done) continue;
            b.current = t;
            threadIdx = dim3(t % threads.x, (t / threads.x) % threads.y, t / threads.x / threads.y);
            swapcontext(&b.scheduler, &b.threads[t].context);
            running = true;
          }
        }
        block = nullptr;
      }
}

}  // namespace emu

inline void __syncthreads() { emu::wait_for_the_others(); }

// Lane i gets lane i + offset's v (its own where that is past the warp): every lane writes its v,
// waits, reads, and waits again before a later shuffle may overwrite the slots.
inline float __shfl_down_sync(unsigned /*mask: the whole warp*/, float v, int offset) {
  const unsigned t = emu::block->current, lane = t % 32;
  float* slots = &emu::block->warp_slots[t - lane];
  slots[lane] = v;
  __syncthreads();
  const float got = lane + offset < 32 ? slots[lane + offset] : v;
  __syncthreads();
  return got;
}

// The runtime API calls src/kvlm/cuda makes. One device, 8 GiB, always present.
using cudaError_t = int;
constexpr cudaError_t cudaSuccess = 0, cudaErrorMemoryAllocation = 2, cudaErrorInsufficientDriver = 35,
                      cudaErrorNoDevice = 100;
enum cudaMemcpyKind { cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice };
inline cudaError_t cudaGetDeviceCount(int* count) {
  *count = 1;
  return cudaSuccess;
}
inline cudaError_t cudaGetLastError() { return cudaSuccess; }
inline const char* cudaGetErrorString(cudaError_t e) { return e == cudaErrorMemoryAllocation ? "out of memory" : "error"; }
inline cudaError_t cudaMemGetInfo(size_t* free, size_t* total) {
  *free = *total = size_t{8} << 30;
  return cudaSuccess;
}
inline cudaError_t cudaMalloc(void** p, size_t bytes) {
  *p = std::malloc(bytes);
  return *p ? cudaSuccess : cudaErrorMemoryAllocation;
}
inline cudaError_t cudaFree(void* p) {
  std::free(p);
  return cudaSuccess;
}
inline cudaError_t cudaMemcpy(void* to, const void* from, size_t bytes, cudaMemcpyKind) {
  std::memcpy(to, from, bytes);
  return cudaSuccess;
}
