// Fuzzes a .gguf: GgufFile (header, typed metadata, tensor infos, alignment), every metadata value's
// summary, the tokenizer.ggml.* extraction and the tokenizer built from it (then encode/decode),
// config_from_gguf, every tensor read through the HF view (dequantized), and load_model.
// Bug: anything but returning or throwing kvlm::Error.
#include <memory>

#include "exercise_tokenizer.hpp"
#include "fuzz_common.hpp"
#include "kvlm/io/gguf.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/tokenizer/gguf_tokenizer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using kvlm::fuzz::allow_kvlm_error;
  namespace gguf = kvlm::gguf;
  const auto path = kvlm::fuzz::write_input(data, size, "model.gguf");
  bool parsed = false;
  allow_kvlm_error([&] {
    const auto file = std::make_shared<const gguf::GgufFile>(path);
    parsed = true;
    for (const auto& [key, value] : file->metadata()) (void)value.summary();
    allow_kvlm_error([&] { (void)file->architecture(); });
    allow_kvlm_error([&] { (void)gguf::read_tokenizer_data(*file); });
    allow_kvlm_error([&] { (void)gguf::config_from_gguf(*file); });
    allow_kvlm_error([&] {
      const gguf::GgufTensorFile tensors(file);
      (void)tensors.describe();
      for (const std::string& name : tensors.names())
        allow_kvlm_error([&] {
          (void)tensors.shape(name);
          (void)tensors.read(name);
        });
    });
  });
  if (!parsed) return 0;  // the loaders below would only fail the same way again
  allow_kvlm_error([&] { kvlm::fuzz::exercise_tokenizer(*kvlm::load_gguf_tokenizer(path)); });
  allow_kvlm_error([&] { (void)kvlm::load_model(path); });
  return 0;
}
