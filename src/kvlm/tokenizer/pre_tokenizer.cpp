// Pre-tokenizer steps over a list of pieces: every step maps each piece to one or more pieces.
// Not Oniguruma-exact for every possible regex: PCRE2 with UCP, checked on the goldens' patterns.
#include "kvlm/tokenizer/pre_tokenizer.hpp"

#include "kvlm/tokenizer/byte_level.hpp"

namespace kvlm {

PreTokenizer::PreTokenizer(std::vector<PreTokenizerStep> steps) : steps_(std::move(steps)) {
  for (const PreTokenizerStep& step : steps_) {
    switch (step.kind) {
      case PreTokenizerStep::Kind::kSplit:
        regexes_.push_back(std::make_shared<Regex>(step.pattern));
        break;
      case PreTokenizerStep::Kind::kByteLevel:
        regexes_.push_back(step.use_regex ? std::make_shared<Regex>(std::string(kGpt2Pattern)) : nullptr);
        break;
      case PreTokenizerStep::Kind::kDigits:
        regexes_.push_back(std::make_shared<Regex>(step.individual_digits ? R"(\p{N})" : R"(\p{N}+)"));
        break;
    }
  }
}

// HF's "Isolated" behavior: each match is a piece, and so is each non-empty gap between matches.
static void split_isolated(const Regex& regex, const std::string& piece, std::vector<std::string>& out) {
  std::size_t last = 0;
  for (const auto& [begin, end] : regex.find_all(piece)) {
    if (begin > last) out.push_back(piece.substr(last, begin - last));
    out.push_back(piece.substr(begin, end - begin));
    last = end;
  }
  if (last < piece.size()) out.push_back(piece.substr(last));
}

std::vector<std::string> PreTokenizer::split(std::string_view text) const {
  std::vector<std::string> pieces{std::string(text)};
  for (std::size_t s = 0; s < steps_.size(); ++s) {
    const PreTokenizerStep& step = steps_[s];
    std::vector<std::string> next;
    next.reserve(pieces.size());
    for (std::string& piece : pieces) {
      if (piece.empty()) continue;  // HF never hands an empty piece on (nor prefixes it)
      if (step.kind == PreTokenizerStep::Kind::kByteLevel) {
        if (step.add_prefix_space && piece.front() != ' ') piece = " " + piece;
        std::vector<std::string> parts;
        if (regexes_[s]) split_isolated(*regexes_[s], piece, parts);
        else parts.push_back(std::move(piece));
        for (const std::string& part : parts) next.push_back(byte_level::encode(part));
      } else {
        split_isolated(*regexes_[s], piece, next);
      }
    }
    pieces = std::move(next);
  }
  if (!pieces.empty() && pieces.back().empty()) pieces.pop_back();  // the empty text
  return pieces;
}

}  // namespace kvlm
