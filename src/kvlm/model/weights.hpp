// Weights: every learned matrix of the network, shaped (out, in) as HF stores them, in fp32.
// Not a loader: io/weights.cpp fills this from any TensorFile by HF name, checking each shape.
#pragma once

#include <vector>

#include "kvlm/config.hpp"
#include "kvlm/tensor.hpp"

namespace kvlm {

// One transformer block. Empty vectors/matrices mean "this architecture has none".
struct LayerWeights {
  Vector input_layernorm;       // [D]   norm before attention (HF: input_layernorm, GPT-2: ln_1)
  Vector input_layernorm_bias;  // [D]   LayerNorm only
  Matrix q_proj;                // [H*hd, D]
  Matrix k_proj;                // [KV*hd, D]
  Matrix v_proj;                // [KV*hd, D]
  Matrix o_proj;                // [D, H*hd]
  Vector q_bias, k_bias, v_bias;  // [H*hd], [KV*hd], [KV*hd]   Qwen2, GPT-2
  Vector o_bias;                  // [D]                        GPT-2
  Vector q_norm, k_norm;        // [hd]  Qwen3, Gemma 3: per-head RMSNorm on q and k before RoPE
  // [D] norm before the MLP (GPT-2: ln_2); with sandwich_norms (Gemma 3) HF uses this name for the
  // norm of the attention output, and pre_feedforward_layernorm is the one before the MLP.
  Vector post_attention_layernorm;
  Vector post_attention_layernorm_bias;  // [D]   LayerNorm only
  Matrix gate_proj;             // [I, D]  SwiGLU only
  Matrix up_proj;               // [I, D]  (GPT-2: c_fc, transposed)
  Matrix down_proj;             // [D, I]  (GPT-2: mlp.c_proj, transposed)
  Vector up_bias, down_bias;    // [I], [D]  GPT-2
  Vector pre_feedforward_layernorm;   // [D]  Gemma 3: norm before the MLP
  Vector post_feedforward_layernorm;  // [D]  Gemma 3: norm of the MLP's output
};

struct Weights {
  Matrix embed_tokens;          // [V, D]   token embeddings (GPT-2: wte)
  Matrix embed_positions;       // [max_pos, D]  GPT-2's learned positions (wpe); empty otherwise
  std::vector<LayerWeights> layers;
  Vector norm;                  // [D]  final norm (GPT-2: ln_f)
  Vector norm_bias;             // [D]  LayerNorm only
  Matrix lm_head;               // [V, D]  empty when tied: use embed_tokens

  const Matrix& output_matrix() const { return lm_head.size() ? lm_head : embed_tokens; }
};

struct Model {
  ModelConfig config;
  Weights weights;
};

int64_t parameter_count(const Model& model);  // tied matrices counted once

}  // namespace kvlm
