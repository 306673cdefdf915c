// GPT-2's bytes_to_unicode table, built once: printable Latin-1 bytes stand for themselves, the
// other 68 bytes (controls, space, ...) get U+0100 + n in byte order. Not the decoder: decoder.cpp.
#include "kvlm/tokenizer/byte_level.hpp"

#include <array>

#include "kvlm/utf8.hpp"

namespace kvlm::byte_level {

namespace {

struct Table {
  std::array<char32_t, 256> cp_of_byte{};
  std::array<std::string, 256> utf8_of_byte;
  Table() {
    auto printable = [](int b) {
      return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    };
    int next_extra = 0;
    for (int b = 0; b < 256; ++b) {
      cp_of_byte[b] = printable(b) ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + next_extra++);
      utf8::append(utf8_of_byte[b], cp_of_byte[b]);
    }
  }
};

const Table& table() {
  static const Table t;
  return t;
}

}  // namespace

const std::string& char_of_byte(unsigned char b) { return table().utf8_of_byte[b]; }

std::string encode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) out += char_of_byte(b);
  return out;
}

std::optional<unsigned char> byte_of_char(char32_t cp) {
  if (cp < 256 && table().cp_of_byte[cp] == cp) return static_cast<unsigned char>(cp);
  if (cp >= 256 && cp < 256 + 68) {
    for (int b = 0; b < 256; ++b)
      if (table().cp_of_byte[b] == cp) return static_cast<unsigned char>(b);
  }
  return std::nullopt;
}

}  // namespace kvlm::byte_level
