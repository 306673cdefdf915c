// Tests exercise 1 of chapter 06 (ContiguousKVCache::update, bytes_per_token) with HF's own KV cache: the
// keys and values HF's DynamicCache held after a prompt (layer{l}.k/.v in reference.safetensors)
// are written chunk by chunk, as prefill and decode steps would, and must read back exactly.
#include <gtest/gtest.h>

#include "common/exercise_test.hpp"
#include "exercises.hpp"
#include "kvlm/error.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/io/safetensors.hpp"
#include "kvlm/verify/reference.hpp"

namespace kvlm::exercises {
namespace {

// HF stores [KV, T, hd]; the cache holds [T, KV * hd].
Matrix hf_cache(const SafetensorsFile& ref, const std::string& name, const ModelConfig& c, int T) {
  const Tensor x = ref.read(name);
  Matrix out(T, c.kv_dim());
  for (int h = 0; h < c.num_key_value_heads; ++h)
    for (int t = 0; t < T; ++t)
      for (int d = 0; d < c.head_dim; ++d) out(t, h * c.head_dim + d) = x.data(h, t * c.head_dim + d);
  return out;
}

class KVCacheExercise : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = load_model(test::model_dir("llama-gqa-tied")).config;
    const SafetensorsFile ref(test::reference_of("llama-gqa-tied"));
    const ReferencePrompt p = read_reference(test::reference_of("llama-gqa-tied")).back();
    T_ = static_cast<int>(p.input_ids.size());
    for (int l = 0; l < config_.num_hidden_layers; ++l) {
      const std::string pre = p.name + ".layer" + std::to_string(l);
      keys_.push_back(hf_cache(ref, pre + ".k", config_, T_));
      values_.push_back(hf_cache(ref, pre + ".v", config_, T_));
    }
  }
  ModelConfig config_;
  int T_ = 0;
  std::vector<Matrix> keys_, values_;  // per layer, HF's [T, kv_dim]
};

// Prefill the first 20 positions in one chunk, then decode the rest one position at a time.
TEST_F(KVCacheExercise, PrefillThenDecodeReadsBackHfCache) {
  ContiguousKVCache cache(config_, T_);
  const int prefill = 20;
  for (int start = 0; start < T_;) {
    const int n = start == 0 ? prefill : 1;
    for (int l = 0; l < config_.num_hidden_layers; ++l) {
      const KVView view = cache.update(l, start, keys_[l].middleRows(start, n), values_[l].middleRows(start, n));
      ASSERT_EQ(view.size(), 1u) << "a contiguous cache is read as one segment";
      EXPECT_EQ(view[0].first_pos, 0);
      EXPECT_TRUE(test::matrices_near(view[0].keys, keys_[l].topRows(start + n), 0.0f)) << "layer " << l << " at " << start;
      EXPECT_TRUE(test::matrices_near(view[0].values, values_[l].topRows(start + n), 0.0f)) << "layer " << l << " at " << start;
    }
    start += n;
    EXPECT_EQ(cache.length(), start);
  }
  for (int l = 0; l < config_.num_hidden_layers; ++l)
    EXPECT_TRUE(test::matrices_near(cache.keys(l), keys_[l], 0.0f)) << "layer " << l;
}

TEST_F(KVCacheExercise, RefusesGapsAndOverflow) {
  ContiguousKVCache cache(config_, 4);
  const Matrix one = keys_[0].topRows(1);
  EXPECT_THROW(cache.update(0, 1, one, one), kvlm::Error) << "position 1 before position 0";
  EXPECT_THROW(cache.update(0, 0, keys_[0].topRows(5), values_[0].topRows(5)), kvlm::Error) << "5 positions in 4";
  cache.update(0, 0, keys_[0].topRows(4), values_[0].topRows(4));
  EXPECT_THROW(cache.update(0, 4, one, one), kvlm::Error) << "the cache is full";
}

// Memory arithmetic: K and V, every layer, kv_heads * head_dim floats each, per position.
TEST_F(KVCacheExercise, BytesPerTokenIsTheCacheGrowthPerPosition) {
  const ContiguousKVCache ten(config_, 10), eleven(config_, 11);
  EXPECT_EQ(ContiguousKVCache::bytes_per_token(config_), eleven.bytes() - ten.bytes());
  ModelConfig smollm2 = config_;  // SmolLM2-135M: 30 layers, 3 KV heads of 64 (9 query heads)
  smollm2.num_hidden_layers = 30;
  smollm2.num_attention_heads = 9;
  smollm2.num_key_value_heads = 3;
  smollm2.head_dim = 64;
  EXPECT_EQ(ContiguousKVCache::bytes_per_token(smollm2), 46080u) << "2 * 30 * 3 * 64 * 4 bytes";
}

}  // namespace
}  // namespace kvlm::exercises
