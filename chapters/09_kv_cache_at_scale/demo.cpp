// Chapter 09 demo: one greedy generation with every KV cache variant (what each holds, where the
// lossy ones first write a different token), a paged sequence's block table, a second prompt that
// reuses the first one's blocks, and a window that generates past the model's context in fixed memory.
// Not a benchmark (benchmarks/bench_kv_cache is): one run each, timed as generate_cached times it.
//
//   ch09_demo [MODEL] [N]   MODEL: HF folder, .gguf or llama2.c .bin (default: SmolLM2, else a fixture)
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "common/demo.hpp"
#include "kvlm/cache/block_pool.hpp"
#include "kvlm/cache/make_kv_cache.hpp"
#include "kvlm/cache/paged.hpp"
#include "kvlm/generate/generate.hpp"

using namespace kvlm;

namespace {

constexpr int kBlock = 16;   // --kv-block: positions per paged block (vLLM's default)
constexpr int kWindow = 32;  // --kv-window: recent positions the window keeps
constexpr int kSinks = 4;    // --kv-sinks: first positions it keeps for ever (StreamingLLM's 4)

// How many tokens two generations share before the first difference.
size_t same_prefix(const std::vector<int>& a, const std::vector<int>& b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  return n;
}

std::string table_string(const std::vector<int>& table) {
  std::string s = "[";
  for (size_t i = 0; i < table.size(); ++i) s += (i ? ", " : "") + std::to_string(table[i]);
  return s + "]";
}

// Part 1: the same prompt, greedy, with each kind. The contiguous cache is the reference.
void every_variant(const chapters::DemoModel& d, const std::vector<int>& prompt, GenerationConfig config) {
  std::printf("%-11s %-16s %14s %14s %12s   %s\n", "--kv-cache", "options", "bytes alloc.", "bytes used",
              "decode ms/t", "same tokens as contiguous");
  std::vector<int> reference;
  for (const std::string& kind : kv_cache_kinds()) {
    config.kv_cache = {.kind = kind, .block = kBlock, .window = kWindow, .sinks = kSinks};
    const Generation g = generate_cached(d.model, prompt, config);
    if (kind == "contiguous") reference = g.tokens;
    const std::string options = kind == "paged"    ? "block " + std::to_string(kBlock)
                                : kind == "window" ? "W " + std::to_string(kWindow) + ", S " + std::to_string(kSinks)
                                                   : "";
    const size_t same = same_prefix(g.tokens, reference);
    const std::string verdict = same == reference.size() && g.tokens.size() == reference.size()
                                    ? "all " + std::to_string(same)
                                    : "the first " + std::to_string(same) + " of " + std::to_string(reference.size());
    std::printf("%-11s %-16s %14zu %14zu %12.2f   %s\n", kind.c_str(), options.c_str(), g.stats.kv_cache_bytes,
                g.stats.kv_cache_bytes_used, g.stats.decode_ms / std::max<size_t>(g.tokens.size() - 1, 1),
                verdict.c_str());
  }
  std::printf("(the text is %zu positions; the window keeps %d + %d of them)\n\n",
              prompt.size() + config.max_new_tokens - 1, kSinks, kWindow);
}

// Part 2: two prompts with a common start on one pool: the second attaches the first's full blocks.
void prefix_reuse(const chapters::DemoModel& d, const std::vector<int>& first, const std::vector<int>& second) {
  GenerationConfig config;
  config.max_new_tokens = 8;
  const int room = static_cast<int>(std::max(first.size(), second.size())) + config.max_new_tokens;
  auto pool = std::make_shared<BlockPool>(d.model.config, kBlock, 2 * ((room + kBlock - 1) / kBlock));
  PagedKVCache a(d.model.config, pool), b(d.model.config, pool);
  const size_t shared = same_prefix(first, second);
  std::printf("two prompts of %zu and %zu tokens, the first %zu the same; one pool of %d blocks of %d positions\n",
              first.size(), second.size(), shared, pool->num_blocks(), kBlock);
  for (auto [name, prompt, cache] : {std::tuple{"first ", &first, &a}, std::tuple{"second", &second, &b}}) {
    const Generation g = generate_cached(d.model, *prompt, config, {}, cache);
    std::printf("  %s: reused %3d positions, fed %3zu, time to first token %7.1f ms, block table %s\n", name,
                g.stats.reused_positions, prompt->size() - g.stats.reused_positions, g.stats.prefill_ms,
                table_string(cache->block_table()).c_str());
  }
  std::printf("  block %d is held by both sequences: ref count %d\n\n", a.block_table()[0],
              pool->ref_count(a.block_table()[0]));
}

// Part 3: a window cache runs past the model's context, and its memory does not grow.
void past_the_context(const chapters::DemoModel& d, const std::vector<int>& prompt) {
  const int context = d.model.config.max_position_embeddings;
  GenerationConfig config;
  config.max_new_tokens = 2 * context;
  config.stop_at_eos = false;
  config.kv_cache = {.kind = "window", .window = kWindow, .sinks = kSinks};
  std::unique_ptr<KVCache> cache = make_kv_cache(d.model.config, config.kv_cache, 0);
  const size_t before = cache->bytes();
  const Generation g = generate_cached(d.model, prompt, config, {}, cache.get());
  std::printf("window W %d, S %d: %zu new tokens on a model whose context is %d; fed %d positions, keeps %zu:\n"
              "  %zu bytes allocated before and %zu after\n",
              kWindow, kSinks, g.tokens.size(), context, cache->length(),
              cache->bytes_used() / KVCache::bytes_per_token(d.model.config), before, cache->bytes());
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const chapters::DemoModel d = chapters::load_demo_model(std::min(argc, 2), argv);
    const ModelConfig& c = d.model.config;
    const std::vector<int> prompt = chapters::demo_prompt(d, "Once upon a time, in a small village,");
    GenerationConfig config;  // greedy, and all N steps: the variants are compared token by token
    config.stop_at_eos = false;
    config.max_new_tokens =
        argc > 2 ? std::stoi(argv[2]) : std::min(64, c.max_position_embeddings - static_cast<int>(prompt.size()));
    std::printf("prompt: %zu tokens; %d new tokens, greedy, with each KV cache\n\n", prompt.size(),
                config.max_new_tokens);
    every_variant(d, prompt, config);

    // A shared start (a system prompt) and two different endings.
    std::vector<int> system = chapters::demo_prompt(
        d, "You are a careful assistant for a small town library. You answer questions about books, opening "
           "hours and events in one short sentence, and you say so when you do not know the answer.");
    while (system.size() < 2 * kBlock + 5) {  // at least two full blocks (the fixture's prompt is 6 ids)
      const std::vector<int> copy = system;
      system.insert(system.end(), copy.begin(), copy.end());
    }
    std::vector<int> first = system, second = system;
    first.insert(first.end(), {prompt.back(), prompt.front()});
    second.insert(second.end(), {prompt.front(), prompt.back(), prompt.front()});
    prefix_reuse(d, first, second);

    if (c.max_position_embeddings <= 1024) past_the_context(d, prompt);
    else std::printf("(past the context: %d positions take minutes here; the fixture shows it in seconds)\n",
                     c.max_position_embeddings);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "ch09_demo: " << e.what() << "\n";
    return 1;
  }
}
