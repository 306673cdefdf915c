// QuantizedKVCache (chapter 09): what the fp16 and int8 caches share. Keys and values are stored in a
// smaller format, one row per position (fp16_kv_cache.hpp, int8_kv_cache.hpp say how); attention still
// reads fp32: each update dequantizes the layer's positions into one fp32 scratch, handed over as one
// segment at position 0. Not a format itself, and not the fast way to read a quantized cache.
//
// This is the readable version, and a copy: every update widens all of the layer's positions again,
// about as many values as attention then reads, so it costs about one more pass over the cache. That
// is acceptable here because the point is the error, not the speed: attention sees exactly the values
// a fused kernel would compute with (llama.cpp dequantizes inside its dot products instead, and never
// holds an fp32 copy). The scratch is one layer's worth ([max_seq_len, kv_dim] for K and for V,
// shared by the layers, which attention reads one after another), so it adds 1 / num_layers of an
// fp32 cache; bytes() counts it.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "kvlm/cache/kv_cache.hpp"
#include "kvlm/config.hpp"
#include "kvlm/tensor.hpp"

namespace kvlm {

class QuantizedKVCache : public KVCache {
 public:
  // Writes this chunk's rows in the stored format, then returns positions [0, start_pos + T) widened
  // to fp32, the chunk's own included: attention reads only what the cache kept.
  View update(int layer, int start_pos, const MatrixRef& k, const MatrixRef& v) override;
  // Widens `layer` into the scratch again: valid until the next update or view of any layer.
  View view(int layer) const override;

  int num_layers() const override { return static_cast<int>(length_.size()); }
  int length() const override { return length_.back(); }
  int capacity() const override { return max_seq_len_; }
  void clear() override;
  void truncate(int length) override;
  size_t bytes() const override;       // the stored format for max_seq_len positions, plus the scratch
  size_t bytes_used() const override;  // the stored format for the positions held (no scratch)

 protected:
  QuantizedKVCache(const ModelConfig& config, int max_seq_len);

  // One position of one layer: its key and value rows [kv_dim] into the stored format, and back.
  virtual void store(int layer, int position, std::span<const float> k, std::span<const float> v) = 0;
  virtual void load(int layer, int position, std::span<float> k, std::span<float> v) const = 0;
  virtual size_t stored_bytes_per_position() const = 0;  // K and V of every layer

  int max_seq_len_;
  int kv_dim_;

 private:
  View widen(int layer, int end) const;  // positions [0, end) of `layer` into the scratch

  std::vector<int> length_;                    // per layer: positions written
  mutable Matrix scratch_keys_, scratch_values_;  // [max_seq_len, kv_dim]: one layer, widened
};

}  // namespace kvlm
