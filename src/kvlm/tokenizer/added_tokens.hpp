// Added tokens (<|endoftext|>, <s>, <|im_start|>...): found in the text before anything else, so
// that the normalizer, the pre-tokenizer and BPE never cut them. Leftmost-longest match, as HF.
// Not special-token insertion (BOS): that is the post-processor's job (hf_tokenizer.hpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kvlm {

struct AddedToken {
  std::string content;
  int id = 0;
  bool special = false;      // a control token (HF skips these when decoding with skip_special_tokens)
  bool lstrip = false;       // also swallow the whitespace before it
  bool rstrip = false;       // also swallow the whitespace after it
  bool single_word = false;  // only match when not inside a word
  bool normalized = false;   // matched on the normalized text instead of the raw text
};

// A piece of the input: either an added token (id >= 0) or text for the normal pipeline (id < 0).
struct Segment {
  std::string_view text;
  int added_id = -1;
};

class AddedTokenMatcher {
 public:
  AddedTokenMatcher() = default;
  explicit AddedTokenMatcher(std::vector<AddedToken> tokens);  // only the tokens to match here

  // Cuts `text` into segments around every match. Segments view into `text`.
  std::vector<Segment> split(std::string_view text) const;
  bool empty() const { return tokens_.empty(); }

 private:
  std::vector<AddedToken> tokens_;
  std::vector<std::vector<int>> by_first_byte_;  // first byte -> indices into tokens_, longest first
};

}  // namespace kvlm
