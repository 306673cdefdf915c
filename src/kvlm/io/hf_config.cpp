// HF config.json -> ModelConfig; see hf_config.hpp. Field names follow transformers' config classes.
#include "kvlm/io/hf_config.hpp"

#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "kvlm/error.hpp"

namespace kvlm {
namespace {

using nlohmann::json;

// A JSON number as T, range-checked before the cast (get<int> on 4.9e9 is undefined behaviour).
// A float too large becomes inf, for ModelConfig::validate() to refuse by the field's meaning.
template <typename T>
T number_as(const json& v, const std::string& key) {
  if constexpr (std::is_same_v<T, bool>) {
    return v.get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    const double d = v.get<double>();
    if (!(d >= std::numeric_limits<T>::min() && d <= std::numeric_limits<T>::max()) || d != std::floor(d))
      throw Error("config.json field \"" + key + "\" (" + v.dump() + ") is outside the range of an int");
    return static_cast<T>(d);
  } else {
    const double d = v.get<double>();
    if (std::abs(d) > std::numeric_limits<T>::max()) return d > 0 ? std::numeric_limits<T>::infinity() : -std::numeric_limits<T>::infinity();
    return static_cast<T>(d);
  }
}

// Reads a required numeric field, naming it when it is missing or not a number.
template <typename T>
T required(const json& j, const std::string& key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) throw Error("config.json has no \"" + key + "\"");
  if (!it->is_number()) throw Error("config.json field \"" + key + "\" is not a number");
  return number_as<T>(*it, key);
}

template <typename T>
T optional(const json& j, const std::string& key, T fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_number() && !it->is_boolean()) throw Error("config.json field \"" + key + "\" has the wrong type");
  return number_as<T>(*it, key);
}

std::vector<int> eos_ids(const json& j) {
  auto it = j.find("eos_token_id");
  if (it == j.end() || it->is_null()) return {};
  std::vector<int> ids;
  for (const json& id : it->is_array() ? *it : json::array({*it})) ids.push_back(number_as<int>(id, "eos_token_id"));
  return ids;
}

// transformers 5 moved rope_theta into "rope_parameters"; older files have it at the top level.
float rope_theta(const json& j) {
  if (auto it = j.find("rope_parameters"); it != j.end() && it->is_object()) {
    const std::string type = it->value("rope_type", "default");
    if (type != "default") throw Error("RoPE scaling type \"" + type + "\" is not supported");
    return optional<float>(*it, "rope_theta", 10000.0f);
  }
  if (auto it = j.find("rope_scaling"); it != j.end() && !it->is_null())
    throw Error("RoPE scaling (rope_scaling) is not supported");
  return optional<float>(j, "rope_theta", 10000.0f);
}

ModelConfig llama_like(const json& j, Architecture arch) {
  ModelConfig c;
  c.architecture = arch;
  c.hidden_size = required<int>(j, "hidden_size");
  c.num_hidden_layers = required<int>(j, "num_hidden_layers");
  c.num_attention_heads = required<int>(j, "num_attention_heads");
  c.num_key_value_heads = optional<int>(j, "num_key_value_heads", c.num_attention_heads);
  c.head_dim = optional<int>(j, "head_dim", c.num_attention_heads ? c.hidden_size / c.num_attention_heads : 0);
  c.intermediate_size = required<int>(j, "intermediate_size");
  c.vocab_size = required<int>(j, "vocab_size");
  c.max_position_embeddings = required<int>(j, "max_position_embeddings");
  c.norm = NormKind::kRmsNorm;
  c.norm_eps = optional<float>(j, "rms_norm_eps", 1e-6f);
  const std::string act = j.value("hidden_act", "silu");
  if (act != "silu") throw Error("hidden_act \"" + act + "\" is not supported (kvlm has silu)");
  c.hidden_act = Activation::kSilu;
  c.rope_layout = RopeLayout::kHalfSplit;
  c.rope_theta = rope_theta(j);
  c.tie_word_embeddings = optional<bool>(j, "tie_word_embeddings", false);
  // Qwen2 always has q/k/v biases; Llama has them only with attention_bias.
  c.attention_bias = arch == Architecture::kQwen2 || optional<bool>(j, "attention_bias", false);
  if (optional<bool>(j, "mlp_bias", false)) throw Error("mlp_bias is not supported for llama models");
  if (arch == Architecture::kQwen2 && optional<bool>(j, "use_sliding_window", false))
    throw Error("Qwen2 sliding-window attention is not supported");
  return c;
}

ModelConfig gpt2(const json& j) {
  ModelConfig c;
  c.architecture = Architecture::kGpt2;
  c.hidden_size = required<int>(j, "n_embd");
  c.num_hidden_layers = required<int>(j, "n_layer");
  c.num_attention_heads = required<int>(j, "n_head");
  c.num_key_value_heads = c.num_attention_heads;
  c.head_dim = c.num_attention_heads ? c.hidden_size / c.num_attention_heads : 0;
  c.intermediate_size = optional<int>(j, "n_inner", 4 * c.hidden_size);
  c.vocab_size = required<int>(j, "vocab_size");
  c.max_position_embeddings = required<int>(j, "n_positions");
  c.norm = NormKind::kLayerNorm;
  c.norm_eps = optional<float>(j, "layer_norm_epsilon", 1e-5f);
  const std::string act = j.value("activation_function", "gelu_new");
  if (act != "gelu_new" && act != "gelu_pytorch_tanh")
    throw Error("activation_function \"" + act + "\" is not supported (kvlm has gelu_new)");
  c.hidden_act = Activation::kGeluTanh;
  c.rope_layout = RopeLayout::kNone;
  c.tie_word_embeddings = true;
  c.attention_bias = true;
  c.mlp_bias = true;
  if (optional<bool>(j, "scale_attn_by_inverse_layer_idx", false) || optional<bool>(j, "reorder_and_upcast_attn", false))
    throw Error("GPT-2 attention variants (scale_attn_by_inverse_layer_idx, reorder_and_upcast_attn) are not supported");
  if (!optional<bool>(j, "scale_attn_weights", true)) throw Error("GPT-2 without scale_attn_weights is not supported");
  return c;
}

}  // namespace

ModelConfig config_from_hf_json(const json& j) {
  if (!j.is_object()) throw Error("config.json is not a JSON object");
  const std::string type = j.value("model_type", "");
  ModelConfig c;
  if (type == "llama") c = llama_like(j, Architecture::kLlama);
  else if (type == "qwen2") c = llama_like(j, Architecture::kQwen2);
  else if (type == "gpt2") c = gpt2(j);
  else throw Error("model_type \"" + type + "\" is not supported (kvlm has llama, qwen2, gpt2)");
  c.bos_token_id = optional<int>(j, "bos_token_id", -1);
  c.eos_token_ids = eos_ids(j);
  c.validate();
  return c;
}

ModelConfig read_hf_config(const std::filesystem::path& config_json) {
  std::ifstream in(config_json);
  if (!in) throw Error("cannot open " + config_json.string());
  json j;
  try {
    in >> j;
  } catch (const json::exception& e) {
    throw Error(config_json.string() + " is not valid JSON: " + e.what());
  }
  try {
    return config_from_hf_json(j);
  } catch (const json::exception& e) {
    throw Error(config_json.string() + " has a field of the wrong type: " + e.what());
  }
}

}  // namespace kvlm
