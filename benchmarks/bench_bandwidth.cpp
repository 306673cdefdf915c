// The machine's memory bandwidth, as batch-1 decode sees it: a STREAM-like triad (a = b + s x c) and
// a plain read (sum), over arrays far larger than the caches, split over kvlm's own thread pool
// (parallel_for, as linear() splits a weight matrix) at 1 and 2 threads.
// Not STREAM itself (no OpenMP, no four kernels, fewer repetitions): a ceiling to hold decode's
// GB/s against. Decode streams every weight once per token, so tok/s <= read GB/s / bytes per token.
//
//   build/release/benchmarks/bench_bandwidth --benchmark_format=json
//
// bytes_per_second counts what STREAM counts: triad 3 x 4 bytes per element (two arrays read, one
// written, no write-allocate traffic), read 4 bytes per element.
#include <benchmark/benchmark.h>

#include <Eigen/Dense>
#include <vector>

#include "kvlm/threads.hpp"

namespace kvlm {
namespace {

constexpr size_t kElements = size_t{64} << 20;  // 64 Mi floats = 256 MB per array: far beyond any cache
constexpr int kChunks = 256;                      // parallel_for hands these out one at a time

struct Arrays {
  std::vector<float> a, b, c;
  Arrays() : a(kElements, 0.0f), b(kElements, 1.0f), c(kElements, 2.0f) {}  // written once: pages are mapped
};

Arrays& arrays() {
  static Arrays arrays;
  return arrays;
}

// [begin, end) of chunk i.
std::pair<size_t, size_t> chunk(int i) { return {kElements * i / kChunks, kElements * (i + 1) / kChunks}; }

// v[begin, end) as an Eigen array, without a copy.
Eigen::Map<Eigen::ArrayXf> span(std::vector<float>& v, size_t begin, size_t end) {
  return {v.data() + begin, static_cast<Eigen::Index>(end - begin)};
}
Eigen::Map<const Eigen::ArrayXf> span(const std::vector<float>& v, size_t begin, size_t end) {
  return {v.data() + begin, static_cast<Eigen::Index>(end - begin)};
}

void BM_Triad(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  Arrays& x = arrays();
  const float s = 3.0f;
  for (auto _ : state) {
    parallel_for(kChunks, [&](int i) {
      const auto [begin, end] = chunk(i);
      span(x.a, begin, end) = span(x.b, begin, end) + s * span(x.c, begin, end);
    });
    benchmark::DoNotOptimize(x.a.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 3 * kElements * sizeof(float));
  state.counters["threads"] = num_threads();
  set_num_threads(0);
}

void BM_Read(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  const Arrays& x = arrays();
  std::vector<float> partial(kChunks);
  for (auto _ : state) {
    parallel_for(kChunks, [&](int i) {
      const auto [begin, end] = chunk(i);
      partial[i] = span(x.b, begin, end).sum();  // Eigen's reduction: vectorized, several accumulators
    });
    benchmark::DoNotOptimize(partial.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * kElements * sizeof(float));
  state.counters["threads"] = num_threads();
  set_num_threads(0);
}

BENCHMARK(BM_Triad)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Read)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace kvlm

BENCHMARK_MAIN();
