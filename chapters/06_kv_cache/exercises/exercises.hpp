// Chapter 06 exercises: the cache update and memory arithmetic (ContiguousKVCache), and the attention
// block reading the cache (attention), with the library's signatures (src/kvlm/cache/contiguous.hpp,
// src/kvlm/model/attention.hpp). With KVLM_EXERCISE_SOLUTIONS defined, these are the library's own.
#pragma once

#include <vector>

#include "kvlm/cache/contiguous.hpp"
#include "kvlm/model/attention.hpp"

namespace kvlm::exercises {
#ifdef KVLM_EXERCISE_SOLUTIONS
using kvlm::attention;
using kvlm::ContiguousKVCache;
#else
// Exercise 1 (kv_cache.cpp): kvlm::ContiguousKVCache. The constructor, accessors, clear() and bytes()
// are given; update() and bytes_per_token() are yours.
class ContiguousKVCache {
 public:
  ContiguousKVCache(const ModelConfig& config, int max_seq_len);  // [max_seq_len, kv_dim] for K and V per layer

  // Writes k, v [T, kv_dim] at positions [start_pos, start_pos + T) of `layer`; returns the keys and
  // values of positions [0, start_pos + T) as one segment (kvlm::KVSegment: keys, values, first_pos 0).
  // Throws kvlm::Error for a gap or for running past max_seq_len.
  using View = kvlm::KVView;
  View update(int layer, int start_pos, const MatrixRef& k, const MatrixRef& v);

  int length() const { return length_.back(); }
  int max_seq_len() const { return max_seq_len_; }
  const Matrix& keys(int layer) const { return keys_[layer]; }
  const Matrix& values(int layer) const { return values_[layer]; }
  void clear();

  size_t bytes() const;
  static size_t bytes_per_token(const ModelConfig& config);  // bytes one more position adds

 private:
  int max_seq_len_;
  std::vector<Matrix> keys_, values_;  // per layer: [max_seq_len, kv_dim]
  std::vector<int> length_;            // per layer: positions written
};

// Exercise 2 (attention.cpp): the whole attention block of one layer on normalized input
// x [T, D] -> [T, D], the version that can read a cache (kvlm::attention).
Matrix attention(const ModelConfig& config, const LayerWeights& w, const MatrixRef& x, const RopeAngles& angles,
                 int layer, int start_pos, kvlm::KVCache* cache, std::vector<Matrix>* probs = nullptr);
#endif
}  // namespace kvlm::exercises
