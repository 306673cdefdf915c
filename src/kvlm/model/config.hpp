// ModelConfig: every number and choice that shapes the network, named as in HF's config.json.
// Not a parser: io/hf_config.cpp, io/gguf_model.cpp and io/llama2c.cpp fill it from their formats.
#pragma once

#include <string>
#include <vector>

namespace kvlm {

enum class Architecture { kLlama, kQwen2, kGpt2 };
enum class NormKind { kRmsNorm, kLayerNorm };
enum class Activation { kSilu, kGeluTanh };

// How RoPE pairs up the dimensions of one head (chapter 03):
//   kHalfSplit   HF's rotate_half: dimension i pairs with i + head_dim/2;
//   kInterleaved Meta / llama2.c / llama.cpp "NORM": dimension 2i pairs with 2i+1;
//   kNone        no RoPE (GPT-2 learns absolute position embeddings instead).
// The same trained model works with either layout provided its q_proj/k_proj rows are permuted to
// match; HF's conversion script does exactly that permutation.
enum class RopeLayout { kHalfSplit, kInterleaved, kNone };

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

  int bos_token_id = -1;
  std::vector<int> eos_token_ids;

  int num_key_value_groups() const { return num_attention_heads / num_key_value_heads; }
  int q_dim() const { return num_attention_heads * head_dim; }    // H * head_dim
  int kv_dim() const { return num_key_value_heads * head_dim; }  // KV * head_dim
  bool gated_mlp() const { return hidden_act == Activation::kSilu; }  // SwiGLU vs GPT-2's MLP

  // Throws kvlm::Error naming the first inconsistent field (e.g. heads not dividing hidden_size).
  void validate() const;
};

std::string to_string(Architecture a);
std::string to_string(RopeLayout r);

}  // namespace kvlm
