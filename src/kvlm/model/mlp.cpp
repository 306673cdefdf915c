// MLP; see mlp.hpp.
#include "kvlm/model/mlp.hpp"

#include <cmath>
#include <numbers>

#include "kvlm/model/linear.hpp"

namespace kvlm {

float silu(float x) { return x / (1.0f + std::exp(-x)); }

Matrix silu(const MatrixRef& x) {
  // The formula above on whole arrays: Eigen's exp runs 8 or 16 values per instruction, where
  // unaryExpr(&silu) called std::exp once per value (7% of SmolLM2's prefill at one thread).
  return (x.array() / (1.0f + (-x.array()).exp())).matrix();
}

float gelu_tanh(float x) {
  const float k = std::sqrt(2.0f / std::numbers::pi_v<float>);
  return 0.5f * x * (1.0f + std::tanh(k * (x + 0.044715f * x * x * x)));
}

Matrix mlp(const ModelConfig& c, const LayerWeights& w, const MatrixRef& x) {
  if (c.gated_mlp()) {
    Matrix gate = linear(x, w.gate_proj);  // [T, I]
    const Matrix up = linear(x, w.up_proj);  // [T, I]
    // SwiGLU (silu) or Gemma's GeGLU (gelu_tanh): act(gate) * up.
    gate = (c.hidden_act == Activation::kSilu ? silu(gate) : gate.unaryExpr(&gelu_tanh)).cwiseProduct(up);
    return linear(gate, w.down_proj);  // [T, D]
  }
  const Matrix hidden = linear(x, w.up_proj, w.up_bias).unaryExpr(&gelu_tanh);  // [T, I]
  return linear(hidden, w.down_proj, w.down_bias);                             // [T, D]
}

}  // namespace kvlm
