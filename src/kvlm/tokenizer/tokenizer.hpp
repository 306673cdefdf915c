// Tokenizer: text <-> token ids, the first stage of the path (chapter 01).
// This header is the interface the rest of kvlm uses; the algorithms live beside it.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kvlm {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Text -> ids. add_special_tokens applies the post-processor (BOS for Llama), as HF's
  // `add_special_tokens`. Throws kvlm::Error where the reference would refuse the input.
  virtual std::vector<int> encode(std::string_view text, bool add_special_tokens) const = 0;
  // Ids -> text, as HF's `decode(ids)`. Throws kvlm::Error for an id outside the vocabulary.
  virtual std::string decode(std::span<const int> ids) const = 0;
  // The vocabulary entry of one id, as stored (e.g. "Ġthe", "▁the", "<0x0A>").
  virtual std::string token(int id) const = 0;
  virtual std::optional<int> token_to_id(std::string_view token) const = 0;
  virtual int vocab_size() const = 0;

  virtual std::optional<int> bos_id() const = 0;
  virtual std::optional<int> eos_id() const = 0;

  // The model's chat template (Jinja text) as the tokenizer's files carry it, "" when none:
  // tokenizer.chat_template in a GGUF, chat_template in the tokenizer_config.json beside a
  // tokenizer.json. load_tokenizer sets it; chat_template.hpp turns it into a format.
  const std::string& chat_template() const { return chat_template_; }
  void set_chat_template(std::string t) { chat_template_ = std::move(t); }

 private:
  std::string chat_template_;
};

// Picks the loader by file: tokenizer.json (HF), tokenizer.model (SentencePiece protobuf),
// tokenizer.bin (llama2.c), a .gguf (its tokenizer.ggml.* metadata); a folder means the tokenizer.json / tokenizer.model inside it.
std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& path);

}  // namespace kvlm
