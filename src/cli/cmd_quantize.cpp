// kvlm quantize: an HF folder or a GGUF -> a GGUF whose weight matrices are Q8_0, Q4_0, Q4_1, F16 or
// F32 (io/gguf_writer.cpp; from a folder, io/gguf_from_hf.cpp names and lays out the tensors as
// llama.cpp's converter does). Not llama-quantize or convert_hf_to_gguf.py: no K-quants, no importance
// matrix, the architectures kvlm runs only, and a vocabulary only from a byte-level BPE tokenizer.json.
#include <cstdio>
#include <filesystem>
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
  auto* cmd = app.add_subcommand(
      "quantize", "Write a GGUF from an HF folder or a GGUF, its weight matrices in q8_0, q4_0, q4_1, f16 or f32");
  cmd->add_option("-m,--model", a->model, "an HF folder (config.json + safetensors [+ tokenizer.json]) or a .gguf")
      ->required()
      ->check(CLI::ExistingPath);
  const std::map<std::string, gguf::TensorType> types{{"q8_0", gguf::TensorType::kQ8_0},
                                                      {"q4_0", gguf::TensorType::kQ4_0},
                                                      {"q4_1", gguf::TensorType::kQ4_1},
                                                      {"f16", gguf::TensorType::kF16},
                                                      {"f32", gguf::TensorType::kF32}};
  cmd->add_option("--type", a->type, "q8_0, q4_0, q4_1, f16 or f32 (4-bit files keep the output head at q8_0)")
      ->required()
      ->check(CLI::IsMember(types));
  cmd->add_option("-o,--out", a->out, "the GGUF to write")->required();
  cmd->callback([a, types] {
    const gguf::TensorType type = types.at(a->type);
    gguf::QuantizeReport r;
    if (std::filesystem::is_directory(a->model))
      r = gguf::quantize_hf_folder(a->model, a->out, type);
    else if (a->model.ends_with(".gguf"))
      r = gguf::quantize_gguf(a->model, a->out, type);
    else
      throw Error(a->model + " is neither an HF model folder nor a .gguf file; kvlm quantize reads those two");
    for (const std::string& w : r.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    std::printf("%s: %d of %d tensors in %s; tensor data %.1f MB -> %.1f MB\n", a->out.c_str(), r.quantized,
                r.tensors, a->type.c_str(), r.bytes_in / 1e6, r.bytes_out / 1e6);
  });
}

}  // namespace kvlm::cli
