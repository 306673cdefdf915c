// Chat formats (ChatML, Llama 3); see chat_template.hpp.
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

const std::string kImStart = "<|im_start|>", kImEnd = "<|im_end|>";
const std::string kHeaderStart = "<|start_header_id|>", kHeaderEnd = "<|end_header_id|>", kEot = "<|eot_id|>";

// A fixed system turn written by the template itself, e.g. SmolLM2's "You are a helpful AI
// assistant named SmolLM...": the text between "<|im_start|>system\n" and "<|im_end|>", when it is
// plain text (no {{ }} or {% %}: a system message the caller passes is not one).
std::string chatml_fixed_system_turn(const std::string& chat_template) {
  const std::string system_start = kImStart + "system\n";
  const size_t s = chat_template.find(system_start);
  if (s == std::string::npos) return "";
  const size_t e = chat_template.find(kImEnd, s);
  if (e == std::string::npos) return "";
  const std::string message = chat_template.substr(s + system_start.size(), e - s - system_start.size());
  if (message.find("{{") != std::string::npos || message.find("{%") != std::string::npos) return "";
  return system_start + message + kImEnd + "\n";
}

}  // namespace

ChatTemplate chat_template_for(const std::string& chat_template) {
  ChatTemplate t;
  if (chat_template.empty() || chat_template.find(kImStart) != std::string::npos) {
    t.format = ChatFormat::kChatML;
    t.system_turn = chatml_fixed_system_turn(chat_template);
    t.end_of_turn = kImEnd;
    t.after_answer = "\n";
    return t;
  }
  if (chat_template.find(kHeaderStart) != std::string::npos && chat_template.find(kEot) != std::string::npos) {
    // Llama 3.1+ templates always write a system turn with today's date ("Cutting Knowledge Date"),
    // so their text depends on the day: kvlm writes the Llama 3.0 format only.
    if (chat_template.find("Cutting Knowledge Date") != std::string::npos)
      throw Error("this model's chat template is Llama 3.1+'s, which writes today's date into a system turn; "
                  "kvlm writes ChatML and the Llama 3.0 format only (use a plain prompt without --chat)");
    t.format = ChatFormat::kLlama3;
    t.begin = "<|begin_of_text|>";
    t.end_of_turn = kEot;
    return t;
  }
  const char* found = chat_template.find("[INST]") != std::string::npos           ? " ([INST]: Llama 2 / Mistral)"
                      : chat_template.find("<start_of_turn>") != std::string::npos ? " (<start_of_turn>: Gemma)"
                      : chat_template.find("<|user|>") != std::string::npos        ? " (<|user|>: Phi-3)"
                                                                                    : "";
  throw Error(std::string("this model's chat template") + found +
              " is not one kvlm writes: it knows ChatML (<|im_start|>) and Llama 3 (<|start_header_id|>)");
}

std::string ChatTemplate::user_turn(const std::string& user) const {
  if (format == ChatFormat::kChatML) return kImStart + "user\n" + user + kImEnd + "\n" + kImStart + "assistant\n";
  // Llama 3: the template trims each message.
  const size_t first = user.find_first_not_of(" \t\n\r"), last = user.find_last_not_of(" \t\n\r");
  const std::string trimmed = first == std::string::npos ? "" : user.substr(first, last - first + 1);
  return kHeaderStart + "user" + kHeaderEnd + "\n\n" + trimmed + kEot + kHeaderStart + "assistant" + kHeaderEnd + "\n\n";
}

std::string ChatTemplate::apply(const std::string& user) const { return begin + system_turn + user_turn(user); }

int ChatTemplate::end_of_turn_id(const Tokenizer& tok) const {
  const std::optional<int> id = tok.token_to_id(end_of_turn);
  if (!id) throw Error("the " + to_string(format) + " chat format ends each turn with " + end_of_turn +
                       ", which is not in this tokenizer");
  return *id;
}

std::string to_string(ChatFormat f) { return f == ChatFormat::kChatML ? "chatml" : "llama3"; }

}  // namespace kvlm
