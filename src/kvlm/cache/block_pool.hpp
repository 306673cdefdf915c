// BlockPool (chapter 09): the memory of a paged KV cache. Fixed-size blocks, each holding the keys
// and values of block_size positions in every layer, handed out on demand, reference counted (so
// sequences can share a prompt's blocks), and remembered by a hash of their tokens (prefix caching).
// Not a cache: PagedKVCache (paged.hpp) keeps one sequence's block table and reads through it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "kvlm/config.hpp"
#include "kvlm/tensor.hpp"

namespace kvlm {

class BlockPool {
 public:
  // Room for up to num_blocks blocks; a block's memory is allocated the first time it is handed out.
  BlockPool(const ModelConfig& config, int block_size, int num_blocks);

  int block_size() const { return block_size_; }
  int num_blocks() const { return static_cast<int>(refs_.size()); }
  int num_free() const;                                  // blocks no sequence holds (ref count 0)
  int num_allocated() const { return static_cast<int>(storage_.size()); }  // blocks with memory
  size_t bytes() const { return storage_.size() * bytes_per_block_; }       // memory held
  size_t bytes_per_block() const { return bytes_per_block_; }  // 2 * layers * block_size * kv_dim * 4

  // A block for one more sequence to write: ref count 1. Prefers, in order, a free block holding no
  // prefix, a block never used, then the free prefix block unused the longest (forgetting its hash).
  // Throws kvlm::Error when every block is held.
  int allocate();
  void retain(int block);   // one more sequence holds it (a free prefix block comes back to life)
  void release(int block);  // one fewer; at 0 it is free, and keeps its prefix hash until reused
  int ref_count(int block) const { return refs_[block]; }

  // Block storage: [block_size, kv_dim] for each layer, K and V. Row i is the block's i-th position.
  Matrix& keys(int block, int layer) { return storage_[block].keys[layer]; }
  Matrix& values(int block, int layer) { return storage_[block].values[layer]; }
  const Matrix& keys(int block, int layer) const { return storage_[block].keys[layer]; }
  const Matrix& values(int block, int layer) const { return storage_[block].values[layer]; }

  // Prefix caching. A full block is known by the hash of every token up to its end, computed as a
  // chain: hash = block_hash(hash of the previous block, this block's tokens) (0 before the first).
  static uint64_t block_hash(uint64_t previous, std::span<const int> tokens);
  // Records that `block` holds `tokens` after the prefix `previous` stands for (hash = its chain hash).
  void publish(int block, uint64_t hash, uint64_t previous, std::span<const int> tokens);
  // The block holding `tokens` after `previous`, if any (the tokens are compared, not only the hash).
  std::optional<int> find(uint64_t hash, uint64_t previous, std::span<const int> tokens) const;
  bool is_published(int block) const { return published_[block].has_value(); }
  int num_published() const { return static_cast<int>(by_hash_.size()); }

 private:
  struct Storage {
    std::vector<Matrix> keys, values;  // per layer: [block_size, kv_dim]
  };
  struct Prefix {
    uint64_t hash, previous;
    std::vector<int> tokens;  // [block_size]
  };
  void unpublish(int block);

  int block_size_, num_layers_, kv_dim_;
  size_t bytes_per_block_;
  std::vector<Storage> storage_;                  // blocks 0 .. num_allocated()-1 have memory
  std::vector<int> refs_;                         // [num_blocks] sequences holding each block
  std::list<int> free_plain_, free_prefix_;       // free blocks with memory: without / with a hash
  std::vector<std::list<int>::iterator> where_;   // [num_blocks] a free block's place in its list
  std::vector<std::optional<Prefix>> published_;  // [num_blocks] the prefix a block holds, if any
  std::unordered_map<uint64_t, int> by_hash_;     // chain hash -> block
};

}  // namespace kvlm
