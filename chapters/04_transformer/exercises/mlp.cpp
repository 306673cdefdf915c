// Exercise 2 of chapter 04: the MLP, SwiGLU (Llama, Qwen2) and GPT-2's. Fill in mlp().
// Not graded by reading: test_mlp.cpp runs it in every layer and compares with HF.
#include <stdexcept>

#include "exercises.hpp"
#include "kvlm/model/linear.hpp"

namespace kvlm::exercises {

// Use kvlm::linear(x, weight, bias) (y = x W^T + b) for the projections, and kvlm::silu /
// kvlm::gelu_tanh (src/kvlm/model/mlp.hpp) element by element (Eigen: m.unaryExpr(&kvlm::silu)).
//   SwiGLU, when config.gated_mlp():
//     gate = linear(x, w.gate_proj)   [T, I]
//     up   = linear(x, w.up_proj)     [T, I]
//     return linear(silu(gate) * up (element-wise), w.down_proj)   [T, D]
//   GPT-2 otherwise:
//     hidden = gelu_tanh(linear(x, w.up_proj, w.up_bias))         [T, I]
//     return linear(hidden, w.down_proj, w.down_bias)              [T, D]
Matrix mlp(const ModelConfig& config, const LayerWeights& w, const MatrixRef& x) {
  (void)config;
  (void)w;
  (void)x;
  throw std::logic_error("exercise: not implemented: mlp (chapters/04_transformer/exercises/mlp.cpp)");
}

}  // namespace kvlm::exercises
