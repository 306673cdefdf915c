// Exercise 1 of chapter 06: the KV cache. Fill in update() and bytes_per_token().
// Not graded by reading: test_kv_cache.cpp feeds it HF's keys and values, chunk by chunk.
#include <stdexcept>

#include "exercises.hpp"
#include "kvlm/error.hpp"

namespace kvlm::exercises {

ContiguousKVCache::ContiguousKVCache(const ModelConfig& config, int max_seq_len) : max_seq_len_(max_seq_len) {
  if (max_seq_len <= 0) throw Error("the KV cache needs room for at least one position");
  for (int l = 0; l < config.num_hidden_layers; ++l) {
    keys_.emplace_back(Matrix::Zero(max_seq_len, config.kv_dim()));
    values_.emplace_back(Matrix::Zero(max_seq_len, config.kv_dim()));
  }
  length_.assign(config.num_hidden_layers, 0);
}

// 1. Positions must stay contiguous: throw kvlm::Error if start_pos < 0 or start_pos > length_[layer]
//    (writing at start_pos < length_ overwrites: that is allowed, e.g. to regenerate).
// 2. end = start_pos + k.rows(); throw kvlm::Error if end > max_seq_len_ (the context is full).
// 3. Copy k into rows [start_pos, end) of keys_[layer] (middleRows), v into values_[layer].
// 4. length_[layer] = end; return {keys_[layer].topRows(end), values_[layer].topRows(end)}.
ContiguousKVCache::View ContiguousKVCache::update(int layer, int start_pos, const MatrixRef& k, const MatrixRef& v) {
  (void)layer;
  (void)start_pos;
  (void)k;
  (void)v;
  throw std::logic_error("exercise: not implemented: ContiguousKVCache::update (chapters/06_kv_cache/exercises/kv_cache.cpp)");
}

void ContiguousKVCache::clear() { std::fill(length_.begin(), length_.end(), 0); }

size_t ContiguousKVCache::bytes() const {
  size_t n = 0;
  for (size_t l = 0; l < keys_.size(); ++l) n += (keys_[l].size() + values_[l].size()) * sizeof(float);
  return n;
}

// Every layer stores, per position, one key and one value of num_key_value_heads * head_dim floats.
// (Query heads do not count: with GQA several query heads read the same cached key.)
size_t ContiguousKVCache::bytes_per_token(const ModelConfig& config) {
  (void)config;
  throw std::logic_error(
      "exercise: not implemented: ContiguousKVCache::bytes_per_token (chapters/06_kv_cache/exercises/kv_cache.cpp)");
}

}  // namespace kvlm::exercises
