// Chapter 05 demo: greedy generation with the naive loop, which runs the whole sequence through
// the model again for every new token: the time per token grows with the length.
// Not the fast way: chapter 06's demo generates the same tokens with a KV cache.
//
//   ch05_demo [MODEL] [N]   MODEL: HF folder, .gguf or llama2.c .bin (default: SmolLM2, else a fixture)
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "common/demo.hpp"
#include "kvlm/generate/generate.hpp"

using namespace kvlm;

int main(int argc, char** argv) {
  try {
    const chapters::DemoModel d = chapters::load_demo_model(std::min(argc, 2), argv);
    const std::vector<int> prompt = chapters::demo_prompt(d, "Once upon a time, in a small village,");
    const int context = d.model.config.max_position_embeddings;
    GenerationConfig config;  // greedy (temperature 0), stops at the model's EOS
    config.max_new_tokens = argc > 2 ? std::stoi(argv[2]) : std::min(80, context - static_cast<int>(prompt.size()));

    std::printf("prompt: %zu tokens; generating %d greedily, naive: every step re-reads the whole sequence\n\n",
                prompt.size(), config.max_new_tokens);
    const Generation g = generate_naive(d.model, prompt, config);

    std::printf("%6s %14s %10s\n", "step", "tokens fed", "ms");
    const size_t n = g.stats.step_ms.size();
    for (size_t i = 0; i < n; ++i)
      if (i < 3 || i % 10 == 0 || i + 1 == n)  // a sample of the steps, always the first and the last
        std::printf("%6zu %14zu %10.3f\n", i, prompt.size() + i, g.stats.step_ms[i]);

    const double first_decode = n > 1 ? g.stats.step_ms[1] : 0, last = g.stats.step_ms.back();
    std::printf("\nlast step / first decode step: %.1fx the time, %.1fx the tokens fed\n", last / first_decode,
                static_cast<double>(prompt.size() + n - 1) / static_cast<double>(prompt.size() + 1));
    std::printf("total %.1f ms for %zu tokens: %.1f tokens/s\n", g.stats.prefill_ms + g.stats.decode_ms, n,
                1000.0 * static_cast<double>(n) / (g.stats.prefill_ms + g.stats.decode_ms));
    std::printf("\ngenerated ids:");
    for (int id : g.tokens) std::printf(" %d", id);
    std::printf("\n");
    if (d.tokenizer) std::printf("text: %s\n", d.tokenizer->decode(g.tokens).c_str());
  } catch (const std::exception& e) {
    std::cerr << "ch05_demo: " << e.what() << "\n";
    return 1;
  }
}
