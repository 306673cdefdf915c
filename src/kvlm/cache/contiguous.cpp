// ContiguousKVCache; see contiguous.hpp.
#include "kvlm/cache/contiguous.hpp"

#include <algorithm>
#include <cassert>

#include "kvlm/error.hpp"

namespace kvlm {

ContiguousKVCache::ContiguousKVCache(const ModelConfig& config, int max_seq_len) : max_seq_len_(max_seq_len) {
  if (max_seq_len <= 0) throw Error("the KV cache needs room for at least one position");
  for (int l = 0; l < config.num_hidden_layers; ++l) {
    keys_.emplace_back(Matrix::Zero(max_seq_len, config.kv_dim()));
    values_.emplace_back(Matrix::Zero(max_seq_len, config.kv_dim()));
  }
  length_.assign(config.num_hidden_layers, 0);
}

KVCache::View ContiguousKVCache::update(int layer, int start_pos, const MatrixRef& k, const MatrixRef& v) {
  assert(k.rows() == v.rows() && k.cols() == keys_[layer].cols() && v.cols() == values_[layer].cols());
  const int end = start_pos + static_cast<int>(k.rows());
  check_no_gap(start_pos, length_[layer]);
  check_capacity(end, max_seq_len_);
  // The new keys and values go straight into their slots, as in llama2.c.
  keys_[layer].middleRows(start_pos, k.rows()) = k;
  values_[layer].middleRows(start_pos, v.rows()) = v;
  length_[layer] = end;
  return {{keys_[layer].topRows(end), values_[layer].topRows(end), /*first_pos=*/0}};
}

KVCache::View ContiguousKVCache::view(int layer) const {
  return {{keys_[layer].topRows(length_[layer]), values_[layer].topRows(length_[layer]), 0}};
}

void ContiguousKVCache::clear() { std::fill(length_.begin(), length_.end(), 0); }

void ContiguousKVCache::truncate(int length) {
  if (length < 0 || length > this->length())
    throw Error("KV cache: cannot truncate " + std::to_string(this->length()) + " positions to " + std::to_string(length));
  std::fill(length_.begin(), length_.end(), length);
}

size_t ContiguousKVCache::bytes() const {
  size_t n = 0;
  for (size_t l = 0; l < keys_.size(); ++l) n += (keys_[l].size() + values_[l].size()) * sizeof(float);
  return n;
}

size_t ContiguousKVCache::bytes_used() const {
  size_t n = 0;
  for (size_t l = 0; l < keys_.size(); ++l) n += 2 * static_cast<size_t>(length_[l]) * keys_[l].cols() * sizeof(float);
  return n;
}

}  // namespace kvlm
