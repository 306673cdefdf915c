// The KV cache in GPU memory (chapter 07): the twin of cache/contiguous.hpp, with KVCache's contract
// (preallocated, update, length, bytes, clear, truncate), its rows in device memory. Attention reads
// a layer's keys and values in place: positions 0 .. length - 1, [length, kv_dim] row-major.
// Not a paged or lossy cache: chapter 09's variants stay on the CPU.
#pragma once

#include <string>
#include <vector>

#include "kvlm/cache/kv_cache.hpp"
#include "kvlm/config.hpp"
#include "kvlm/cuda/device.hpp"

namespace kvlm::cuda {

// A kvlm::KVCache, so that the generation loops hold it as they hold a CPU cache (its length, capacity
// and bytes); its rows are written and read only by cuda::forward. The CPU-side update() and view()
// throw kvlm::Error: there are no host matrices to return.
class KVCache : public kvlm::KVCache {
 public:
  KVCache(const ModelConfig& config, int max_seq_len);  // allocates every position up front

  // Writes this chunk's keys and values (device [T, kv_dim], keys already rotated by RoPE) at
  // positions [start_pos, start_pos + T) of `layer`. The same errors as the CPU cache: a gap below
  // start_pos, or running past the positions allocated, throws kvlm::Error.
  void update(int layer, int start_pos, const float* k, const float* v, int T);
  const float* keys(int layer) const { return keys_[layer].data(); }
  const float* values(int layer) const { return values_[layer].data(); }

  int length() const override;  // positions fed so far in every layer: the next start_pos
  int capacity() const override { return max_seq_len_; }
  int num_layers() const override { return static_cast<int>(keys_.size()); }
  void clear() override;
  void truncate(int length) override;
  size_t bytes() const override;       // device memory allocated
  size_t bytes_used() const override;  // of which holding positions
  std::string kind() const override { return "contiguous"; }
  View update(int layer, int start_pos, const MatrixRef& k, const MatrixRef& v) override;  // throws
  View view(int layer) const override;                                                      // throws

 private:
  int max_seq_len_, kv_dim_;
  std::vector<DeviceArray<float>> keys_, values_;  // per layer, [max_seq_len, kv_dim]
  std::vector<int> length_;
};

}  // namespace kvlm::cuda
