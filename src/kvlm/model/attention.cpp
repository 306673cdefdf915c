// Attention; see attention.hpp.
#include "kvlm/model/attention.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "kvlm/error.hpp"
#include "kvlm/model/linear.hpp"
#include "kvlm/model/norms.hpp"
#include "kvlm/threads.hpp"

namespace kvlm {

Matrix scaled_dot_product_attention(const MatrixRef& q, const MatrixRef& k, const MatrixRef& v, int num_heads,
                                    int num_kv_heads, int head_dim, int start_pos, std::vector<Matrix>* probs) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  return scaled_dot_product_attention(q, k, v, num_heads, num_kv_heads, head_dim, start_pos, scale, 0, probs);
}

Matrix scaled_dot_product_attention(const MatrixRef& q, const MatrixRef& k, const MatrixRef& v, int num_heads,
                                    int num_kv_heads, int head_dim, int start_pos, float scale, int sliding_window,
                                    std::vector<Matrix>* probs) {
  const Eigen::Index T = q.rows(), S = k.rows();
  assert(q.cols() == static_cast<Eigen::Index>(num_heads) * head_dim);
  assert(k.cols() == static_cast<Eigen::Index>(num_kv_heads) * head_dim && v.rows() == S);
  assert(start_pos + T == S);  // the last query is the newest key
  const int groups = num_heads / num_kv_heads;  // HF: num_key_value_groups
  Matrix out(T, q.cols());
  if (probs) probs->assign(num_heads, Matrix());

  // One head: scores, causal softmax, weighted sum of values. Heads are independent.
  auto attend = [&](int h) {
    const int kv = h / groups;  // HF: repeat_kv
    const auto q_h = q.middleCols(h * head_dim, head_dim);   // [T, hd]
    const auto k_h = k.middleCols(kv * head_dim, head_dim);  // [S, hd]
    const auto v_h = v.middleCols(kv * head_dim, head_dim);  // [S, hd]
    Matrix p = (q_h * k_h.transpose()) * scale;              // [T, S] scores
    for (Eigen::Index t = 0; t < T; ++t) {
      // Causal mask: query t sits at position start_pos + t and sees keys 0 .. start_pos + t;
      // a sliding window also hides the keys before start_pos + t - sliding_window + 1.
      const Eigen::Index visible = start_pos + t + 1;
      const Eigen::Index first = sliding_window > 0 ? std::max<Eigen::Index>(0, visible - sliding_window) : 0;
      auto row = p.row(t).segment(first, visible - first);
      row = (row.array() - row.maxCoeff()).exp();  // softmax, shifted by the max for stability
      row /= row.sum();
      p.row(t).head(first).setZero();
      p.row(t).tail(S - visible).setZero();
    }
    out.middleCols(h * head_dim, head_dim).noalias() = p * v_h;  // [T, hd]
    if (probs) (*probs)[h] = std::move(p);
  };

  // Threads only pay off past ~1M multiply-adds; below that, waking them costs more than the work.
  if (T * S * q.cols() > (1 << 20)) {
    parallel_for(num_heads, attend);
  } else {
    for (int h = 0; h < num_heads; ++h) attend(h);
  }
  return out;
}

Matrix attention(const ModelConfig& c, const LayerWeights& w, const MatrixRef& x, const RopeAngles& angles, int layer,
                 int start_pos, KVCache* cache, std::vector<Matrix>* probs) {
  Matrix q = linear(x, w.q_proj, w.q_bias);  // [T, H*hd]
  Matrix k = linear(x, w.k_proj, w.k_bias);  // [T, KV*hd]
  Matrix v = linear(x, w.v_proj, w.v_bias);  // [T, KV*hd]
  if (c.qk_norm) {  // Qwen3, Gemma 3: RMSNorm over each head's head_dim values, before RoPE
    q = head_rms_norm(c, q, w.q_norm);
    k = head_rms_norm(c, k, w.k_norm);
  }
  apply_rope(q, c.num_attention_heads, c.head_dim, angles, c.rope_layout);
  apply_rope(k, c.num_key_value_heads, c.head_dim, angles, c.rope_layout);

  Matrix context;  // [T, H*hd]
  if (cache) {
    const KVCache::View past = cache->update(layer, start_pos, k, v);  // now holds 0 .. start_pos+T-1
    context = scaled_dot_product_attention(q, past.keys, past.values, c.num_attention_heads, c.num_key_value_heads,
                                           c.head_dim, start_pos, c.attention_scale(), c.layer_window(layer), probs);
  } else {
    if (start_pos != 0) throw Error("attention without a KV cache must start at position 0");
    context = scaled_dot_product_attention(q, k, v, c.num_attention_heads, c.num_key_value_heads, c.head_dim, 0,
                                           c.attention_scale(), c.layer_window(layer), probs);
  }
  return linear(context, w.o_proj, w.o_bias);  // [T, D]
}

}  // namespace kvlm
