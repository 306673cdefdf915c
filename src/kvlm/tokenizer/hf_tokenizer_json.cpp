// Reads HF's tokenizer.json into an HfTokenizerConfig: each JSON section to its plain struct.
// Not a general tokenizer.json reader: BPE models and the stage types our model families use;
// anything else is refused by name so that nobody gets silently different ids.
#include <algorithm>
#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "kvlm/error.hpp"
#include "kvlm/printable.hpp"
#include "kvlm/tokenizer/hf_tokenizer.hpp"

namespace kvlm {

using nlohmann::json;

namespace {

[[noreturn]] void unsupported(const std::string& section, const std::string& type) {
  throw Error("tokenizer.json: " + section + " type \"" + printable(type) + "\" is not supported");
}

// A JSON integer in 0..limit-1, range-checked before any cast: get<int> on 2147483648 or 1e30 is
// undefined behaviour, and an id far past the vocabulary would make someone allocate gigabytes.
int checked_int(const json& v, std::int64_t limit, const std::string& what) {
  if (!v.is_number()) throw Error("tokenizer.json: " + what + " has the wrong type (not a number)");
  const bool in_range = v.is_number_integer() && v.get<std::int64_t>() >= 0 && v.get<std::int64_t>() < limit;
  if (!in_range) throw Error("tokenizer.json: " + what + " " + v.dump() + " is outside 0.." + std::to_string(limit - 1));
  return static_cast<int>(v.get<std::int64_t>());
}

constexpr std::int64_t kMaxInt = std::numeric_limits<int>::max();

// A field that may be missing or null.
const json* field(const json& object, const char* name) {
  const auto it = object.find(name);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

std::string literal_pattern(const json& pattern, const std::string& where) {
  if (const json* s = field(pattern, "String")) return s->get<std::string>();
  throw Error("tokenizer.json: " + where + " with a regex pattern is not supported (only {\"String\": ...})");
}

// Real files nest a Sequence one level deep; a limit keeps the recursion off the stack's end.
constexpr int kMaxSequenceDepth = 16;

// Steps of a section that may be one step or a "Sequence" of them, flattened in order.
template <class F>
void for_each_step(const json& node, const char* list_name, F&& f, int depth = 0) {
  if (node.is_null()) return;
  if (depth > kMaxSequenceDepth)
    throw Error(std::string("tokenizer.json: ") + list_name + " are nested deeper than " + std::to_string(kMaxSequenceDepth) + " Sequences");
  if (node.at("type").get<std::string>() == "Sequence") {
    for (const json& child : node.at(list_name)) for_each_step(child, list_name, f, depth + 1);
  } else {
    f(node, node.at("type").get<std::string>());
  }
}

std::vector<NormalizerStep> read_normalizer(const json& node) {
  std::vector<NormalizerStep> steps;
  for_each_step(node, "normalizers", [&](const json& n, const std::string& type) {
    if (type == "NFC") steps.push_back({NormalizerStep::Kind::kNfc, "", ""});
    else if (type == "Prepend") steps.push_back({NormalizerStep::Kind::kPrepend, "", n.at("prepend").get<std::string>()});
    else if (type == "Replace")
      steps.push_back({NormalizerStep::Kind::kReplace, literal_pattern(n.at("pattern"), "Replace normalizer"), n.at("content").get<std::string>()});
    else unsupported("normalizer", type);
  });
  return steps;
}

std::string split_regex(const json& pattern) {
  if (const json* r = field(pattern, "Regex")) return r->get<std::string>();
  return "\\Q" + literal_pattern(pattern, "Split") + "\\E";  // a literal string, quoted for PCRE2
}

std::vector<PreTokenizerStep> read_pre_tokenizer(const json& node) {
  std::vector<PreTokenizerStep> steps;
  for_each_step(node, "pretokenizers", [&](const json& n, const std::string& type) {
    PreTokenizerStep step;
    if (type == "Split") {
      const auto behavior = n.at("behavior").get<std::string>();
      if (behavior != "Isolated" || n.value("invert", false))
        throw Error("tokenizer.json: Split pre-tokenizer with behavior " + printable(behavior) + " (or invert) is not supported");
      step.kind = PreTokenizerStep::Kind::kSplit;
      step.pattern = split_regex(n.at("pattern"));
    } else if (type == "ByteLevel") {
      step.kind = PreTokenizerStep::Kind::kByteLevel;
      step.add_prefix_space = n.value("add_prefix_space", false);
      step.use_regex = n.value("use_regex", true);
    } else if (type == "Digits") {
      step.kind = PreTokenizerStep::Kind::kDigits;
      step.individual_digits = n.value("individual_digits", false);
    } else {
      unsupported("pre_tokenizer", type);
    }
    steps.push_back(step);
  });
  return steps;
}

std::vector<DecoderStep> read_decoder(const json& node) {
  std::vector<DecoderStep> steps;
  for_each_step(node, "decoders", [&](const json& n, const std::string& type) {
    DecoderStep step;
    if (type == "ByteLevel") {
      step.kind = DecoderStep::Kind::kByteLevel;
    } else if (type == "Replace") {
      step.kind = DecoderStep::Kind::kReplace;
      step.pattern = literal_pattern(n.at("pattern"), "Replace decoder");
      step.content = n.at("content").get<std::string>();
    } else if (type == "ByteFallback") {
      step.kind = DecoderStep::Kind::kByteFallback;
    } else if (type == "Fuse") {
      step.kind = DecoderStep::Kind::kFuse;
    } else if (type == "Strip") {
      step.kind = DecoderStep::Kind::kStrip;
      step.content = n.at("content").get<std::string>();
      step.start = checked_int(n.at("start"), kMaxInt, "Strip decoder start");
      step.stop = checked_int(n.at("stop"), kMaxInt, "Strip decoder stop");
    } else {
      unsupported("decoder", type);
    }
    steps.push_back(step);
  });
  return steps;
}

// TemplateProcessing's "single" template -> the ids before and after the sequence $A.
// `vocab_size` counts the model's vocabulary and the added tokens: no id can be beyond it.
void read_post_processor(const json& node, std::int64_t vocab_size, HfTokenizerConfig& c) {
  for_each_step(node, "processors", [&](const json& n, const std::string& type) {
    if (type == "ByteLevel") return;  // only adjusts offsets; ids are unchanged
    if (type != "TemplateProcessing") unsupported("post_processor", type);
    bool seen_sequence = false;
    for (const json& item : n.at("single")) {
      if (item.contains("Sequence")) {
        if (seen_sequence) throw Error("tokenizer.json: a TemplateProcessing template with two sequences is not supported");
        seen_sequence = true;
        continue;
      }
      const auto name = item.at("SpecialToken").at("id").get<std::string>();
      auto& target = seen_sequence ? c.special_after : c.special_before;
      for (const json& id : n.at("special_tokens").at(name).at("ids"))
        target.push_back(checked_int(id, vocab_size, "post_processor id"));
    }
  });
}

// "a b" (the older format) or ["a", "b"].
std::pair<std::string, std::string> read_merge(const json& entry, std::size_t index) {
  const std::string bad = "tokenizer.json: merges entry " + std::to_string(index) + " is not a pair of tokens";
  if (entry.is_string()) {
    const auto s = entry.get<std::string>();
    const auto space = s.find(' ');
    if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos) throw Error(bad);
    return {s.substr(0, space), s.substr(space + 1)};
  }
  if (entry.is_array() && entry.size() == 2 && entry[0].is_string() && entry[1].is_string())
    return {entry[0].get<std::string>(), entry[1].get<std::string>()};
  throw Error(bad);
}

BpeModelConfig read_model(const json& m) {
  const auto type = m.value("type", std::string("BPE"));
  if (type != "BPE") unsupported("model", type);
  for (const char* name : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (const json* v = field(m, name); v && !v->get<std::string>().empty())
      throw Error(std::string("tokenizer.json: model.") + name + " is not supported");
  if (const json* d = field(m, "dropout"); d && d->get<double>() != 0.0)
    throw Error("tokenizer.json: model.dropout is not supported (it makes encoding random)");

  BpeModelConfig c;
  const json& vocab = m.at("vocab");
  if (!vocab.is_object()) throw Error("tokenizer.json: model.vocab is not an object of token -> id");
  // Ids are checked against the vocabulary's own size before any cast: a huge id cannot
  // allocate, overflow or wrap to a negative one.
  const std::size_t n = vocab.size();
  c.vocab.resize(n);
  for (const auto& [token, id] : vocab.items()) {
    c.vocab[checked_int(id, static_cast<std::int64_t>(n), "model.vocab id")] = token;
  }
  const json& merges = m.at("merges");
  c.merges.reserve(merges.size());
  for (std::size_t i = 0; i < merges.size(); ++i) c.merges.push_back(read_merge(merges[i], i));
  c.ignore_merges = m.value("ignore_merges", false);
  c.byte_fallback = m.value("byte_fallback", false);
  c.fuse_unk = m.value("fuse_unk", false);
  if (const json* unk = field(m, "unk_token")) c.unk_token = unk->get<std::string>();
  return c;
}

std::string token_name(const json& v) {  // tokenizer_config.json: "x" or {"content": "x", ...}
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content")) return v.at("content").get<std::string>();
  return {};
}

// BOS/EOS: tokenizer.json does not name them. Take them from tokenizer_config.json beside it,
// else from the post-processor (BOS) and the usual names.
std::optional<int> find_id(const HfTokenizerConfig& c, const std::string& name) {
  for (const AddedToken& t : c.added_tokens)
    if (t.content == name) return t.id;
  const auto it = std::find(c.model.vocab.begin(), c.model.vocab.end(), name);  // once per name: fine
  if (it == c.model.vocab.end()) return std::nullopt;
  return static_cast<int>(it - c.model.vocab.begin());
}

void find_bos_eos(const std::filesystem::path& path, HfTokenizerConfig& c) {
  auto probe_id = [&](const std::string& name) { return find_id(c, name); };
  const auto config_path = path.parent_path() / "tokenizer_config.json";
  std::string bos, eos;
  if (std::filesystem::exists(config_path)) {
    try {
      std::ifstream in(config_path);
      const json config = json::parse(in);
      if (const json* b = field(config, "bos_token")) bos = token_name(*b);
      if (const json* e = field(config, "eos_token")) eos = token_name(*e);
    } catch (const json::exception&) {
      // tokenizer_config.json only refines BOS/EOS; a broken one falls back to the names below.
    }
  }
  if (!bos.empty()) c.bos_id = probe_id(bos);
  else if (!c.special_before.empty()) c.bos_id = c.special_before.front();
  else
    for (const char* name : {"<s>", "<|begin_of_text|>", "<|endoftext|>"})
      if (!c.bos_id) c.bos_id = probe_id(name);
  if (!eos.empty()) c.eos_id = probe_id(eos);
  else
    for (const char* name : {"</s>", "<|end_of_text|>", "<|endoftext|>"})
      if (!c.eos_id) c.eos_id = probe_id(name);
}

}  // namespace

HfTokenizerConfig read_tokenizer_json(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + path.string());
  std::stringstream buffer;
  buffer << in.rdbuf();
  json j;
  try {
    j = json::parse(buffer.str());
  } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers like 1e999
    throw Error(path.filename().string() + " is not valid JSON (" + printable(e.what(), 200) + ")");
  }
  try {
    if (!j.is_object()) throw Error("tokenizer.json: the top level is not an object");
    HfTokenizerConfig c;
    c.model = read_model(j.at("model"));
    // An added token either names a vocabulary entry or extends the vocabulary by one.
    const json* added = field(j, "added_tokens");
    const std::int64_t vocab_size = static_cast<std::int64_t>(c.model.vocab.size() + (added ? added->size() : 0));
    if (added) {
      for (const json& t : *added) {
        c.added_tokens.push_back({.content = t.at("content").get<std::string>(),
                                  .id = checked_int(t.at("id"), vocab_size, "added_tokens id"),
                                  .special = t.value("special", false),
                                  .lstrip = t.value("lstrip", false),
                                  .rstrip = t.value("rstrip", false),
                                  .single_word = t.value("single_word", false),
                                  .normalized = t.value("normalized", false)});
      }
    }
    if (const json* n = field(j, "normalizer")) c.normalizer = read_normalizer(*n);
    if (const json* p = field(j, "pre_tokenizer")) c.pre_tokenizer = read_pre_tokenizer(*p);
    if (const json* p = field(j, "post_processor")) read_post_processor(*p, vocab_size, c);
    if (const json* d = field(j, "decoder")) c.decoder = read_decoder(*d);

    find_bos_eos(path, c);
    return c;
  } catch (const json::exception& e) {
    throw Error("tokenizer.json: a field is missing or has the wrong type (" + printable(e.what(), 200) + ")");
  }
}

}  // namespace kvlm
