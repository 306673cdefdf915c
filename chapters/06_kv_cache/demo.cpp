// Chapter 06 demo: the same greedy generation as chapter 05, with and without the KV cache: the
// same tokens, a flat time per token with the cache, and what the cache costs in memory.
// Not a benchmark (benchmarks/ has those): one run each, timed step by step.
//
//   ch06_demo [MODEL] [N]   MODEL: HF folder, .gguf or llama2.c .bin (default: SmolLM2, else a fixture)
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "common/demo.hpp"
#include "kvlm/cache/contiguous.hpp"
#include "kvlm/generate/generate.hpp"

using namespace kvlm;

int main(int argc, char** argv) {
  try {
    const chapters::DemoModel d = chapters::load_demo_model(std::min(argc, 2), argv);
    const ModelConfig& c = d.model.config;
    const std::vector<int> prompt = chapters::demo_prompt(d, "Once upon a time, in a small village,");
    GenerationConfig config;  // greedy (temperature 0), stops at the model's EOS
    config.max_new_tokens =
        argc > 2 ? std::stoi(argv[2]) : std::min(80, c.max_position_embeddings - static_cast<int>(prompt.size()));

    std::printf("prompt: %zu tokens; generating %d greedily, naive (chapter 05) and cached (chapter 06)\n\n",
                prompt.size(), config.max_new_tokens);
    const Generation naive = generate_naive(d.model, prompt, config);
    const Generation cached = generate_cached(d.model, prompt, config);

    std::printf("%6s %12s %12s %14s %12s\n", "step", "naive: fed", "naive ms", "cached: fed", "cached ms");
    const size_t n = std::min(naive.stats.step_ms.size(), cached.stats.step_ms.size());
    for (size_t i = 0; i < n; ++i)
      if (i < 3 || i % 10 == 0 || i + 1 == n)
        std::printf("%6zu %12zu %12.3f %14zu %12.3f\n", i, prompt.size() + i, naive.stats.step_ms[i],
                    i == 0 ? prompt.size() : size_t{1}, cached.stats.step_ms[i]);
    const double naive_total = naive.stats.prefill_ms + naive.stats.decode_ms;
    const double cached_total = cached.stats.prefill_ms + cached.stats.decode_ms;
    std::printf("\ntotal: naive %.1f ms, cached %.1f ms (%.1fx faster); decode per token: naive %.3f ms, cached %.3f ms\n",
                naive_total, cached_total, naive_total / cached_total,
                naive.stats.decode_ms / static_cast<double>(std::max<size_t>(n - 1, 1)),
                cached.stats.decode_ms / static_cast<double>(std::max<size_t>(n - 1, 1)));

    const bool same = naive.tokens == cached.tokens;
    std::printf("same tokens: %s (%zu tokens)\n", same ? "yes" : "NO", cached.tokens.size());
    if (d.tokenizer) std::printf("text: %s\n", d.tokenizer->decode(cached.tokens).c_str());

    // Memory: K and V, every layer, kv_heads * head_dim floats each, for every position.
    const size_t per_token = KVCache::bytes_per_token(c);
    std::printf("\nKV cache: %zu bytes for %zu positions = %zu bytes per token\n", cached.stats.kv_cache_bytes,
                cached.stats.kv_cache_bytes / per_token, per_token);
    std::printf("  = 2 (K and V) x %d layers x %d KV heads x %d head_dim x 4 bytes (fp32)\n", c.num_hidden_layers,
                c.num_key_value_heads, c.head_dim);
    std::printf("  with MHA (%d KV heads) it would be %zu bytes per token; the full context of %d positions: %.2f MiB\n",
                c.num_attention_heads, per_token * c.num_attention_heads / c.num_key_value_heads,
                c.max_position_embeddings,
                static_cast<double>(per_token) * c.max_position_embeddings / (1024.0 * 1024.0));
    return same ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "ch06_demo: " << e.what() << "\n";
    return 1;
  }
}
