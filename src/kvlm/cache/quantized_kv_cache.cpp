// QuantizedKVCache; see quantized_kv_cache.hpp.
#include "kvlm/cache/quantized_kv_cache.hpp"

#include <algorithm>
#include <cassert>
#include <string>

#include "kvlm/error.hpp"

namespace kvlm {

QuantizedKVCache::QuantizedKVCache(const ModelConfig& config, int max_seq_len)
    : max_seq_len_(max_seq_len), kv_dim_(config.kv_dim()) {
  if (max_seq_len <= 0) throw Error("the KV cache needs room for at least one position");
  length_.assign(config.num_hidden_layers, 0);
  scratch_keys_ = Matrix::Zero(max_seq_len, kv_dim_);
  scratch_values_ = Matrix::Zero(max_seq_len, kv_dim_);
}

KVCache::View QuantizedKVCache::update(int layer, int start_pos, const MatrixRef& k, const MatrixRef& v) {
  assert(k.rows() == v.rows() && k.cols() == kv_dim_ && v.cols() == kv_dim_);
  const int end = start_pos + static_cast<int>(k.rows());
  check_no_gap(start_pos, length_[layer]);
  check_capacity(end, max_seq_len_);
  for (int i = 0; i < k.rows(); ++i)
    store(layer, start_pos + i, {k.row(i).data(), static_cast<size_t>(kv_dim_)},
          {v.row(i).data(), static_cast<size_t>(kv_dim_)});
  length_[layer] = end;
  return widen(layer, end);
}

KVCache::View QuantizedKVCache::view(int layer) const { return widen(layer, length_[layer]); }

KVCache::View QuantizedKVCache::widen(int layer, int end) const {
  for (int p = 0; p < end; ++p)
    load(layer, p, {scratch_keys_.row(p).data(), static_cast<size_t>(kv_dim_)},
         {scratch_values_.row(p).data(), static_cast<size_t>(kv_dim_)});
  return {{scratch_keys_.topRows(end), scratch_values_.topRows(end), /*first_pos=*/0}};
}

void QuantizedKVCache::clear() { std::fill(length_.begin(), length_.end(), 0); }

void QuantizedKVCache::truncate(int length) {
  if (length < 0 || length > this->length())
    throw Error("KV cache: cannot truncate " + std::to_string(this->length()) + " positions to " + std::to_string(length));
  std::fill(length_.begin(), length_.end(), length);
}

size_t QuantizedKVCache::bytes() const {
  const size_t scratch = (scratch_keys_.size() + scratch_values_.size()) * sizeof(float);
  return static_cast<size_t>(max_seq_len_) * stored_bytes_per_position() + scratch;
}

size_t QuantizedKVCache::bytes_used() const { return static_cast<size_t>(length()) * stored_bytes_per_position(); }

}  // namespace kvlm
