// printable(); see printable.hpp. A small UTF-8 check of its own, so that error messages need
// nothing from the tokenizer.
#include "kvlm/printable.hpp"

#include <cstdint>

namespace kvlm {
namespace {

// The length of the valid UTF-8 character at s[pos], or 0 when the bytes there are not one
// (a stray continuation byte, a cut-off sequence, an overlong form, a surrogate, > U+10FFFF).
std::size_t valid_char_length(std::string_view s, std::size_t pos, char32_t* cp) {
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(s[i]); };
  const std::uint8_t lead = byte(pos);
  *cp = lead;
  if (lead < 0x80) return 1;
  // The lead byte says the length; the smallest code point of each length rules out overlong forms.
  std::size_t len = 0;
  char32_t min = 0;
  if ((lead & 0xE0) == 0xC0) {
    len = 2, min = 0x80, *cp = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    len = 3, min = 0x800, *cp = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    len = 4, min = 0x10000, *cp = lead & 0x07;
  } else {
    return 0;
  }
  if (pos + len > s.size()) return 0;
  for (std::size_t i = 1; i < len; ++i) {
    if ((byte(pos + i) & 0xC0) != 0x80) return 0;
    *cp = (*cp << 6) | (byte(pos + i) & 0x3F);
  }
  if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) return 0;
  return len;
}

bool is_control(char32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

void append_escaped(std::string& out, std::string_view bytes) {
  constexpr char kHex[] = "0123456789abcdef";
  for (const char c : bytes) {
    const auto b = static_cast<std::uint8_t>(c);
    out += "\\x";
    out += kHex[b >> 4];
    out += kHex[b & 0xF];
  }
}

}  // namespace

std::string printable(std::string_view bytes, std::size_t max) {
  std::string out;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    char32_t cp = 0;
    const std::size_t len = valid_char_length(bytes, pos, &cp);
    const std::size_t taken = len ? len : 1;  // an invalid byte is escaped on its own
    if (pos + taken > max) break;
    if (len == 0 || is_control(cp)) append_escaped(out, bytes.substr(pos, taken));
    else out.append(bytes.substr(pos, taken));
    pos += taken;
  }
  if (pos < bytes.size()) out += "\xE2\x80\xA6";  // "…": the rest is cut off
  return out;
}

}  // namespace kvlm
