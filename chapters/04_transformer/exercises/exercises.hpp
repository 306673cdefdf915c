// Chapter 04 exercises: RMSNorm and the MLP (SwiGLU, and GPT-2's GELU MLP), with the library's
// signatures (src/kvlm/model/norms.hpp, mlp.hpp). With KVLM_EXERCISE_SOLUTIONS defined, these
// names are the library's own functions.
#pragma once

#include "kvlm/model/mlp.hpp"
#include "kvlm/model/norms.hpp"

namespace kvlm::exercises {
#ifdef KVLM_EXERCISE_SOLUTIONS
using kvlm::mlp;
using kvlm::rms_norm;
#else
// Exercise 1 (norms.cpp): y = x / sqrt(mean(x^2) + eps) * weight, row by row (HF LlamaRMSNorm).
Matrix rms_norm(const MatrixRef& x /*[T, D]*/, const Vector& weight /*[D]*/, float eps);

// Exercise 2 (mlp.cpp):
//   SwiGLU (config.gated_mlp()): down_proj( silu(gate_proj x) * up_proj x )
//   GPT-2:                       down_proj( gelu_tanh(up_proj x + up_bias) ) + down_bias
Matrix mlp(const ModelConfig& config, const LayerWeights& w, const MatrixRef& x /*[T, D]*/);  // -> [T, D]
#endif
}  // namespace kvlm::exercises
