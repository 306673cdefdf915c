// Fuzzes llama2.c's tokenizer.bin (max_token_length, then score / length / bytes per token), then
// encode/decode with whatever loaded.
// Bug: anything but returning or throwing kvlm::Error.
#include "exercise_tokenizer.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = kvlm::fuzz::write_input(data, size, "tokenizer.bin");
  kvlm::fuzz::allow_kvlm_error([&] { kvlm::fuzz::exercise_tokenizer(*kvlm::load_tokenizer(path)); });
  return 0;
}
