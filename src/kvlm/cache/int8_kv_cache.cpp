// Int8KVCache; see int8_kv_cache.hpp (the quantize step is there, inline, for the tests and exercises).
#include "kvlm/cache/int8_kv_cache.hpp"

namespace kvlm {

Int8KVCache::Int8KVCache(const ModelConfig& config, int max_seq_len)
    : QuantizedKVCache(config, max_seq_len), head_dim_(config.head_dim) {
  for (int l = 0; l < config.num_hidden_layers; ++l) {
    keys_.emplace_back(Int8Matrix::Zero(max_seq_len, kv_dim_));
    values_.emplace_back(Int8Matrix::Zero(max_seq_len, kv_dim_));
    key_scales_.emplace_back(Matrix::Zero(max_seq_len, config.num_key_value_heads));
    value_scales_.emplace_back(Matrix::Zero(max_seq_len, config.num_key_value_heads));
  }
}

void Int8KVCache::store(int layer, int position, std::span<const float> k, std::span<const float> v) {
  for (int h = 0; h * head_dim_ < kv_dim_; ++h) {
    const size_t first = static_cast<size_t>(h) * head_dim_;
    key_scales_[layer](position, h) =
        quantize_row_int8(k.subspan(first, head_dim_), {&keys_[layer](position, first), static_cast<size_t>(head_dim_)});
    value_scales_[layer](position, h) = quantize_row_int8(
        v.subspan(first, head_dim_), {&values_[layer](position, first), static_cast<size_t>(head_dim_)});
  }
}

void Int8KVCache::load(int layer, int position, std::span<float> k, std::span<float> v) const {
  for (int h = 0; h * head_dim_ < kv_dim_; ++h) {
    const size_t first = static_cast<size_t>(h) * head_dim_;
    dequantize_row_int8({&keys_[layer](position, first), static_cast<size_t>(head_dim_)},
                        key_scales_[layer](position, h), k.subspan(first, head_dim_));
    dequantize_row_int8({&values_[layer](position, first), static_cast<size_t>(head_dim_)},
                        value_scales_[layer](position, h), v.subspan(first, head_dim_));
  }
}

size_t Int8KVCache::stored_bytes_per_position() const {
  const size_t kv_heads = static_cast<size_t>(key_scales_.front().cols());
  return 2 * keys_.size() * (kv_dim_ * sizeof(int8_t) + kv_heads * sizeof(float));
}

}  // namespace kvlm
