// ContiguousKVCache (chapter 06): the keys and values of every past position, per layer, preallocated.
// Not paged, not quantized, not shared between sequences: one contiguous fp32 block per layer, read
// by attention as one segment. Chapter 09's variants implement the same contract (kv_cache.hpp).
#pragma once

#include <cstddef>
#include <vector>

#include "kvlm/cache/kv_cache.hpp"
#include "kvlm/config.hpp"
#include "kvlm/tensor.hpp"

namespace kvlm {

class ContiguousKVCache : public KVCache {
 public:
  // Allocates [max_seq_len, num_key_value_heads * head_dim] for K and for V in every layer.
  ContiguousKVCache(const ModelConfig& config, int max_seq_len);

  // Writes this chunk's k and v [T, kv_dim] into rows [start_pos, start_pos + T) of `layer` and
  // returns rows [0, start_pos + T) as one segment at position 0.
  View update(int layer, int start_pos, const MatrixRef& k, const MatrixRef& v) override;
  View view(int layer) const override;

  int num_layers() const override { return static_cast<int>(keys_.size()); }
  int length() const override { return length_.back(); }  // positions filled in every layer
  int capacity() const override { return max_seq_len_; }
  int max_seq_len() const { return max_seq_len_; }
  const Matrix& keys(int layer) const { return keys_[layer]; }      // [max_seq_len, kv_dim]
  const Matrix& values(int layer) const { return values_[layer]; }  // first length() rows filled
  void clear() override;  // forget every position (the memory stays allocated)
  void truncate(int length) override;

  size_t bytes() const override;  // memory held: 2 * layers * max_seq_len * kv_dim * sizeof(float)
  size_t bytes_used() const override;  // length() * bytes_per_token
  std::string kind() const override { return "contiguous"; }

 private:
  int max_seq_len_;
  std::vector<Matrix> keys_, values_;  // per layer: [max_seq_len, kv_dim]
  std::vector<int> length_;            // per layer: positions written
};

}  // namespace kvlm
