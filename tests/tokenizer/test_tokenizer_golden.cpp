// Our tokenizers against the reference goldens in ../shared/tokenizers: identical ids, identical
// decoded text, for every case. Not our own fixtures (test_tokenizer_fixtures.cpp).
#include <gtest/gtest.h>

#include "golden_cases.hpp"
#include "kvlm/tokenizer/tokenizer.hpp"
#include "paths.hpp"

namespace {

using kvlm::test::expect_matches_golden;
using kvlm::test::read_golden;

std::filesystem::path tokenizers_dir() { return kvlm::test::shared_dir() / "tokenizers"; }

struct GoldenParam {
  const char* name;       // for the test name
  const char* tokenizer;  // file under ../shared/tokenizers
  const char* golden;     // golden file beside it (ids_with_special and decoded are checked when present)
};

// gtest prints parameters in test names and failures: show the name, not the struct's bytes.
void PrintTo(const GoldenParam& p, std::ostream* os) { *os << p.name; }

class Golden : public ::testing::TestWithParam<GoldenParam> {};

TEST_P(Golden, EveryCaseMatchesTheReference) {
  KVLM_REQUIRE_SHARED();
  const GoldenParam& p = GetParam();
  const auto tokenizer = kvlm::load_tokenizer(tokenizers_dir() / p.tokenizer);
  const auto cases = read_golden(tokenizers_dir() / p.golden);
  expect_matches_golden(*tokenizer, cases);
}

INSTANTIATE_TEST_SUITE_P(
    Shared, Golden,
    ::testing::Values(GoldenParam{"gpt2", "gpt2/tokenizer.json", "gpt2/golden.json"},
                      GoldenParam{"llama3", "llama3/tokenizer.json", "llama3/golden.json"},
                      GoldenParam{"qwen3", "qwen3/tokenizer.json", "qwen3/golden.json"},
                      GoldenParam{"llama2_json", "llama2/tokenizer.json", "llama2/golden.json"},
                      GoldenParam{"llama2_model", "llama2/tokenizer.model", "llama2/golden_sentencepiece.json"},
                      GoldenParam{"llama2_bin", "llama2/tokenizer.bin", "llama2/golden_sentencepiece.json"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
