// Chapter 08 demo: one Q4_1 (or Q8_0/Q4_0) block taken apart byte by byte, the same row multiplied the
// readable way and the fast way, then the whole model on its blocks against the same file widened to
// fp32: the bytes each decode step reads, the logits, the tokens and the time.
// Not a benchmark (benchmarks/vs_llama_cpp.py is): one run each.
//
//   ch08_demo [MODEL.gguf] [N]   (default: SmolLM2's Q4_1 GGUF when models/ has it)
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "common/demo.hpp"
#include "kvlm/generate/generate.hpp"
#include "kvlm/io/dtype.hpp"
#include "kvlm/io/gguf_quant.hpp"
#include "kvlm/model/quantized.hpp"

using namespace kvlm;

namespace {

// The first block of a weight's first row, as stored: its header, its 32 codes and their values.
void show_block(const QuantizedMatrix& w) {
  const std::byte* block = w.row(0);
  const std::string type = gguf::ggml_type_name(w.type);
  std::printf("the first block of layer 0's q_proj (%s, %lld bytes for 32 values):\n  bytes:", type.c_str(),
              static_cast<long long>(w.block_bytes()));
  for (int i = 0; i < w.block_bytes(); ++i) std::printf("%s%02x", i % 16 == 0 && i ? "\n         " : " ", unsigned(block[i]));
  const float d = fp16_to_fp32(load_le<uint16_t>(block));
  std::printf("\n  d = fp16 %02x%02x = %.6g", unsigned(block[1]), unsigned(block[0]), d);
  if (type == "Q4_1") std::printf(", m = %.6g", fp16_to_fp32(load_le<uint16_t>(block + 2)));
  float values[32];
  gguf::dequantize(w.type, {block, static_cast<size_t>(w.block_bytes())}, values);
  std::printf("\n  values: ");
  for (int i = 0; i < 32; ++i) std::printf("%s%.4f", i % 8 == 0 && i ? "\n          " : " ", values[i]);
  std::printf("\n\n");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const chapters::DemoModel d = chapters::load_demo_model(std::min(argc, 2), argv, /*keep the blocks*/ {});
    const Model& blocks = d.model;
    if (!blocks.weights.layers[0].q_proj.quantized()) {
      std::cerr << "ch08_demo: " << d.path << " holds no Q8_0/Q4_0/Q4_1 weights: give it a quantized GGUF "
                << "(kvlm quantize -m MODEL.gguf --type q4_1 -o OUT.gguf)\n";
      return 1;
    }
    const Model fp32 = load_model(d.path, {.dequantize = true});  // the same values, widened: chapters 04-06
    const QuantizedMatrix& q = blocks.weights.layers[0].q_proj.blocks();
    show_block(q);

    // One row, two ways (quantized.hpp): block by block in fp32, and in integers after rounding x.
    std::vector<float> x(q.cols);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 7) - 3.0f;
    const QuantizedActivations xq = quantize_activations(x);
    const RowVector w0 = fp32.weights.layers[0].q_proj.fp32().row(0);
    std::printf("row 0 . x: fp32 %.6f   readable twin %.6f   fast (16-bit x, integer dots) %.6f\n\n",
                w0.dot(Eigen::Map<const RowVector>(x.data(), q.cols)), dot_dequantized(q, 0, x.data()),
                dot_int(q, 0, xq));

    // What a decode step reads: every projection once (the tied head counts once).
    std::printf("weights read per decode step: %s %.1f kB, fp32 %.1f kB (%.1fx less)\n", linear_formats(blocks).c_str(),
                linear_bytes(blocks) / 1e3, linear_bytes(fp32) / 1e3,
                static_cast<double>(linear_bytes(fp32)) / static_cast<double>(linear_bytes(blocks)));

    const std::vector<int> prompt = d.tokenizer ? chapters::demo_prompt(d, "The capital of France is")
                                                : std::vector<int>{1, 17, 42, 9, 88, 3, 61};  // ids of any tiny vocabulary
    GenerationConfig config;
    config.max_new_tokens = argc > 2 ? std::stoi(argv[2]) : 32;
    config.stop_at_eos = false;
    const Generation a = generate_cached(blocks, prompt, config), b = generate_cached(fp32, prompt, config);
    const auto rate = [](const Generation& g) { return 1000.0 * (g.tokens.size() - 1) / std::max(g.stats.decode_ms, 1e-9); };
    std::printf("decode: blocks %.1f tok/s, fp32 %.1f tok/s (%.2fx)\n", rate(a), rate(b), rate(a) / rate(b));
    const Matrix prefill_a = forward(blocks, prompt, 0, nullptr), prefill_b = forward(fp32, prompt, 0, nullptr);
    std::printf("prefill logits (fp32 tiles of the blocks): max |diff| from fp32 = %.3g\n",
                (prefill_a - prefill_b).cwiseAbs().maxCoeff());
    size_t same = 0;
    while (same < a.tokens.size() && a.tokens[same] == b.tokens[same]) ++same;
    std::printf("greedy tokens: %zu of %zu the same as fp32's\n", same, a.tokens.size());
    if (d.tokenizer) std::printf("text: %s\n", d.tokenizer->decode(a.tokens).c_str());
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "ch08_demo: " << e.what() << "\n";
    return 1;
  }
}
