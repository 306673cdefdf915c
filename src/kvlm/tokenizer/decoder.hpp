// HF tokenizers' decoders: tokens -> text. ByteLevel (GPT-2 alphabet back to bytes), Replace,
// ByteFallback ("<0x0A>" -> "\n"), Fuse, Strip, applied in order to the list of token strings.
// Not ids -> tokens (the tokenizer does that) and not SentencePiece's decoder (sentencepiece.cpp).
#pragma once

#include <span>
#include <string>
#include <vector>

namespace kvlm {

struct DecoderStep {
  enum class Kind { kByteLevel, kReplace, kByteFallback, kFuse, kStrip };
  Kind kind = Kind::kByteLevel;
  std::string pattern;  // kReplace: literal to find
  std::string content;  // kReplace: replacement; kStrip: the character to strip
  int start = 0;        // kStrip: how many leading `content` characters to remove at most
  int stop = 0;         // kStrip: how many trailing ones
};

// Runs the steps over the token strings and joins what is left. No steps: tokens joined by " ",
// as HF does without a decoder.
std::string decode_tokens(std::span<const DecoderStep> steps, std::vector<std::string> tokens);

}  // namespace kvlm
