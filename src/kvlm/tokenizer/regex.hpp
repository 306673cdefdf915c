// A compiled PCRE2 regex in UTF + UCP mode (\p{L}, \s... follow Unicode), as HF's Split uses.
// Not a general regex API: only "find every match, left to right" is offered.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kvlm {

class Regex {
 public:
  // Throws kvlm::Error naming the pattern and PCRE2's message when it does not compile.
  explicit Regex(const std::string& pattern);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // [begin, end) byte ranges of every non-overlapping match in `text` (which must be valid UTF-8).
  std::vector<std::pair<std::size_t, std::size_t>> find_all(std::string_view text) const;

  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  void* code_ = nullptr;  // pcre2_code*, kept opaque so the header does not pull in pcre2.h
};

}  // namespace kvlm
