// GGUF metadata values (typed accessors, summaries) and the tokenizer.ggml.* extraction.
// Not a tokenizer: read_tokenizer_data only copies the vocabulary out; tokenizer/ builds on it.
#include <cstdio>

#include "kvlm/error.hpp"
#include "kvlm/io/gguf.hpp"
#include "kvlm/printable.hpp"

namespace kvlm::gguf {
namespace {

[[noreturn]] void wrong_type(const Value& v, const char* wanted) {
  throw Error("GGUF metadata value " + v.summary() + " of type " + to_string(v.type) + " is not " +
              wanted + ".");
}

}  // namespace

std::string to_string(ValueType t) {
  switch (t) {
    case ValueType::kUint8: return "uint8";
    case ValueType::kInt8: return "int8";
    case ValueType::kUint16: return "uint16";
    case ValueType::kInt16: return "int16";
    case ValueType::kUint32: return "uint32";
    case ValueType::kInt32: return "int32";
    case ValueType::kFloat32: return "float32";
    case ValueType::kBool: return "bool";
    case ValueType::kString: return "string";
    case ValueType::kArray: return "array";
    case ValueType::kUint64: return "uint64";
    case ValueType::kInt64: return "int64";
    case ValueType::kFloat64: return "float64";
  }
  return "unknown";
}

bool Value::is_integer() const {
  return std::holds_alternative<int64_t>(data) || std::holds_alternative<uint64_t>(data);
}

int64_t Value::as_int() const {
  if (const auto* i = std::get_if<int64_t>(&data)) return *i;
  wrong_type(*this, "an integer that fits in int64");
}

double Value::as_float() const {
  if (const auto* d = std::get_if<double>(&data)) return *d;
  if (const auto* i = std::get_if<int64_t>(&data)) return static_cast<double>(*i);
  if (const auto* u = std::get_if<uint64_t>(&data)) return static_cast<double>(*u);
  wrong_type(*this, "a number");
}

bool Value::as_bool() const {
  if (const auto* b = std::get_if<bool>(&data)) return *b;
  wrong_type(*this, "a bool");
}

const std::string& Value::as_string() const {
  if (const auto* s = std::get_if<std::string>(&data)) return *s;
  wrong_type(*this, "a string");
}

const std::vector<Value>& Value::as_array() const {
  if (const auto* a = std::get_if<std::vector<Value>>(&data)) return *a;
  wrong_type(*this, "an array");
}

std::string Value::summary() const {
  constexpr size_t kMaxShown = 60;  // bytes of a string shown
  if (const auto* s = std::get_if<std::string>(&data)) {
    std::string quoted = "\"";  // appended in steps: GCC 12 warns (-Wrestrict) on "\"" + f() + "\""
    quoted += printable(*s, kMaxShown);
    return quoted + "\"";
  }
  if (const auto* i = std::get_if<int64_t>(&data)) return std::to_string(*i);
  if (const auto* u = std::get_if<uint64_t>(&data)) return std::to_string(*u);
  if (const auto* b = std::get_if<bool>(&data)) return *b ? "true" : "false";
  if (const auto* d = std::get_if<double>(&data)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", *d);
    return buf;
  }
  const auto& items = std::get<std::vector<Value>>(data);
  constexpr size_t kMaxItems = 4;
  std::string s = "[";
  if (items.size() > kMaxItems) {
    s += std::to_string(items.size());
    s += " x ";
    s += to_string(items.front().type);
  } else {
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) s += ", ";
      s += items[i].summary();
    }
  }
  return s + "]";
}

GgufTokenizerData read_tokenizer_data(const GgufFile& file) {
  GgufTokenizerData t;
  t.model = file.at("tokenizer.ggml.model").as_string();
  if (const Value* v = file.find("tokenizer.ggml.pre")) t.pre = v->as_string();
  for (const Value& v : file.at("tokenizer.ggml.tokens").as_array()) t.tokens.push_back(v.as_string());
  if (const Value* a = file.find("tokenizer.ggml.scores"))
    for (const Value& v : a->as_array()) t.scores.push_back(static_cast<float>(v.as_float()));
  if (const Value* a = file.find("tokenizer.ggml.token_type"))
    for (const Value& v : a->as_array()) {
      const int64_t type = v.as_int();  // llama.cpp's token types are 0..6; anything else is corrupt
      if (type < 0 || type > 6)
        throw Error(file.path().filename().string() + ": tokenizer.ggml.token_type holds " + std::to_string(type) +
                    ", not a token type (0 to 6)");
      t.token_types.push_back(static_cast<int32_t>(type));
    }
  if (const Value* a = file.find("tokenizer.ggml.merges"))
    for (const Value& v : a->as_array()) t.merges.push_back(v.as_string());
  const size_t n = t.tokens.size();
  if ((!t.scores.empty() && t.scores.size() != n) || (!t.token_types.empty() && t.token_types.size() != n))
    throw Error(file.path().filename().string() + " has " + std::to_string(n) + " tokens but " +
                std::to_string(t.scores.size()) + " scores and " + std::to_string(t.token_types.size()) +
                " token types.");
  // A special token id (uint32 in the spec) is -1 when absent; present, it must be one of the
  // tokens: 2^32-1 used to become -1 through the cast to int, silently "no such token".
  const auto special_id = [&](const char* key) {
    const Value* v = file.find(key);
    if (!v) return -1;
    const int64_t id = v->as_int();
    if (id < 0 || static_cast<uint64_t>(id) >= n)
      throw Error(file.path().filename().string() + " names the special token id " + std::to_string(id) + " (" + key +
                  ") but has only " + std::to_string(n) + " tokens.");
    return static_cast<int>(id);
  };
  t.bos_token_id = special_id("tokenizer.ggml.bos_token_id");
  t.eos_token_id = special_id("tokenizer.ggml.eos_token_id");
  t.unknown_token_id = special_id("tokenizer.ggml.unknown_token_id");
  t.padding_token_id = special_id("tokenizer.ggml.padding_token_id");
  if (const Value* v = file.find("tokenizer.ggml.add_bos_token")) t.add_bos_token = v->as_bool();
  if (const Value* v = file.find("tokenizer.ggml.add_eos_token")) t.add_eos_token = v->as_bool();
  if (const Value* v = file.find("tokenizer.chat_template")) t.chat_template = v->as_string();
  return t;
}

}  // namespace kvlm::gguf
