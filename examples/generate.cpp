// A program that uses kvlm as a library: load a model and its tokenizer, generate greedily, print.
// Built against the installed package (find_package(kvlm)); see examples/CMakeLists.txt.
#include <cstdio>
#include <kvlm/kvlm.hpp>

int main(int argc, char** argv) {
  if (argc < 3) return std::fprintf(stderr, "usage: %s MODEL PROMPT\n", argv[0]), 2;
  try {
    const kvlm::Model model = kvlm::load_model(argv[1]);
    const auto tokenizer = kvlm::load_tokenizer(argv[1]);  // a .gguf carries its tokenizer
    const std::vector<int> prompt = tokenizer->encode(argv[2], /*add_special_tokens=*/true);
    kvlm::GenerationConfig config;
    config.max_new_tokens = 16;  // it stops earlier at the model's EOS
    const kvlm::Generation out = kvlm::generate_cached(model, prompt, config);
    std::printf("%s%s\n", argv[2], tokenizer->decode(out.tokens).c_str());
  } catch (const kvlm::Error& e) {
    return std::fprintf(stderr, "error: %s\n", e.what()), 1;
  }
}
