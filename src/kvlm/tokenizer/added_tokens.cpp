// Leftmost-longest matching of added tokens, bucketed by first byte (a few hundred tokens at most).
// Not Aho-Corasick: simpler, and as fast for the token counts real tokenizers have.
#include "kvlm/tokenizer/added_tokens.hpp"

#include <algorithm>
#include <cctype>

#include "kvlm/utf8.hpp"

namespace kvlm {

AddedTokenMatcher::AddedTokenMatcher(std::vector<AddedToken> tokens) : tokens_(std::move(tokens)) {
  by_first_byte_.resize(256);
  for (int i = 0; i < static_cast<int>(tokens_.size()); ++i)
    if (!tokens_[i].content.empty())
      by_first_byte_[static_cast<unsigned char>(tokens_[i].content[0])].push_back(i);
  for (auto& bucket : by_first_byte_)
    std::stable_sort(bucket.begin(), bucket.end(),
                     [&](int a, int b) { return tokens_[a].content.size() > tokens_[b].content.size(); });
}

// ASCII whitespace plus the Unicode spaces HF's char::is_whitespace knows (enough for lstrip/rstrip).
static int whitespace_length(std::string_view s, std::size_t pos) {
  const unsigned char c = s[pos];
  if (c == ' ' || (c >= '\t' && c <= '\r')) return 1;
  if (c < 0x80) return 0;
  const int len = utf8::valid_sequence_length(s, pos);
  if (len == 0) return 0;
  int unused;
  const char32_t cp = utf8::decode(s, pos, &unused);
  const bool space = cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
                     cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
  return space ? len : 0;
}

static bool is_word_byte(unsigned char c) { return c >= 0x80 || std::isalnum(c) || c == '_'; }

std::vector<Segment> AddedTokenMatcher::split(std::string_view text) const {
  std::vector<Segment> segments;
  if (tokens_.empty()) {
    if (!text.empty()) segments.push_back({text, -1});
    return segments;
  }
  std::size_t text_start = 0;  // start of the pending normal text
  for (std::size_t pos = 0; pos < text.size();) {
    const AddedToken* found = nullptr;
    for (int i : by_first_byte_[static_cast<unsigned char>(text[pos])]) {
      const AddedToken& t = tokens_[i];
      if (text.compare(pos, t.content.size(), t.content) != 0) continue;
      if (t.single_word) {
        const std::size_t end = pos + t.content.size();
        const bool word_before = pos > 0 && is_word_byte(text[pos - 1]);
        const bool word_after = end < text.size() && is_word_byte(text[end]);
        if (word_before || word_after) continue;
      }
      found = &t;
      break;  // buckets are sorted longest first
    }
    if (!found) {
      ++pos;
      continue;
    }
    std::size_t begin = pos, end = pos + found->content.size();
    if (found->lstrip) {
      while (begin > text_start) {  // step back over whitespace code points
        std::size_t prev = begin - 1;
        while (prev > text_start && (static_cast<unsigned char>(text[prev]) & 0xC0) == 0x80) --prev;
        if (whitespace_length(text, prev) != static_cast<int>(begin - prev)) break;
        begin = prev;
      }
    }
    if (found->rstrip)
      while (end < text.size() && whitespace_length(text, end) > 0) end += whitespace_length(text, end);
    if (begin > text_start) segments.push_back({text.substr(text_start, begin - text_start), -1});
    segments.push_back({text.substr(begin, end - begin), found->id});
    pos = text_start = end;
  }
  if (text_start < text.size()) segments.push_back({text.substr(text_start), -1});
  return segments;
}

}  // namespace kvlm
