// Exercise 1 of chapter 01: GPT-2's byte -> printable character table. Fill in encode().
// Not graded by reading: chapters/01_tokenizer/exercises/test_byte_level.cpp compares with HF's tokens.
#include <stdexcept>

#include "exercises.hpp"

namespace kvlm::exercises::byte_level {

// Every byte b gets one Unicode character, so that BPE can work on strings without ever seeing a
// space or a control byte:
//   - the "printable" bytes stand for themselves: '!'..'~' (33..126), 0xA1..0xAC, 0xAE..0xFF;
//   - the other 68 bytes (0..32, 127..160, 0xAD), in increasing byte order, get U+0100, U+0101, ...
//     so 0x00 -> U+0100, ..., ' ' (0x20) -> U+0120 "Ġ", '\n' (0x0A) -> U+010A "Ċ".
// Return the characters of all bytes, each encoded in UTF-8 (U+0100..U+017F take 2 bytes:
// 0xC0 | (cp >> 6), 0x80 | (cp & 0x3F); and so do 0xA1..0xFF).
std::string encode(std::string_view bytes) {
  (void)bytes;
  throw std::logic_error("exercise: not implemented: byte_level::encode (chapters/01_tokenizer/exercises/byte_level.cpp)");
}

}  // namespace kvlm::exercises::byte_level
