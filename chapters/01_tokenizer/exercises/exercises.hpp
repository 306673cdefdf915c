// Chapter 01 exercises: the byte-level mapping and the BPE merge loop, with the library's signatures.
// Not the solutions: with KVLM_EXERCISE_SOLUTIONS defined, these names are the library's own.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kvlm/tokenizer/bpe_model.hpp"
#include "kvlm/tokenizer/byte_level.hpp"

#ifdef KVLM_EXERCISE_SOLUTIONS

namespace kvlm::exercises {
namespace byte_level = kvlm::byte_level;  // src/kvlm/tokenizer/byte_level.cpp
using kvlm::BpeModel;                     // src/kvlm/tokenizer/bpe_model.cpp
}  // namespace kvlm::exercises

#else

namespace kvlm::exercises {

namespace byte_level {
// Exercise 1 (byte_level.cpp). GPT-2's bytes_to_unicode: maps every byte of `bytes` to its
// stand-in character, UTF-8 encoded, e.g. " Hi\n" -> "ĠHiĊ". As kvlm::byte_level::encode.
std::string encode(std::string_view bytes);
}  // namespace byte_level

// Exercise 2 (bpe_model.cpp). Merge-rank BPE on one pre-token, as kvlm::BpeModel (the parts of
// it this exercise needs: the vocabulary, the merges and ignore_merges; no byte fallback, no unk).
class BpeModel {
 public:
  explicit BpeModel(BpeModelConfig config);  // given: fills ids_ and ranks_

  // Appends the ids of one pre-token (e.g. "Ġworld") to `out`.   <- your part
  void encode(std::string_view pre_token, std::vector<int>& out) const;

 private:
  std::vector<std::string> vocab_;                      // id -> token
  std::unordered_map<std::string, int> ids_;            // token -> id
  std::unordered_map<std::string, int> ranks_;          // "left right" (one space between) -> rank
  bool ignore_merges_ = false;
};

}  // namespace kvlm::exercises

#endif
