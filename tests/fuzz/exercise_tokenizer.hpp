// After a fuzzed tokenizer file loaded: use it the way kvlm does (encode, decode, lookups), so a
// vocabulary that loads but is inconsistent shows up as a crash here rather than in a user's chat.
// Not a correctness check: any result is fine, kvlm::Error included (the caller allows it).
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "kvlm/tokenizer/tokenizer.hpp"

namespace kvlm::fuzz {

inline void exercise_tokenizer(const Tokenizer& tok) {
  const int n = tok.vocab_size();
  // A few ids from each end of the vocabulary, and the ones just outside it (refused with Error).
  std::vector<int> ids;
  for (int id = 0; id < std::min(n, 64); ++id) ids.push_back(id);
  for (int id = std::max(64, n - 16); id < n; ++id) ids.push_back(id);
  for (int id : ids) {
    const std::string piece = tok.token(id);
    (void)tok.token_to_id(piece);
  }
  (void)tok.bos_id();
  (void)tok.eos_id();
  (void)tok.decode(ids);
  for (const char* text : {"Hello world", " hello\n\nworld  123 4567", "h\xc3\xa9llo \xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\x98\x80",
                           "<s>a</s><unk><|endoftext|>", "\t \r\n", ""}) {
    for (bool special : {false, true}) {
      const std::vector<int> enc = tok.encode(text, special);
      (void)tok.decode(enc);
    }
  }
}

}  // namespace kvlm::fuzz
