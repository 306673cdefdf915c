// ModelConfig: every number and choice that shapes the network, named as in HF's config.json.
// Not a parser: io/hf_config.cpp, io/gguf_model.cpp and io/llama2c.cpp fill it from their formats.
// At the top of src/kvlm, beside tensor.hpp, because model/, cache/ and io/ all read it.
#pragma once

#include <string>
#include <vector>

namespace kvlm {

// HF's model_type. The families differ only in the ModelConfig fields below (docs/model-families.md).
enum class Architecture { kLlama, kQwen2, kQwen3, kMistral, kGemma3, kPhi3, kGpt2 };
enum class NormKind { kRmsNorm, kLayerNorm };
enum class Activation { kSilu, kGeluTanh };

// How RoPE pairs up the dimensions of one head (chapter 03):
//   kHalfSplit   HF's rotate_half: dimension i pairs with i + head_dim/2;
//   kInterleaved Meta / llama2.c / llama.cpp "NORM": dimension 2i pairs with 2i+1;
//   kNone        no RoPE (GPT-2 learns absolute position embeddings instead).
// The same trained model works with either layout provided its q_proj/k_proj rows are permuted to
// match; HF's conversion script does exactly that permutation.
enum class RopeLayout { kHalfSplit, kInterleaved, kNone };

// HF's rope_type (config.json "rope_scaling" / "rope_parameters"; transformers' modeling_rope_utils.py):
//   kDefault  inv_freq[i] = theta^(-2i / head_dim)
//   kLinear   inv_freq[i] / factor                       (position interpolation)
//   kLlama3   low frequencies / factor, high ones kept, a smooth ramp between (Llama 3.1+)
//   kYarn     a ramp between interpolated and original per frequency, cos/sin * attention_factor
enum class RopeType { kDefault, kLinear, kLlama3, kYarn };

// The fields of HF's rope_scaling that the rope types above read; unused ones keep HF's defaults.
struct RopeScaling {
  RopeType rope_type = RopeType::kDefault;
  float factor = 1.0f;                       // linear, llama3, yarn
  int original_max_position_embeddings = 0;  // llama3, yarn: the context the model was pretrained on
  float low_freq_factor = 1.0f;              // llama3
  float high_freq_factor = 4.0f;             // llama3
  float beta_fast = 32.0f;                   // yarn: rotations where the ramp starts
  float beta_slow = 1.0f;                    // yarn: rotations where it ends
  bool truncate = true;                      // yarn: round the ramp's ends to whole dimensions
  float attention_factor = 0.0f;             // yarn: cos/sin multiplier; 0 = HF's 0.1 ln(factor) + 1
};

// HF's layer_types entries (Gemma 3): a sliding layer attends to the last sliding_window keys only.
enum class LayerType { kFullAttention, kSlidingAttention };
struct ModelConfig {
  Architecture architecture = Architecture::kLlama;
  int hidden_size = 0;              // D, the width of the residual stream
  int num_hidden_layers = 0;        // L
  int num_attention_heads = 0;      // H, query heads
  int num_key_value_heads = 0;      // KV heads; H for MHA, fewer for GQA, 1 for MQA
  int head_dim = 0;                 // usually D / H
  int intermediate_size = 0;        // the MLP's hidden width
  int vocab_size = 0;               // V
  int max_position_embeddings = 0;  // the context length the model was built for

  NormKind norm = NormKind::kRmsNorm;
  float norm_eps = 1e-5f;
  Activation hidden_act = Activation::kSilu;
  RopeLayout rope_layout = RopeLayout::kHalfSplit;
  float rope_theta = 10000.0f;
  bool tie_word_embeddings = false;  // lm_head shares embed_tokens' matrix
  bool attention_bias = false;       // q/k/v (and GPT-2's o) projections carry a bias
  bool mlp_bias = false;             // GPT-2's MLP carries biases

  // RoPE scaling (Llama 3.x, Qwen2.5 long context, Gemma 3's global layers): applied in rope_angles.
  RopeScaling rope_scaling;
  // llama.cpp's per-frequency RoPE divisors (GGUF rope_freqs.weight), [head_dim / 2] or empty:
  // inv_freq[i] /= rope_freqs[i]. llama.cpp precomputes the llama3 rule into it; applied on top of
  // rope_scaling (a GGUF with rope_freqs has rope_scaling kDefault).
  std::vector<float> rope_freqs;

  // Qwen3, Gemma 3: a per-head RMSNorm over head_dim on q and k before RoPE (weights q_norm, k_norm).
  bool qk_norm = false;
  // Gemma: RMSNorm multiplies by (1 + weight) instead of weight (HF: Gemma3RMSNorm). 0 or 1.
  float norm_weight_offset = 0.0f;
  // Gemma 3: norms after attention and after the MLP too (post_attention_layernorm normalizes the
  // attention output; pre_feedforward_layernorm / post_feedforward_layernorm wrap the MLP).
  bool sandwich_norms = false;
  // Gemma: embeddings are multiplied by sqrt(hidden_size), rounded to the weights' dtype as HF does.
  float embed_scale = 1.0f;
  // Attention scale is query_pre_attn_scalar^-1/2 (Gemma 3); 0 means HF's usual head_dim^-1/2.
  float query_pre_attn_scalar = 0.0f;
  // Mistral, Gemma 3: a query at position p sees keys p - sliding_window + 1 .. p. 0 = no window.
  int sliding_window = 0;
  // Per layer (HF layer_types); empty = every layer kSlidingAttention if sliding_window > 0, else full.
  std::vector<LayerType> layer_types;
  // Gemma 3: RoPE theta of sliding layers (unscaled); global layers use rope_theta and rope_scaling.
  float rope_local_base_freq = 0.0f;

  int bos_token_id = -1;
  std::vector<int> eos_token_ids;

  int num_key_value_groups() const { return num_attention_heads / num_key_value_heads; }
  int q_dim() const { return num_attention_heads * head_dim; }    // H * head_dim
  int kv_dim() const { return num_key_value_heads * head_dim; }  // KV * head_dim
  bool gated_mlp() const { return architecture != Architecture::kGpt2; }  // act(gate) * up vs GPT-2's MLP
  // The keys a query of this layer can see: sliding_window, or 0 for all (full attention).
  int layer_window(int layer) const;
  bool layer_is_sliding(int layer) const;
  // RoPE theta of this layer: rope_local_base_freq on Gemma 3's sliding layers, else rope_theta.
  float layer_rope_theta(int layer) const;
  // 1 / sqrt(head_dim), or Gemma 3's 1 / sqrt(query_pre_attn_scalar).
  float attention_scale() const;

  // Throws kvlm::Error naming the first inconsistent field (e.g. heads not dividing hidden_size).
  void validate() const;
};

std::string to_string(Architecture a);
std::string to_string(RopeLayout r);
std::string to_string(RopeType t);
std::string to_string(LayerType t);

}  // namespace kvlm
