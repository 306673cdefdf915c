// Tests exercise 2 of chapter 01 (BpeModel::encode, the merge loop) against HF tokenizers' ids.
// The text is cut into pre-tokens by the library's pre-tokenizer (not part of this exercise);
// the exercise's merges must then give exactly HF's ids, pre-token by pre-token.
#include <gtest/gtest.h>

#include "exercises.hpp"
#include "golden.hpp"
#include "kvlm/tokenizer/hf_tokenizer.hpp"

namespace kvlm::exercises {
namespace {

std::string show(const std::vector<int>& ids) {
  std::string s;
  for (int id : ids) s += std::to_string(id) + " ";
  return s;
}

void expect_hf_ids(const std::string& name) {
  const HfTokenizerConfig config = read_tokenizer_json(test::tokenizer_dir(name) / "tokenizer.json");
  const HfTokenizer pipeline(config);  // only for pre_tokens(): the regex split and byte mapping
  const BpeModel bpe(config.model);
  const auto cases = test::byte_level_cases(name);
  ASSERT_FALSE(cases.empty());
  for (const auto& c : cases) {
    std::vector<int> ids;
    for (const std::string& pre_token : pipeline.pre_tokens(c.text)) bpe.encode(pre_token, ids);
    EXPECT_EQ(ids, c.ids) << name << ": text \"" << c.text << "\": got " << show(ids) << ", HF " << show(c.ids);
  }
}

TEST(BpeMerge, GivesHfIdsOnTinyGpt2StyleBpe) { expect_hf_ids("tiny_bpe"); }

// Llama 3 style: ignore_merges, so a pre-token found whole in the vocabulary is one token.
TEST(BpeMerge, GivesHfIdsOnTinyLlama3StyleBpe) { expect_hf_ids("tiny_llama3_style"); }

}  // namespace
}  // namespace kvlm::exercises
