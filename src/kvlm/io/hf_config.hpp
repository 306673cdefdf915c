// HF config.json -> ModelConfig, for the llama, qwen2 and gpt2 model types.
// Not a general transformers config: fields kvlm does not model are ignored; missing required ones fail.
#pragma once

#include <filesystem>
#include <nlohmann/json_fwd.hpp>

#include "kvlm/config.hpp"

namespace kvlm {

ModelConfig config_from_hf_json(const nlohmann::json& j);
ModelConfig read_hf_config(const std::filesystem::path& config_json);

}  // namespace kvlm
