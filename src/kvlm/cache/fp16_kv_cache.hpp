// Fp16KVCache (chapter 09): keys and values stored as IEEE half floats, half the bytes of the fp32
// cache. Not bfloat16 and not exact: each value keeps 11 significant bits, so it moves by at most
// 2^-11 ~ 4.9e-4 of itself (half a unit in the last place); values past 65504 become infinity.
// Attention reads them widened to fp32 (quantized_kv_cache.hpp: the readable copy, and why).
#pragma once

#include <cstdint>
#include <vector>

#include "kvlm/cache/quantized_kv_cache.hpp"

namespace kvlm {

class Fp16KVCache final : public QuantizedKVCache {
 public:
  // Allocates [max_seq_len, kv_dim] halves for K and for V in every layer, and the fp32 scratch.
  Fp16KVCache(const ModelConfig& config, int max_seq_len);
  std::string kind() const override { return "fp16"; }

 private:
  using HalfMatrix = Eigen::Matrix<uint16_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  void store(int layer, int position, std::span<const float> k, std::span<const float> v) override;
  void load(int layer, int position, std::span<float> k, std::span<float> v) const override;
  size_t stored_bytes_per_position() const override;  // 2 * layers * kv_dim * 2

  std::vector<HalfMatrix> keys_, values_;  // per layer: [max_seq_len, kv_dim], IEEE half bits
};

}  // namespace kvlm
