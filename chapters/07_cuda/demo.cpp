// Chapter 07 demo: one forward pass on the CPU and on the GPU (the CUDA twins of chapter 04's ops),
// the largest difference between their logits, the same argmax at every position, and a cached
// decode on the GPU against the naive pass. Without a GPU it says why and exits 0: the CPU numbers
// are still the reference.
// Not a benchmark (benchmarks/ will have bench_cuda): one run, timed roughly.
//
//   ch07_demo [MODEL]   MODEL: HF folder, .gguf or llama2.c .bin (default: SmolLM2, else a fixture)
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "common/demo.hpp"
#include "kvlm/cuda/device.hpp"
#include "kvlm/cuda/kv_cache.hpp"
#include "kvlm/cuda/transformer.hpp"
#include "kvlm/model/transformer.hpp"

using namespace kvlm;

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

int argmax_row(const Matrix& m, Eigen::Index t) {
  Eigen::Index best;
  m.row(t).maxCoeff(&best);
  return static_cast<int>(best);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const chapters::DemoModel d = chapters::load_demo_model(std::min(argc, 2), argv);
    const std::vector<int> prompt = chapters::demo_prompt(d, "Once upon a time, in a small village,");
    std::printf("prompt: %zu tokens\n", prompt.size());

    auto t0 = std::chrono::steady_clock::now();
    const Matrix cpu = forward(d.model, prompt, 0, nullptr);
    std::printf("CPU forward: %.1f ms\n", ms_since(t0));

    std::string why;
    if (!cuda::device_present(&why)) {
      std::printf("GPU: none (%s); the CUDA forward is not run\n", why.c_str());
      return 0;
    }
    const cuda::MemoryInfo memory = cuda::memory_info();
    std::printf("GPU: %.0f of %.0f MiB free; the model takes %.1f MiB in fp32\n", memory.free / 1048576.0,
                memory.total / 1048576.0, cuda::device_bytes(d.model) / 1048576.0);
    t0 = std::chrono::steady_clock::now();
    const cuda::Model gpu_model = cuda::upload(d.model);
    std::printf("upload: %.1f ms\n", ms_since(t0));
    t0 = std::chrono::steady_clock::now();
    const Matrix gpu = cuda::forward(gpu_model, prompt, 0, nullptr);
    std::printf("GPU forward (plain kernels): %.1f ms\n", ms_since(t0));

    int same_argmax = 0;
    for (Eigen::Index t = 0; t < cpu.rows(); ++t) same_argmax += argmax_row(cpu, t) == argmax_row(gpu, t);
    const float diff = (cpu - gpu).cwiseAbs().maxCoeff();
    std::printf("max |logit diff| GPU vs CPU: %.2e; argmax the same at %d of %lld positions\n", diff, same_argmax,
                static_cast<long long>(cpu.rows()));

    // The cache on the GPU: prefill all but the last token, then decode it; its logits are the naive
    // pass's last row.
    cuda::KVCache cache(d.model.config, static_cast<int>(prompt.size()));
    const int n = static_cast<int>(prompt.size());
    cuda::forward(gpu_model, std::span(prompt).first(n - 1), 0, &cache, 1);
    const Matrix step = cuda::forward(gpu_model, std::span(prompt).last(1), n - 1, &cache);
    const float step_diff = (step.row(0) - gpu.row(n - 1)).cwiseAbs().maxCoeff();
    std::printf("cached decode of the last token vs the naive pass: max |diff| %.2e; KV cache %.2f MiB on the GPU\n",
                step_diff, cache.bytes() / 1048576.0);
    return diff < 1e-3f && same_argmax == cpu.rows() && step_diff < 1e-4f ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "ch07_demo: " << e.what() << "\n";
    return 1;
  }
}
