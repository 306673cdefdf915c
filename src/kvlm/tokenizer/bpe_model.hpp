// Merge-rank BPE (HF tokenizers' `BPE` model): one pre-token -> ids by applying the merges in
// rank order. Used by GPT-2, Llama 3, Qwen2/3 (byte-level) and Llama 2's tokenizer.json (byte fallback).
// Not SentencePiece's score-driven BPE (sentencepiece.hpp), not the pre-tokenizer, not training.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace kvlm {

// unordered_map<std::string, V> that can be searched with a string_view (no temporary string).
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <class V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

struct BpeModelConfig {
  std::vector<std::string> vocab;                           // id -> token; "" for an unused id
  std::vector<std::pair<std::string, std::string>> merges;  // rank order: merges[0] is applied first
  bool ignore_merges = false;  // a pre-token found whole in the vocab is emitted as is (Llama 3)
  bool byte_fallback = false;  // a character not in the vocab becomes its bytes "<0xNN>" (Llama 2)
  std::optional<std::string> unk_token;  // otherwise it becomes this token, or is dropped if none
  bool fuse_unk = false;                 // consecutive unknowns become one unk
};

class BpeModel {
 public:
  // Throws kvlm::Error when a merge names a token that is not in the vocabulary.
  explicit BpeModel(BpeModelConfig config);

  // Appends the ids of one pre-token (e.g. "Ġworld") to `out`.
  void encode(std::string_view pre_token, std::vector<int>& out) const;

  int size() const { return static_cast<int>(vocab_.size()); }
  const std::string& token(int id) const { return vocab_[id]; }
  std::optional<int> token_to_id(std::string_view token) const;
  const std::vector<std::string>& vocab() const { return vocab_; }
  const BpeModelConfig& config_flags() const { return flags_; }

 private:
  struct Merge {
    int rank;    // position in the merges list: lower merges first
    int new_id;  // the id of the two tokens joined
  };
  static std::uint64_t pair_key(int left, int right) {
    return (static_cast<std::uint64_t>(left) << 32) | static_cast<std::uint32_t>(right);
  }
  std::vector<int> initial_symbols(std::string_view word) const;
  std::vector<int> merge_word(std::string_view word) const;

  std::vector<std::string> vocab_;
  StringMap<int> ids_;
  std::unordered_map<std::uint64_t, Merge> merges_;
  BpeModelConfig flags_;  // the config's flags (its vocab and merges are moved out)
  std::optional<int> unk_id_;

  // pre-token -> ids; text repeats words, so most pre-tokens skip the merge loop entirely.
  mutable std::mutex cache_mutex_;
  mutable StringMap<std::vector<int>> cache_;
};

}  // namespace kvlm
