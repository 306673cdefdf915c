// Chat prompts: wrapping a conversation the way an instruct model was trained to see it.
// Not a Jinja engine: kvlm recognizes the model's template by its markers (as llama.cpp's
// llm_chat_detect_template does) and writes that format itself: ChatML (SmolLM2, Qwen2/2.5/3) and
// Llama 3. Each is checked against HF's apply_chat_template on the real template.
#pragma once

#include <filesystem>
#include <string>

#include "kvlm/tokenizer/tokenizer.hpp"

namespace kvlm {

// The model's chat template: tokenizer.chat_template in a GGUF, chat_template in an HF folder's
// tokenizer_config.json; "" when the model has none. A loaded Tokenizer carries it already
// (Tokenizer::chat_template), without opening the file again.
std::string read_chat_template(const std::filesystem::path& model);

enum class ChatFormat { kChatML, kLlama3 };

// One chat format, as the pieces a conversation is made of:
//   begin + system_turn + user_turn(u1) + answer1 + end_of_turn + after_answer + user_turn(u2) + ...
// ChatML:  <|im_start|>user\n{u}<|im_end|>\n<|im_start|>assistant\n  ...answer<|im_end|>\n
// Llama 3: <|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n{u}<|eot_id|>
//          <|start_header_id|>assistant<|end_header_id|>\n\n  ...answer<|eot_id|>
struct ChatTemplate {
  ChatFormat format = ChatFormat::kChatML;
  std::string begin;         // before everything: Llama 3's <|begin_of_text|>
  std::string system_turn;   // a fixed system turn the template writes itself (SmolLM2's); "" if none
  std::string end_of_turn;   // the special token that ends every turn, the answer's too: a stop token
  std::string after_answer;  // what follows it between turns: "\n" in ChatML

  // One user turn, then the assistant's cue.
  std::string user_turn(const std::string& user) const;
  // A one-turn prompt: begin + system_turn + user_turn(user).
  std::string apply(const std::string& user) const;
  // The id of end_of_turn in `tok` (a stop token); throws kvlm::Error when the tokenizer lacks it.
  int end_of_turn_id(const Tokenizer& tok) const;
};

// The format of `chat_template` (ChatML when it is empty, as SmolLM2's GGUF-less tokenizers are).
// Throws kvlm::Error naming what it found when the template is neither ChatML nor Llama 3.
ChatTemplate chat_template_for(const std::string& chat_template);

std::string to_string(ChatFormat f);

}  // namespace kvlm
