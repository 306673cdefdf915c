// kvlm quantize: a GGUF -> the same model with its weight matrices in Q8_0, Q4_0, Q4_1, F16 or F32
// (io/gguf_writer.cpp). Not llama-quantize: no K-quants, no importance matrix, GGUF input only.
#include <cstdio>
#include <map>

#include "cli/commands.hpp"
#include "kvlm/error.hpp"
#include "kvlm/io/gguf_writer.hpp"

namespace kvlm::cli {

void add_quantize(CLI::App& app) {
  struct Args {
    std::string model, type, out;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("quantize", "Write a GGUF with its weight matrices in another type (q8_0, q4_0, q4_1, f16, f32)");
  cmd->add_option("-m,--model", a->model, "the GGUF to read")->required()->check(CLI::ExistingFile);
  const std::map<std::string, gguf::TensorType> types{{"q8_0", gguf::TensorType::kQ8_0},
                                                      {"q4_0", gguf::TensorType::kQ4_0},
                                                      {"q4_1", gguf::TensorType::kQ4_1},
                                                      {"f16", gguf::TensorType::kF16},
                                                      {"f32", gguf::TensorType::kF32}};
  cmd->add_option("--type", a->type, "q8_0, q4_0, q4_1, f16 or f32")->required()->check(CLI::IsMember(types));
  cmd->add_option("-o,--out", a->out, "the GGUF to write")->required();
  cmd->callback([a, types] {
    if (!a->model.ends_with(".gguf"))
      throw Error("kvlm quantize reads GGUF files; convert an HF folder with llama.cpp's convert_hf_to_gguf.py first");
    const gguf::QuantizeReport r = gguf::quantize_gguf(a->model, a->out, types.at(a->type));
    std::printf("%s: %d of %d tensors in %s; tensor data %.1f MB -> %.1f MB\n", a->out.c_str(), r.quantized,
                r.tensors, a->type.c_str(), r.bytes_in / 1e6, r.bytes_out / 1e6);
  });
}

}  // namespace kvlm::cli
