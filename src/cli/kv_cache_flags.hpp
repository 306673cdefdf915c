// The KV cache flags generate and chat share (--kv-cache, --kv-block, --kv-pool, --kv-window,
// --kv-sinks), the caches they make for prompts run one after another, and the `kv_cache` object of
// --json. Not a cache: the variants live in src/kvlm/cache/.
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "kvlm/cache/block_pool.hpp"
#include "kvlm/cache/make_kv_cache.hpp"
#include "kvlm/generate/decoder.hpp"

namespace kvlm::cli {

void add_kv_cache_options(CLI::App* cmd, KVCacheOptions& options);
// A usage error (exit 2) for an unknown kind or a value out of range, before anything is loaded.
void check_kv_cache_flags(const std::string& command, const KVCacheOptions& options);

// Makes the cache of each prompt of a run, on the decoder's device. With --kv-cache paged (the CPU's)
// every cache draws from one pool, so a prompt reuses the full blocks an earlier one left (prefix
// caching); other kinds get a fresh cache each from the decoder. max_positions: the most positions
// one prompt needs (sizes the pool unless --kv-pool).
class PromptCaches {
 public:
  PromptCaches(const Decoder& decoder, const KVCacheOptions& options, int max_positions);
  std::unique_ptr<KVCache> make() const;

 private:
  const Decoder& decoder_;
  KVCacheOptions options_;
  int max_positions_;
  std::shared_ptr<BlockPool> pool_;  // paged only
};

// {"kind", "bytes_allocated", "bytes_used", "reused_positions"} (prompt positions the cache held
// before generation: prefix caching or --load-cache), and for paged "blocks":
// {"block_size", "in_table", "pool", "pool_allocated", "pool_free"}.
nlohmann::json kv_cache_json(const KVCache& cache, int reused_positions);

}  // namespace kvlm::cli
