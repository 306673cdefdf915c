// printable(); see printable.hpp.
#include "kvlm/printable.hpp"

#include <cstdint>

#include "kvlm/utf8.hpp"

namespace kvlm {
namespace {

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
    // a whole valid character (no overlong form, surrogate or code point above U+10FFFF), or 0
    const std::size_t len = static_cast<std::size_t>(utf8::valid_sequence_length(bytes, pos));
    const std::size_t taken = len ? len : 1;  // an invalid byte is escaped on its own
    if (pos + taken > max) break;
    int decoded = 0;
    if (len == 0 || is_control(utf8::decode(bytes, pos, &decoded))) append_escaped(out, bytes.substr(pos, taken));
    else out.append(bytes.substr(pos, taken));
    pos += taken;
  }
  if (pos < bytes.size()) out += "\xE2\x80\xA6";  // "…": the rest is cut off
  return out;
}

}  // namespace kvlm
