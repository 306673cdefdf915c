// Int8KVCache (chapter 09): keys and values stored as int8 with one fp32 scale per position and KV
// head, about a quarter of the fp32 cache's bytes plus the scales. First its quantize step: one KV
// head's row at one position, [head_dim] fp32 -> [head_dim] int8 plus one fp32 scale, and back.
// Not a GGUF block format (io/gguf_quant.hpp's Q8_0 has blocks of 32 and an fp16 scale): a scale per
// head row works for any head_dim. Attention reads fp32 (quantized_kv_cache.hpp: the copy, and why).
//
// Symmetric, absmax:  scale = max|x| / 127,  q[i] = round(x[i] / scale) in -127..127,  x[i] ~ q[i] * scale.
// Each value comes back within scale / 2 = max|x| / 254 of itself: 8 bits cost about 0.4% of the
// row's largest value, whatever the row's magnitude.
//
// Why one scale per (position, KV head), not per block of positions or per channel:
//  - a position's row is written once and never changes: appending a token quantizes only its own
//    rows, and nothing already stored is ever requantized (a scale shared with later positions would
//    be, or would have to be fixed before those positions exist);
//  - the head_dim values of one head are exactly what one q.k dot product reads, so the scale comes
//    out of the sum: q.k = scale * sum(q[i] * k8[i]), one multiply per score in a fast int8 path;
//  - heads differ in magnitude, and a large key in one head does not coarsen the others.
// The price is 4 bytes of scale per head_dim bytes (6% at head_dim 64). Keys have a few large
// channels (KIVI quantizes keys per channel for that reason); absmax per row keeps those channels
// exact at the cost of coarser small ones, which the measured errors in the tests bound.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "kvlm/cache/quantized_kv_cache.hpp"

namespace kvlm {

constexpr float kInt8Max = 127.0f;  // symmetric: -127..127, -128 unused

// Writes q (same length as x) and returns the scale. A row of zeros gets scale 0 (and q = 0).
// A row holding NaN or Inf gets scale NaN and q = 0, so the NaN reaches the logits, where
// generate's non-finite check reports it, instead of being rounded into an int8 (undefined).
inline float quantize_row_int8(std::span<const float> x, std::span<int8_t> q) {
  float amax = 0.0f;
  for (const float v : x) {
    if (!std::isfinite(v)) {
      for (int8_t& qi : q) qi = 0;
      return std::numeric_limits<float>::quiet_NaN();
    }
    amax = std::max(amax, std::abs(v));
  }
  const float inverse = amax > 0.0f ? kInt8Max / amax : 0.0f;
  // Halves round away from zero (std::round), as ggml's Q8_0 does; |x * inverse| <= 127.
  for (size_t i = 0; i < x.size(); ++i) q[i] = static_cast<int8_t>(std::round(x[i] * inverse));
  return amax / kInt8Max;
}

inline void dequantize_row_int8(std::span<const int8_t> q, float scale, std::span<float> x) {
  for (size_t i = 0; i < q.size(); ++i) x[i] = static_cast<float>(q[i]) * scale;
}

class Int8KVCache final : public QuantizedKVCache {
 public:
  // Allocates [max_seq_len, kv_dim] int8 and [max_seq_len, kv_heads] scales for K and for V in every
  // layer, and the fp32 scratch.
  Int8KVCache(const ModelConfig& config, int max_seq_len);
  std::string kind() const override { return "int8"; }

 private:
  using Int8Matrix = Eigen::Matrix<int8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  // Each KV head's head_dim values of the row are quantized on their own (quantize_row_int8).
  void store(int layer, int position, std::span<const float> k, std::span<const float> v) override;
  void load(int layer, int position, std::span<float> k, std::span<float> v) const override;
  size_t stored_bytes_per_position() const override;  // 2 * layers * (kv_dim * 1 + kv_heads * 4)

  int head_dim_;
  std::vector<Int8Matrix> keys_, values_;        // per layer: [max_seq_len, kv_dim]
  std::vector<Matrix> key_scales_, value_scales_;  // per layer: [max_seq_len, kv_heads]
};

}  // namespace kvlm
