// Attention (chapter 03): project to q, k, v; rotate q and k (RoPE); look at every earlier position
// through the causal mask; mix the values; project back. GQA: several query heads share a KV head.
// Not fused, not flash: scores are a full [T, S] matrix per head, readable rather than fast.
#pragma once

#include <vector>

#include "kvlm/cache/kv_cache.hpp"
#include "kvlm/config.hpp"
#include "kvlm/model/rope.hpp"
#include "kvlm/model/weights.hpp"

namespace kvlm {

// softmax(q k^T / sqrt(head_dim) + causal mask) v, head by head.
//   q [T, H*hd] for positions start_pos .. start_pos+T-1;  k, v [S, KV*hd] for positions 0 .. S-1.
//   Query t sees keys 0 .. start_pos + t (the causal mask); query head h reads KV head h / (H / KV).
//   probs, if given, receives each head's attention weights [T, S] (masked entries are 0).
// Returns [T, H*hd]. (k and v are read as one segment at position 0 by the function below.)
Matrix scaled_dot_product_attention(const MatrixRef& q, const MatrixRef& k, const MatrixRef& v, int num_heads,
                                    int num_kv_heads, int head_dim, int start_pos,
                                    std::vector<Matrix>* probs = nullptr);
// The same with the scale given (Gemma 3: query_pre_attn_scalar^-1/2) and a sliding window:
// with sliding_window W > 0, query t sees only keys start_pos + t - W + 1 .. start_pos + t (HF:
// sliding_window_overlay, kv_idx > q_idx - W).
Matrix scaled_dot_product_attention(const MatrixRef& q, const MatrixRef& k, const MatrixRef& v, int num_heads,
                                    int num_kv_heads, int head_dim, int start_pos, float scale, int sliding_window,
                                    std::vector<Matrix>* probs = nullptr);
// The one attention function: keys and values come as a cache's view, segments of consecutive
// positions (kv_cache.hpp), and the mask reads each key's position, not its index: a key at position
// p is seen by the query at position s when p <= s (and p > s - W with a sliding window W > 0).
// probs columns follow the view's rows in order, S = all of its rows.
Matrix scaled_dot_product_attention(const MatrixRef& q, const KVView& past, int num_heads, int num_kv_heads,
                                    int head_dim, int start_pos, float scale, int sliding_window,
                                    std::vector<Matrix>* probs = nullptr);

// The whole attention block of one layer, on normalized input x [T, D] -> [T, D].
// With a cache (any variant), this chunk's k and v are written to it and attention reads its view;
// without one (naive generation), attention reads only this chunk, which must then start at 0.
Matrix attention(const ModelConfig& config, const LayerWeights& w, const MatrixRef& x, const RopeAngles& angles,
                 int layer, int start_pos, KVCache* cache, std::vector<Matrix>* probs = nullptr);

}  // namespace kvlm
