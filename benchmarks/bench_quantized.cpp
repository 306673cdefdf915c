// Chapter 08 in numbers: linear() on fp32 weights against the same weights in Q8_0, Q4_1 and Q4_0
// blocks, on SmolLM2-135M's three shapes of matrix, for T = 1 .. 16 rows of x; in Q5_0 blocks (a
// Q4_K_M file's 576-wide matrices) on the three; and in Q4_K and Q6_K super-blocks of 256 on the one
// shape whose rows they fit (down_proj, 1536 columns). It is how linear.cpp's
// choice was made (integer dots up to kMaxIntRows rows, fp32 tiles above) and it shows the bytes
// argument: at T = 1 the time follows the bytes of the weight.
// Not a test: run it, read the JSON. Weights are random (the cost does not depend on their values).
//
//   build/release/benchmarks/bench_quantized --benchmark_out=quantized.json --benchmark_out_format=json
//
// Counters: weight_MB (bytes read per product), GB_per_s (weight bytes / time), rows_per_s.
#include <benchmark/benchmark.h>

#include "bench_main.hpp"

#include <cstring>
#include <map>
#include <random>

#include "kvlm/io/dtype.hpp"
#include "kvlm/io/gguf_quant.hpp"
#include "kvlm/model/linear.hpp"
#include "kvlm/model/matmul.hpp"

namespace kvlm {
namespace {

constexpr uint32_t kF32 = 0, kQ4_0 = 2, kQ4_1 = 3, kQ5_0 = 6, kQ8_0 = 8, kQ4_K = 12, kQ6_K = 14;

struct Shape {
  const char* name;
  int64_t out, in;
};
// SmolLM2-135M: gate/up [1536, 576], down [576, 1536], the tied head [49152, 576].
constexpr Shape kShapes[] = {{"gate_up", 1536, 576}, {"down", 576, 1536}, {"head", 49152, 576}};

// Blocks kvlm does not quantize (Q5_0, K-quants): random bytes, with each fp16 scale (Q5_0's d at
// byte 0, Q4_K's d and dmin at bytes 0 and 2, Q6_K's d at byte 208) set to a small finite value.
void random_blocks(uint32_t type, std::mt19937& rng, std::vector<std::byte>& bytes) {
  const int64_t block_bytes = gguf::supported_type_traits(type)->block_bytes;
  for (std::byte& b : bytes) b = static_cast<std::byte>(rng() & 0xFF);
  const uint16_t scale = fp32_to_fp16(0.001f);
  for (size_t block = 0; block < bytes.size(); block += block_bytes)
    for (const int offset : type == kQ4_K ? std::vector<int>{0, 2} : std::vector<int>{type == kQ6_K ? 208 : 0})
      std::memcpy(&bytes[block + offset], &scale, 2);
}

// One weight per (shape, type), kept for the whole run: random values quantized by gguf::quantize
// (Q5_0, K-quants: random blocks).
const LinearWeight& weight(int shape, uint32_t type) {
  static std::map<std::pair<int, uint32_t>, std::pair<std::vector<std::byte>, LinearWeight>> cache;
  auto it = cache.find({shape, type});
  if (it != cache.end()) return it->second.second;
  const Shape& s = kShapes[shape];
  std::mt19937 rng(shape);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  Matrix values(s.out, s.in);
  for (Eigen::Index i = 0; i < values.size(); ++i) values.data()[i] = normal(rng);
  auto& entry = cache[{shape, type}];
  if (type == kF32) {
    entry.second = LinearWeight(values);
  } else {
    QuantizedMatrix blocks{type, s.out, s.in, nullptr, nullptr};
    entry.first.resize(blocks.bytes());
    if (type == kQ5_0 || type == kQ4_K || type == kQ6_K)
      random_blocks(type, rng, entry.first);
    else
      gguf::quantize(type, {values.data(), static_cast<size_t>(values.size())}, entry.first);
    blocks.data = entry.first.data();
    entry.second = LinearWeight(std::move(blocks));
  }
  return entry.second;
}

void BM_Linear(benchmark::State& state, uint32_t type) {
  const int shape = static_cast<int>(state.range(0));
  const int64_t rows = state.range(1);
  const LinearWeight& w = weight(shape, type);
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Matrix x(rows, kShapes[shape].in);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = normal(rng);
  for (auto _ : state) benchmark::DoNotOptimize(linear(x, w));
  state.SetLabel(kShapes[shape].name);
  state.counters["weight_MB"] = static_cast<double>(w.bytes()) / 1e6;
  state.counters["GB_per_s"] = benchmark::Counter(static_cast<double>(w.bytes()) * state.iterations() / 1e9,
                                                  benchmark::Counter::kIsRate);
  state.counters["rows_per_s"] = benchmark::Counter(static_cast<double>(rows) * state.iterations(),
                                                    benchmark::Counter::kIsRate);
}

// Prefill's fp32 product on one thread, 128 rows of x: the register-tiled kernel against Eigen's
// product (its readable twin, which packs both operands first).
void BM_Matmul(benchmark::State& state, bool kernel) {
  const Shape& s = kShapes[state.range(0)];
  const Matrix& w = weight(static_cast<int>(state.range(0)), kF32).fp32();
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Matrix x(128, s.in), y(128, s.out);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = normal(rng);
  const MatmulArgs args{x.data(), x.cols(), w.data(), w.cols(), y.data(), y.cols(), x.rows(), s.out, s.in};
  for (auto _ : state) {
    kernel ? matmul_transposed(args) : matmul_transposed_eigen(args);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetLabel(s.name);
  state.counters["GFLOP_per_s"] = benchmark::Counter(2.0 * 128 * s.out * s.in * state.iterations() / 1e9,
                                                     benchmark::Counter::kIsRate);
}

void Shapes(benchmark::internal::Benchmark* b) {
  for (int shape = 0; shape < 3; ++shape)
    for (int rows : {1, 2, 3, 4, 8, 16}) b->Args({shape, rows});
  b->Unit(benchmark::kMicrosecond)->UseRealTime();
}

// A 128-token prompt's products (prefill; the head computes the last position only).
void PrefillShapes(benchmark::internal::Benchmark* b) {
  for (int shape = 0; shape < 2; ++shape) b->Args({shape, 128});
  b->Unit(benchmark::kMicrosecond)->UseRealTime();
}

BENCHMARK_CAPTURE(BM_Linear, F32, kF32)->Apply(Shapes);
BENCHMARK_CAPTURE(BM_Matmul, eigen, false)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Matmul, kernel, true)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Linear, F32_prefill, kF32)->Apply(PrefillShapes);
BENCHMARK_CAPTURE(BM_Linear, Q8_0_prefill, kQ8_0)->Apply(PrefillShapes);
BENCHMARK_CAPTURE(BM_Linear, Q8_0, kQ8_0)->Apply(Shapes);
BENCHMARK_CAPTURE(BM_Linear, Q4_1, kQ4_1)->Apply(Shapes);
BENCHMARK_CAPTURE(BM_Linear, Q4_0, kQ4_0)->Apply(Shapes);
BENCHMARK_CAPTURE(BM_Linear, Q5_0, kQ5_0)->Apply(Shapes);

void DownShape(benchmark::internal::Benchmark* b) {  // the K-quants' only shape: 1536 = 6 * 256
  for (int rows : {1, 2, 3, 4, 8, 16}) b->Args({1, rows});
  b->Unit(benchmark::kMicrosecond)->UseRealTime();
}
BENCHMARK_CAPTURE(BM_Linear, Q4_K, kQ4_K)->Apply(DownShape);
BENCHMARK_CAPTURE(BM_Linear, Q6_K, kQ6_K)->Apply(DownShape);

}  // namespace
}  // namespace kvlm

int main(int argc, char** argv) { return kvlm::run_benchmarks(argc, argv); }
