// Decoder: the model on one device, as the generation loops drive it (DESIGN.md, "Backends"). The
// loops (naive.cpp, cached.cpp) are written once against it: CpuDecoder is model/transformer.hpp's
// forward and cache/'s KV caches, and chapter 07's cuda::Decoder (cuda/decoder.hpp) their GPU twins.
// Not a model (it refers to one) and not a cache (it makes them).
#pragma once

#include <memory>
#include <span>

#include "kvlm/cache/kv_cache.hpp"
#include "kvlm/cache/make_kv_cache.hpp"
#include "kvlm/model/transformer.hpp"
#include "kvlm/model/weights.hpp"

namespace kvlm {

class Decoder {
 public:
  virtual ~Decoder() = default;
  // The host model: its config and EOS ids, which the loops' checks read.
  virtual const Model& model() const = 0;
  // forward (model/transformer.hpp) on this device: ids at positions start_pos .., appended to
  // `cache` (one this decoder made, or the caller's), or with cache == nullptr recomputed from 0.
  virtual Matrix forward(std::span<const int> ids, int start_pos, KVCache* cache, ForwardTrace* trace,
                         int logits_to_keep) const = 0;
  // A KV cache on this device for up to max_positions positions, of the kind options names.
  virtual std::unique_ptr<KVCache> make_cache(const KVCacheOptions& options, int max_positions) const = 0;
  // Whether forward fills a ForwardTrace (hidden states, attention maps); if not, it refuses one.
  virtual bool traces() const = 0;
};

// The CPU, as chapters 05 and 06 run it.
class CpuDecoder : public Decoder {
 public:
  explicit CpuDecoder(const Model& model) : model_(model) {}
  const Model& model() const override { return model_; }
  Matrix forward(std::span<const int> ids, int start_pos, KVCache* cache, ForwardTrace* trace,
                 int logits_to_keep) const override {
    return kvlm::forward(model_, ids, start_pos, cache, trace, logits_to_keep);
  }
  std::unique_ptr<KVCache> make_cache(const KVCacheOptions& options, int max_positions) const override {
    return make_kv_cache(model_.config, options, max_positions);
  }
  bool traces() const override { return true; }

 private:
  const Model& model_;
};

}  // namespace kvlm
