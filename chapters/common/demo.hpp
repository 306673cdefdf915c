// What every chapter demo needs before it can teach: a model (SmolLM2 when models/ has it, a
// fixture from data/ otherwise), its tokenizer if it has one, a prompt, and a way to print tokens.
// Not part of the library, and not clever: each demo's interesting code is in its own demo.cpp.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kvlm/io/load.hpp"
#include "kvlm/threads.hpp"
#include "kvlm/tokenizer/tokenizer.hpp"
#include "kvlm/verify/reference.hpp"

namespace kvlm::chapters {

namespace fs = std::filesystem;

inline fs::path source_dir() { return KVLM_SOURCE_DIR; }  // the repository root, set by CMake

// The fixture a demo falls back to: tiny (D = 48, 2 layers, 4 query heads sharing 2 KV heads, tied
// embeddings), random weights, vocabulary of 256 ids with no tokenizer.
inline fs::path default_fixture() { return source_dir() / "data" / "models" / "llama-gqa-tied"; }

// models/SmolLM2-135M-Instruct*.gguf or the HF folder models/SmolLM2-135M-Instruct/, if present.
inline std::optional<fs::path> find_smollm2() {
  const fs::path models = source_dir() / "models";
  if (!fs::is_directory(models)) return std::nullopt;
  std::vector<fs::path> found;
  for (const auto& e : fs::directory_iterator(models)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("SmolLM2-135M-Instruct", 0) != 0) continue;
    if (e.path().extension() == ".gguf" || fs::exists(e.path() / "config.json")) found.push_back(e.path());
  }
  if (found.empty()) return std::nullopt;
  std::sort(found.begin(), found.end());
  return found.front();
}

struct DemoModel {
  fs::path path;
  std::string kind;  // "real model" or "fixture (random weights)"
  Model model;
  std::unique_ptr<Tokenizer> tokenizer;  // null when the model comes without one (the fixtures)

  bool is_fixture() const { return !tokenizer; }
};

// The tokenizer stored with a model: tokenizer.json in an HF folder, or inside a GGUF file
// (once the loader reads it: until then the demo works on ids).
inline std::unique_ptr<Tokenizer> try_load_tokenizer(const fs::path& model_path) {
  try {
    return load_tokenizer(model_path);
  } catch (const std::exception&) {
    return nullptr;
  }
}

// argv[1] if given, else SmolLM2 from models/, else the fixture. Prints which one it uses.
// Chapters 02-06 teach the fp32 path, so a quantized GGUF is widened at load (--dequantize);
// chapter 08 passes {} to keep its blocks.
inline DemoModel load_demo_model(int argc, char** argv, const LoadOptions& options = {.dequantize = true}) {
  DemoModel d;
  if (argc > 1) {
    d.path = argv[1];
  } else if (auto smol = find_smollm2()) {
    d.path = *smol;
  } else {
    d.path = default_fixture();
    std::cout << "(models/ has no SmolLM2-135M-Instruct: scripts/fetch-models.sh fetches it; using a fixture)\n";
  }
  const auto t0 = std::chrono::steady_clock::now();
  d.model = load_model(d.path, options);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  d.tokenizer = try_load_tokenizer(d.path);
  d.kind = d.tokenizer ? "with its tokenizer" : "no tokenizer: ids only";
  // A tiny model's matrices are too small for threads to pay: waiting for them only adds noise to
  // the timings of chapters 05 and 06 (and on a busy machine, spikes of milliseconds).
  constexpr int64_t kThreadsPayAbove = 1'000'000;  // parameters
  if (parameter_count(d.model) < kThreadsPayAbove) set_num_threads(1);
  const ModelConfig& c = d.model.config;
  std::printf("model: %s (%s), loaded in %.0f ms\n", fs::absolute(d.path).lexically_relative(source_dir()).string().c_str(),
              d.kind.c_str(), ms);
  std::printf("  %s, D=%d, layers=%d, heads=%d, kv_heads=%d, head_dim=%d, vocab=%d, rope=%s, tied=%s\n\n",
              to_string(c.architecture).c_str(), c.hidden_size, c.num_hidden_layers, c.num_attention_heads,
              c.num_key_value_heads, c.head_dim, c.vocab_size, to_string(c.rope_layout).c_str(),
              c.tie_word_embeddings ? "yes" : "no");
  return d;
}

// The prompt's ids: the text through the tokenizer, or (fixture) the prompt p1 (6 ids) that
// HF transformers ran to make the fixture's reference.safetensors.
inline std::vector<int> demo_prompt(const DemoModel& d, std::string_view text) {
  if (d.tokenizer) return d.tokenizer->encode(text, /*add_special_tokens=*/true);
  const fs::path ref = (fs::is_directory(d.path) ? d.path : d.path.parent_path()) / "reference.safetensors";
  if (fs::exists(ref)) {
    const auto prompts = read_reference(ref);
    if (prompts.size() > 1) return prompts[1].input_ids;
  }
  return {1, 17, 42, 99, 5, 200, 64};
}

// A token as it is printed in the demos: its vocabulary entry, or #id without a tokenizer.
inline std::string show_token(const DemoModel& d, int id) {
  std::string out = d.tokenizer ? "'" : "#";
  if (!d.tokenizer) return out.append(std::to_string(id));
  for (char ch : d.tokenizer->token(id)) {
    if (ch == '\n') out.append("\\n");
    else out.push_back(ch);
  }
  out.push_back('\'');
  return out;
}

}  // namespace kvlm::chapters
