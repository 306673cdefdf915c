// forward on the GPU; see transformer.hpp. Read it beside model/transformer.cpp (and attention.cpp,
// mlp.cpp): the same steps in the same order, each a call of a CUDA twin on device arrays.
#include "kvlm/cuda/transformer.hpp"

#include <algorithm>
#include <string>

#include "kvlm/cuda/fast_ops.hpp"
#include "kvlm/cuda/ops.hpp"
#include "kvlm/error.hpp"
#include "kvlm/model/rope.hpp"

namespace kvlm::cuda {
namespace {

DeviceArray<float> upload_values(const float* data, Eigen::Index n) {
  return n ? DeviceArray<float>(data, static_cast<size_t>(n)) : DeviceArray<float>();
}
DeviceArray<float> upload_vector(const Vector& v) { return upload_values(v.data(), v.size()); }
DeviceArray<float> upload_linear(const LinearWeight& w) {
  if (!w.size()) return {};
  const Matrix m = w.dequantized();  // blocks widened to fp32: the GPU path is fp32 only
  return upload_values(m.data(), m.size());
}
// A norm's weight as norms.cpp's norm() uses it: Gemma's RMSNorm scales by (1 + w).
DeviceArray<float> upload_norm(const ModelConfig& c, const Vector& w) {
  if (c.norm == NormKind::kRmsNorm && c.norm_weight_offset != 0.0f && w.size())
    return upload_vector((w.array() + c.norm_weight_offset).matrix());
  return upload_vector(w);
}

// norms.cpp's norm(): RMSNorm or LayerNorm as the config says, over `rows` rows of `dim` values.
// In place (y == x) is allowed: each block reads its row before writing it.
void norm(const ModelConfig& c, const float* x, int rows, int dim, const DeviceArray<float>& weight,
          const DeviceArray<float>& bias, float* y) {
  if (c.norm == NormKind::kLayerNorm) {
    layer_norm(x, weight.data(), bias.data(), rows, dim, c.norm_eps, y);
  } else {
    rms_norm(x, weight.data(), rows, dim, c.norm_eps, y);
  }
}

// linear and attention in the version the model asks for (Kernels): the plain kernel or its fast twin.
void project(const Model& m, const float* x, const DeviceArray<float>& w, const DeviceArray<float>& bias, int T,
             int in, int out, float* y) {
  if (m.kernels == Kernels::kFast) {
    fast::linear(x, w.data(), bias.data(), T, in, out, y);
  } else {
    linear(x, w.data(), bias.data(), T, in, out, y);
  }
}
void attend(const Model& m, const float* q, const float* k, const float* v, int T, int S, int layer, int start_pos,
            DeviceArray<float>& scratch, float* out) {
  const ModelConfig& c = m.config;
  if (m.kernels == Kernels::kFast) {
    fast::scaled_dot_product_attention(q, k, v, T, S, c.num_attention_heads, c.num_key_value_heads, c.head_dim,
                                       start_pos, c.attention_scale(), c.layer_window(layer), scratch, out);
  } else {
    scaled_dot_product_attention(q, k, v, T, S, c.num_attention_heads, c.num_key_value_heads, c.head_dim, start_pos,
                                 c.attention_scale(), c.layer_window(layer), out);
  }
}

// RoPE's cos and sin for these positions (computed on the host in double, as on the CPU).
struct DeviceAngles {
  DeviceArray<float> cos, sin;
};
DeviceAngles upload_angles(const RopeAngles& a) {
  return {upload_values(a.cos.data(), a.cos.size()), upload_values(a.sin.data(), a.sin.size())};
}

}  // namespace

size_t device_bytes(const kvlm::Model& model) { return static_cast<size_t>(parameter_count(model)) * sizeof(float); }

Model upload(const kvlm::Model& host) {
  const ModelConfig& c = host.config;
  const size_t needed = device_bytes(host);
  const MemoryInfo memory = memory_info();
  if (needed > memory.free)
    throw Error("the model needs " + std::to_string(needed >> 20) + " MiB of GPU memory and the GPU has " +
                std::to_string(memory.free >> 20) + " MiB free");
  const Weights& w = host.weights;
  Model m;
  m.config = c;
  m.embed_tokens = upload_linear(w.embed_tokens);
  m.embed_positions = upload_values(w.embed_positions.data(), w.embed_positions.size());
  m.norm = upload_norm(c, w.norm);
  m.norm_bias = upload_vector(w.norm_bias);
  m.lm_head = upload_linear(w.lm_head);  // empty when tied
  for (const kvlm::LayerWeights& l : w.layers) {
    LayerWeights d;
    d.input_layernorm = upload_norm(c, l.input_layernorm);
    d.input_layernorm_bias = upload_vector(l.input_layernorm_bias);
    d.q_proj = upload_linear(l.q_proj);
    d.k_proj = upload_linear(l.k_proj);
    d.v_proj = upload_linear(l.v_proj);
    d.o_proj = upload_linear(l.o_proj);
    d.q_bias = upload_vector(l.q_bias);
    d.k_bias = upload_vector(l.k_bias);
    d.v_bias = upload_vector(l.v_bias);
    d.o_bias = upload_vector(l.o_bias);
    d.q_norm = upload_norm(c, l.q_norm);
    d.k_norm = upload_norm(c, l.k_norm);
    d.post_attention_layernorm = upload_norm(c, l.post_attention_layernorm);
    d.post_attention_layernorm_bias = upload_vector(l.post_attention_layernorm_bias);
    d.gate_proj = upload_linear(l.gate_proj);
    d.up_proj = upload_linear(l.up_proj);
    d.down_proj = upload_linear(l.down_proj);
    d.up_bias = upload_vector(l.up_bias);
    d.down_bias = upload_vector(l.down_bias);
    d.pre_feedforward_layernorm = upload_norm(c, l.pre_feedforward_layernorm);
    d.post_feedforward_layernorm = upload_norm(c, l.post_feedforward_layernorm);
    m.layers.push_back(std::move(d));
  }
  return m;
}

Matrix forward(const Model& model, std::span<const int> ids, int start_pos, KVCache* cache, int logits_to_keep) {
  const ModelConfig& c = model.config;
  const int T = static_cast<int>(ids.size());
  if (T == 0) throw Error("forward needs at least one token");
  if (start_pos < 0 || start_pos + T > c.max_position_embeddings)
    throw Error("positions " + std::to_string(start_pos) + ".." + std::to_string(start_pos + T - 1) +
                " exceed the model's context of " + std::to_string(c.max_position_embeddings) + " tokens");
  if (cache && start_pos != cache->length())
    throw Error("forward at position " + std::to_string(start_pos) + " but the KV cache holds " +
                std::to_string(cache->length()) + " positions");
  if (!cache && start_pos != 0) throw Error("attention without a KV cache must start at position 0");
  const int D = c.hidden_size, H = c.num_attention_heads, KV = c.num_key_value_heads, hd = c.head_dim;
  const int I = c.intermediate_size, q_dim = H * hd, kv_dim = c.kv_dim();
  const long TD = static_cast<long>(T) * D;

  // 1. Token ids -> vectors (GPT-2 adds a learned vector per position; Gemma scales by sqrt(D)).
  DeviceArray<float> x(TD);  // [T, D], the residual stream
  embed_tokens(model.embed_tokens.data(), c.vocab_size, D, ids.data(), T, x.data());
  if (c.architecture == Architecture::kGpt2) add_position_embeddings(x.data(), model.embed_positions.data(), T, D, start_pos);
  if (c.embed_scale != 1.0f) scale(x.data(), TD, c.embed_scale);

  // RoPE's cos/sin for these positions, shared by every layer (Gemma 3's sliding layers have their own).
  const bool rope = c.rope_layout != RopeLayout::kNone;
  const bool local_rope = rope && c.rope_local_base_freq > 0;
  const bool interleaved = c.rope_layout == RopeLayout::kInterleaved;
  const DeviceAngles angles = rope ? upload_angles(rope_angles(rope_frequencies(c), start_pos, T)) : DeviceAngles{};
  const DeviceAngles local_angles =
      local_rope ? upload_angles(rope_angles(rope_frequencies(c, true), start_pos, T)) : DeviceAngles{};

  // Scratch for one layer, reused by every layer.
  DeviceArray<float> h(TD), q(static_cast<size_t>(T) * q_dim), k(static_cast<size_t>(T) * kv_dim),
      v(static_cast<size_t>(T) * kv_dim), context(static_cast<size_t>(T) * q_dim), out(TD),
      gate(static_cast<size_t>(T) * I), up(static_cast<size_t>(T) * I);
  DeviceArray<float> scores;  // the fast attention's [T, H, S] scores, allocated by the first layer

  // 2. The layers: each reads the stream through a norm and adds its result back (pre-norm residuals).
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    const LayerWeights& w = model.layers[l];
    const DeviceAngles& layer_angles = local_rope && c.layer_is_sliding(l) ? local_angles : angles;

    norm(c, x.data(), T, D, w.input_layernorm, w.input_layernorm_bias, h.data());
    // attention.cpp's attention(): project, (q/k norm), rotate, attend, project back.
    project(model, h.data(), w.q_proj, w.q_bias, T, D, q_dim, q.data());
    project(model, h.data(), w.k_proj, w.k_bias, T, D, kv_dim, k.data());
    project(model, h.data(), w.v_proj, w.v_bias, T, D, kv_dim, v.data());
    if (c.qk_norm) {  // Qwen3, Gemma 3: RMSNorm over each head's head_dim values, before RoPE
      norm(c, q.data(), T * H, hd, w.q_norm, {}, q.data());
      norm(c, k.data(), T * KV, hd, w.k_norm, {}, k.data());
    }
    if (rope) {
      apply_rope(q.data(), T, H, hd, layer_angles.cos.data(), layer_angles.sin.data(), interleaved);
      apply_rope(k.data(), T, KV, hd, layer_angles.cos.data(), layer_angles.sin.data(), interleaved);
    }
    if (cache) {  // keys and values of every position so far, read in place
      cache->update(l, start_pos, k.data(), v.data(), T);
      attend(model, q.data(), cache->keys(l), cache->values(l), T, start_pos + T, l, start_pos, scores, context.data());
    } else {
      attend(model, q.data(), k.data(), v.data(), T, T, l, 0, scores, context.data());
    }
    project(model, context.data(), w.o_proj, w.o_bias, T, q_dim, D, out.data());
    if (c.sandwich_norms) norm(c, out.data(), T, D, w.post_attention_layernorm, {}, out.data());  // Gemma 3
    add(x.data(), out.data(), TD);

    // mlp.cpp's mlp(): SwiGLU / GeGLU, or GPT-2's GELU MLP.
    const DeviceArray<float>& mlp_norm = c.sandwich_norms ? w.pre_feedforward_layernorm : w.post_attention_layernorm;
    norm(c, x.data(), T, D, mlp_norm, w.post_attention_layernorm_bias, h.data());
    const long TI = static_cast<long>(T) * I;
    if (c.gated_mlp()) {
      project(model, h.data(), w.gate_proj, {}, T, D, I, gate.data());
      project(model, h.data(), w.up_proj, {}, T, D, I, up.data());
      if (c.hidden_act == Activation::kSilu) {
        silu_mul(gate.data(), up.data(), TI);
      } else {
        gelu_tanh_mul(gate.data(), up.data(), TI);
      }
      project(model, gate.data(), w.down_proj, {}, T, I, D, out.data());
    } else {
      project(model, h.data(), w.up_proj, w.up_bias, T, D, I, up.data());
      gelu_tanh(up.data(), TI);
      project(model, up.data(), w.down_proj, w.down_bias, T, I, D, out.data());
    }
    if (c.sandwich_norms) norm(c, out.data(), T, D, w.post_feedforward_layernorm, {}, out.data());  // Gemma 3
    add(x.data(), out.data(), TD);
  }

  // 3. Final norm, then one score per vocabulary entry, for the last `keep` positions only.
  norm(c, x.data(), T, D, model.norm, model.norm_bias, h.data());
  const int keep = logits_to_keep > 0 ? std::min(logits_to_keep, T) : T;
  DeviceArray<float> logits(static_cast<size_t>(keep) * c.vocab_size);
  project(model, h.data() + static_cast<long>(T - keep) * D, model.output_matrix(), {}, keep, D, c.vocab_size,
          logits.data());
  Matrix result(keep, c.vocab_size);
  logits.download(result.data(), result.size());
  return result;
}

}  // namespace kvlm::cuda
