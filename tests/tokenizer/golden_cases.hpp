// Golden tokenizer files (a JSON list of cases: text, ids, ids_with_special, decoded) and the one
// check every tokenizer test applies to them. Not a loader of tokenizers: tests pick those.
#pragma once

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "kvlm/tokenizer/tokenizer.hpp"

namespace kvlm::test {

struct GoldenCase {
  std::string text;
  std::vector<int> ids;
  std::optional<std::vector<int>> ids_with_special;
  std::optional<std::string> decoded;
};

inline std::vector<GoldenCase> read_golden(const std::filesystem::path& path) {
  std::ifstream in(path);
  const auto j = nlohmann::json::parse(in);
  std::vector<GoldenCase> cases;
  for (const auto& c : j.at("cases")) {
    GoldenCase g{c.at("text").get<std::string>(), c.at("ids").get<std::vector<int>>(), std::nullopt, std::nullopt};
    if (c.contains("ids_with_special")) g.ids_with_special = c.at("ids_with_special").get<std::vector<int>>();
    if (c.contains("decoded")) g.decoded = c.at("decoded").get<std::string>();
    cases.push_back(std::move(g));
  }
  return cases;
}

// "[1, 2, 3]" for failure messages.
inline std::string to_string(const std::vector<int>& ids) {
  std::string s = "[";
  for (std::size_t i = 0; i < ids.size(); ++i) s += (i ? ", " : "") + std::to_string(ids[i]);
  return s + "]";
}

// Identity with the reference, case by case: ids without and (where stored) with special tokens,
// decode(ids), and the round trip wherever the reference itself round-trips (decoded == text, or
// no decoded text stored, as in sentencepiece's goldens).
inline void expect_matches_golden(const Tokenizer& tokenizer, const std::vector<GoldenCase>& cases) {
  ASSERT_FALSE(cases.empty());
  for (const auto& c : cases) {
    EXPECT_EQ(to_string(tokenizer.encode(c.text, false)), to_string(c.ids)) << "text: \"" << c.text << "\"";
    if (c.ids_with_special) {
      EXPECT_EQ(to_string(tokenizer.encode(c.text, true)), to_string(*c.ids_with_special)) << "text: \"" << c.text << "\"";
    }
    if (c.decoded) {
      EXPECT_EQ(tokenizer.decode(c.ids), *c.decoded) << "ids of: \"" << c.text << "\"";
    }
    if (!c.decoded || *c.decoded == c.text) {
      EXPECT_EQ(tokenizer.decode(tokenizer.encode(c.text, false)), c.text) << "round trip of: \"" << c.text << "\"";
    }
  }
}

}  // namespace kvlm::test
