// PagedKVCache (chapter 09): one sequence's KV cache as a block table into a shared BlockPool, as
// vLLM's PagedAttention. Blocks come from the pool as the sequence grows, attention reads them in
// place (one segment per block, no copy), and with prefix caching a prompt that starts with the
// tokens of an earlier one attaches that one's full blocks instead of recomputing them.
// Not a scheduler and not batched: several caches may share one pool, one sequence each.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kvlm/cache/block_pool.hpp"
#include "kvlm/cache/kv_cache.hpp"

namespace kvlm {

class PagedKVCache : public KVCache {
 public:
  PagedKVCache(const ModelConfig& config, std::shared_ptr<BlockPool> pool);
  ~PagedKVCache() override;  // gives its blocks back to the pool
  PagedKVCache(const PagedKVCache&) = delete;
  PagedKVCache& operator=(const PagedKVCache&) = delete;

  // Position p lives in block block_table()[p / block_size], row p % block_size. Writing a block that
  // another sequence or the prefix cache also holds first copies it (copy-on-write).
  View update(int layer, int start_pos, const MatrixRef& k, const MatrixRef& v) override;
  View view(int layer) const override;

  int num_layers() const override { return static_cast<int>(length_.size()); }
  int length() const override { return length_.back(); }
  int capacity() const override { return pool_->num_blocks() * pool_->block_size(); }  // the whole pool
  void clear() override { truncate(0); }
  void truncate(int length) override;
  size_t bytes() const override { return pool_->bytes(); }  // the pool's memory (shared, if shared)
  size_t bytes_used() const override;                      // the blocks this sequence holds
  std::string kind() const override { return "paged"; }

  // Prefix caching: attaches the pool's blocks that hold the prompt's first full blocks (matched by
  // their hash chain), at most prompt.size() - 1 positions; remembers the prompt so that the blocks
  // this sequence fills are published for later prompts. Returns the positions attached.
  int reuse_prefix(std::span<const int> prompt) override;

  const std::vector<int>& block_table() const { return table_; }
  const BlockPool& pool() const { return *pool_; }

 private:
  void prepare_blocks(int start_pos, int end);  // allocate, or copy a shared block, for [start_pos, end)
  void publish_full_blocks(int end);            // the prompt's blocks filled up to `end`

  std::shared_ptr<BlockPool> pool_;
  std::vector<int> table_;            // block table: the pool's block for positions [i*B, (i+1)*B)
  std::vector<int> length_;           // per layer: positions written
  std::vector<int> prompt_;           // the tokens reuse_prefix was told (their blocks can be published)
  std::vector<uint64_t> chain_;       // chain hash of table_[i], for the blocks whose tokens are known
};

}  // namespace kvlm
