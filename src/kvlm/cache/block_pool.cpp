// BlockPool; see block_pool.hpp.
#include "kvlm/cache/block_pool.hpp"

#include <algorithm>
#include <cassert>

#include "kvlm/error.hpp"

namespace kvlm {

BlockPool::BlockPool(const ModelConfig& config, int block_size, int num_blocks)
    : block_size_(block_size), num_layers_(config.num_hidden_layers), kv_dim_(config.kv_dim()) {
  if (block_size <= 0) throw Error("a KV cache block must hold at least 1 position (got " + std::to_string(block_size) + ")");
  if (num_blocks <= 0) throw Error("the KV cache's block pool needs at least 1 block (got " + std::to_string(num_blocks) + ")");
  bytes_per_block_ = 2 * static_cast<size_t>(num_layers_) * block_size * kv_dim_ * sizeof(float);
  refs_.assign(num_blocks, 0);
  where_.resize(num_blocks);
  published_.resize(num_blocks);
}

int BlockPool::num_free() const {
  int held = 0;
  for (int r : refs_) held += r > 0;
  return num_blocks() - held;
}

int BlockPool::allocate() {
  int block;
  if (!free_plain_.empty()) {  // a block that holds no one's prefix: nothing is lost
    block = free_plain_.front();
    free_plain_.pop_front();
  } else if (num_allocated() < num_blocks()) {  // memory for one more block
    block = num_allocated();
    Storage s;
    for (int l = 0; l < num_layers_; ++l) {
      s.keys.emplace_back(Matrix::Zero(block_size_, kv_dim_));
      s.values.emplace_back(Matrix::Zero(block_size_, kv_dim_));
    }
    storage_.push_back(std::move(s));
  } else if (!free_prefix_.empty()) {  // the prefix block unused the longest: its hash is forgotten
    block = free_prefix_.front();
    free_prefix_.pop_front();
    unpublish(block);
  } else {
    throw Error("the paged KV cache's pool is exhausted: all " + std::to_string(num_blocks()) + " blocks of " +
                std::to_string(block_size_) + " positions are in use (a larger pool: --kv-pool)");
  }
  refs_[block] = 1;
  return block;
}

void BlockPool::retain(int block) {
  assert(block >= 0 && block < num_allocated());
  if (refs_[block] == 0) (is_published(block) ? free_prefix_ : free_plain_).erase(where_[block]);
  ++refs_[block];
}

void BlockPool::release(int block) {
  assert(block >= 0 && block < num_allocated() && refs_[block] > 0);
  if (--refs_[block] > 0) return;
  std::list<int>& list = is_published(block) ? free_prefix_ : free_plain_;
  where_[block] = list.insert(list.end(), block);
}

// FNV-1a over the previous hash and the tokens, 64 bits. A collision would need two different
// chains with the same 64-bit hash and the same last block and parent hash, which find() also compares.
uint64_t BlockPool::block_hash(uint64_t previous, std::span<const int> tokens) {
  uint64_t h = 14695981039346656037ull;  // FNV offset basis
  auto mix = [&h](uint64_t x) {
    for (int i = 0; i < 8; ++i, x >>= 8) h = (h ^ (x & 0xff)) * 1099511628211ull;  // FNV prime
  };
  mix(previous);
  for (int t : tokens) mix(static_cast<uint32_t>(t));
  return h;
}

void BlockPool::publish(int block, uint64_t hash, uint64_t previous, std::span<const int> tokens) {
  assert(static_cast<int>(tokens.size()) == block_size_ && refs_[block] > 0);
  if (is_published(block) || by_hash_.contains(hash)) return;  // already known (another copy holds it)
  published_[block] = Prefix{hash, previous, {tokens.begin(), tokens.end()}};
  by_hash_[hash] = block;
}

std::optional<int> BlockPool::find(uint64_t hash, uint64_t previous, std::span<const int> tokens) const {
  const auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return std::nullopt;
  const Prefix& p = *published_[it->second];
  if (p.previous != previous || !std::ranges::equal(p.tokens, tokens)) return std::nullopt;
  return it->second;
}

void BlockPool::unpublish(int block) {
  by_hash_.erase(published_[block]->hash);
  published_[block].reset();
}

}  // namespace kvlm
