// Chapter 09 in numbers: what each KV cache variant costs per decode step, and what prefix reuse
// saves before the first token. Not a test: run it, read the JSON. Weights are random (the cost does
// not depend on their values), in the exact shape of SmolLM2-135M.
//
//   build/release/benchmarks/bench_kv_cache --benchmark_out=kv_cache.json --benchmark_out_format=json
//
// BM_Decode/KIND/N: one decode step (one token through the model) with N positions already cached.
// The cache is filled with random keys and values through update(), as a prefill would write them,
// without running the model over N tokens first. Napkin math printed as counters: a step reads every
// weight once (4 x parameters bytes) and the whole cache once (kv_bytes_read): at 4,096 positions
// SmolLM2's fp32 cache (180 MiB) adds a third to the 513 MiB of fp32 weights a step reads anyway.
//
// BM_FirstToken/REUSE: a prompt = a long system prompt shared by every request + a short question.
// Without reuse, the time to the first token is a prefill of the whole prompt; with prefix caching
// (paged pool, the system prompt's full blocks already in it), only the question and the tail of the
// system prompt's last partial block are fed.
//
// Rates are per CPU second of the calling thread (Google Benchmark's default): run with
// OMP_NUM_THREADS=1 so that this is all the work, and the other processes of a shared machine, which
// stretch the wall time ("Time"), do not count.
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kvlm/cache/make_kv_cache.hpp"
#include "kvlm/generate/generate.hpp"
#include "kvlm/model/random_weights.hpp"

namespace kvlm {
namespace {

constexpr int kSteps = 8;          // decode steps timed per run: the cache grows by 8 positions, <2% of 512
constexpr int kWindow = 512;       // --kv-window for the window variant
constexpr int kSinks = 4;          // --kv-sinks
constexpr int kSystemPrompt = 500;  // tokens shared by every request (not a multiple of the block: a partial block)
constexpr int kQuestion = 16;      // tokens of each request's own question

const Model& smollm2() {
  static const Model model = random_model(smollm2_135m_config());
  return model;
}

KVCacheOptions options_for(const std::string& kind) {
  KVCacheOptions o;
  o.kind = kind;
  o.window = kWindow;
  o.sinks = kSinks;
  return o;
}

// Writes n random positions into every layer, in chunks as a chunked prefill would.
void fill_randomly(KVCache& cache, const ModelConfig& c, int n) {
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  constexpr int kChunk = 256;
  for (int start = 0; start < n; start += kChunk) {
    const int t = std::min(kChunk, n - start);
    Matrix k(t, c.kv_dim()), v(t, c.kv_dim());
    for (Eigen::Index i = 0; i < k.size(); ++i) k.data()[i] = normal(rng), v.data()[i] = normal(rng);
    for (int l = 0; l < c.num_hidden_layers; ++l) cache.update(l, start, k, v);
  }
}

void BM_Decode(benchmark::State& state, const std::string& kind) {
  const Model& model = smollm2();
  const ModelConfig& c = model.config;
  const int cached = static_cast<int>(state.range(0));
  std::unique_ptr<KVCache> cache;
  for (auto _ : state) {
    state.PauseTiming();
    cache = make_kv_cache(c, options_for(kind), cached + kSteps);
    fill_randomly(*cache, c, cached);
    state.ResumeTiming();
    int id = 1;
    for (int s = 0; s < kSteps; ++s) {
      const Matrix logits = forward(model, std::span<const int>(&id, 1), cache->length(), cache.get());
      id = static_cast<int>(s * 97 % c.vocab_size);  // the next token: its value does not change the cost
      benchmark::DoNotOptimize(logits.data());
    }
  }
  state.counters["cached_positions"] = cached;
  state.counters["decode_tok_per_s"] =
      benchmark::Counter(static_cast<double>(kSteps) * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["kv_bytes_allocated"] = static_cast<double>(cache->bytes());
  state.counters["kv_bytes_read"] = static_cast<double>(cache->bytes_used());
  state.counters["weight_bytes"] = 4.0 * static_cast<double>(parameter_count(model));
}

std::vector<int> request(int question) {
  std::vector<int> ids(kSystemPrompt + kQuestion);
  for (int i = 0; i < kSystemPrompt; ++i) ids[i] = (i * 37 + 11) % 49152;  // the shared system prompt
  for (int i = 0; i < kQuestion; ++i) ids[kSystemPrompt + i] = (question * 1009 + i * 13 + 5) % 49152;
  return ids;
}

// Time to the first token of a request, with or without the system prompt's blocks already cached.
// Without: a fresh paged cache (its own empty pool) per request, so the whole prompt is prefilled.
// With: one cache on one pool, as a server keeps it, warmed by a first request; generate_cached asks
// the empty cache to reuse_prefix(prompt), which attaches the system prompt's full blocks.
void BM_FirstToken(benchmark::State& state, bool reuse) {
  const Model& model = smollm2();
  GenerationConfig config;
  config.max_new_tokens = 1;  // the first token only: prefill + sampling
  config.stop_at_eos = false;
  config.kv_cache = options_for("paged");
  const int room = kSystemPrompt + kQuestion;
  std::unique_ptr<KVCache> cache = make_kv_cache(model.config, config.kv_cache, 2 * room);
  if (reuse) generate_cached(model, request(0), config, {}, cache.get());
  int question = 1;
  Generation g;
  for (auto _ : state) {
    state.PauseTiming();
    if (reuse) cache->clear();  // the previous request ends; its published blocks stay in the pool
    else cache = make_kv_cache(model.config, config.kv_cache, 2 * room);
    const std::vector<int> prompt = request(question++);
    state.ResumeTiming();
    g = generate_cached(model, prompt, config, {}, cache.get());
    benchmark::DoNotOptimize(g.tokens.data());
  }
  state.counters["prompt_tokens"] = room;
  state.counters["reused_positions"] = g.stats.reused_positions;
  state.counters["fed_positions"] = room - g.stats.reused_positions;
  state.counters["time_to_first_token_ms"] = g.stats.prefill_ms;
}

void register_all() {
  for (const std::string kind : {"contiguous", "paged", "fp16", "int8", "window"})
    benchmark::RegisterBenchmark(("BM_Decode/" + kind).c_str(), BM_Decode, kind)
        ->Arg(512)
        ->Arg(4096)
        ->Iterations(2)
        ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_FirstToken/no_reuse", BM_FirstToken, false)->Iterations(2)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_FirstToken/prefix_reuse", BM_FirstToken, true)->Iterations(2)->Unit(benchmark::kMillisecond);
}

}  // namespace
}  // namespace kvlm

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  kvlm::register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
