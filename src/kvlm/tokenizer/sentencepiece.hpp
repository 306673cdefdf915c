// SentencePiece-style BPE (Llama 2, TinyLlama): spaces become "▁", a "▁" is put in front, then the
// adjacent pair whose joined piece has the highest *score* is merged, again and again; characters
// outside the vocabulary fall back to byte pieces "<0xNN>".
// Not merge-rank BPE (bpe_model.hpp), not Unigram, and no normalization rules beyond whitespace.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kvlm/tokenizer/bpe_model.hpp"
#include "kvlm/tokenizer/tokenizer.hpp"

namespace kvlm {

// sentencepiece_model.proto's SentencePiece.Type, same numbers.
enum class PieceType { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

struct SentencePieceConfig {
  std::vector<std::string> pieces;  // id -> piece, e.g. "▁the", "<0x0A>", "<s>"
  std::vector<float> scores;        // id -> score; a higher score merges first
  std::vector<PieceType> types;     // id -> type
  bool add_dummy_prefix = true;     // put "▁" before the text, so "Hello" and " Hello" start alike
  bool remove_extra_whitespaces = false;  // strip and collapse spaces first (false for Llama 2)
  bool byte_fallback = true;        // unknown characters -> their byte pieces, else -> unk
  std::optional<int> bos_id, eos_id;
  int unk_id = 0;
};

class SentencePieceTokenizer : public Tokenizer {
 public:
  explicit SentencePieceTokenizer(SentencePieceConfig config);  // throws on inconsistent vectors

  std::vector<int> encode(std::string_view text, bool add_special_tokens) const override;
  // As sentencepiece's DecodeIds: control pieces vanish, unk is " ⁇ ", the first "▁" is dropped.
  std::string decode(std::span<const int> ids) const override;
  std::string token(int id) const override;
  std::optional<int> token_to_id(std::string_view token) const override;
  int vocab_size() const override { return static_cast<int>(pieces_.size()); }
  std::optional<int> bos_id() const override { return bos_id_; }
  std::optional<int> eos_id() const override { return eos_id_; }

 private:
  std::string normalize(std::string_view text) const;
  std::vector<std::string_view> initial_symbols(std::string_view normalized) const;

  std::vector<std::string> pieces_;
  std::vector<float> scores_;
  std::vector<PieceType> types_;
  StringMap<int> mergeable_;  // normal, user-defined and unused pieces: what merges may produce
  StringMap<int> all_ids_;    // every piece (control and byte pieces too)
  std::vector<std::string> user_defined_;  // matched whole, never split
  int byte_ids_[256];         // byte value -> id of "<0xNN>", or -1
  bool add_dummy_prefix_, remove_extra_whitespaces_, byte_fallback_;
  std::optional<int> bos_id_, eos_id_;
  int unk_id_;
};

// Meta's tokenizer.model: a serialized sentencepiece ModelProto (read by hand, no protobuf library).
SentencePieceConfig read_sentencepiece_model(const std::filesystem::path& path);

// llama2.c's tokenizer.bin: int32 max_token_length, then per token float score, int32 length,
// bytes; "▁" was exported as " " and BOS/EOS as "\n<s>\n", "\n</s>\n". Piece types are not stored:
// id 0 is unk, ids 1 and 2 are BOS and EOS, "<0xNN>" pieces are bytes (Llama 2's layout).
SentencePieceConfig read_llama2c_tokenizer_bin(const std::filesystem::path& path);

}  // namespace kvlm
