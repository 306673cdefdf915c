// Chapter 09's lossy and bounded caches: the int8 row step, the fp16 storage and the window ring,
// each against values worked out by hand; then, on every fixture, the error fp16 and int8 add to the
// logits (measured, bounded), and the window running far past the model's context in fixed memory.
// (Window with W >= the length == the contiguous cache: the equivalence suites, test_equivalence.cpp.)
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>
#include <vector>

#include "cache/measure_cache.hpp"
#include "fixtures.hpp"
#include "kvlm/cache/fp16_kv_cache.hpp"
#include "kvlm/cache/int8_kv_cache.hpp"
#include "kvlm/cache/make_kv_cache.hpp"
#include "kvlm/cache/window_kv_cache.hpp"
#include "kvlm/error.hpp"
#include "kvlm/generate/generate.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/verify/reference.hpp"

namespace kvlm {
namespace {

// max|x| = 2, so scale = 2 / 127 and x * 127 / 2 = -127, 63.5, -31.75, 15.875, 0 (all exact in fp32):
// rounded, halves away from zero, -127, 64, -32, 16, 0.
TEST(Int8Row, HandWorkedValues) {
  const std::vector<float> x = {-2.0f, 1.0f, -0.5f, 0.25f, 0.0f};
  std::vector<int8_t> q(x.size());
  const float scale = quantize_row_int8(x, q);
  EXPECT_FLOAT_EQ(scale, 2.0f / 127.0f);
  EXPECT_EQ(q, (std::vector<int8_t>{-127, 64, -32, 16, 0}));
  std::vector<float> back(x.size());
  dequantize_row_int8(q, scale, back);
  EXPECT_FLOAT_EQ(back[0], -2.0f);            // the largest value is exact: 127 steps
  EXPECT_FLOAT_EQ(back[1], 64.0f * 2 / 127);  // 1.00787: the tie, off by exactly half a step
  EXPECT_FLOAT_EQ(back[4], 0.0f);
}

// Every value comes back within half a step, scale / 2 = max|x| / 254, whatever the row's size.
TEST(Int8Row, ErrorIsAtMostHalfAStep) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (const float magnitude : {1e-6f, 1e-2f, 1.0f, 30.0f, 1e4f}) {
    std::vector<float> x(64), back(64);
    std::vector<int8_t> q(64);
    for (float& v : x) v = magnitude * normal(rng);
    const float scale = quantize_row_int8(x, q);
    dequantize_row_int8(q, scale, back);
    float amax = 0;
    for (const float v : x) amax = std::max(amax, std::abs(v));
    for (size_t i = 0; i < x.size(); ++i)
      EXPECT_LE(std::abs(back[i] - x[i]), amax / 254 * (1 + 1e-5f)) << "magnitude " << magnitude << " value " << i;
  }
}

TEST(Int8Row, ZerosAndNonFiniteValues) {
  std::vector<int8_t> q(3, 5);
  EXPECT_EQ(quantize_row_int8(std::vector<float>{0, 0, 0}, q), 0.0f);
  EXPECT_EQ(q, (std::vector<int8_t>{0, 0, 0}));
  // A NaN or Inf must reach the logits (generate's non-finite check), not turn into a number.
  for (const float bad : {NAN, INFINITY}) {
    const float scale = quantize_row_int8(std::vector<float>{1, bad, 2}, q);
    std::vector<float> back(3);
    dequantize_row_int8(q, scale, back);
    EXPECT_TRUE(std::isnan(back[0]) && std::isnan(back[2]));
  }
}

// S = 2 sinks, W = 4 ring rows: see the drawing in window_kv_cache.hpp.
TEST(WindowRing, RowsByHand) {
  const std::vector<int> rows = {0, 1, 2, 3, 4, 5, 2, 3, 4, 5, 2};  // positions 0..10
  for (int p = 0; p < static_cast<int>(rows.size()); ++p) EXPECT_EQ(window_row(p, 2, 4), rows[p]) << "position " << p;
  EXPECT_EQ(window_row(7, 0, 3), 1);       // no sinks: plain p mod W
  EXPECT_EQ(window_row(1000003, 4, 1), 4);  // W = 1: every later position in the one ring row
}

TEST(WindowRing, RunsByHand) {
  using R = std::vector<WindowRun>;
  EXPECT_EQ(ring_runs(2, 6, 2, 4), (R{{2, 2, 4}}));             // fills the ring exactly, no wrap
  EXPECT_EQ(ring_runs(5, 9, 2, 4), (R{{5, 5, 1}, {2, 6, 3}}));  // 5 in row 5, then 6 7 8 in rows 2..4
  EXPECT_EQ(ring_runs(6, 10, 2, 4), (R{{2, 6, 4}}));            // a whole lap starting at row 2
  EXPECT_EQ(ring_runs(9, 10, 2, 4), (R{{5, 9, 1}}));            // one decode step
  EXPECT_EQ(ring_runs(7, 7, 2, 4), R{});
  EXPECT_EQ(window_first_kept(9, 2, 4), 5);  // positions 5..8 kept in the ring
  EXPECT_EQ(window_first_kept(3, 2, 4), 2);  // nothing dropped yet: the ring starts after the sinks
}

ModelConfig tiny_config(int layers, int kv_heads, int head_dim) {
  ModelConfig c;
  c.num_hidden_layers = layers;
  c.num_attention_heads = kv_heads;
  c.num_key_value_heads = kv_heads;
  c.head_dim = head_dim;
  return c;
}

// 1/3 keeps 11 significant bits: 0x3555 = 0.333251953125; 65504 is the largest half; 1e-8 is below
// half the smallest subnormal (2^-24 = 5.96e-8) and becomes 0; 70000 overflows to infinity.
TEST(Fp16Cache, StoresHalvesByHand) {
  Fp16KVCache cache(tiny_config(1, 1, 4), 2);
  const Matrix k = (Matrix(1, 4) << 1.0f / 3, 65504.0f, 1e-8f, 70000.0f).finished();
  const Matrix v = (Matrix(1, 4) << -1.0f / 3, 1.0009765625f, -2.0f, 0.0f).finished();
  const KVView view = cache.update(0, 0, k, v);
  ASSERT_EQ(view.size(), 1u);
  EXPECT_EQ(view[0].keys(0, 0), 0.333251953125f);
  EXPECT_EQ(view[0].keys(0, 1), 65504.0f);
  EXPECT_EQ(view[0].keys(0, 2), 0.0f);
  EXPECT_TRUE(std::isinf(view[0].keys(0, 3)));
  EXPECT_EQ(view[0].values(0, 0), -0.333251953125f);
  EXPECT_EQ(view[0].values(0, 1), 1.0009765625f);  // 1 + 2^-10: exact in half
  EXPECT_EQ(view[0].values(0, 2), -2.0f);
}

// Two KV heads of head_dim 2, each with its own scale: head 0 {-2, 1} -> scale 2/127, q {-127, 64};
// head 1 {0.5, 0.25} -> scale 0.5/127, q {127, 64} (0.25 * 127 / 0.5 = 63.5 rounds away from zero).
TEST(Int8Cache, QuantizesEachHeadOnItsOwn) {
  Int8KVCache cache(tiny_config(1, 2, 2), 2);
  const Matrix k = (Matrix(1, 4) << -2.0f, 1.0f, 0.5f, 0.25f).finished();
  const KVView view = cache.update(0, 0, k, k);
  ASSERT_EQ(view.size(), 1u);
  const std::vector<float> expected = {-2.0f, 64 * 2.0f / 127, 0.5f, 64 * 0.5f / 127};
  for (int i = 0; i < 4; ++i) {
    EXPECT_FLOAT_EQ(view[0].keys(0, i), expected[i]) << i;
    EXPECT_FLOAT_EQ(view[0].values(0, i), expected[i]) << i;
  }
}

// SmolLM2-135M's shape: 30 layers, 3 KV heads of 64; one fp32 position is 46,080 bytes.
// fp16: half of it (23,040); int8: 2 * 30 * (192 + 3 * 4) = 12,240 (26.6%). Both add the fp32 scratch
// for one layer: 2 * 192 * 4 = 1,536 bytes per position (1/30 of fp32).
TEST(LossyCaches, BytesFollowTheFormula) {
  const ModelConfig c = tiny_config(30, 3, 64);
  const size_t n = 100, scratch = n * 1536;
  Fp16KVCache fp16(c, n);
  Int8KVCache int8(c, n);
  EXPECT_EQ(fp16.bytes(), n * 23040 + scratch);
  EXPECT_EQ(int8.bytes(), n * 12240 + scratch);
  EXPECT_EQ(fp16.bytes_used(), 0u);
  const Matrix row = Matrix::Ones(1, 192);
  for (int l = 0; l < 30; ++l) int8.update(l, 0, row, row);
  EXPECT_EQ(int8.bytes_used(), 12240u);
  WindowKVCache window(c, 16, 4);
  EXPECT_EQ(window.bytes(), 20 * 46080u);
  // kvlm inspect's arithmetic (kv_cache_bytes_at) says what the caches allocate.
  for (const KVCacheOptions& o : {KVCacheOptions{.kind = "fp16"}, KVCacheOptions{.kind = "int8"},
                                  KVCacheOptions{.kind = "window", .window = 16, .sinks = 4}})
    EXPECT_EQ(make_kv_cache(c, o, n)->bytes(), kv_cache_bytes_at(c, o, n)) << o.kind;
}

// Both write below their length (a roll back), refuse a gap and stop at capacity, as the contiguous cache.
TEST(LossyCaches, TruncateAndCapacity) {
  Int8KVCache cache(tiny_config(1, 1, 2), 3);
  const Matrix two = Matrix::Constant(2, 2, 1.0f), one = Matrix::Constant(1, 2, 3.0f);
  cache.update(0, 0, two, two);
  EXPECT_THROW(cache.update(0, 3, one, one), Error);  // a gap
  cache.truncate(1);
  EXPECT_EQ(cache.length(), 1);
  const KVView view = cache.update(0, 1, one, one);
  EXPECT_EQ(view[0].keys.rows(), 2);
  EXPECT_FLOAT_EQ(view[0].keys(1, 0), 3.0f);
  cache.update(0, 2, one, one);
  EXPECT_THROW(cache.update(0, 3, one, one), Error);  // full
}

// --save-cache through the contract's default state (each layer's view in fp32, loaded back through
// update): widening is exact, and quantizing a widened row again gives the same row (fp16 always;
// int8 on all of 1,000,000 random rows of magnitudes 2^-20 .. 2^20 tried), so a restored
// cache reads the same numbers.
TEST(LossyCaches, SaveAndLoadKeepTheSameNumbers) {
  const ModelConfig c = tiny_config(2, 2, 4);
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  const Matrix k = Matrix::NullaryExpr(5, 8, [&] { return normal(rng); });
  const Matrix v = Matrix::NullaryExpr(5, 8, [&] { return normal(rng); });
  for (const std::string kind : {"fp16", "int8"}) {
    auto cache = make_kv_cache(c, {.kind = kind}, 8), loaded = make_kv_cache(c, {.kind = kind}, 8);
    for (int l = 0; l < 2; ++l) cache->update(l, 0, k, v);
    std::stringstream file;
    cache->save_state(file);
    loaded->load_state(file, c);
    ASSERT_EQ(loaded->length(), 5) << kind;
    for (int l = 0; l < 2; ++l) {
      const GatheredKV a = gather(cache->view(l));
      const GatheredKV b = gather(loaded->view(l));
      EXPECT_EQ(a.keys, b.keys) << kind;
      EXPECT_EQ(a.values, b.values) << kind;
    }
  }
}

// S = 2, W = 3, one value per position equal to the position, fed one at a time. After 5 positions
// nothing has left the ring (one segment, as the contiguous cache); after 7 the ring holds 4 5 6 in
// rows 4 2 3, read as runs {4} and {5, 6}; the step feeding 6 saw the sinks, 4 5 and itself.
TEST(WindowCache, KeepsTheSinksAndTheLastW) {
  WindowKVCache cache(tiny_config(1, 1, 1), /*window=*/3, /*sinks=*/2);
  KVView last;
  for (int p = 0; p < 7; ++p) {
    const Matrix x = Matrix::Constant(1, 1, static_cast<float>(p));
    last = cache.update(0, p, x, x);
    if (p == 4) {
      ASSERT_EQ(last.size(), 1u);
      EXPECT_EQ(gather(last).positions, (std::vector<int>{0, 1, 2, 3, 4}));
    }
  }
  EXPECT_EQ(gather(last).positions, (std::vector<int>{0, 1, 4, 5, 6}));
  const KVView held = cache.view(0);
  ASSERT_EQ(held.size(), 3u);  // sinks, {4}, {5, 6}
  EXPECT_EQ(held[1].first_pos, 4);
  EXPECT_EQ(held[2].first_pos, 5);
  const GatheredKV kv = gather(held);
  EXPECT_EQ(kv.positions, (std::vector<int>{0, 1, 4, 5, 6}));
  for (size_t i = 0; i < kv.positions.size(); ++i) EXPECT_EQ(kv.keys(i, 0), kv.positions[i]);
  EXPECT_EQ(cache.length(), 7);
  EXPECT_EQ(cache.bytes_used(), cache.bytes());
}

// A chunk longer than the window sees all of itself; afterwards only the sinks and its last W remain.
TEST(WindowCache, AChunkSeesAllOfItself) {
  WindowKVCache cache(tiny_config(1, 1, 1), 3, 2);
  Matrix x(10, 1);
  for (int p = 0; p < 10; ++p) x(p, 0) = static_cast<float>(p);
  EXPECT_EQ(gather(cache.update(0, 0, x, x)).positions, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  const GatheredKV kv = gather(cache.view(0));
  EXPECT_EQ(kv.positions, (std::vector<int>{0, 1, 7, 8, 9}));
  for (size_t i = 0; i < kv.positions.size(); ++i) EXPECT_EQ(kv.values(i, 0), kv.positions[i]);
}

// Rolling back is exact only while nothing has left the ring (or back into the sinks); else an error.
TEST(WindowCache, RollsBackOnlyWhatItStillHolds) {
  WindowKVCache cache(tiny_config(1, 1, 1), 3, 2);
  const Matrix five = Matrix::Ones(5, 1), one = Matrix::Ones(1, 1);
  cache.update(0, 0, five, five);
  cache.truncate(3);  // nothing has left yet
  EXPECT_EQ(cache.length(), 3);
  cache.update(0, 3, five, five);  // 8 positions: 2 and more have left
  EXPECT_THROW(cache.truncate(6), Error);
  cache.truncate(1);  // back into the sinks: what feeding 1 position would leave
  EXPECT_EQ(gather(cache.update(0, 1, one, one)).positions, (std::vector<int>{0, 1}));
  EXPECT_THROW(make_kv_cache(tiny_config(1, 1, 1), {.kind = "window", .window = 0}, 8), Error);
}

// On every fixture: the longest reference prompt, then kSteps greedy steps, exact (contiguous fp32)
// and lossy teacher-forced on the exact tokens (measure_cache.hpp).
constexpr int kSteps = 24;

class LossyCache : public ::testing::TestWithParam<test::Fixture> {
 protected:
  void SetUp() override {
    model_ = load_model(GetParam().model);
    prompt_ = read_reference(GetParam().reference).back().input_ids;
    const int n = static_cast<int>(prompt_.size()) + kSteps;
    auto exact = make_kv_cache(model_.config, {.kind = "contiguous"}, n);
    exact_ = test::greedy_run(model_, prompt_, kSteps, *exact);
  }
  test::CacheError measure(const KVCacheOptions& options) {
    auto cache = make_kv_cache(model_.config, options, static_cast<int>(prompt_.size()) + kSteps);
    const test::CacheError e = compare_runs(exact_, test::greedy_run(model_, prompt_, kSteps, *cache, &exact_.tokens));
    print(options.kind + " " + GetParam().name, e);
    RecordProperty(options.kind + "_max_logit_diff", std::to_string(e.max_logit_diff));
    return e;
  }
  Model model_;
  std::vector<int> prompt_;
  test::GreedyRun exact_;
};

// fp16 rounds each stored value by at most 2^-11 ~ 4.9e-4 of itself; int8 by at most 1/254 of its
// row's largest value, about 8 times coarser. Through the layers the logits move by (measured on
// every fixture, max|dlogit| / max|logit| over 24 steps): fp16 9e-5 .. 3.9e-3, int8 1.9e-3 .. 5.1e-2,
// the largest both times on stories260K (logits up to 14.5). Bounds: 1e-2 and 1e-1 of max|logit|,
// 2.5 and 2 times the worst measured. Greedy: fp16 agreed on every step of every fixture; int8 on 23
// or 24 of 24, its flips all at margins below 0.07.
TEST_P(LossyCache, Fp16AndInt8StayWithinTheirMeasuredBounds) {
  for (const auto& [kind, bound] : {std::pair{"fp16", 1e-2f}, std::pair{"int8", 1e-1f}}) {
    const test::CacheError e = measure({.kind = kind});
    EXPECT_LE(e.max_logit_diff, bound * e.max_abs_logit) << kind;
    // A logit gap of d can only swap two tokens whose margin is below 2d: every other argmax agrees.
    if (e.agreeing < e.steps) {
      EXPECT_LE(e.min_flipped_margin, 2 * e.max_logit_diff) << kind;
    }
  }
}

// A window at least as long as the text keeps every position in its first rows and hands attention
// one segment, as the contiguous cache does: the same numbers, bit for bit, not merely close.
TEST_P(LossyCache, AWindowLongerThanTheTextIsTheContiguousCache) {
  auto cache = make_kv_cache(model_.config, {.kind = "window", .window = 1 << 12, .sinks = 4}, 1);  // any capacity: a window never fills
  const test::GreedyRun run = test::greedy_run(model_, prompt_, kSteps, *cache);
  EXPECT_EQ(run.tokens, exact_.tokens);
  EXPECT_EQ(run.logits, exact_.logits);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, LossyCache, ::testing::ValuesIn(test::all_fixtures()),
                         [](const auto& info) { return info.param.name; });

// --save-cache's state: a window restored from it holds the same positions and values; another W
// or S, or a cut file, is refused (and leaves the cache empty).
TEST(WindowCache, SavesAndLoadsItsRing) {
  const ModelConfig c = tiny_config(2, 1, 1);
  WindowKVCache cache(c, 3, 2);
  for (int p = 0; p < 7; ++p)
    for (int l = 0; l < 2; ++l) cache.update(l, p, Matrix::Constant(1, 1, p), Matrix::Constant(1, 1, -p));
  std::stringstream file;
  cache.save_state(file);
  WindowKVCache loaded(c, 3, 2);
  loaded.load_state(file, c);
  EXPECT_EQ(loaded.length(), 7);
  for (int l = 0; l < 2; ++l) {
    const GatheredKV a = gather(cache.view(l)), b = gather(loaded.view(l));
    EXPECT_EQ(a.positions, b.positions);
    EXPECT_EQ(a.keys, b.keys);
    EXPECT_EQ(a.values, b.values);
  }
  WindowKVCache other(c, 4, 2);
  file.seekg(0);
  EXPECT_THROW(other.load_state(file, c), Error);
  const std::string bytes = file.str();
  std::stringstream cut(bytes.substr(0, bytes.size() - 4));
  EXPECT_THROW(loaded.load_state(cut, c), Error);
  EXPECT_EQ(loaded.length(), 0);
}

// StreamingLLM's promise: generation runs on past the model's context (here 4 x its 96 positions) in
// fixed memory, without an error, and every logit stays finite. Positions keep increasing: RoPE
// computes any position's angle. GPT-2's learned position table has no row past its context: refused.
TEST(WindowCache, GeneratesFourContextsInFixedMemory) {
  const Model model = load_model(test::data_dir() / "models" / "llama-mha");
  const int context = model.config.max_position_embeddings;
  const std::vector<int> prompt = read_reference(test::data_dir() / "models" / "llama-mha" / "reference.safetensors")
                                      .back()
                                      .input_ids;
  WindowKVCache cache(model.config, /*window=*/16, /*sinks=*/4);
  const size_t bytes = cache.bytes();
  GenerationConfig config;
  config.max_new_tokens = 4 * context;
  config.stop_at_eos = false;
  int non_finite = 0;
  config.on_logits = [&](std::span<const int>, const Matrix& logits) { non_finite += !logits.allFinite(); };
  const Generation g = generate_cached(model, prompt, config, {}, &cache);
  EXPECT_EQ(g.tokens.size(), static_cast<size_t>(4 * context));
  EXPECT_EQ(cache.length(), static_cast<int>(prompt.size()) + 4 * context - 1);  // the last token is not fed
  EXPECT_EQ(cache.bytes(), bytes);
  EXPECT_EQ(g.stats.kv_cache_bytes, bytes);
  EXPECT_EQ(non_finite, 0);

  const Model gpt2 = load_model(test::data_dir() / "models" / "gpt2");
  const std::vector<int> gpt2_prompt =
      read_reference(test::data_dir() / "models" / "gpt2" / "reference.safetensors").back().input_ids;
  WindowKVCache gpt2_cache(gpt2.config, 16, 4);
  config.max_new_tokens = 2 * gpt2.config.max_position_embeddings;
  EXPECT_THROW(generate_cached(gpt2, gpt2_prompt, config, {}, &gpt2_cache), Error);
}

// A window shorter than the text: W = 8 and S = 2 over the prompt and 24 steps. Where every layer of
// the model already slides over at most 8 positions (mistral, phi3), the model never looks further
// back than the cache keeps: the same logits but for the order of fp32 sums (measured 1.7e-6; bound
// 1e-5). Elsewhere the dropped positions are context the model uses, and random weights have learned
// no attention sinks to fall back on: the logits move by as much as they are large (measured up to
// 1.5 x max|logit|, the argmax agreeing on 1 to 24 of 24 steps; bound 3 x). SmolLM2, trained, is the
// real measure (tests/real/test_smollm2_kv_cache.cpp).
TEST_P(LossyCache, AWindowShorterThanTheTextHasABoundedError) {
  constexpr int kWindow = 8;
  const test::CacheError e = measure({.kind = "window", .window = kWindow, .sinks = 2});
  bool slides_within = true;
  for (int l = 0; l < model_.config.num_hidden_layers; ++l)
    slides_within &= model_.config.layer_window(l) > 0 && model_.config.layer_window(l) <= kWindow;
  EXPECT_LE(e.max_logit_diff, slides_within ? 1e-5f : 3.0f * e.max_abs_logit);
}

}  // namespace
}  // namespace kvlm
