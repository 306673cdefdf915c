// make_kv_cache and friends; see make_kv_cache.hpp.
#include "kvlm/cache/make_kv_cache.hpp"

#include <algorithm>

#include "kvlm/cache/contiguous.hpp"
#include "kvlm/cache/fp16_kv_cache.hpp"
#include "kvlm/cache/int8_kv_cache.hpp"
#include "kvlm/cache/paged.hpp"
#include "kvlm/cache/window_kv_cache.hpp"
#include "kvlm/error.hpp"

namespace kvlm {

const std::vector<std::string>& kv_cache_kinds() {
  static const std::vector<std::string> kinds = {"contiguous", "paged", "fp16", "int8", "window"};
  return kinds;
}

void check_kv_cache_options(const KVCacheOptions& o) {
  if (std::ranges::find(kv_cache_kinds(), o.kind) == kv_cache_kinds().end()) {
    std::string known;
    for (const std::string& k : kv_cache_kinds()) known += (known.empty() ? "" : ", ") + k;
    throw Error("unknown KV cache kind '" + o.kind + "' (--kv-cache takes " + known + ")");
  }
  if (o.block <= 0)
    throw Error("--kv-block must be at least 1 position per block (got " + std::to_string(o.block) + ")");
  if (o.kind == "paged" && o.pool_blocks < 0)
    throw Error("--kv-pool must be a number of blocks >= 0 (got " + std::to_string(o.pool_blocks) + ")");
  if (o.kind == "window" && o.window <= 0)
    throw Error("--kv-window must keep at least 1 position (got " + std::to_string(o.window) + ")");
  if (o.kind == "window" && o.sinks < 0)
    throw Error("--kv-sinks must be >= 0 (got " + std::to_string(o.sinks) + ")");
}

std::unique_ptr<KVCache> make_kv_cache(const ModelConfig& config, const KVCacheOptions& o, int max_positions) {
  check_kv_cache_options(o);
  if (o.kind == "contiguous") return std::make_unique<ContiguousKVCache>(config, max_positions);
  if (o.kind == "paged") {  // a pool of its own, enough blocks for max_positions unless told
    const int blocks = o.pool_blocks > 0 ? o.pool_blocks : (std::max(max_positions, 1) + o.block - 1) / o.block;
    return std::make_unique<PagedKVCache>(config, std::make_shared<BlockPool>(config, o.block, blocks));
  }
  if (o.kind == "fp16") return std::make_unique<Fp16KVCache>(config, max_positions);
  if (o.kind == "int8") return std::make_unique<Int8KVCache>(config, max_positions);
  if (o.kind == "window") return std::make_unique<WindowKVCache>(config, o.window, o.sinks);
  throw Error("the " + o.kind + " KV cache is not built yet");
}

size_t kv_cache_bytes_at(const ModelConfig& config, const KVCacheOptions& o, int positions) {
  check_kv_cache_options(o);
  const size_t fp32 = KVCache::bytes_per_token(config);  // per position, K and V of every layer
  const auto n = static_cast<size_t>(positions);
  if (o.kind == "contiguous") return n * fp32;
  if (o.kind == "paged") return (n + o.block - 1) / o.block * o.block * fp32;  // whole blocks
  // fp16 and int8 also hold one layer widened to fp32 for attention (quantized_kv_cache.hpp).
  const size_t scratch = n * 2 * config.kv_dim() * sizeof(float);
  if (o.kind == "fp16") return n * fp32 / 2 + scratch;
  // int8: one byte per value, plus one fp32 scale per position, KV head and K or V, in every layer.
  if (o.kind == "int8")
    return n * (fp32 / 4 + 2 * static_cast<size_t>(config.num_hidden_layers) * config.num_key_value_heads * 4) + scratch;
  if (o.kind == "window") return (static_cast<size_t>(o.window) + o.sinks) * fp32;  // from the start, whatever n
  throw Error("no byte formula for the " + o.kind + " KV cache");
}

}  // namespace kvlm
