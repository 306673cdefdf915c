// The HF tokenizers pipeline for BPE models, as tokenizer.json describes it:
// added tokens -> normalizer -> pre-tokenizer -> BPE model -> post-processor; decoder for the way back.
// Not tied to the file: build an HfTokenizerConfig from any source (tokenizer.json, GGUF metadata).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kvlm/tokenizer/added_tokens.hpp"
#include "kvlm/tokenizer/bpe_model.hpp"
#include "kvlm/tokenizer/decoder.hpp"
#include "kvlm/tokenizer/normalizer.hpp"
#include "kvlm/tokenizer/pre_tokenizer.hpp"
#include "kvlm/tokenizer/tokenizer.hpp"

namespace kvlm {

struct HfTokenizerConfig {
  BpeModelConfig model;
  std::vector<AddedToken> added_tokens;
  std::vector<NormalizerStep> normalizer;
  std::vector<PreTokenizerStep> pre_tokenizer;
  std::vector<DecoderStep> decoder;
  // The post-processor (TemplateProcessing's "single" template): ids put around the text's ids
  // when add_special_tokens is true, e.g. {BOS} before for Llama 2 and nothing after.
  std::vector<int> special_before;
  std::vector<int> special_after;
  std::optional<int> bos_id;
  std::optional<int> eos_id;
};

// A byte-level BPE the way GPT-2, Llama 3 and Qwen2 build it, from plain vectors (e.g. GGUF's
// tokenizer.ggml.tokens / merges): split with `pattern` (kGpt2Pattern, kLlama3Pattern,
// kQwen2Pattern), map bytes to GPT-2's alphabet, merge; decode with ByteLevel. Added tokens, BOS
// and EOS are left for the caller to set.
HfTokenizerConfig byte_level_bpe_config(std::vector<std::string> vocab,
                                        std::vector<std::pair<std::string, std::string>> merges,
                                        std::string_view pattern);

class HfTokenizer : public Tokenizer {
 public:
  explicit HfTokenizer(HfTokenizerConfig config);

  std::vector<int> encode(std::string_view text, bool add_special_tokens) const override;
  // Special tokens are kept (transformers' default, skip_special_tokens=False).
  std::string decode(std::span<const int> ids) const override;
  std::string token(int id) const override;
  std::optional<int> token_to_id(std::string_view token) const override;
  int vocab_size() const override { return vocab_size_; }
  std::optional<int> bos_id() const override { return bos_id_; }
  std::optional<int> eos_id() const override { return eos_id_; }

  // The pre-tokens of one text (no added-token handling), to show how the text was cut.
  std::vector<std::string> pre_tokens(std::string_view text) const;

 private:
  void encode_text(std::string_view text, std::vector<int>& ids) const;

  BpeModel model_;
  std::vector<NormalizerStep> normalizer_;
  PreTokenizer pre_tokenizer_;
  std::vector<DecoderStep> decoder_;
  AddedTokenMatcher raw_added_;         // added tokens matched on the raw text
  AddedTokenMatcher normalized_added_;  // those with normalized=true, matched after normalizing
  std::unordered_map<int, std::string> added_content_;
  StringMap<int> added_ids_;
  std::vector<int> special_before_, special_after_;
  std::optional<int> bos_id_, eos_id_;
  int vocab_size_ = 0;
};

// Reads an HF tokenizer.json (BPE model only). Throws kvlm::Error naming the file and the field.
HfTokenizerConfig read_tokenizer_json(const std::filesystem::path& path);

}  // namespace kvlm
