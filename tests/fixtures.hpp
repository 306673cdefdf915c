// The reference models every model test runs on: the project's own (data/models) and, when
// ../shared is present, the shared ones. Not a loader: each test loads what it needs.
#pragma once

#include <algorithm>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "paths.hpp"

namespace kvlm::test {

struct Fixture {
  std::string name;                  // a gtest-friendly name, e.g. "own_llama_mha"
  std::filesystem::path model;       // HF folder, llama2.c .bin or .gguf
  std::filesystem::path reference;   // reference.safetensors (HF transformers' outputs)
};

inline std::string gtest_name(std::string s) {
  std::replace_if(s.begin(), s.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return s;
}

inline void add_fixtures_in(const std::filesystem::path& dir, const std::string& prefix, std::vector<Fixture>& out) {
  if (!std::filesystem::is_directory(dir)) return;
  std::vector<std::filesystem::path> folders;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (std::filesystem::exists(e.path() / "reference.safetensors")) folders.push_back(e.path());
  std::sort(folders.begin(), folders.end());
  for (const auto& f : folders) {
    const auto ref = f / "reference.safetensors";
    if (std::filesystem::exists(f / "config.json")) out.push_back({gtest_name(prefix + f.filename().string()), f, ref});
    // The same model in other formats (llama2.c .bin, GGUF) is checked against the same reference.
    for (const auto& e : std::filesystem::directory_iterator(f))
      if (e.path().extension() == ".bin" || e.path().extension() == ".gguf")
        out.push_back({gtest_name(prefix + f.filename().string() + "_" + e.path().stem().string()), e.path(), ref});
  }
}

inline std::vector<Fixture> all_fixtures() {
  std::vector<Fixture> out;
  add_fixtures_in(data_dir() / "models", "own_", out);
  add_fixtures_in(shared_dir() / "models", "shared_", out);
  return out;
}

}  // namespace kvlm::test

namespace kvlm::test {
// gtest prints parameters in test names and failures: show the fixture's name, not its bytes.
inline void PrintTo(const Fixture& f, std::ostream* os) { *os << f.name; }
}  // namespace kvlm::test
