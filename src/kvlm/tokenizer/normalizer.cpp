// The normalizer steps: NFC through utf8proc, Prepend (only to non-empty text, as HF), Replace.
// Not offset tracking: HF keeps alignments for every change; ids do not need them.
#include "kvlm/tokenizer/normalizer.hpp"

#include <cstdlib>
#include <utf8proc.h>

#include "kvlm/error.hpp"

namespace kvlm {

static std::string nfc(const std::string& text) {
  utf8proc_uint8_t* out = nullptr;
  const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                              static_cast<utf8proc_ssize_t>(text.size()), &out,
                              static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  if (n < 0) throw Error(std::string("NFC normalization failed: ") + utf8proc_errmsg(n));
  std::string result(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
  std::free(out);
  return result;
}

// Chained Replace steps can grow text exponentially (eight steps of "o" -> 16 "o"s: 4 GB from
// one character). No real tokenizer grows text by more than a few bytes per byte.
constexpr std::size_t kMaxGrowth = 64, kMaxSlack = 1 << 16;

static std::string replace_all(const std::string& text, const std::string& from, const std::string& to,
                               std::size_t max_bytes) {
  if (from.empty()) return text;
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  for (std::size_t hit; (hit = text.find(from, pos)) != std::string::npos; pos = hit + from.size()) {
    out.append(text, pos, hit - pos);
    out += to;
    if (out.size() > max_bytes)
      throw Error("tokenizer normalizer: the normalized text would exceed " + std::to_string(max_bytes) +
                  " bytes (" + std::to_string(kMaxGrowth) + " times the input); the Replace steps are not plausible");
  }
  out.append(text, pos);
  return out;
}

static bool is_ascii(const std::string& s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

std::string normalize(std::span<const NormalizerStep> steps, std::string text) {
  const std::size_t max_bytes = kMaxGrowth * text.size() + kMaxSlack;
  for (const NormalizerStep& step : steps) {
    switch (step.kind) {
      case NormalizerStep::Kind::kNfc:
        if (!is_ascii(text)) text = nfc(text);  // ASCII is already NFC
        break;
      case NormalizerStep::Kind::kPrepend:
        if (!text.empty()) text = step.content + text;  // grows by a constant per step: no limit needed
        break;
      case NormalizerStep::Kind::kReplace:
        text = replace_all(text, step.pattern, step.content, max_bytes);
        break;
    }
  }
  return text;
}

}  // namespace kvlm
