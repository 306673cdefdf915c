// The KV cache flags; see kv_cache_flags.hpp.
#include "cli/kv_cache_flags.hpp"

#include "kvlm/cache/paged.hpp"
#include "kvlm/error.hpp"

namespace kvlm::cli {

void add_kv_cache_options(CLI::App* cmd, KVCacheOptions& o) {
  std::string kinds;
  for (const std::string& k : kv_cache_kinds()) kinds += (kinds.empty() ? "" : "|") + k;
  cmd->add_option("--kv-cache", o.kind, "the KV cache: " + kinds)->capture_default_str();
  cmd->add_option("--kv-block", o.block, "paged: positions per block")->capture_default_str();
  cmd->add_option("--kv-pool", o.pool_blocks, "paged: blocks in the pool (0: enough for the longest prompt)")
      ->capture_default_str();
  cmd->add_option("--kv-window", o.window, "window: the most recent positions kept");
  cmd->add_option("--kv-sinks", o.sinks, "window: the first positions always kept (attention sinks)")
      ->capture_default_str();
}

void check_kv_cache_flags(const std::string& command, const KVCacheOptions& options) {
  try {
    check_kv_cache_options(options);
  } catch (const Error& e) {
    throw CLI::ValidationError(command, e.what());
  }
}

PromptCaches::PromptCaches(const Decoder& decoder, const KVCacheOptions& options, int max_positions)
    : decoder_(decoder), options_(options), max_positions_(max_positions) {
  if (options.kind == "paged") {
    const int blocks = options.pool_blocks > 0 ? options.pool_blocks : (max_positions + options.block - 1) / options.block;
    pool_ = std::make_shared<BlockPool>(decoder.model().config, options.block, blocks);
  }
}

std::unique_ptr<KVCache> PromptCaches::make() const {
  if (pool_) return std::make_unique<PagedKVCache>(decoder_.model().config, pool_);
  return decoder_.make_cache(options_, max_positions_);
}

nlohmann::json kv_cache_json(const KVCache& cache, int reused_positions) {
  nlohmann::json j = {{"kind", cache.kind()},
                      {"bytes_allocated", cache.bytes()},
                      {"bytes_used", cache.bytes_used()},
                      {"reused_positions", reused_positions}};
  if (const auto* paged = dynamic_cast<const PagedKVCache*>(&cache)) {
    const BlockPool& pool = paged->pool();
    j["blocks"] = {{"block_size", pool.block_size()},
                   {"in_table", paged->block_table().size()},
                   {"pool", pool.num_blocks()},
                   {"pool_allocated", pool.num_allocated()},
                   {"pool_free", pool.num_free()}};
  }
  return j;
}

}  // namespace kvlm::cli
