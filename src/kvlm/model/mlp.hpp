// The MLP (chapter 04): each position on its own, widen to intermediate_size, activate, project back.
// Not a mixture of experts. Two kinds: SwiGLU (Llama, Qwen2) and GPT-2's plain GELU MLP.
#pragma once

#include "kvlm/config.hpp"
#include "kvlm/model/weights.hpp"

namespace kvlm {

// SwiGLU: down_proj( silu(gate_proj x) * up_proj x )
// GPT-2:  down_proj( gelu_tanh(up_proj x + up_bias) ) + down_bias
Matrix mlp(const ModelConfig& config, const LayerWeights& w, const MatrixRef& x /*[T, D]*/);  // -> [T, D]

float silu(float x);       // x * sigmoid(x)
Matrix silu(const MatrixRef& x);  // the same on every element, vectorized: what mlp() runs
float gelu_tanh(float x);  // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))   (HF "gelu_new")

}  // namespace kvlm
