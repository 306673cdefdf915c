// HF config.json -> ModelConfig; see hf_config.hpp. Field names follow transformers' config classes.
#include "kvlm/io/hf_config.hpp"

#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "kvlm/error.hpp"
#include "kvlm/printable.hpp"

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
  if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean()) throw Error("config.json field \"" + key + "\" is not true or false");
  } else if (!it->is_number()) {
    throw Error("config.json field \"" + key + "\" is not a number");
  }
  return number_as<T>(*it, key);
}

// A string field; a number or an object where a name belongs is refused by the field's name.
std::string optional_string(const json& j, const std::string& key, const std::string& fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_string()) throw Error("config.json field \"" + key + "\" is not a string");
  return it->get<std::string>();
}

std::vector<int> eos_ids(const json& j) {
  auto it = j.find("eos_token_id");
  if (it == j.end() || it->is_null()) return {};
  std::vector<int> ids;
  for (const json& id : it->is_array() ? *it : json::array({*it})) {
    if (!id.is_number()) throw Error("config.json field \"eos_token_id\" is not a number or a list of numbers");
    ids.push_back(number_as<int>(id, "eos_token_id"));
  }
  return ids;
}

// One RoPE parameter set (HF's rope_scaling, or transformers 5's rope_parameters) -> RopeScaling.
RopeScaling rope_scaling(const json& r, int max_position_embeddings) {
  RopeScaling s;
  const std::string type = optional_string(r, "rope_type", optional_string(r, "type", "default"));
  if (type == "default") return s;
  if (type == "linear") s.rope_type = RopeType::kLinear;
  else if (type == "llama3") s.rope_type = RopeType::kLlama3;
  else if (type == "yarn") s.rope_type = RopeType::kYarn;
  else throw Error("RoPE scaling type \"" + printable(type) + "\" is not supported (kvlm has default, linear, llama3, yarn)");
  s.original_max_position_embeddings = optional<int>(r, "original_max_position_embeddings", 0);
  s.factor = optional<float>(r, "factor", 0.0f);
  if (s.factor == 0.0f && s.rope_type == RopeType::kYarn && s.original_max_position_embeddings > 0)
    s.factor = static_cast<float>(max_position_embeddings) / s.original_max_position_embeddings;  // HF's fallback
  s.low_freq_factor = optional<float>(r, "low_freq_factor", 1.0f);
  s.high_freq_factor = optional<float>(r, "high_freq_factor", 4.0f);
  s.beta_fast = optional<float>(r, "beta_fast", 32.0f);
  s.beta_slow = optional<float>(r, "beta_slow", 1.0f);
  s.truncate = optional<bool>(r, "truncate", true);
  s.attention_factor = optional<float>(r, "attention_factor", 0.0f);
  if (r.contains("mscale") || r.contains("mscale_all_dim"))
    throw Error("yarn's mscale / mscale_all_dim (DeepSeek) are not supported");
  return s;
}

// rope_theta and rope scaling: transformers 5 keeps both in "rope_parameters" (per layer type for
// Gemma 3); older files have rope_theta and "rope_scaling" at the top level.
void read_rope(const json& j, ModelConfig& c) {
  c.rope_theta = optional<float>(j, "rope_theta", c.rope_theta);
  c.rope_local_base_freq = optional<float>(j, "rope_local_base_freq", c.rope_local_base_freq);
  if (auto it = j.find("rope_scaling"); it != j.end() && it->is_object())
    c.rope_scaling = rope_scaling(*it, c.max_position_embeddings);
  auto it = j.find("rope_parameters");
  if (it == j.end() || !it->is_object()) return;
  if (it->contains("full_attention")) {  // Gemma 3: {"full_attention": {...}, "sliding_attention": {...}}
    const json& full = it->at("full_attention");
    c.rope_theta = optional<float>(full, "rope_theta", c.rope_theta);
    c.rope_scaling = rope_scaling(full, c.max_position_embeddings);
    if (it->contains("sliding_attention")) {
      const json& local = it->at("sliding_attention");
      if (rope_scaling(local, c.max_position_embeddings).rope_type != RopeType::kDefault)
        throw Error("RoPE scaling on sliding layers is not supported");
      c.rope_local_base_freq = optional<float>(local, "rope_theta", c.rope_local_base_freq);
    }
    return;
  }
  c.rope_theta = optional<float>(*it, "rope_theta", c.rope_theta);
  c.rope_scaling = rope_scaling(*it, c.max_position_embeddings);
}

std::vector<LayerType> layer_types(const json& j) {
  std::vector<LayerType> types;
  auto it = j.find("layer_types");
  if (it == j.end() || it->is_null()) return types;
  if (!it->is_array()) throw Error("config.json field \"layer_types\" is not a list of names");
  for (const json& entry : *it) {
    if (!entry.is_string()) throw Error("config.json field \"layer_types\" holds a non-string");
    const std::string name = entry.get<std::string>();
    if (name == "sliding_attention") types.push_back(LayerType::kSlidingAttention);
    else if (name == "full_attention") types.push_back(LayerType::kFullAttention);
    else throw Error("layer type \"" + printable(name) + "\" is not supported (kvlm has sliding_attention, full_attention)");
  }
  return types;
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
  const bool gemma = arch == Architecture::kGemma3;
  const std::string act = gemma ? optional_string(j, "hidden_activation", "gelu_pytorch_tanh") : optional_string(j, "hidden_act", "silu");
  if (act == "silu") c.hidden_act = Activation::kSilu;
  else if (act == "gelu_pytorch_tanh") c.hidden_act = Activation::kGeluTanh;
  else throw Error("hidden_act \"" + printable(act) + "\" is not supported (kvlm has silu, gelu_pytorch_tanh)");
  c.rope_layout = RopeLayout::kHalfSplit;
  read_rope(j, c);
  if (optional<float>(j, "partial_rotary_factor", 1.0f) != 1.0f) throw Error("partial_rotary_factor is not supported");
  c.tie_word_embeddings = optional<bool>(j, "tie_word_embeddings", false);
  // Qwen2 always has q/k/v biases; Llama has them only with attention_bias.
  c.attention_bias = arch == Architecture::kQwen2 || optional<bool>(j, "attention_bias", false);
  if (optional<bool>(j, "mlp_bias", false)) throw Error("mlp_bias is not supported for llama models");
  if ((arch == Architecture::kQwen2 || arch == Architecture::kQwen3) && optional<bool>(j, "use_sliding_window", false))
    throw Error("Qwen2/Qwen3 use_sliding_window (max_window_layers) is not supported");
  // Mistral and Phi-3 slide every layer; Gemma 3 only the layers layer_types names.
  if (arch == Architecture::kMistral || arch == Architecture::kPhi3 || gemma)
    c.sliding_window = optional<int>(j, "sliding_window", 0);
  c.qk_norm = arch == Architecture::kQwen3 || gemma;
  if (gemma) {
    c.norm_weight_offset = 1.0f;  // Gemma3RMSNorm: x * (1 + w)
    c.sandwich_norms = true;
    // HF: hidden_size**0.5 held in a float32 buffer, cast to the weights' dtype (bf16 runs round it more).
    c.embed_scale = static_cast<float>(std::sqrt(static_cast<double>(c.hidden_size)));
    c.query_pre_attn_scalar = optional<float>(j, "query_pre_attn_scalar", 256.0f);
    c.layer_types = layer_types(j);
    c.tie_word_embeddings = optional<bool>(j, "tie_word_embeddings", true);
    if (optional<float>(j, "final_logit_softcapping", 0.0f) != 0.0f ||
        optional<float>(j, "attn_logit_softcapping", 0.0f) != 0.0f)
      throw Error("logit soft-capping (Gemma 2) is not supported");
    if (optional<bool>(j, "use_bidirectional_attention", false))
      throw Error("Gemma 3 use_bidirectional_attention is not supported");
  }
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
  const std::string act = optional_string(j, "activation_function", "gelu_new");
  if (act != "gelu_new" && act != "gelu_pytorch_tanh")
    throw Error("activation_function \"" + printable(act) + "\" is not supported (kvlm has gelu_new)");
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
  const std::string type = optional_string(j, "model_type", "");
  ModelConfig c;
  if (type == "llama") c = llama_like(j, Architecture::kLlama);
  else if (type == "qwen2") c = llama_like(j, Architecture::kQwen2);
  else if (type == "qwen3") c = llama_like(j, Architecture::kQwen3);
  else if (type == "mistral") c = llama_like(j, Architecture::kMistral);
  else if (type == "gemma3_text") c = llama_like(j, Architecture::kGemma3);
  else if (type == "phi3") c = llama_like(j, Architecture::kPhi3);
  else if (type == "gpt2") c = gpt2(j);
  else if (type == "gemma3" || type.find("_vl") != std::string::npos || type.find("llava") != std::string::npos)
    throw Error("model_type \"" + printable(type) + "\" has a multimodal tower, which kvlm does not support (gemma3_text is)");
  else if (type.find("moe") != std::string::npos || type == "mixtral" || type == "dbrx")
    throw Error("model_type \"" + printable(type) + "\" is a mixture-of-experts model, which kvlm does not support");
  else if (type.rfind("deepseek", 0) == 0)
    throw Error("model_type \"" + printable(type) + "\" uses multi-head latent attention (MLA), which kvlm does not support");
  else
    throw Error("model_type \"" + printable(type) +
                "\" is not supported (kvlm has llama, qwen2, qwen3, mistral, gemma3_text, phi3, gpt2)");
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
    throw Error(config_json.string() + " is not valid JSON: " + printable(e.what(), 200));
  }
  try {
    return config_from_hf_json(j);
  } catch (const json::exception& e) {
    throw Error(config_json.string() + " has a field of the wrong type: " + printable(e.what(), 200));
  }
}

}  // namespace kvlm
