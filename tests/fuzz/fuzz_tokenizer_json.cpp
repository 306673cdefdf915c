// Fuzzes an HF tokenizer.json: read_tokenizer_json (model, added tokens, normalizer, pre-tokenizer,
// decoder), then encode/decode with whatever loaded.
// Bug: anything but returning or throwing kvlm::Error (a sanitizer report, another exception, a
// hang past -timeout, memory past -rss_limit_mb).
#include "exercise_tokenizer.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = kvlm::fuzz::write_input(data, size, "tokenizer.json");
  kvlm::fuzz::allow_kvlm_error([&] { kvlm::fuzz::exercise_tokenizer(*kvlm::load_tokenizer(path)); });
  return 0;
}
