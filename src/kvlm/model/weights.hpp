// Weights: every learned matrix of the network, shaped (out, in) as HF stores them, in fp32; the
// projections (LinearWeight) may instead stay in a GGUF file's Q8_0/Q4_0/Q4_1/Q5_0/Q4_K/Q6_K blocks (chapter 08).
// Not a loader: io/weights.cpp fills this from any TensorFile by HF name, checking each shape.
#pragma once

#include <vector>

#include "kvlm/config.hpp"
#include "kvlm/model/linear.hpp"
#include "kvlm/tensor.hpp"

namespace kvlm {

// One transformer block. Empty vectors/matrices mean "this architecture has none".
struct LayerWeights {
  Vector input_layernorm;       // [D]   norm before attention (HF: input_layernorm, GPT-2: ln_1)
  Vector input_layernorm_bias;  // [D]   LayerNorm only
  LinearWeight q_proj;          // [H*hd, D]
  LinearWeight k_proj;          // [KV*hd, D]
  LinearWeight v_proj;          // [KV*hd, D]
  LinearWeight o_proj;          // [D, H*hd]
  Vector q_bias, k_bias, v_bias;  // [H*hd], [KV*hd], [KV*hd]   Qwen2, GPT-2
  Vector o_bias;                  // [D]                        GPT-2
  Vector q_norm, k_norm;        // [hd]  Qwen3, Gemma 3: per-head RMSNorm on q and k before RoPE
  // [D] norm before the MLP (GPT-2: ln_2); with sandwich_norms (Gemma 3) HF uses this name for the
  // norm of the attention output, and pre_feedforward_layernorm is the one before the MLP.
  Vector post_attention_layernorm;
  Vector post_attention_layernorm_bias;  // [D]   LayerNorm only
  LinearWeight gate_proj;       // [I, D]  SwiGLU only
  LinearWeight up_proj;         // [I, D]  (GPT-2: c_fc, transposed)
  LinearWeight down_proj;       // [D, I]  (GPT-2: mlp.c_proj, transposed)
  Vector up_bias, down_bias;    // [I], [D]  GPT-2
  Vector pre_feedforward_layernorm;   // [D]  Gemma 3: norm before the MLP
  Vector post_feedforward_layernorm;  // [D]  Gemma 3: norm of the MLP's output
};

struct Weights {
  LinearWeight embed_tokens;    // [V, D]   token embeddings (GPT-2: wte)
  Matrix embed_positions;       // [max_pos, D]  GPT-2's learned positions (wpe); empty otherwise
  std::vector<LayerWeights> layers;
  Vector norm;                  // [D]  final norm (GPT-2: ln_f)
  Vector norm_bias;             // [D]  LayerNorm only
  LinearWeight lm_head;         // [V, D]  empty when tied: use embed_tokens

  const LinearWeight& output_matrix() const { return lm_head.size() ? lm_head : embed_tokens; }
};

struct Model {
  ModelConfig config;
  Weights weights;
};

int64_t parameter_count(const Model& model);  // tied matrices counted once

// How the projections are held, for `generate --json` and `inspect`: "F32", or the block types
// linear() multiplies, e.g. "Q4_1+Q8_0" (with "+F32" when some stayed fp32); and their bytes, which
// is what one decode step reads (tied matrices counted once).
std::string linear_formats(const Model& model);
size_t linear_bytes(const Model& model);

}  // namespace kvlm
