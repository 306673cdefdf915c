// KVCache (chapter 06): the keys and values of every past position, per layer, preallocated.
// Not paged, not quantized, not shared between sequences: one contiguous fp32 block per layer.
#pragma once

#include <cstddef>
#include <vector>

#include "kvlm/config.hpp"
#include "kvlm/tensor.hpp"

namespace kvlm {

class KVCache {
 public:
  // Allocates [max_seq_len, num_key_value_heads * head_dim] for K and for V in every layer.
  KVCache(const ModelConfig& config, int max_seq_len);

  // Like HF's Cache.update: writes this chunk's k and v [T, kv_dim] (keys already rotated by RoPE)
  // at positions [start_pos, start_pos + T) of `layer`, and returns the keys and values of all
  // positions [0, start_pos + T) that attention may now look at.
  struct View {
    Eigen::Ref<const Matrix> keys;    // [start_pos + T, kv_dim]
    Eigen::Ref<const Matrix> values;  // [start_pos + T, kv_dim]
  };
  View update(int layer, int start_pos, const MatrixRef& k, const MatrixRef& v);

  int length() const { return length_.back(); }  // positions filled in every layer
  int max_seq_len() const { return max_seq_len_; }
  const Matrix& keys(int layer) const { return keys_[layer]; }
  const Matrix& values(int layer) const { return values_[layer]; }
  void clear();  // forget every position (the memory stays allocated)

  size_t bytes() const;  // memory held: 2 * layers * max_seq_len * kv_dim * sizeof(float)
  static size_t bytes_per_token(const ModelConfig& config);  // 2 * layers * kv_heads * head_dim * 4

 private:
  int max_seq_len_;
  std::vector<Matrix> keys_, values_;  // per layer: [max_seq_len, kv_dim]
  std::vector<int> length_;            // per layer: positions written
};

}  // namespace kvlm
