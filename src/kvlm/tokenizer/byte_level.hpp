// GPT-2's byte <-> printable character table ("bytes_to_unicode"): every byte gets a visible
// character so that a BPE over strings can work on raw bytes ("Ġ" is the space byte 0x20).
// Not the BPE itself, and not the regex split: see pre_tokenizer.hpp and bpe_model.hpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kvlm::byte_level {

// Byte -> its UTF-8 encoded stand-in character, e.g. 0x20 -> "Ġ" (U+0120), 'a' -> "a".
const std::string& char_of_byte(unsigned char b);

// Maps every byte of `bytes` to its stand-in character.
std::string encode(std::string_view bytes);

// The byte a stand-in code point stands for, or nullopt if cp is not in the table.
std::optional<unsigned char> byte_of_char(char32_t cp);

}  // namespace kvlm::byte_level
