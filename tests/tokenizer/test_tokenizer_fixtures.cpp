// Our tokenizers against the project's own fixtures (data/tokenizers, made by
// scripts/reference/make_tokenizer_fixtures.py with HF tokenizers and sentencepiece), and the trainer.
// Not the big real vocabularies: those are in test_tokenizer_golden.cpp and need ../shared.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "golden_cases.hpp"
#include "kvlm/tokenizer/bpe_trainer.hpp"
#include "kvlm/tokenizer/hf_tokenizer.hpp"
#include "kvlm/tokenizer/tokenizer.hpp"
#include "paths.hpp"

namespace {

using kvlm::test::expect_matches_golden;
using kvlm::test::read_golden;
using kvlm::test::to_string;

std::filesystem::path fixtures() { return kvlm::test::data_dir() / "tokenizers"; }

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class Fixture : public ::testing::TestWithParam<const char*> {};

TEST_P(Fixture, EveryCaseMatchesTheReference) {
  const std::filesystem::path folder = fixtures() / GetParam();
  const auto tokenizer = kvlm::load_tokenizer(folder);
  const auto cases = read_golden(folder / "golden.json");
  expect_matches_golden(*tokenizer, cases);
}

INSTANTIATE_TEST_SUITE_P(Data, Fixture,
                         ::testing::Values("tiny_bpe", "tiny_llama3_style", "tiny_llama2_style", "tiny_sentencepiece"));

// The trainer is deterministic: the same text and merge count give the committed file, byte for byte.
TEST(BpeTrainer, ReproducesTheCommittedTokenizerJson) {
  const std::string text = read_text(fixtures() / "train.txt");
  const kvlm::TrainedBpe bpe = kvlm::train_byte_level_bpe(text, 300);
  EXPECT_EQ(bpe.merges.size(), 300u);
  EXPECT_EQ(kvlm::to_tokenizer_json(bpe), read_text(fixtures() / "tiny_bpe" / "tokenizer.json"));
}

TEST(BpeTrainer, TrainedTokenizerRoundTripsAndCompresses) {
  const std::string text = read_text(fixtures() / "train.txt");
  const auto path = std::filesystem::temp_directory_path() / "kvlm_test_trained_tokenizer.json";
  kvlm::save_tokenizer_json(kvlm::train_byte_level_bpe(text, 200), path);
  const auto tokenizer = kvlm::load_tokenizer(path);
  const std::vector<int> ids = tokenizer->encode(text, false);
  EXPECT_EQ(tokenizer->decode(ids), text);
  EXPECT_LT(ids.size(), text.size() / 2) << "200 merges should at least halve the token count on their own text";
  EXPECT_EQ(tokenizer->vocab_size(), 256 + 200 + 1);
  std::filesystem::remove(path);
}

TEST(BpeTrainer, CountWinsThenTheSmallestPair) {
  // "cd cd ab": ("c","d") occurs twice, every other pair once: the count wins over byte order.
  const kvlm::TrainedBpe by_count = kvlm::train_byte_level_bpe("cd cd ab", 1, {});
  ASSERT_EQ(by_count.merges.size(), 1u);
  EXPECT_EQ(by_count.merges[0].first + "|" + by_count.merges[0].second, "c|d");
  // "cd ab": every pair once; ("a","b") is the smallest by bytes ("Ġ" is 0xC4 0xA0, after ASCII).
  const kvlm::TrainedBpe by_bytes = kvlm::train_byte_level_bpe("cd ab", 1, {});
  ASSERT_EQ(by_bytes.merges.size(), 1u);
  EXPECT_EQ(by_bytes.merges[0].first + "|" + by_bytes.merges[0].second, "a|b");
}

// Built from plain vectors, as the GGUF loader will do: same ids as the tokenizer.json it came from.
TEST(ByteLevelBpeConfig, FromVectorsMatchesTokenizerJson) {
  const auto folder = fixtures() / "tiny_llama3_style";
  kvlm::HfTokenizerConfig from_file = kvlm::read_tokenizer_json(folder / "tokenizer.json");
  kvlm::HfTokenizerConfig from_vectors =
      kvlm::byte_level_bpe_config(from_file.model.vocab, from_file.model.merges, kvlm::kLlama3Pattern);
  from_vectors.model.ignore_merges = true;
  from_vectors.added_tokens = from_file.added_tokens;
  const kvlm::HfTokenizer a(std::move(from_file)), b(std::move(from_vectors));
  for (const auto& c : read_golden(folder / "golden.json"))
    EXPECT_EQ(to_string(b.encode(c.text, false)), to_string(a.encode(c.text, false))) << c.text;
}

}  // namespace

namespace {

// Byte-level BPE loses nothing: any valid UTF-8 text comes back from decode(encode(text)).
// Random texts from a fixed seed, mixing ASCII, whitespace runs, accents, CJK, emoji and specials.
TEST(RoundTrip, ByteLevelBpeOnRandomText) {
  const char* pieces[] = {"a", "Z", " ", "  ", "\n", "\t", "\r\n", "1", "42", "é", "e\xCC\x81", "ß", "你", "界",
                          "\xF0\x9F\xA6\x99", "'s", "!?", "<|endoftext|>", "\xE2\x80\x8B", "\xC2\xA0"};
  const auto tokenizer = kvlm::load_tokenizer(fixtures() / "tiny_bpe");
  std::uint32_t state = 12345;  // a tiny LCG: the same texts on every platform
  for (int round = 0; round < 200; ++round) {
    std::string text;
    for (int k = 0; k < 30; ++k) {
      state = state * 1664525u + 1013904223u;
      text += pieces[(state >> 16) % std::size(pieces)];
    }
    EXPECT_EQ(tokenizer->decode(tokenizer->encode(text, false)), text);
  }
}

}  // namespace
