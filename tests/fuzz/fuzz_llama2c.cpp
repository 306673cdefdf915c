// Fuzzes llama2.c's legacy .bin checkpoint: the 7-int header, then load_model's whole path (the
// config it implies, every tensor's offset and shape, load_weights).
// Bug: anything but returning or throwing kvlm::Error. The input is at most -max_len bytes, so a
// header that makes kvlm allocate far more than the file holds (OOM) is a bug too.
#include "fuzz_common.hpp"
#include "kvlm/io/load.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = kvlm::fuzz::write_input(data, size, "model.bin");
  kvlm::fuzz::allow_kvlm_error([&] { (void)kvlm::load_model(path); });
  return 0;
}
