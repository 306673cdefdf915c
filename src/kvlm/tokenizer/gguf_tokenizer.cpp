// The tokenizer stored in a GGUF's tokenizer.ggml.* metadata, built on kvlm's tokenizer classes.
// Not a new tokenizer: "gpt2" becomes an HfTokenizer (byte-level BPE), "llama" a SentencePieceTokenizer;
// and back, a byte-level BPE tokenizer.json as that metadata (kvlm quantize).
#include "kvlm/tokenizer/gguf_tokenizer.hpp"

#include <algorithm>

#include "kvlm/error.hpp"
#include "kvlm/io/gguf.hpp"
#include "kvlm/printable.hpp"
#include "kvlm/tokenizer/hf_tokenizer.hpp"
#include "kvlm/tokenizer/sentencepiece.hpp"

namespace kvlm {
namespace {

using gguf::GgufFile;
using gguf::GgufTokenizerData;

// llama.cpp's token types (tokenizer.ggml.token_type).
constexpr int32_t kTypeNormal = 1, kTypeControl = 3, kTypeUserDefined = 4;

// The llama.cpp pre-tokenizer names pre_tokenizer_for knows, one per distinct rule (no aliases).
constexpr const char* kPreTokenizerNames[] = {"default", "smollm", "llama3", "qwen2"};
// A text those rules cut differently: digit runs (whole, by 3, one by one), contractions in upper
// case, punctuation before a letter, runs of spaces and newlines, non-Latin letters.
constexpr std::string_view kPreTokenizerProbe = "Hello World 12345 I'm DON'T (x) a  b\n\n\tc 3.14 caf\u00e9 \u4f60\u597d!!";

// tokenizer.ggml.pre names the pre-tokenizer by model family, as llama.cpp's llama-vocab.cpp does.
std::vector<PreTokenizerStep> pre_tokenizer_for(const std::string& pre) {
  PreTokenizerStep split, bytes;
  split.kind = PreTokenizerStep::Kind::kSplit;
  bytes.kind = PreTokenizerStep::Kind::kByteLevel;
  bytes.use_regex = false;  // the split already cut the text
  if (pre.empty() || pre == "default" || pre == "gpt-2" || pre == "gpt2") {
    split.pattern = kGpt2Pattern;
    return {split, bytes};
  }
  if (pre == "smollm" || pre == "starcoder" || pre == "refact") {
    // llama.cpp: every digit on its own ("\p{N}"), then GPT-2's pattern.
    PreTokenizerStep digits;
    digits.kind = PreTokenizerStep::Kind::kDigits;
    digits.individual_digits = true;
    split.pattern = kGpt2Pattern;
    return {digits, split, bytes};
  }
  if (pre == "llama3" || pre == "llama-bpe") {
    split.pattern = kLlama3Pattern;
    return {split, bytes};
  }
  if (pre == "qwen2") {
    split.pattern = kQwen2Pattern;
    return {split, bytes};
  }
  throw Error("the GGUF pre-tokenizer \"" + printable(pre) + "\" is not supported (kvlm has gpt2, smollm, llama3, qwen2)");
}

std::unique_ptr<Tokenizer> byte_level_bpe(GgufTokenizerData d) {
  std::vector<std::pair<std::string, std::string>> merges;
  merges.reserve(d.merges.size());
  for (size_t i = 0; i < d.merges.size(); ++i) {
    const size_t space = d.merges[i].find(' ');
    if (space == std::string::npos)
      throw Error("tokenizer.ggml.merges entry " + std::to_string(i) + " is not a pair of tokens");
    merges.emplace_back(d.merges[i].substr(0, space), d.merges[i].substr(space + 1));
  }
  const std::vector<std::string> tokens = d.tokens;
  HfTokenizerConfig config = byte_level_bpe_config(std::move(d.tokens), std::move(merges), kGpt2Pattern);
  config.pre_tokenizer = pre_tokenizer_for(d.pre);
  // Control and user-defined tokens (<|im_start|>, ...) are matched whole, before BPE.
  for (size_t id = 0; id < d.token_types.size() && id < tokens.size(); ++id)
    if (d.token_types[id] == kTypeControl || d.token_types[id] == kTypeUserDefined)
      config.added_tokens.push_back({tokens[id], static_cast<int>(id), d.token_types[id] == kTypeControl});
  if (d.bos_token_id >= 0) config.bos_id = d.bos_token_id;
  if (d.eos_token_id >= 0) config.eos_id = d.eos_token_id;
  if (d.add_bos_token.value_or(false) && config.bos_id) config.special_before = {*config.bos_id};
  if (d.add_eos_token.value_or(false) && config.eos_id) config.special_after = {*config.eos_id};
  return std::make_unique<HfTokenizer>(std::move(config));
}

std::unique_ptr<Tokenizer> sentencepiece(GgufTokenizerData d) {
  SentencePieceConfig config;
  if (d.scores.size() != d.tokens.size() || d.token_types.size() != d.tokens.size())
    throw Error("the GGUF SentencePiece tokenizer needs a score and a type for each of its " +
                std::to_string(d.tokens.size()) + " tokens");
  config.pieces = std::move(d.tokens);
  config.scores = std::move(d.scores);
  for (int32_t t : d.token_types) {
    if (t < 1 || t > 6) throw Error("tokenizer.ggml.token_type holds an unknown type " + std::to_string(t));
    config.types.push_back(static_cast<PieceType>(t));
  }
  if (d.bos_token_id >= 0 && d.add_bos_token.value_or(true)) config.bos_id = d.bos_token_id;
  if (d.eos_token_id >= 0) config.eos_id = d.eos_token_id;
  if (d.unknown_token_id >= 0) config.unk_id = d.unknown_token_id;
  return std::make_unique<SentencePieceTokenizer>(std::move(config));
}

}  // namespace

std::unique_ptr<Tokenizer> load_gguf_tokenizer(const std::filesystem::path& path) {
  const GgufFile file(path);
  // llama.cpp's converter with --no-vocab, and kvlm quantize from a folder without tokenizer.json.
  if (const gguf::Value* model = file.find("tokenizer.ggml.model"); model && model->as_string() == "no_vocab")
    throw Error(path.filename().string() + " carries no vocabulary (tokenizer.ggml.model \"no_vocab\"); give kvlm one with -t TOKENIZER.");
  GgufTokenizerData d = gguf::read_tokenizer_data(file);
  const std::string chat_template = d.chat_template;
  std::unique_ptr<Tokenizer> tok;
  if (d.model == "gpt2") tok = byte_level_bpe(std::move(d));
  else if (d.model == "llama") tok = sentencepiece(std::move(d));
  if (tok) {
    tok->set_chat_template(chat_template);
    return tok;
  }
  throw Error(path.filename().string() + ": tokenizer.ggml.model \"" + printable(d.model) +
              "\" is not supported (kvlm has gpt2 and llama)");
}


gguf::GgufTokenizerData gguf_tokenizer_data(const std::filesystem::path& tokenizer_json, int vocab_size) {
  const HfTokenizerConfig c = read_tokenizer_json(tokenizer_json);
  const std::string file = tokenizer_json.string();
  const bool byte_level = std::any_of(c.decoder.begin(), c.decoder.end(),
                                      [](const DecoderStep& s) { return s.kind == DecoderStep::Kind::kByteLevel; });
  if (c.model.byte_fallback || !byte_level)
    throw Error(file + " is not a byte-level BPE (GPT-2 style); kvlm quantize writes only those vocabularies into a GGUF.");
  // Qwen2/3 normalize to NFC first; llama.cpp's converter drops that step too (it matters only for
  // text that is not already NFC). Any other normalizer changes the ids: refused.
  if (!std::all_of(c.normalizer.begin(), c.normalizer.end(),
                   [](const NormalizerStep& s) { return s.kind == NormalizerStep::Kind::kNfc; }))
    throw Error(file + " has a normalizer other than NFC, which a GGUF byte-level BPE vocabulary cannot carry.");
  GgufTokenizerData d;
  d.model = "gpt2";
  const std::vector<std::string> pieces = PreTokenizer(c.pre_tokenizer).split(kPreTokenizerProbe);
  for (const char* name : kPreTokenizerNames)
    if (PreTokenizer(pre_tokenizer_for(name)).split(kPreTokenizerProbe) == pieces) {
      d.pre = name;
      break;
    }
  if (d.pre.empty())
    throw Error(file + "'s pre-tokenizer cuts text unlike every llama.cpp pre-tokenizer kvlm knows (default, smollm, llama3, qwen2).");

  d.tokens = c.model.vocab;
  for (const AddedToken& t : c.added_tokens)
    if (t.id >= static_cast<int>(d.tokens.size())) d.tokens.resize(t.id + 1);
  if (d.tokens.size() > static_cast<size_t>(vocab_size))
    throw Error(file + " has " + std::to_string(d.tokens.size()) + " tokens, more than the model's " +
                std::to_string(vocab_size) + " embedding rows.");
  d.tokens.resize(vocab_size);
  d.token_types.assign(vocab_size, kTypeNormal);
  for (const AddedToken& t : c.added_tokens) {  // <|im_start|>, <|endoftext|>, ...: matched whole
    d.tokens[t.id] = t.content;
    d.token_types[t.id] = t.special ? kTypeControl : kTypeUserDefined;
  }
  for (int id = 0; id < vocab_size; ++id)
    if (d.tokens[id].empty()) {
      d.tokens[id] = "[PAD" + std::to_string(id) + "]";
      d.token_types[id] = kTypeUserDefined;
    }
  for (const auto& [a, b] : c.model.merges) d.merges.push_back(a + " " + b);
  // The post-processor's template, as add_bos_token / add_eos_token (load_gguf_tokenizer's reading).
  d.add_bos_token = c.bos_id && c.special_before == std::vector<int>{*c.bos_id};
  d.add_eos_token = c.eos_id && c.special_after == std::vector<int>{*c.eos_id};
  d.chat_template = load_tokenizer(tokenizer_json)->chat_template();
  return d;
}

}  // namespace kvlm
