// Chapter 05 vs 06 in numbers: naive generation (recompute everything) against KV-cached generation.
// Not a test: run it, read the JSON; the ratio is the chapter's answer. Weights are random (cost does
// not depend on their values), in the exact shape of SmolLM2-135M, plus a tiny fixture from data/.
//
//   build/release/benchmarks/bench_generate --benchmark_out=generate.json --benchmark_out_format=json
//
// Napkin math printed as counters: decode reads every weight once per token, so
// bytes_per_token = 4 x parameters, and GB/s = bytes_per_token x tok/s. Naive generation instead
// re-runs the whole sequence each step: its FLOPs per token grow with the position.
#include <benchmark/benchmark.h>

#include "bench_main.hpp"

#include "kvlm/cache/contiguous.hpp"
#include "kvlm/generate/generate.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/model/random_weights.hpp"

namespace kvlm {
namespace {

constexpr int kPromptTokens = 16;  // as in ../shared/baselines (HF transformers, same shape)

const Model& smollm2() {
  static const Model model = random_model(smollm2_135m_config());
  return model;
}

const Model& fixture() {
  static const Model model = load_model(std::filesystem::path(KVLM_DATA_DIR) / "models" / "llama-gqa-tied");
  return model;
}

template <bool kCached>
void run(benchmark::State& state, const Model& model) {
  const int new_tokens = static_cast<int>(state.range(0));
  std::vector<int> prompt(kPromptTokens);
  for (int i = 0; i < kPromptTokens; ++i) prompt[i] = (i * 37 + 11) % model.config.vocab_size;
  GenerationConfig config;
  config.max_new_tokens = new_tokens;
  config.stop_at_eos = false;  // the same work every run
  Generation g;
  for (auto _ : state) g = kCached ? generate_cached(model, prompt, config) : generate_naive(model, prompt, config);

  const double decode_s = g.stats.decode_ms / 1000.0;
  const double decode_tok_s = (g.tokens.size() - 1) / decode_s;
  state.counters["new_tokens"] = static_cast<double>(g.tokens.size());
  state.counters["tok_per_s"] = benchmark::Counter(static_cast<double>(g.tokens.size()) * state.iterations(),
                                                   benchmark::Counter::kIsRate);
  state.counters["decode_tok_per_s"] = decode_tok_s;
  state.counters["prefill_ms"] = g.stats.prefill_ms;
  state.counters["first_decode_ms"] = g.stats.step_ms.size() > 1 ? g.stats.step_ms[1] : 0.0;
  state.counters["last_decode_ms"] = g.stats.step_ms.back();
  const double weight_bytes = 4.0 * static_cast<double>(parameter_count(model));
  state.counters["weight_GB_per_s"] = kCached ? weight_bytes * decode_tok_s / 1e9 : 0.0;
  state.counters["kv_cache_bytes"] = static_cast<double>(g.stats.kv_cache_bytes);
}

// Prefill alone: one forward over a prompt of state.range(0) tokens into an empty cache, logits for the
// last position only, as generate_cached runs it (vs_llama_cpp.py's pp128 is this, on real weights).
void BM_Prefill_SmolLM2Shape(benchmark::State& state) {
  const Model& model = smollm2();
  std::vector<int> prompt(static_cast<size_t>(state.range(0)));
  for (size_t i = 0; i < prompt.size(); ++i) prompt[i] = static_cast<int>(1000 + i);
  for (auto _ : state) {
    ContiguousKVCache cache(model.config, static_cast<int>(prompt.size()));
    benchmark::DoNotOptimize(forward(model, prompt, 0, &cache, nullptr, /*logits_to_keep=*/1));
  }
  state.counters["tok_per_s"] =
      benchmark::Counter(static_cast<double>(prompt.size()) * state.iterations(), benchmark::Counter::kIsRate);
}

void BM_Naive_SmolLM2Shape(benchmark::State& s) { run<false>(s, smollm2()); }
void BM_Cached_SmolLM2Shape(benchmark::State& s) { run<true>(s, smollm2()); }
void BM_Naive_Fixture(benchmark::State& s) { run<false>(s, fixture()); }
void BM_Cached_Fixture(benchmark::State& s) { run<true>(s, fixture()); }

BENCHMARK(BM_Naive_Fixture)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Cached_Fixture)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Prefill_SmolLM2Shape)->Arg(128)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_Naive_SmolLM2Shape)->Arg(128)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Cached_SmolLM2Shape)->Arg(128)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace kvlm

int main(int argc, char** argv) { return kvlm::run_benchmarks(argc, argv); }
