// Reads a golden file (a JSON list of cases: text, ids, ids_with_special, decoded) for the tests.
// Not a comparison helper: each test states what it compares.
#pragma once

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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

}  // namespace kvlm::test
