// load_model: the one entry point from a path on disk to a Model in memory.
// Not a format: it picks the reader by path (HF folder, .gguf, llama2.c .bin) and checks the result.
#pragma once

#include <filesystem>
#include <memory>

#include "kvlm/io/tensor_file.hpp"
#include "kvlm/config.hpp"
#include "kvlm/model/weights.hpp"

namespace kvlm {

// What each format reader returns: the config and the tensors under HF names.
struct ModelSource {
  ModelConfig config;
  std::unique_ptr<TensorFile> tensors;
};

ModelSource open_hf_folder(const std::filesystem::path& folder);  // io/hf_folder.cpp
ModelSource open_llama2c(const std::filesystem::path& bin);       // io/llama2c.cpp
ModelSource open_gguf(const std::filesystem::path& gguf);         // io/gguf_model.cpp

// How load_model reads the weights, and what it checks beyond names and shapes.
struct LoadOptions {
  bool check_tensors = false;  // every weight must be finite (FiniteTensors); costs one pass over them
  // Q8_0/Q4_0/Q4_1/Q5_0/Q4_K/Q6_K projections stay in their blocks (linear() multiplies them in place) unless this
  // asks for fp32 copies: `--dequantize`, chapter 05-07's exact path. Other types are always widened.
  bool dequantize = false;
};

// Builds Weights by HF name, checking every shape against the config (io/weights.cpp).
Weights load_weights(const ModelConfig& config, const TensorFile& tensors, const LoadOptions& options = {});

// HF folder (config.json + model.safetensors[.index.json]), *.gguf or llama2.c *.bin.
Model load_model(const std::filesystem::path& path, const LoadOptions& options = {});

}  // namespace kvlm
