// Fuzzes a model.safetensors: the 8-byte length and JSON header (dtype, shape, data_offsets of each
// tensor, __metadata__), every tensor read as fp32 or as ints, then load_model on a folder that
// pairs the file with a fixed config.json (data/models/llama-mha's), so read_checked and
// load_weights see the fuzzed tensors too.
// Bug: anything but returning or throwing kvlm::Error.
#include "fuzz_common.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/io/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using kvlm::fuzz::allow_kvlm_error;
  static const bool has_config = [] {
    std::error_code ec;
    std::filesystem::create_directories(kvlm::fuzz::scratch_dir() / "hf", ec);
    std::filesystem::copy_file(std::filesystem::path(KVLM_DATA_DIR) / "models/llama-mha/config.json",
                               kvlm::fuzz::scratch_dir() / "hf/config.json",
                               std::filesystem::copy_options::overwrite_existing, ec);
    return !ec;
  }();
  const auto path = kvlm::fuzz::write_input(data, size, "hf/model.safetensors");
  allow_kvlm_error([&] {
    const kvlm::SafetensorsFile file(path);
    (void)file.metadata();
    (void)file.describe();
    for (const std::string& name : file.names()) {
      allow_kvlm_error([&] {
        (void)file.shape(name);
        const std::string& dtype = file.dtype(name);
        if (dtype == "I64" || dtype == "I32") (void)file.read_ints(name);
        else (void)file.read(name);
      });
    }
  });
  if (has_config) allow_kvlm_error([&] { (void)kvlm::load_model(path.parent_path()); });
  return 0;
}
