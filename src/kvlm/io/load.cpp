// load_model: path -> format reader -> Weights; see load.hpp.
#include "kvlm/io/load.hpp"

#include "kvlm/error.hpp"

namespace kvlm {

Model load_model(const std::filesystem::path& path, const LoadOptions& options) {
  if (!std::filesystem::exists(path)) throw Error("model path " + path.string() + " does not exist");
  ModelSource source;
  if (std::filesystem::is_directory(path)) source = open_hf_folder(path);
  else if (path.extension() == ".gguf") source = open_gguf(path);
  else if (path.extension() == ".bin") source = open_llama2c(path);
  else if (path.filename() == "model.safetensors" || path.filename() == "config.json") source = open_hf_folder(path.parent_path());
  else throw Error("cannot tell the format of " + path.string() + " (expected an HF folder, a .gguf or a llama2.c .bin)");
  const FiniteTensors finite(*source.tensors);
  const TensorFile& tensors = options.check_tensors ? static_cast<const TensorFile&>(finite) : *source.tensors;
  return Model{source.config, load_weights(source.config, tensors, options)};
}

}  // namespace kvlm
