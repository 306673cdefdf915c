// PagedKVCache; see paged.hpp.
#include "kvlm/cache/paged.hpp"

#include <algorithm>
#include <cassert>

#include "kvlm/error.hpp"

namespace kvlm {

PagedKVCache::PagedKVCache(const ModelConfig& config, std::shared_ptr<BlockPool> pool) : pool_(std::move(pool)) {
  length_.assign(config.num_hidden_layers, 0);
}

PagedKVCache::~PagedKVCache() { truncate(0); }

KVCache::View PagedKVCache::update(int layer, int start_pos, const MatrixRef& k, const MatrixRef& v) {
  assert(k.rows() == v.rows() && k.cols() == v.cols());
  const int B = pool_->block_size();
  const int end = start_pos + static_cast<int>(k.rows());
  check_no_gap(start_pos, length_[layer]);
  if (end > capacity())
    throw Error("paged KV cache: position " + std::to_string(end - 1) + " is past its pool of " +
                std::to_string(pool_->num_blocks()) + " blocks of " + std::to_string(B) + " positions (a larger pool: --kv-pool)");
  prepare_blocks(start_pos, end);

  // Row pos - start_pos of the chunk goes to row pos % B of the block the table names for pos / B.
  for (int pos = start_pos; pos < end;) {
    const int block = table_[pos / B], row = pos % B, n = std::min(B - row, end - pos);
    pool_->keys(block, layer).middleRows(row, n) = k.middleRows(pos - start_pos, n);
    pool_->values(block, layer).middleRows(row, n) = v.middleRows(pos - start_pos, n);
    pos += n;
  }
  length_[layer] = end;
  if (layer == num_layers() - 1) publish_full_blocks(end);  // every layer now holds them
  return view(layer);
}

// Attention reads the blocks where they are: one segment per block, the last one partly filled.
KVCache::View PagedKVCache::view(int layer) const {
  const int B = pool_->block_size();
  View out;
  out.reserve(table_.size());
  for (int first = 0; first < length_[layer]; first += B) {
    const int block = table_[first / B], n = std::min(B, length_[layer] - first);
    out.push_back({pool_->keys(block, layer).topRows(n), pool_->values(block, layer).topRows(n), first});
  }
  return out;
}

void PagedKVCache::prepare_blocks(int start_pos, int end) {
  const int B = pool_->block_size();
  for (int b = start_pos / B; b * B < end; ++b) {
    if (b == static_cast<int>(table_.size())) {  // the sequence grows into a new block
      table_.push_back(pool_->allocate());
      continue;
    }
    const int block = table_[b];
    if (pool_->ref_count(block) == 1 && !pool_->is_published(block)) continue;  // ours alone: write in place
    // Copy-on-write: another sequence, or the prefix cache, still needs the block as it is.
    const int copy = pool_->allocate();
    for (int l = 0; l < num_layers(); ++l) {
      pool_->keys(copy, l) = pool_->keys(block, l);
      pool_->values(copy, l) = pool_->values(block, l);
    }
    pool_->release(block);
    table_[b] = copy;
    chain_.resize(std::min<size_t>(chain_.size(), b));  // its hash (and the later ones') no longer holds
  }
}

void PagedKVCache::publish_full_blocks(int end) {
  const int B = pool_->block_size();
  for (auto b = static_cast<int>(chain_.size()); (b + 1) * B <= std::min<int>(end, static_cast<int>(prompt_.size())); ++b) {
    const uint64_t previous = b == 0 ? 0 : chain_[b - 1];
    const std::span<const int> tokens = std::span<const int>(prompt_).subspan(static_cast<size_t>(b) * B, B);
    const uint64_t hash = BlockPool::block_hash(previous, tokens);
    pool_->publish(table_[b], hash, previous, tokens);
    chain_.push_back(hash);
  }
}

int PagedKVCache::reuse_prefix(std::span<const int> prompt) {
  if (length() != 0) throw Error("reuse_prefix needs an empty KV cache");
  truncate(0);
  prompt_.assign(prompt.begin(), prompt.end());
  if (prompt.empty()) return 0;
  const int B = pool_->block_size();
  uint64_t previous = 0;
  for (size_t first = 0; first + B <= prompt.size(); first += B) {
    const std::span<const int> tokens = prompt.subspan(first, B);
    const uint64_t hash = BlockPool::block_hash(previous, tokens);
    const std::optional<int> block = pool_->find(hash, previous, tokens);
    if (!block) break;
    pool_->retain(*block);
    table_.push_back(*block);
    chain_.push_back(hash);
    previous = hash;
  }
  // At least the prompt's last token is fed again: its logits choose the first new token. When that
  // token sits in an attached block, writing it copies the block first.
  const int reused = std::min(static_cast<int>(table_.size()) * B, static_cast<int>(prompt.size()) - 1);
  std::fill(length_.begin(), length_.end(), reused);
  return reused;
}

void PagedKVCache::truncate(int length) {
  if (length < 0 || length > this->length())
    throw Error("KV cache: cannot truncate " + std::to_string(this->length()) + " positions to " + std::to_string(length));
  const int B = pool_->block_size();
  const size_t keep = (static_cast<size_t>(length) + B - 1) / B;
  // Last block first: the pool reuses the blocks freed first, so a prompt's start is kept the longest.
  while (table_.size() > keep) {
    pool_->release(table_.back());
    table_.pop_back();
  }
  chain_.resize(std::min<size_t>(chain_.size(), length / B));  // a block cut short is no longer the one hashed
  prompt_.resize(std::min<size_t>(prompt_.size(), length));
  std::fill(length_.begin(), length_.end(), length);
}

size_t PagedKVCache::bytes_used() const { return table_.size() * pool_->bytes_per_block(); }

}  // namespace kvlm
