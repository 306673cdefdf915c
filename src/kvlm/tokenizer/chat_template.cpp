// ChatML prompts; see chat_template.hpp.
#include "kvlm/tokenizer/chat_template.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

#include "kvlm/error.hpp"
#include "kvlm/io/gguf.hpp"

namespace kvlm {

std::string read_chat_template(const std::filesystem::path& model) {
  if (model.extension() == ".gguf") {
    const gguf::GgufFile file(model);
    const gguf::Value* v = file.find("tokenizer.chat_template");
    return v ? v->as_string() : "";
  }
  const auto config = std::filesystem::is_directory(model) ? model / "tokenizer_config.json" : model.parent_path() / "tokenizer_config.json";
  if (!std::filesystem::exists(config)) return "";
  std::ifstream in(config);
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("chat_template") && j["chat_template"].is_string()) return j["chat_template"];
  return "";
}

namespace {
const std::string kStart = "<|im_start|>", kEnd = "<|im_end|>";
}  // namespace

std::string chatml_system_turn(const std::string& chat_template) {
  if (!chat_template.empty() && chat_template.find(kStart) == std::string::npos)
    throw Error("--chat knows the ChatML template only (<|im_start|> ... <|im_end|>), and this model's template is another");
  // A fixed system turn written by the template itself, e.g. SmolLM2's "You are a helpful AI assistant...".
  const std::string system_start = kStart + "system\n";
  if (const size_t s = chat_template.find(system_start); s != std::string::npos) {
    const size_t e = chat_template.find(kEnd, s);
    const std::string message = chat_template.substr(s + system_start.size(), e - s - system_start.size());
    if (e != std::string::npos && message.find("{{") == std::string::npos && message.find("{%") == std::string::npos)
      return system_start + message + kEnd + "\n";
  }
  return "";
}

std::string chatml_user_turn(const std::string& user) {
  return kStart + "user\n" + user + kEnd + "\n" + kStart + "assistant\n";
}

std::string apply_chatml(const std::string& user, const std::string& chat_template) {
  return chatml_system_turn(chat_template) + chatml_user_turn(user);
}

}  // namespace kvlm
