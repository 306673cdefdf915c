// Fuzzes an HF config.json: read_hf_config (JSON parse, then config_from_hf_json for every model
// type kvlm knows, rope scaling variants included).
// Bug: anything but returning or throwing kvlm::Error; a nlohmann::json exception escaping is one.
#include "fuzz_common.hpp"
#include "kvlm/io/hf_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = kvlm::fuzz::write_input(data, size, "config.json");
  kvlm::fuzz::allow_kvlm_error([&] { (void)kvlm::read_hf_config(path); });
  return 0;
}
