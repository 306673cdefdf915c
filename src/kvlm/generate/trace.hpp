// Generation trace (`kvlm generate --trace`): each step of a generation loop as one JSON document.
// Not a second loop: it is an OnStep observer of generate_naive / generate_cached. Schema: docs/trace-format.md.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kvlm/generate/generate.hpp"
#include "kvlm/tokenizer/tokenizer.hpp"

namespace kvlm {

inline constexpr const char* kTraceFormat = "kvlm-trace";
inline constexpr int kTraceVersion = 1;

struct TraceOptions {
  int max_layers = 0;  // attention kept for this many layers, evenly spaced, first and last included (0 = all)
  int max_heads = 0;   // and for the first this-many heads of each (0 = all)
};

class TraceWriter {
 public:
  // tokenizer may be null (tokens then show as their ids).
  TraceWriter(const Model& model, const GenerationConfig& config, const Tokenizer* tokenizer, TraceOptions options);

  void set_prompt(const std::string& text, std::span<const int> ids);
  void set_info(const std::string& model_path, bool cached);
  OnStep observer();  // put into GenerationConfig::on_step
  const nlohmann::json& json() const { return doc_; }
  void write(const std::string& path) const;  // throws kvlm::Error when the file cannot be written

  const std::vector<int>& layers() const { return layers_; }  // the layers whose attention is kept
  const std::vector<int>& heads() const { return heads_; }

 private:
  void add(const StepView& s);
  std::string text(int id) const;

  const Tokenizer* tokenizer_;
  std::vector<int> layers_, heads_;
  nlohmann::json doc_;
};

}  // namespace kvlm
