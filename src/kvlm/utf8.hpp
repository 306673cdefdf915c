// UTF-8 helpers shared by the tokenizers and by error messages (printable.cpp): walk code points,
// validate, repair, encode. At the top of src/kvlm because tokenizer/ and io/ both use them.
// Not a Unicode library: normalization (NFC) is utf8proc's job, character classes are PCRE2's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kvlm::utf8 {

// Length in bytes of the UTF-8 sequence that starts with `lead`, or 0 for a byte that cannot start one.
int sequence_length(unsigned char lead);

// Offset of the first byte that is not part of a well-formed UTF-8 sequence, or nullopt when the
// whole string is valid (no overlongs, no surrogates, nothing above U+10FFFF).
std::optional<std::size_t> first_invalid_byte(std::string_view s);

// Throws kvlm::Error "text is not valid UTF-8 at byte N" when s is not valid UTF-8.
void require_valid(std::string_view s, std::string_view what = "text");

// Length of the valid code point starting at s[pos], or 0 if none starts there.
int valid_sequence_length(std::string_view s, std::size_t pos);

// Replaces every maximal invalid subsequence with U+FFFD, as Rust's String::from_utf8_lossy
// (what HF tokenizers' decoders do with bytes that do not form text).
std::string repair(std::string_view bytes);

// Appends the UTF-8 encoding of code point cp.
void append(std::string& out, char32_t cp);

// The code point at s[pos]; `len` receives its length in bytes. Where no valid sequence starts
// at pos (a stray or cut-off byte, as raw GGUF token text may hold), the byte itself, length 1.
char32_t decode(std::string_view s, std::size_t pos, int* len);

inline constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace kvlm::utf8
