// Exercise 2 of chapter 06: the attention block, with the KV cache. Fill in attention().
// Not graded by reading: test_cached_attention.cpp decodes the last token of HF's prompts with it.
#include <stdexcept>

#include "exercises.hpp"
#include "kvlm/error.hpp"
#include "kvlm/model/linear.hpp"

namespace kvlm::exercises {

// x [T, D] holds the normalized inputs of positions start_pos .. start_pos + T - 1.
// 1. q = linear(x, w.q_proj, w.q_bias) [T, H*hd];  k, v likewise with k_proj/k_bias, v_proj/v_bias [T, KV*hd].
// 2. kvlm::apply_rope on q (num_attention_heads) and on k (num_key_value_heads), config.rope_layout.
// 3. With a cache (the NEW part of chapter 06): past = cache->update(layer, start_pos, k, v), a
//    kvlm::KVView: segments of keys and values [n, KV*hd] with the position of their first row
//    (a contiguous cache gives one segment, positions 0 .. start_pos + T - 1). Attention reads it:
//      kvlm::scaled_dot_product_attention(q, past, H, KV, hd, start_pos, config.attention_scale(),
//                                         config.layer_window(layer), probs)
//    Without a cache: start_pos must be 0 (throw kvlm::Error otherwise); attend to this chunk's k, v
//    (the overload taking q, k, v, H, KV, hd, 0, config.attention_scale(), config.layer_window(layer), probs).
// 4. Return linear(context, w.o_proj, w.o_bias) [T, D].
Matrix attention(const ModelConfig& config, const LayerWeights& w, const MatrixRef& x, const RopeAngles& angles,
                 int layer, int start_pos, kvlm::KVCache* cache, std::vector<Matrix>* probs) {
  (void)config;
  (void)w;
  (void)x;
  (void)angles;
  (void)layer;
  (void)start_pos;
  (void)cache;
  (void)probs;
  throw std::logic_error("exercise: not implemented: attention (chapters/06_kv_cache/exercises/attention.cpp)");
}

}  // namespace kvlm::exercises
