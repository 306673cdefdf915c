// Every fixture against HF transformers' float64 outputs: logits, hidden states, the prefilled KV
// cache and greedy continuations. The headline "same numbers as HF" tests.
#include <gtest/gtest.h>

#include "cache_variants.hpp"
#include "fixtures.hpp"
#include "kvlm/cache/make_kv_cache.hpp"
#include "kvlm/generate/generate.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/io/safetensors.hpp"
#include "kvlm/model/transformer.hpp"
#include "kvlm/verify/reference.hpp"

namespace kvlm {
namespace {

using test::Fixture;

// fp32 against HF's float64 run. Measured worst case on these fixtures: 6e-5 (stories260K, whose
// logits reach 15); HF's own fp32 run differs from its float64 run by up to 6e-5 there too.
constexpr float kLogitTolerance = 1e-4f;
// Hidden states and K/V: the same fp32 rounding, on values of magnitude up to ~10.
constexpr float kStateTolerance = 1e-4f;

class Reference : public ::testing::TestWithParam<Fixture> {
 protected:
  void SetUp() override {
    model_ = load_model(GetParam().model);
    prompts_ = read_reference(GetParam().reference);
  }
  Model model_;
  std::vector<ReferencePrompt> prompts_;
};

TEST_P(Reference, LogitsAtEveryPosition) {
  for (const ReferencePrompt& p : prompts_) {
    const Matrix logits = forward(model_, p.input_ids, 0, nullptr);
    ASSERT_EQ(logits.rows(), p.logits.rows());
    ASSERT_EQ(logits.cols(), p.logits.cols());
    for (Eigen::Index t = 0; t < logits.rows(); ++t)
      EXPECT_LE((logits.row(t) - p.logits.row(t)).cwiseAbs().maxCoeff(), kLogitTolerance)
          << p.name << " position " << t;
  }
}

TEST_P(Reference, HiddenStatesAfterEveryLayer) {
  for (const ReferencePrompt& p : prompts_) {
    ForwardTrace trace;
    forward(model_, p.input_ids, 0, nullptr, &trace);
    ASSERT_EQ(trace.hidden_states.size(), p.hidden.size()) << p.name;
    for (size_t l = 0; l < p.hidden.size(); ++l)
      for (Eigen::Index t = 0; t < p.hidden[l].rows(); ++t)
        EXPECT_LE((trace.hidden_states[l].row(t) - p.hidden[l].row(t)).cwiseAbs().maxCoeff(), kStateTolerance)
            << p.name << " hidden" << l << " position " << t;
  }
}

// Greedy continuations must be identical token for token (no tolerance): every fixture's
// reference margins are above 1e-4, and HF's own fp32 paths agree with the float64 ones.
TEST_P(Reference, GreedyContinuationNaive) {
  for (const ReferencePrompt& p : prompts_) {
    GenerationConfig config;
    config.max_new_tokens = static_cast<int>(p.greedy.size());
    config.stop_at_eos = false;  // HF's greedy references run their full length, past any EOS
    EXPECT_EQ(generate_naive(model_, p.input_ids, config).tokens, p.greedy) << p.name;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Reference, ::testing::ValuesIn(test::all_fixtures()),
                         [](const auto& info) { return info.param.name; });

// The tests that read a cache, once per (fixture x exact cache variant): every variant must hold what
// HF's cache holds and continue as HF does (tests/cache_variants.hpp lists the variants).
class ReferenceCached : public ::testing::TestWithParam<test::FixtureAndCache> {
 protected:
  void SetUp() override {
    model_ = load_model(fixture().model);
    prompts_ = read_reference(fixture().reference);
  }
  const Fixture& fixture() const { return std::get<0>(GetParam()); }
  const KVCacheOptions& options() const { return std::get<1>(GetParam()).options; }
  Model model_;
  std::vector<ReferencePrompt> prompts_;
};

// After prefilling a prompt, the cache must hold what HF's DynamicCache holds: for each layer,
// K (after RoPE) and V, stored by HF as [kv_heads, T, head_dim]; kvlm stores [T, kv_heads * head_dim].
// A llama2.c file keeps Meta's interleaved layout: its q/k rows, and so its rotated keys, are HF's
// permuted (HF dimension i <-> 2i, i + head_dim/2 <-> 2i + 1); values are not permuted.
TEST_P(ReferenceCached, PrefilledKVCacheMatchesHF) {
  const SafetensorsFile ref(fixture().reference);
  const ModelConfig& c = model_.config;
  const int half = c.head_dim / 2;
  auto our_key_dim = [&](int d) {
    if (c.rope_layout != RopeLayout::kInterleaved) return d;
    return d < half ? 2 * d : 2 * (d - half) + 1;
  };
  for (const ReferencePrompt& p : prompts_) {
    const std::unique_ptr<KVCache> cache = make_kv_cache(c, options(), static_cast<int>(p.input_ids.size()));
    forward(model_, p.input_ids, 0, cache.get());
    for (int l = 0; l < c.num_hidden_layers; ++l) {
      const GatheredKV kv = gather(cache->view(l));  // [T, kv_dim], positions 0 .. T-1 in order
      ASSERT_EQ(kv.positions.size(), p.input_ids.size());
      for (size_t t = 0; t < kv.positions.size(); ++t) ASSERT_EQ(kv.positions[t], static_cast<int>(t));
      const std::string pre = p.name + ".layer" + std::to_string(l);
      const Tensor k = ref.read(pre + ".k"), v = ref.read(pre + ".v");  // [KV, T, hd] as rows KV x (T*hd)
      const int T = static_cast<int>(p.input_ids.size());
      ASSERT_EQ(k.shape, (Shape{c.num_key_value_heads, T, c.head_dim}));
      for (int h = 0; h < c.num_key_value_heads; ++h)
        for (int t = 0; t < T; ++t)
          for (int d = 0; d < c.head_dim; ++d) {
            EXPECT_NEAR(kv.keys(t, h * c.head_dim + our_key_dim(d)), k.data(h, t * c.head_dim + d), kStateTolerance)
                << pre << " key head " << h << " pos " << t << " dim " << d;
            EXPECT_NEAR(kv.values(t, h * c.head_dim + d), v.data(h, t * c.head_dim + d), kStateTolerance)
                << pre << " value head " << h << " pos " << t << " dim " << d;
          }
    }
  }
}

// The same through each cache variant, token for token.
TEST_P(ReferenceCached, GreedyContinuationCached) {
  for (const ReferencePrompt& p : prompts_) {
    GenerationConfig config;
    config.kv_cache = options();
    config.max_new_tokens = static_cast<int>(p.greedy.size());
    config.stop_at_eos = false;  // HF's greedy references run their full length, past any EOS
    EXPECT_EQ(generate_cached(model_, p.input_ids, config).tokens, p.greedy) << p.name;
  }
}

INSTANTIATE_TEST_SUITE_P(FixturesAndCaches, ReferenceCached, test::fixtures_and_caches(), test::fixture_and_cache_name);

TEST(SharedModels, Present) {
  KVLM_REQUIRE_SHARED();
  EXPECT_GE(test::all_fixtures().size(), 10u) << "expected the shared fixtures beside the project's own";
}

}  // namespace
}  // namespace kvlm
