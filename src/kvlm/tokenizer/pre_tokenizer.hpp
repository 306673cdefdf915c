// HF tokenizers' pre-tokenizers that our models use: Split (a regex), ByteLevel, Digits, in order.
// Not the BPE: a pre-tokenizer only cuts text into pieces ("pre-tokens") that BPE encodes one by one.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kvlm/tokenizer/regex.hpp"

namespace kvlm {

// The split patterns of the model families, by the names GGUF's `tokenizer.ggml.pre` uses.
inline constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
inline constexpr std::string_view kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
inline constexpr std::string_view kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

struct PreTokenizerStep {
  enum class Kind { kSplit, kByteLevel, kDigits };
  Kind kind = Kind::kSplit;
  std::string pattern;             // kSplit: the regex; matches and the gaps between become pieces
  bool add_prefix_space = false;   // kByteLevel: put a space before a piece that has none
  bool use_regex = true;           // kByteLevel: split with kGpt2Pattern before mapping bytes
  bool individual_digits = false;  // kDigits: each digit its own piece, else runs of digits
};

class PreTokenizer {
 public:
  PreTokenizer() = default;
  explicit PreTokenizer(std::vector<PreTokenizerStep> steps);

  // One piece of normalized text -> its pre-tokens, in order. With a ByteLevel step, the
  // pre-tokens are in GPT-2's byte alphabet ("Ġworld").
  std::vector<std::string> split(std::string_view text) const;

  const std::vector<PreTokenizerStep>& steps() const { return steps_; }

 private:
  std::vector<PreTokenizerStep> steps_;
  std::vector<std::shared_ptr<const Regex>> regexes_;  // one per step (null for steps without one)
};

}  // namespace kvlm
