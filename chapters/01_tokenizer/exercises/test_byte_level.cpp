// Tests exercise 1 of chapter 01 (byte_level::encode) against HF tokenizers' own tokens: for a
// byte-level BPE, the tokens of a text, joined, are the text's bytes in GPT-2's alphabet.
// Not a test of the merges (that is test_bpe_model.cpp): joining the tokens undoes them.
#include <gtest/gtest.h>

#include <set>

#include "exercises.hpp"
#include "golden.hpp"
#include "kvlm/tokenizer/hf_tokenizer.hpp"

namespace kvlm::exercises {
namespace {

void expect_tokens_join_to_encoded_text(const std::string& tokenizer) {
  const auto cases = test::byte_level_cases(tokenizer);
  ASSERT_FALSE(cases.empty());
  for (const auto& c : cases) {
    std::string joined;
    for (const auto& t : c.tokens) joined += t;
    EXPECT_EQ(byte_level::encode(c.text), joined) << tokenizer << ": text \"" << c.text << "\"";
  }
}

TEST(ByteLevel, HfTokensOfTinyBpeJoinToTheMappedText) { expect_tokens_join_to_encoded_text("tiny_bpe"); }
TEST(ByteLevel, HfTokensOfTinyLlama3JoinToTheMappedText) { expect_tokens_join_to_encoded_text("tiny_llama3_style"); }

// A byte-level vocabulary starts from all 256 stand-ins, so that no text is ever unknown.
TEST(ByteLevel, EveryByteHasItsOwnTokenInTheVocabulary) {
  const HfTokenizer tokenizer(read_tokenizer_json(test::tokenizer_dir("tiny_bpe") / "tokenizer.json"));
  std::set<std::string> seen;
  for (int b = 0; b < 256; ++b) {
    const std::string byte(1, static_cast<char>(b));
    const std::string mapped = byte_level::encode(byte);
    EXPECT_TRUE(tokenizer.token_to_id(mapped).has_value()) << "byte " << b << " -> \"" << mapped << "\"";
    seen.insert(mapped);
  }
  EXPECT_EQ(seen.size(), 256u) << "two bytes share a stand-in character";
}

}  // namespace
}  // namespace kvlm::exercises
