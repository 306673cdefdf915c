// The HF tokenizers goldens of data/tokenizers/*/golden.json (what tests/tokenizer checks the library
// against), read for the chapter 01 exercises: text, ids and tokens of every case.
// Not the tokenizer: the exercises' tests read the expected answers from here.
#pragma once

#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/exercise_test.hpp"

namespace kvlm::exercises::test {

struct TokenizerCase {
  std::string text;
  std::vector<int> ids;             // HF's encode(text, add_special_tokens=False)
  std::vector<std::string> tokens;  // the vocabulary entries of those ids
};

inline std::filesystem::path tokenizer_dir(const std::string& name) { return data_dir() / "tokenizers" / name; }

// The cases of one golden file, without those whose text holds an added token such as
// "<|endoftext|>": added tokens are cut out before BPE ever runs, so they test something else.
inline std::vector<TokenizerCase> byte_level_cases(const std::string& name) {
  std::ifstream in(tokenizer_dir(name) / "golden.json");
  const auto j = nlohmann::json::parse(in);
  std::vector<TokenizerCase> cases;
  for (const auto& c : j.at("cases")) {
    TokenizerCase t{c.at("text"), c.at("ids"), c.at("tokens")};
    if (t.text.find("<|") != std::string::npos) continue;
    cases.push_back(std::move(t));
  }
  return cases;
}

}  // namespace kvlm::exercises::test
