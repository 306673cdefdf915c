// HF tokenizers' normalizers that our models use: NFC, Prepend, Replace, applied in order.
// Not the full HF set (no NFKC, Lowercase, BertNormalizer...): the loader rejects those by name.
#pragma once

#include <span>
#include <string>

namespace kvlm {

struct NormalizerStep {
  enum class Kind { kNfc, kPrepend, kReplace };
  Kind kind = Kind::kNfc;
  std::string pattern;  // kReplace: the literal string to find
  std::string content;  // kPrepend: the prefix; kReplace: the replacement
};

// Applies the steps in order to one piece of text (a piece between added tokens).
std::string normalize(std::span<const NormalizerStep> steps, std::string text);

}  // namespace kvlm
