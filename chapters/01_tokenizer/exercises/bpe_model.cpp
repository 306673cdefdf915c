// Exercise 2 of chapter 01: the merge loop of byte-level BPE. Fill in BpeModel::encode().
// Not the library's version (which uses a heap and a cache): a plain loop is fine here.
#include <stdexcept>

#include "exercises.hpp"
#include "kvlm/utf8.hpp"

namespace kvlm::exercises {

BpeModel::BpeModel(BpeModelConfig config) : vocab_(std::move(config.vocab)), ignore_merges_(config.ignore_merges) {
  for (size_t id = 0; id < vocab_.size(); ++id)
    if (!vocab_[id].empty()) ids_.emplace(vocab_[id], static_cast<int>(id));
  for (size_t rank = 0; rank < config.merges.size(); ++rank)
    ranks_.insert_or_assign(config.merges[rank].first + " " + config.merges[rank].second, static_cast<int>(rank));
}

// 1. If ignore_merges_ and the whole pre-token is in the vocabulary, emit its id and stop (Llama 3).
// 2. Split the pre-token into characters (UTF-8: kvlm::utf8::valid_sequence_length(word, pos)
//    tells how many bytes the character at `pos` has). Each is a symbol (a string).
// 3. Repeat: among all adjacent pairs (a, b), find the one whose "a b" has the LOWEST rank in
//    ranks_ (the leftmost one if the same pair occurs twice); stop when no pair has a rank.
//    Replace a, b by the single symbol a + b.
// 4. Append ids_.at(symbol) for every remaining symbol to `out`.
void BpeModel::encode(std::string_view pre_token, std::vector<int>& out) const {
  (void)pre_token;
  (void)out;
  throw std::logic_error("exercise: not implemented: BpeModel::encode (chapters/01_tokenizer/exercises/bpe_model.cpp)");
}

}  // namespace kvlm::exercises
