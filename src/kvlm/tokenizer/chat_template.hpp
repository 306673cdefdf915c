// Chat prompts: wrapping a user message the way an instruct model was trained to see it (ChatML).
// Not a Jinja engine: kvlm knows ChatML, and reads only the default system message from the model's
// template, so `--chat` gives the same ids as HF's apply_chat_template on SmolLM2 and Qwen2.
#pragma once

#include <filesystem>
#include <string>

namespace kvlm {

// The model's chat template: tokenizer.chat_template in a GGUF, chat_template in an HF folder's
// tokenizer_config.json; "" when the model has none.
std::string read_chat_template(const std::filesystem::path& model);

// One user turn in ChatML, then the assistant's cue:
//   [<|im_start|>system\n{default system message}<|im_end|>\n]<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n
// The system turn appears when the template writes a fixed one (SmolLM2 does). Throws kvlm::Error
// when the template is not ChatML.
std::string apply_chatml(const std::string& user, const std::string& chat_template);

// The two parts of apply_chatml, for a conversation of several turns (kvlm chat): the fixed
// system turn ("" when the template has none; throws when it is not ChatML), and one user turn
// with the assistant's cue. Between turns, the assistant's answer ends with <|im_end|> and "\n".
std::string chatml_system_turn(const std::string& chat_template);
std::string chatml_user_turn(const std::string& user);

}  // namespace kvlm
