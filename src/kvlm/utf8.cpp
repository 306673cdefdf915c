// UTF-8 helpers: validation with the exact rules of the Unicode standard (table 3-7), repair, encode.
// Not a general text library: only what the tokenizers need.
#include "kvlm/utf8.hpp"

#include "kvlm/error.hpp"

namespace kvlm::utf8 {

int sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;  // continuation byte, overlong lead (C0, C1) or above U+10FFFF (F5..FF)
}

// The allowed range of the second byte depends on the lead byte (Unicode table 3-7): this is what
// rules out overlong forms, surrogates (ED A0..BF) and code points above U+10FFFF.
static bool second_byte_ok(unsigned char lead, unsigned char b) {
  switch (lead) {
    case 0xE0: return b >= 0xA0 && b <= 0xBF;
    case 0xED: return b >= 0x80 && b <= 0x9F;
    case 0xF0: return b >= 0x90 && b <= 0xBF;
    case 0xF4: return b >= 0x80 && b <= 0x8F;
    default: return b >= 0x80 && b <= 0xBF;
  }
}

// How many bytes from s[pos] form a valid prefix of a sequence (at least 1), and whether that
// prefix is complete. Used both to validate and to find "maximal subparts" for repair().
static int valid_prefix(std::string_view s, std::size_t pos, bool* complete) {
  const auto lead = static_cast<unsigned char>(s[pos]);
  const int need = sequence_length(lead);
  *complete = need == 1;
  if (need <= 1) return 1;
  int have = 1;
  for (; have < need && pos + have < s.size(); ++have) {
    const auto b = static_cast<unsigned char>(s[pos + have]);
    const bool ok = have == 1 ? second_byte_ok(lead, b) : (b >= 0x80 && b <= 0xBF);
    if (!ok) break;
  }
  *complete = have == need;
  return have;
}

int valid_sequence_length(std::string_view s, std::size_t pos) {
  bool complete = false;
  const int n = valid_prefix(s, pos, &complete);
  return complete ? n : 0;
}

std::optional<std::size_t> first_invalid_byte(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {  // fast path for ASCII
      ++i;
      continue;
    }
    const int n = valid_sequence_length(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::nullopt;
}

void require_valid(std::string_view s, std::string_view what) {
  if (const auto bad = first_invalid_byte(s))
    throw Error(std::string(what) + " is not valid UTF-8 at byte " + std::to_string(*bad));
}

std::string repair(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    bool complete = false;
    const int n = valid_prefix(bytes, i, &complete);
    if (complete) {
      out.append(bytes.substr(i, n));
    } else {
      out.append(kReplacementChar);  // one U+FFFD per maximal invalid subsequence
    }
    i += n;
  }
  return out;
}

void append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

char32_t decode(std::string_view s, std::size_t pos, int* len) {
  const auto lead = static_cast<unsigned char>(s[pos]);
  const int n = valid_sequence_length(s, pos);  // 0 for a bad or cut-off sequence: never read past s
  *len = n == 0 ? 1 : n;
  if (n <= 1) return lead;
  char32_t cp = lead & (0xFF >> (n + 1));
  for (int k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[pos + k]) & 0x3F);
  return cp;
}

}  // namespace kvlm::utf8
