// The paged KV cache's own rules (chapter 09): the block pool's accounting under 10,000 random
// sequences, shared blocks living until their last user ends, copy-on-write, a clear error when the
// pool runs out, and a paged read giving exactly what the contiguous cache (chapter 06) gives.
// Not the model-level equivalence (tests/generate/test_equivalence.cpp runs paged there).
#include <gtest/gtest.h>

#include <memory>
#include <random>

#include "kvlm/cache/block_pool.hpp"
#include "kvlm/cache/contiguous.hpp"
#include "kvlm/cache/paged.hpp"
#include "kvlm/error.hpp"

namespace kvlm {
namespace {

// A cache-sized config: 2 layers, K and V of 4 values per position.
ModelConfig tiny_config() {
  ModelConfig c;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 1;
  c.num_key_value_heads = 1;
  c.head_dim = 4;
  return c;
}

// Keys of `n` positions whose values say where they came from: seq * 1000 + position, + 0.5 per layer.
Matrix tagged(int seq, int start, int n, int layer) {
  Matrix m(n, 4);
  for (int i = 0; i < n; ++i) m.row(i).setConstant(static_cast<float>(seq * 1000 + start + i) + 0.5f * layer);
  return m;
}

void feed(KVCache& cache, int seq, int start, int n) {
  for (int l = 0; l < cache.num_layers(); ++l) cache.update(l, start, tagged(seq, start, n, l), -tagged(seq, start, n, l));
}

// Every position of every layer reads back what was written there, at its own position.
void expect_holds(const KVCache& cache, int seq, int length) {
  for (int l = 0; l < cache.num_layers(); ++l) {
    const GatheredKV kv = gather(cache.view(l));
    ASSERT_EQ(kv.keys.rows(), length);
    for (int p = 0; p < length; ++p) {
      ASSERT_EQ(kv.positions[p], p);
      ASSERT_EQ(kv.keys(p, 0), static_cast<float>(seq * 1000 + p) + 0.5f * l) << "layer " << l << " position " << p;
      ASSERT_EQ(kv.values(p, 3), -kv.keys(p, 0));
    }
  }
}

TEST(BlockPool, SharedBlockIsFreedOnlyWhenItsLastUserEnds) {
  BlockPool pool(tiny_config(), /*block_size=*/4, /*num_blocks=*/3);
  const int b = pool.allocate();
  pool.retain(b);  // a second sequence
  EXPECT_EQ(pool.num_free(), 2);
  pool.release(b);
  EXPECT_EQ(pool.ref_count(b), 1);
  EXPECT_EQ(pool.num_free(), 2) << "one user left: still held";
  pool.release(b);
  EXPECT_EQ(pool.num_free(), 3);
}

TEST(BlockPool, ExhaustedPoolIsAClearError) {
  BlockPool pool(tiny_config(), 4, 2);
  pool.allocate();
  pool.allocate();
  try {
    pool.allocate();
    FAIL() << "a third block from a pool of 2";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("exhausted"), std::string::npos) << e.what();
  }
  EXPECT_THROW(BlockPool(tiny_config(), 0, 2), Error) << "blocks of 0 positions";
}

// 10,000 sequences of random lengths (1..40 positions, blocks of 4), up to 8 alive at a time, each
// created, grown in random chunks and destroyed in random order on one pool. At every step the
// blocks held are exactly those the live block tables name; each sequence reads back its own
// positions; at the end the pool is as it started: every block free.
TEST(PagedKVCache, TenThousandRandomSequencesLeaveThePoolAsItStarted) {
  const ModelConfig c = tiny_config();
  auto pool = std::make_shared<BlockPool>(c, /*block_size=*/4, /*num_blocks=*/8 * 10);
  std::mt19937 rng(7);
  struct Live {
    std::unique_ptr<PagedKVCache> cache;
    int seq, target;
  };
  std::vector<Live> live;
  for (int seq = 0; seq < 10000 || !live.empty();) {
    if (seq < 10000 && live.size() < 8 && rng() % 2 == 0) {  // start a sequence
      live.push_back({std::make_unique<PagedKVCache>(c, pool), seq++, 1 + static_cast<int>(rng() % 40)});
      continue;
    }
    if (live.empty()) continue;
    Live& s = live[rng() % live.size()];
    const int length = s.cache->length();
    if (length < s.target) {  // grow it by a chunk of 1..9 positions
      const int n = std::min(s.target - length, 1 + static_cast<int>(rng() % 9));
      feed(*s.cache, s.seq, length, n);
    } else {  // done: check it, then end it
      expect_holds(*s.cache, s.seq, length);
      std::swap(s, live.back());
      live.pop_back();
    }
    int in_tables = 0;
    for (const Live& l : live) in_tables += static_cast<int>(l.cache->block_table().size());
    ASSERT_EQ(pool->num_blocks() - pool->num_free(), in_tables);
  }
  EXPECT_EQ(pool->num_free(), pool->num_blocks());
  for (int b = 0; b < pool->num_blocks(); ++b) EXPECT_EQ(pool->ref_count(b), 0);
}

// The paged cache is read one segment per block, in place, and holds what the contiguous one holds.
TEST(PagedKVCache, ReadsTheSamePositionsAsTheContiguousCache) {
  const ModelConfig c = tiny_config();
  for (int block : {1, 3, 16}) {
    PagedKVCache paged(c, std::make_shared<BlockPool>(c, block, 20));
    ContiguousKVCache contiguous(c, 20);
    for (auto [start, n] : {std::pair{0, 7}, {7, 1}, {8, 5}}) {
      feed(paged, 1, start, n);
      feed(contiguous, 1, start, n);
    }
    const KVView view = paged.view(1);
    EXPECT_EQ(view.size(), static_cast<size_t>((13 + block - 1) / block)) << "one segment per block";
    for (size_t i = 0; i < view.size(); ++i) EXPECT_EQ(view[i].first_pos, static_cast<int>(i) * block);
    EXPECT_EQ(view[0].keys.data(), paged.pool().keys(paged.block_table()[0], 1).data()) << "read in place, not copied";
    for (int l = 0; l < 2; ++l) {
      EXPECT_EQ(gather(paged.view(l)).keys, gather(contiguous.view(l)).keys) << "block " << block;
      EXPECT_EQ(gather(paged.view(l)).values, gather(contiguous.view(l)).values) << "block " << block;
    }
    EXPECT_EQ(paged.bytes_used(), view.size() * paged.pool().bytes_per_block());
  }
}

TEST(PagedKVCache, PoolTooSmallForTheSequenceIsAClearError) {
  const ModelConfig c = tiny_config();
  PagedKVCache cache(c, std::make_shared<BlockPool>(c, 4, 2));
  EXPECT_EQ(cache.capacity(), 8);
  feed(cache, 1, 0, 8);
  EXPECT_THROW(feed(cache, 1, 8, 1), Error);
  // Two sequences on one pool: the second finds every block taken.
  auto pool = std::make_shared<BlockPool>(c, 4, 2);
  PagedKVCache a(c, pool), b(c, pool);
  feed(a, 1, 0, 8);
  EXPECT_THROW(feed(b, 2, 0, 1), Error);
}

// Prefix caching at the block level: a second prompt with the same first 9 tokens attaches the first
// two full blocks (8 positions); the blocks live until both sequences have ended, and the first
// sequence's keys are untouched when the second writes into a shared block (copy-on-write).
TEST(PagedKVCache, SharedPrefixBlocksAndCopyOnWrite) {
  const ModelConfig c = tiny_config();
  auto pool = std::make_shared<BlockPool>(c, 4, 16);
  const std::vector<int> prompt = {5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
  auto a = std::make_unique<PagedKVCache>(c, pool);
  EXPECT_EQ(a->reuse_prefix(prompt), 0) << "an empty pool holds nothing";
  feed(*a, 1, 0, 10);
  EXPECT_EQ(pool->num_published(), 2) << "the two full blocks of the prompt";

  PagedKVCache b(c, pool);
  std::vector<int> other = prompt;
  other[9] = 99;  // the same first 9 tokens, then another
  EXPECT_EQ(b.reuse_prefix(other), 8);
  EXPECT_EQ(b.block_table()[0], a->block_table()[0]);
  EXPECT_EQ(pool->ref_count(b.block_table()[0]), 2);
  feed(b, 2, 8, 2);  // its own third block
  expect_holds(*a, 1, 10);

  // Attaching the whole prompt: the last position must be fed again, into an attached block.
  PagedKVCache d(c, pool);
  const std::vector<int> eight(prompt.begin(), prompt.begin() + 8);
  EXPECT_EQ(d.reuse_prefix(eight), 7);
  const int shared = d.block_table()[1];
  feed(d, 3, 7, 1);  // writes position 7 of block 1: copied first
  EXPECT_NE(d.block_table()[1], shared);
  expect_holds(*a, 1, 10);  // a's block 1 is unchanged

  const int first = a->block_table()[0];
  a.reset();
  EXPECT_EQ(pool->ref_count(first), 2) << "b and d still hold it";
  const GatheredKV kv = gather(b.view(0));
  EXPECT_EQ(kv.keys(3, 0), 1003.0f) << "position 3, written by the first sequence";
  EXPECT_EQ(kv.keys(9, 0), 2009.0f) << "position 9, b's own";
  b.clear();
  d.clear();
  EXPECT_EQ(pool->num_free(), pool->num_blocks());
  EXPECT_EQ(pool->num_published(), 2) << "free, but still known for a later prompt";
  PagedKVCache e(c, pool);
  EXPECT_EQ(e.reuse_prefix(prompt), 8);
}

}  // namespace
}  // namespace kvlm
