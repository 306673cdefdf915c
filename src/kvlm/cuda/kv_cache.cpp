// cuda::KVCache; see kv_cache.hpp. Read beside cache/contiguous.cpp: the same checks, the rows copied
// on the device instead of by Eigen.
#include "kvlm/cuda/kv_cache.hpp"

#include <algorithm>
#include <string>

#include "kvlm/cache/kv_cache.hpp"
#include "kvlm/error.hpp"

namespace kvlm::cuda {

KVCache::KVCache(const ModelConfig& config, int max_seq_len) : max_seq_len_(max_seq_len), kv_dim_(config.kv_dim()) {
  if (max_seq_len <= 0) throw Error("the KV cache needs room for at least one position");
  for (int l = 0; l < config.num_hidden_layers; ++l) {
    keys_.emplace_back(static_cast<size_t>(max_seq_len) * kv_dim_);
    values_.emplace_back(static_cast<size_t>(max_seq_len) * kv_dim_);
  }
  length_.assign(config.num_hidden_layers, 0);
}

void KVCache::update(int layer, int start_pos, const float* k, const float* v, int T) {
  const int end = start_pos + T;
  check_no_gap(start_pos, length_[layer]);
  check_capacity(end, max_seq_len_);
  const size_t offset = static_cast<size_t>(start_pos) * kv_dim_, n = static_cast<size_t>(T) * kv_dim_;
  copy_on_device(keys_[layer].data() + offset, k, n);
  copy_on_device(values_[layer].data() + offset, v, n);
  length_[layer] = end;
}

KVCache::View KVCache::update(int, int, const MatrixRef&, const MatrixRef&) {
  throw Error("the GPU's KV cache is written by cuda::forward, not from host matrices");
}

KVCache::View KVCache::view(int) const {
  throw Error("the GPU's KV cache is read on the GPU: it has no host view (--save-cache runs on the CPU)");
}

int KVCache::length() const { return length_.back(); }  // the last layer is written last

void KVCache::clear() { std::fill(length_.begin(), length_.end(), 0); }

void KVCache::truncate(int length) {
  if (length < 0 || length > this->length())
    throw Error("KV cache: cannot truncate " + std::to_string(this->length()) + " positions to " + std::to_string(length));
  std::fill(length_.begin(), length_.end(), length);
}

size_t KVCache::bytes() const { return 2 * keys_.size() * static_cast<size_t>(max_seq_len_) * kv_dim_ * sizeof(float); }

size_t KVCache::bytes_used() const {
  size_t n = 0;
  for (const int len : length_) n += 2 * static_cast<size_t>(len) * kv_dim_ * sizeof(float);
  return n;
}

}  // namespace kvlm::cuda
