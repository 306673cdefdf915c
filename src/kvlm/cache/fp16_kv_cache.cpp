// Fp16KVCache; see fp16_kv_cache.hpp. The conversions are the loaders' own (io/dtype.hpp).
#include "kvlm/cache/fp16_kv_cache.hpp"

#include "kvlm/io/dtype.hpp"

namespace kvlm {

Fp16KVCache::Fp16KVCache(const ModelConfig& config, int max_seq_len) : QuantizedKVCache(config, max_seq_len) {
  for (int l = 0; l < config.num_hidden_layers; ++l) {
    keys_.emplace_back(HalfMatrix::Zero(max_seq_len, kv_dim_));
    values_.emplace_back(HalfMatrix::Zero(max_seq_len, kv_dim_));
  }
}

void Fp16KVCache::store(int layer, int position, std::span<const float> k, std::span<const float> v) {
  for (int i = 0; i < kv_dim_; ++i) {
    keys_[layer](position, i) = fp32_to_fp16(k[i]);  // rounded to nearest, ties to even
    values_[layer](position, i) = fp32_to_fp16(v[i]);
  }
}

void Fp16KVCache::load(int layer, int position, std::span<float> k, std::span<float> v) const {
  for (int i = 0; i < kv_dim_; ++i) {
    k[i] = fp16_to_fp32(keys_[layer](position, i));  // exact: every half is an fp32
    v[i] = fp16_to_fp32(values_[layer](position, i));
  }
}

size_t Fp16KVCache::stored_bytes_per_position() const { return 2 * keys_.size() * kv_dim_ * sizeof(uint16_t); }

}  // namespace kvlm
