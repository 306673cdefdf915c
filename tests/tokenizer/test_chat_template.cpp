// kvlm's chat formats against HF's apply_chat_template on real templates (data/tokenizers/chat_golden.json,
// made by scripts/reference/make_chat_golden.py). Each template is read where it lives: Llama 3's and
// Qwen3's in ../shared, SmolLM2's inside its GGUF in models/; a case skips when its source is absent.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "kvlm/error.hpp"
#include "kvlm/tokenizer/chat_template.hpp"
#include "paths.hpp"

namespace kvlm {
namespace {

std::filesystem::path source_path(const std::string& source) {
  const size_t colon = source.find(':');
  const std::string where = source.substr(0, colon), rest = source.substr(colon + 1);
  return (where == "shared" ? test::shared_dir() : std::filesystem::path(KVLM_MODELS_DIR)) / rest;
}

// The conversation as kvlm chat builds it: begin + system turn, then per user message its turn and
// cue, and the assistant's answer closed by the end-of-turn token.
std::string kvlm_text(const ChatTemplate& t, const nlohmann::json& messages) {
  std::string text = t.begin + t.system_turn;
  for (const auto& m : messages) {
    if (m.at("role") == "user") text += t.user_turn(m.at("content"));
    else text += m.at("content").get<std::string>() + t.end_of_turn + t.after_answer;
  }
  return text;
}

TEST(ChatTemplate, MatchesHfApplyChatTemplateOnRealTemplates) {
  std::ifstream in(test::data_dir() / "tokenizers" / "chat_golden.json");
  const nlohmann::json golden = nlohmann::json::parse(in);
  int checked = 0;
  for (const auto& c : golden.at("cases")) {
    const std::string source = c.at("source");
    const auto path = source_path(source);
    if (!std::filesystem::exists(path)) continue;
    const ChatTemplate t = chat_template_for(read_chat_template(path));
    EXPECT_EQ(kvlm_text(t, c.at("messages")), c.at("text").get<std::string>()) << source;
    ++checked;
  }
  if (checked == 0) GTEST_SKIP() << "no template source present (../shared and models/ are both absent)";
  std::printf("checked %d of %zu cases against HF's apply_chat_template\n", checked, golden.at("cases").size());
}

TEST(ChatTemplate, FormatIsRecognizedByMarkers) {
  EXPECT_EQ(chat_template_for("").format, ChatFormat::kChatML);  // no template: ChatML, as before
  EXPECT_EQ(chat_template_for("{{ '<|im_start|>' + message['role'] }}").format, ChatFormat::kChatML);
  const ChatTemplate llama3 = chat_template_for("{{ '<|start_header_id|>' }}...{{ '<|eot_id|>' }}");
  EXPECT_EQ(llama3.format, ChatFormat::kLlama3);
  EXPECT_EQ(llama3.end_of_turn, "<|eot_id|>");
}

TEST(ChatTemplate, UnknownFormatsAreRefusedByName) {
  const auto error = [](const std::string& t) {
    try {
      chat_template_for(t);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error("{{ '[INST] ' + message['content'] + ' [/INST]' }}").find("Llama 2 / Mistral"), std::string::npos);
  EXPECT_NE(error("<start_of_turn>user").find("Gemma"), std::string::npos);
  EXPECT_NE(error("<|user|>").find("Phi-3"), std::string::npos);
  EXPECT_NE(error("<|start_header_id|>Cutting Knowledge Date<|eot_id|>").find("Llama 3.1+"), std::string::npos);
  EXPECT_NE(error("{{ message }}").find("knows ChatML"), std::string::npos);
}

}  // namespace
}  // namespace kvlm
