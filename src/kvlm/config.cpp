// ModelConfig checks and names; see config.hpp.
#include "kvlm/config.hpp"

#include <cmath>

#include "kvlm/error.hpp"

namespace kvlm {

void ModelConfig::validate() const {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) throw Error("invalid model config: " + what);
  };
  require(hidden_size > 0, "hidden_size must be positive");
  require(num_hidden_layers > 0, "num_hidden_layers must be positive");
  require(num_attention_heads > 0, "num_attention_heads must be positive");
  require(num_key_value_heads > 0, "num_key_value_heads must be positive");
  require(num_attention_heads % num_key_value_heads == 0,
          "num_attention_heads (" + std::to_string(num_attention_heads) +
              ") is not a multiple of num_key_value_heads (" + std::to_string(num_key_value_heads) + ")");
  require(head_dim > 0, "head_dim must be positive");
  require(rope_layout == RopeLayout::kNone || head_dim % 2 == 0, "RoPE needs an even head_dim");
  require(intermediate_size > 0, "intermediate_size must be positive");
  require(vocab_size > 0, "vocab_size must be positive");
  require(max_position_embeddings > 0, "max_position_embeddings must be positive");
  require(std::isfinite(norm_eps) && norm_eps > 0, "the norm epsilon must be finite and positive");
  require(rope_layout == RopeLayout::kNone || (std::isfinite(rope_theta) && rope_theta > 0),
          "rope_theta must be finite and positive");
  require(rope_freqs.empty() || rope_freqs.size() == static_cast<size_t>(head_dim / 2),
          "rope_freqs must hold head_dim / 2 factors");
  for (float f : rope_freqs) require(f > 0 && std::isfinite(f), "rope_freqs factors must be positive");
  const RopeScaling& rs = rope_scaling;
  require(rs.rope_type == RopeType::kDefault || (rs.factor > 0 && std::isfinite(rs.factor)),
          "rope_scaling factor must be positive");
  require(rs.rope_type != RopeType::kLlama3 ||
              (rs.original_max_position_embeddings > 0 && rs.low_freq_factor > 0 &&
               rs.high_freq_factor > rs.low_freq_factor),
          "llama3 rope_scaling needs original_max_position_embeddings and high_freq_factor > low_freq_factor > 0");
  require(rs.rope_type != RopeType::kYarn || rs.original_max_position_embeddings > 0,
          "yarn rope_scaling needs original_max_position_embeddings");
  require(norm_weight_offset == 0.0f || norm_weight_offset == 1.0f, "norm_weight_offset must be 0 or 1");
  require(embed_scale > 0 && std::isfinite(embed_scale), "embed_scale must be positive");
  require(query_pre_attn_scalar >= 0, "query_pre_attn_scalar must not be negative");
  require(sliding_window >= 0, "sliding_window must not be negative");
  require(layer_types.empty() || layer_types.size() == static_cast<size_t>(num_hidden_layers),
          "layer_types must name every layer (" + std::to_string(num_hidden_layers) + ")");
  for (LayerType t : layer_types)
    require(t != LayerType::kSlidingAttention || sliding_window > 0, "a sliding_attention layer needs a sliding_window");
  require(rope_local_base_freq >= 0, "rope_local_base_freq must not be negative");
  // Guard against absurd numbers before anything is allocated from them (2^31 parameters per matrix).
  constexpr int64_t kMaxElements = int64_t{1} << 31;
  require(int64_t{vocab_size} * hidden_size < kMaxElements, "vocab_size x hidden_size is absurdly large");
  require(int64_t{intermediate_size} * hidden_size < kMaxElements,
          "intermediate_size x hidden_size is absurdly large");
  // Each factor is below 2^31, so each product of two fits int64; q_dim() itself (int) is only
  // called once the product is known to fit.
  require(int64_t{num_attention_heads} * head_dim < kMaxElements, "num_attention_heads x head_dim is absurdly large");
  require(int64_t{q_dim()} * hidden_size < kMaxElements, "num_attention_heads x head_dim is absurdly large");
  require(num_hidden_layers <= 4096, "num_hidden_layers is absurdly large");
  require(max_position_embeddings <= (1 << 24), "max_position_embeddings is absurdly large");
}

bool ModelConfig::layer_is_sliding(int layer) const {
  if (!layer_types.empty()) return layer_types.at(layer) == LayerType::kSlidingAttention;
  return sliding_window > 0;
}

int ModelConfig::layer_window(int layer) const { return layer_is_sliding(layer) ? sliding_window : 0; }

float ModelConfig::layer_rope_theta(int layer) const {
  return layer_is_sliding(layer) && rope_local_base_freq > 0 ? rope_local_base_freq : rope_theta;
}

float ModelConfig::attention_scale() const {
  return 1.0f / std::sqrt(query_pre_attn_scalar > 0 ? query_pre_attn_scalar : static_cast<float>(head_dim));
}

std::string to_string(Architecture a) {
  switch (a) {
    case Architecture::kLlama: return "llama";
    case Architecture::kQwen2: return "qwen2";
    case Architecture::kQwen3: return "qwen3";
    case Architecture::kMistral: return "mistral";
    case Architecture::kGemma3: return "gemma3_text";
    case Architecture::kPhi3: return "phi3";
    case Architecture::kGpt2: return "gpt2";
  }
  return "?";
}

std::string to_string(RopeLayout r) {
  switch (r) {
    case RopeLayout::kHalfSplit: return "half-split (HF)";
    case RopeLayout::kInterleaved: return "interleaved (Meta)";
    case RopeLayout::kNone: return "none";
  }
  return "?";
}

std::string to_string(RopeType t) {
  switch (t) {
    case RopeType::kDefault: return "default";
    case RopeType::kLinear: return "linear";
    case RopeType::kLlama3: return "llama3";
    case RopeType::kYarn: return "yarn";
  }
  return "?";
}

std::string to_string(LayerType t) {
  return t == LayerType::kSlidingAttention ? "sliding_attention" : "full_attention";
}

}  // namespace kvlm
