// Choosing a KV cache at run time (`kvlm generate --kv-cache KIND`, Python's kv_cache=...): the
// options of every variant, the factory, and each variant's memory by arithmetic (`kvlm inspect`).
// Not a variant: adding one is one line in kv_cache_kinds(), one case in make_kv_cache and one in
// kv_cache_bytes_at.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kvlm/cache/kv_cache.hpp"
#include "kvlm/config.hpp"

namespace kvlm {

struct KVCacheOptions {
  std::string kind = "contiguous";  // one of kv_cache_kinds()
  int block = 16;                   // paged: positions per block (--kv-block), > 0
  int pool_blocks = 0;              // paged: blocks in the pool (--kv-pool); 0: enough for max_positions
  int window = 0;                   // window: the most recent positions kept (--kv-window), > 0
  int sinks = 4;                    // window: the first positions always kept (--kv-sinks), >= 0
};

// Every kind --kv-cache accepts, in the order `kvlm inspect` lists them.
const std::vector<std::string>& kv_cache_kinds();

// Throws kvlm::Error, one sentence naming the flag, for an unknown kind or an option out of range.
void check_kv_cache_options(const KVCacheOptions& options);

// A cache of options.kind for a sequence of up to max_positions positions (contiguous: exactly that
// many, preallocated; paged: a pool of enough blocks, allocated as the sequence grows; window: W + S
// whatever max_positions is).
std::unique_ptr<KVCache> make_kv_cache(const ModelConfig& config, const KVCacheOptions& options, int max_positions);

// The bytes a cache of options.kind allocates once it holds `positions` positions, from the config
// alone (no cache is made): what `kvlm inspect --context N` prints for each kind.
size_t kv_cache_bytes_at(const ModelConfig& config, const KVCacheOptions& options, int positions);

}  // namespace kvlm
