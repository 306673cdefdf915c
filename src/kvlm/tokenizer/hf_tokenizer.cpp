// HfTokenizer: runs the pipeline stages in HF's order over one text, and back for decoding.
// Not the file format (hf_tokenizer_json.cpp) and not the stages themselves (one file each).
#include "kvlm/tokenizer/hf_tokenizer.hpp"

#include <algorithm>

#include "kvlm/error.hpp"
#include "kvlm/printable.hpp"
#include "kvlm/utf8.hpp"

namespace kvlm {

HfTokenizerConfig byte_level_bpe_config(std::vector<std::string> vocab,
                                        std::vector<std::pair<std::string, std::string>> merges,
                                        std::string_view pattern) {
  HfTokenizerConfig c;
  c.model.vocab = std::move(vocab);
  c.model.merges = std::move(merges);
  PreTokenizerStep split;
  split.kind = PreTokenizerStep::Kind::kSplit;
  split.pattern = pattern;
  PreTokenizerStep bytes;
  bytes.kind = PreTokenizerStep::Kind::kByteLevel;
  bytes.use_regex = false;  // the split above already cut the text
  c.pre_tokenizer = {split, bytes};
  DecoderStep decode_bytes;
  decode_bytes.kind = DecoderStep::Kind::kByteLevel;
  c.decoder = {decode_bytes};
  return c;
}

static std::vector<AddedToken> select(const std::vector<AddedToken>& tokens, bool normalized) {
  std::vector<AddedToken> out;
  for (const AddedToken& t : tokens)
    if (t.normalized == normalized) out.push_back(t);
  return out;
}

HfTokenizer::HfTokenizer(HfTokenizerConfig config)
    : model_(std::move(config.model)),
      normalizer_(std::move(config.normalizer)),
      pre_tokenizer_(std::move(config.pre_tokenizer)),
      decoder_(std::move(config.decoder)),
      raw_added_(select(config.added_tokens, false)),
      normalized_added_(select(config.added_tokens, true)),
      special_before_(std::move(config.special_before)),
      special_after_(std::move(config.special_after)),
      bos_id_(config.bos_id),
      eos_id_(config.eos_id) {
  vocab_size_ = model_.size();
  // Each added token names a vocabulary entry or extends it by one: a larger id is a corrupt file
  // (and INT_MAX + 1 below would overflow).
  const std::size_t max_size = static_cast<std::size_t>(vocab_size_) + config.added_tokens.size();
  for (const AddedToken& t : config.added_tokens) {
    if (t.id < 0 || static_cast<std::size_t>(t.id) >= max_size)
      throw Error("added token \"" + printable(t.content) + "\" has id " + std::to_string(t.id) + ", outside 0.." +
                  std::to_string(max_size - 1));
    added_content_[t.id] = t.content;
    added_ids_[t.content] = t.id;
    vocab_size_ = std::max(vocab_size_, t.id + 1);
  }
  for (int id : special_before_)
    if (id < 0 || id >= vocab_size_) throw Error("post-processor id " + std::to_string(id) + " is outside the vocabulary");
  for (int id : special_after_)
    if (id < 0 || id >= vocab_size_) throw Error("post-processor id " + std::to_string(id) + " is outside the vocabulary");
}

std::vector<std::string> HfTokenizer::pre_tokens(std::string_view text) const {
  utf8::require_valid(text);
  return pre_tokenizer_.split(normalize(normalizer_, std::string(text)));
}

// Text with no added token in it: normalize, cut into pre-tokens, BPE each one.
void HfTokenizer::encode_text(std::string_view text, std::vector<int>& ids) const {
  const std::string normalized = normalize(normalizer_, std::string(text));
  for (const Segment& segment : normalized_added_.split(normalized)) {
    if (segment.added_id >= 0) {
      ids.push_back(segment.added_id);
      continue;
    }
    for (const std::string& pre_token : pre_tokenizer_.split(segment.text)) model_.encode(pre_token, ids);
  }
}

std::vector<int> HfTokenizer::encode(std::string_view text, bool add_special_tokens) const {
  utf8::require_valid(text);
  std::vector<int> ids;
  if (add_special_tokens) ids = special_before_;
  for (const Segment& segment : raw_added_.split(text)) {
    if (segment.added_id >= 0) ids.push_back(segment.added_id);
    else encode_text(segment.text, ids);
  }
  if (add_special_tokens) ids.insert(ids.end(), special_after_.begin(), special_after_.end());
  return ids;
}

std::string HfTokenizer::token(int id) const {
  if (const auto it = added_content_.find(id); it != added_content_.end()) return it->second;
  if (id < 0 || id >= model_.size() || model_.token(id).empty())
    throw Error("token id " + std::to_string(id) + " is not in the vocabulary (size " + std::to_string(vocab_size_) + ")");
  return model_.token(id);
}

std::optional<int> HfTokenizer::token_to_id(std::string_view token) const {
  if (const auto it = added_ids_.find(token); it != added_ids_.end()) return it->second;
  return model_.token_to_id(token);
}

std::string HfTokenizer::decode(std::span<const int> ids) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int id : ids) tokens.push_back(token(id));
  return decode_tokens(decoder_, std::move(tokens));
}

}  // namespace kvlm
