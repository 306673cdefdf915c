// Attention; see attention.hpp.
#include "kvlm/model/attention.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

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
  assert(start_pos + q.rows() == k.rows());  // the last query is the newest key
  return scaled_dot_product_attention(q, KVView{{k, v, /*first_pos=*/0}}, num_heads, num_kv_heads, head_dim, start_pos,
                                      scale, sliding_window, probs);
}

Matrix scaled_dot_product_attention(const MatrixRef& q, const KVView& past, int num_heads, int num_kv_heads,
                                    int head_dim, int start_pos, float scale, int sliding_window,
                                    std::vector<Matrix>* probs) {
  const Eigen::Index T = q.rows();
  assert(q.cols() == static_cast<Eigen::Index>(num_heads) * head_dim);
  std::vector<int> key_pos;  // [S]: the position of every key, in the view's order
  for (const KVSegment& s : past) {
    assert(s.keys.cols() == static_cast<Eigen::Index>(num_kv_heads) * head_dim && s.values.rows() == s.keys.rows());
    for (Eigen::Index i = 0; i < s.keys.rows(); ++i) key_pos.push_back(s.first_pos + static_cast<int>(i));
  }
  const auto S = static_cast<Eigen::Index>(key_pos.size());
  const int groups = num_heads / num_kv_heads;  // HF: num_key_value_groups
  Matrix out(T, q.cols());
  if (probs) probs->assign(num_heads, Matrix());

  // One head: scores, causal softmax, weighted sum of values. Heads are independent.
  auto attend = [&](int h) {
    const int kv = h / groups;  // HF: repeat_kv
    const auto q_h = q.middleCols(h * head_dim, head_dim);  // [T, hd]
    Matrix p(T, S);                                         // [T, S] scores, segment by segment
    Eigen::Index col = 0;
    for (const KVSegment& s : past) {
      p.middleCols(col, s.keys.rows()).noalias() = (q_h * s.keys.middleCols(kv * head_dim, head_dim).transpose()) * scale;
      col += s.keys.rows();
    }
    for (Eigen::Index t = 0; t < T; ++t) {
      // Causal mask: the query at position start_pos + t sees keys at positions <= its own;
      // a sliding window also hides the keys at positions <= start_pos + t - sliding_window.
      const int query_pos = start_pos + static_cast<int>(t);
      auto visible = [&](Eigen::Index j) {
        return key_pos[j] <= query_pos && (sliding_window <= 0 || key_pos[j] > query_pos - sliding_window);
      };
      auto row = p.row(t);
      float max = -std::numeric_limits<float>::infinity();
      for (Eigen::Index j = 0; j < S; ++j)
        if (visible(j)) max = std::max(max, row(j));
      row = (row.array() - max).exp();  // softmax, shifted by the max for stability
      for (Eigen::Index j = 0; j < S; ++j)
        if (!visible(j)) row(j) = 0.0f;  // masked: weight exactly 0
      row /= row.sum();
    }
    auto out_h = out.middleCols(h * head_dim, head_dim);  // [T, hd]
    out_h.setZero();
    col = 0;
    for (const KVSegment& s : past) {
      out_h.noalias() += p.middleCols(col, s.values.rows()) * s.values.middleCols(kv * head_dim, head_dim);
      col += s.values.rows();
    }
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
    const KVView past = cache->update(layer, start_pos, k, v);  // now holds this chunk and what came before
    context = scaled_dot_product_attention(q, past, c.num_attention_heads, c.num_key_value_heads, c.head_dim,
                                           start_pos, c.attention_scale(), c.layer_window(layer), probs);
  } else {
    if (start_pos != 0) throw Error("attention without a KV cache must start at position 0");
    context = scaled_dot_product_attention(q, k, v, c.num_attention_heads, c.num_key_value_heads, c.head_dim, 0,
                                           c.attention_scale(), c.layer_window(layer), probs);
  }
  return linear(context, w.o_proj, w.o_bias);  // [T, D]
}

}  // namespace kvlm
