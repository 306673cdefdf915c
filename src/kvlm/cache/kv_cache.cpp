// KVCache; see kv_cache.hpp.
#include "kvlm/cache/kv_cache.hpp"

#include <cassert>

#include "kvlm/error.hpp"

namespace kvlm {

KVCache::KVCache(const ModelConfig& config, int max_seq_len) : max_seq_len_(max_seq_len) {
  if (max_seq_len <= 0) throw Error("the KV cache needs room for at least one position");
  for (int l = 0; l < config.num_hidden_layers; ++l) {
    keys_.emplace_back(Matrix::Zero(max_seq_len, config.kv_dim()));
    values_.emplace_back(Matrix::Zero(max_seq_len, config.kv_dim()));
  }
  length_.assign(config.num_hidden_layers, 0);
}

KVCache::View KVCache::update(int layer, int start_pos, const MatrixRef& k, const MatrixRef& v) {
  assert(k.rows() == v.rows() && k.cols() == keys_[layer].cols() && v.cols() == values_[layer].cols());
  const int end = start_pos + static_cast<int>(k.rows());
  if (start_pos < 0 || start_pos > length_[layer])
    throw Error("KV cache: cannot write position " + std::to_string(start_pos) + " when " +
                std::to_string(length_[layer]) + " positions are filled (positions must be contiguous)");
  if (end > max_seq_len_)
    throw Error("KV cache: position " + std::to_string(end - 1) + " is past its " + std::to_string(max_seq_len_) +
                " positions (the context is full)");
  // The new keys and values go straight into their slots, as in llama2.c.
  keys_[layer].middleRows(start_pos, k.rows()) = k;
  values_[layer].middleRows(start_pos, v.rows()) = v;
  length_[layer] = end;
  return {keys_[layer].topRows(end), values_[layer].topRows(end)};
}

void KVCache::clear() { std::fill(length_.begin(), length_.end(), 0); }

size_t KVCache::bytes() const {
  size_t n = 0;
  for (size_t l = 0; l < keys_.size(); ++l) n += (keys_[l].size() + values_[l].size()) * sizeof(float);
  return n;
}

size_t KVCache::bytes_per_token(const ModelConfig& c) {
  return 2 * static_cast<size_t>(c.num_hidden_layers) * c.num_key_value_heads * c.head_dim * sizeof(float);
}

}  // namespace kvlm
