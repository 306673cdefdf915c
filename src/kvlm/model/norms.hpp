// Normalizations (chapter 04): RMSNorm (Llama, Qwen2) and LayerNorm (GPT-2), row by row.
// Not fused with anything: each takes the residual stream and returns a new normalized matrix.
#pragma once

#include "kvlm/config.hpp"
#include "kvlm/tensor.hpp"

namespace kvlm {

// y = x / sqrt(mean(x^2) + eps) * weight     (HF LlamaRMSNorm)
Matrix rms_norm(const MatrixRef& x /*[T, D]*/, const Vector& weight /*[D]*/, float eps);

// y = (x - mean) / sqrt(var + eps) * weight + bias     (torch.nn.LayerNorm, biased variance)
Matrix layer_norm(const MatrixRef& x /*[T, D]*/, const Vector& weight, const Vector& bias, float eps);

// The model's own norm: RMSNorm or LayerNorm as its config says (bias unused by RMSNorm).
// Gemma's RMSNorm scales by (1 + weight): config.norm_weight_offset is added to the weight here.
Matrix norm(const ModelConfig& config, const MatrixRef& x, const Vector& weight, const Vector& bias);
// q_norm / k_norm (Qwen3, Gemma 3): the model's RMSNorm over each head_dim slice of x [T, heads*hd].
Matrix head_rms_norm(const ModelConfig& config, const MatrixRef& x, const Vector& weight /*[hd]*/);

}  // namespace kvlm
