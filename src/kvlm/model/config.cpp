// ModelConfig checks and names; see config.hpp.
#include "kvlm/model/config.hpp"

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

std::string to_string(Architecture a) {
  switch (a) {
    case Architecture::kLlama: return "llama";
    case Architecture::kQwen2: return "qwen2";
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

}  // namespace kvlm
