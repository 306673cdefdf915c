// forward on the GPU (chapter 07): model/transformer.hpp's forward, step for step, on the CUDA twins
// of its ops (cuda/ops.hpp), with the weights uploaded once and the KV cache in device memory.
// Read the two files side by side: the same numbered steps, the same names.
//
// The generation loops drive it through cuda::Decoder (cuda/decoder.hpp).
#pragma once

#include <span>
#include <vector>

#include "kvlm/cuda/device.hpp"
#include "kvlm/cuda/kv_cache.hpp"
#include "kvlm/model/weights.hpp"

namespace kvlm::cuda {

// One block's weights in device memory, in fp32 (quantized projections are widened at upload). An
// empty array (data() == nullptr) means "this architecture has none", as an empty Vector does.
struct LayerWeights {
  DeviceArray<float> input_layernorm, input_layernorm_bias;
  DeviceArray<float> q_proj, k_proj, v_proj, o_proj, q_bias, k_bias, v_bias, o_bias;
  DeviceArray<float> q_norm, k_norm;
  DeviceArray<float> post_attention_layernorm, post_attention_layernorm_bias;
  DeviceArray<float> gate_proj, up_proj, down_proj, up_bias, down_bias;
  DeviceArray<float> pre_feedforward_layernorm, post_feedforward_layernorm;
};

// Which versions of linear and attention forward runs: the plain kernels of ops.hpp, which read like
// the CPU's loops, or their fast twins in fast_ops.hpp (the default). The tests run both.
enum class Kernels { kPlain, kFast };

// The whole model on the GPU. RMSNorm weights are stored with the config's norm_weight_offset
// already added (Gemma's 1 + w), as the CPU's norm() adds it before normalizing.
struct Model {
  ModelConfig config;
  DeviceArray<float> embed_tokens, embed_positions, norm, norm_bias, lm_head;  // lm_head empty when tied
  std::vector<LayerWeights> layers;
  Kernels kernels = Kernels::kFast;

  const DeviceArray<float>& output_matrix() const { return lm_head.data() ? lm_head : embed_tokens; }
};

// Device bytes the weights take in fp32 (what upload allocates).
size_t device_bytes(const kvlm::Model& model);

// Uploads every weight. Refuses, before allocating anything, a model that does not fit the GPU's free
// memory: kvlm::Error("the model needs N MiB of GPU memory and the GPU has M MiB free").
Model upload(const kvlm::Model& model);

// The CPU forward's contract (model/transformer.hpp): ids at positions start_pos .. start_pos + T - 1;
// cache == nullptr recomputes from position 0 (naive), else appends to the cache (start_pos must equal
// cache->length()). Returns the logits of the last logits_to_keep positions (0: all), on the host.
// Throws the CPU's kvlm::Error sentences for an id outside the vocabulary or positions past the context.
Matrix forward(const Model& model, std::span<const int> ids, int start_pos, KVCache* cache, int logits_to_keep = 0);

}  // namespace kvlm::cuda
