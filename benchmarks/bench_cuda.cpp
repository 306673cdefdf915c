// Chapter 07 in numbers: the CPU against the GPU (its plain kernels and its fast ones), cached
// against naive, on SmolLM2-135M's shape with random weights (the cost does not depend on their values). Not a test: run it, read the JSON.
// Where no GPU is present, the GPU benchmarks are skipped with the reason and the CPU ones still run.
//
//   build/release/benchmarks/bench_cuda --benchmark_out=cuda.json --benchmark_out_format=json
//
// DEVICE: cpu, cuda_plain (ops.hpp's kernels, the lesson) or cuda (fast_ops.hpp's, what runs).
// BM_Decode/DEVICE/P: decode steps (one token through the model, cached) after a prompt of P tokens.
// BM_Prefill/DEVICE/T: one forward over T tokens into an empty cache, logits of the last position.
// BM_NaiveStep/DEVICE/P: one step of chapter 05's loop at position P (the whole sequence again).
// Napkin math as counters: a decode step reads every weight once (bytes_per_token, fp32) plus the
// cache, so GB_per_s = bytes_per_token x tok/s; on the GPU, peak_GB_per_s is printed beside it for the
// percentage: the bandwidth given by --peak_GBps=N (default an H100 SXM's HBM3, 3,350), which the
// benchmark cannot read itself.
//
// These time the forward passes themselves (model/transformer.hpp, cuda/transformer.hpp), not the
// generation loops: sampling adds nothing measurable to a step. Wall-clock time (UseRealTime): the
// GPU's work is not CPU time of the calling thread.
#include <benchmark/benchmark.h>

#include "bench_main.hpp"

#include <array>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kvlm/cache/contiguous.hpp"
#include "kvlm/cuda/device.hpp"
#include "kvlm/cuda/kv_cache.hpp"
#include "kvlm/cuda/transformer.hpp"
#include "kvlm/model/random_weights.hpp"
#include "kvlm/model/transformer.hpp"

namespace kvlm {
namespace {

constexpr int kSteps = 128;  // decode steps timed per iteration: the 128 new tokens
double peak_gbps = 3350.0;  // --peak_GBps

const Model& smollm2() {
  static const Model model = random_model(smollm2_135m_config());
  return model;
}

enum class On { kCpu, kGpuPlain, kGpu };

// Uploaded once; the benchmarks run one at a time, each setting the kernels it measures.
const cuda::Model& smollm2_on_gpu(On on) {
  static cuda::Model model = cuda::upload(smollm2());
  model.kernels = on == On::kGpuPlain ? cuda::Kernels::kPlain : cuda::Kernels::kFast;
  return model;
}

std::vector<int> ids(int n) {
  std::vector<int> out(n);
  for (int i = 0; i < n; ++i) out[i] = 1000 + (i * 37) % 20000;
  return out;
}

// true when the GPU benchmarks can run; otherwise the state is skipped with the reason.
bool have_gpu(benchmark::State& state) {
  std::string why;
  if (cuda::device_present(&why)) return true;
  state.SkipWithError(("no GPU: " + why).c_str());
  return false;
}

void decode_counters(benchmark::State& state, int steps, bool gpu) {
  const double weight_bytes = 4.0 * static_cast<double>(parameter_count(smollm2()));
  const double tokens = static_cast<double>(steps) * state.iterations();
  state.counters["tok_per_s"] = benchmark::Counter(tokens, benchmark::Counter::kIsRate);
  state.counters["bytes_per_token"] = weight_bytes;
  state.counters["GB_per_s"] = benchmark::Counter(tokens * weight_bytes / 1e9, benchmark::Counter::kIsRate);
  if (gpu) state.counters["peak_GB_per_s"] = peak_gbps;
}

template <On kOn>
void BM_Decode(benchmark::State& state) {
  constexpr bool kGpu = kOn != On::kCpu;
  if (kGpu && !have_gpu(state)) return;
  const Model& host = smollm2();
  const std::vector<int> prompt = ids(static_cast<int>(state.range(0)));
  const std::vector<int> step_ids = ids(kSteps);
  for (auto _ : state) {
    state.PauseTiming();  // the prefill is not what is measured
    const int capacity = static_cast<int>(prompt.size()) + kSteps;
    ContiguousKVCache cpu_cache(host.config, capacity);
    std::unique_ptr<cuda::KVCache> gpu_cache;
    if constexpr (kGpu) {
      gpu_cache = std::make_unique<cuda::KVCache>(host.config, capacity);
      cuda::forward(smollm2_on_gpu(kOn), prompt, 0, gpu_cache.get(), 1);
    } else {
      forward(host, prompt, 0, &cpu_cache, nullptr, 1);
    }
    state.ResumeTiming();
    for (int s = 0; s < kSteps; ++s) {
      const std::span<const int> one(&step_ids[s], 1);
      const int pos = static_cast<int>(prompt.size()) + s;
      if constexpr (kGpu) {
        benchmark::DoNotOptimize(cuda::forward(smollm2_on_gpu(kOn), one, pos, gpu_cache.get(), 1));
      } else {
        benchmark::DoNotOptimize(forward(host, one, pos, &cpu_cache, nullptr, 1));
      }
    }
  }
  decode_counters(state, kSteps, kGpu);
}

template <On kOn>
void BM_Prefill(benchmark::State& state) {
  constexpr bool kGpu = kOn != On::kCpu;
  if (kGpu && !have_gpu(state)) return;
  const Model& host = smollm2();
  const std::vector<int> prompt = ids(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    if constexpr (kGpu) {
      cuda::KVCache cache(host.config, static_cast<int>(prompt.size()));
      benchmark::DoNotOptimize(cuda::forward(smollm2_on_gpu(kOn), prompt, 0, &cache, 1));
    } else {
      ContiguousKVCache cache(host.config, static_cast<int>(prompt.size()));
      benchmark::DoNotOptimize(forward(host, prompt, 0, &cache, nullptr, 1));
    }
  }
  state.counters["tok_per_s"] =
      benchmark::Counter(static_cast<double>(prompt.size()) * state.iterations(), benchmark::Counter::kIsRate);
}

// Chapter 05's step at position P: the whole sequence of P + 1 tokens again, no cache.
template <On kOn>
void BM_NaiveStep(benchmark::State& state) {
  constexpr bool kGpu = kOn != On::kCpu;
  if (kGpu && !have_gpu(state)) return;
  const std::vector<int> sequence = ids(static_cast<int>(state.range(0)) + 1);
  for (auto _ : state) {
    if constexpr (kGpu) {
      benchmark::DoNotOptimize(cuda::forward(smollm2_on_gpu(kOn), sequence, 0, nullptr, 1));
    } else {
      benchmark::DoNotOptimize(forward(smollm2(), sequence, 0, nullptr, nullptr, 1));
    }
  }
  state.counters["tok_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// Each benchmark on the CPU, on the GPU's plain kernels and on its fast ones, at each of `args`.
using Benchmark = void (*)(benchmark::State&);
void on_each_device(const std::string& name, const std::array<Benchmark, 3>& by_device,
                    const std::vector<int64_t>& args) {
  const char* device[] = {"cpu", "cuda_plain", "cuda"};
  for (int i = 0; i < 3; ++i) {
    auto* b = benchmark::RegisterBenchmark((name + "/" + device[i]).c_str(), by_device[i]);
    for (const int64_t a : args) b->Arg(a);
    b->Unit(benchmark::kMillisecond)->UseRealTime();
  }
}

}  // namespace
}  // namespace kvlm

int main(int argc, char** argv) {
  // --peak_GBps=N: the GPU's memory bandwidth, for the pct_of_peak napkin math (not a Google flag).
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--peak_GBps=", 0) == 0) {
      kvlm::peak_gbps = std::stod(arg.substr(12));
    } else {
      rest.push_back(argv[i]);
    }
  }
  using kvlm::On;
  kvlm::on_each_device("BM_Decode", {kvlm::BM_Decode<On::kCpu>, kvlm::BM_Decode<On::kGpuPlain>, kvlm::BM_Decode<On::kGpu>},
                       {16, 1024});
  kvlm::on_each_device("BM_Prefill",
                       {kvlm::BM_Prefill<On::kCpu>, kvlm::BM_Prefill<On::kGpuPlain>, kvlm::BM_Prefill<On::kGpu>}, {512});
  kvlm::on_each_device(
      "BM_NaiveStep", {kvlm::BM_NaiveStep<On::kCpu>, kvlm::BM_NaiveStep<On::kGpuPlain>, kvlm::BM_NaiveStep<On::kGpu>},
      {16, 128, 512});
  return kvlm::run_benchmarks(static_cast<int>(rest.size()), rest.data());
}
