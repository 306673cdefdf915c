// What the lossy KV caches cost on a real model: SmolLM2-135M-Instruct (Q4_1 GGUF, scripts/fetch-models.sh),
// on the three data/smollm2 prompts. Each kind runs the exact (contiguous fp32) cache's greedy path
// teacher-forced (tests/cache/measure_cache.hpp) and is compared with it at every step.
// KVLM_KV_STEPS sets the steps (default 32, for CI; the figures below are from 32 and 256); the
// window keeps W = steps / 2 and S = 4, so the text is about two windows long.
// Skips with a message when models/ does not hold the model.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "cache/measure_cache.hpp"
#include "kvlm/cache/make_kv_cache.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/verify/reference.hpp"
#include "paths.hpp"

namespace kvlm {
namespace {

namespace fs = std::filesystem;

fs::path model_path() { return fs::path(KVLM_MODELS_DIR) / "SmolLM2-135M-Instruct.Q4_1.gguf"; }

int steps() {
  const char* env = std::getenv("KVLM_KV_STEPS");
  return env ? std::atoi(env) : 32;
}

class SmolLM2KVCache : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists(model_path())) return;
    model_ = new Model(load_model(model_path()));
    prompts_ = new std::vector<ReferencePrompt>(read_reference(test::data_dir() / "smollm2" / "reference.safetensors"));
  }
  static void TearDownTestSuite() {
    delete model_;
    delete prompts_;
  }
  void SetUp() override {
    if (!model_) GTEST_SKIP() << model_path() << " not found: run scripts/fetch-models.sh";
  }
  // Every prompt: the exact run, then each kind teacher-forced on it.
  static std::vector<std::vector<test::CacheError>> measure(const std::vector<KVCacheOptions>& kinds) {
    std::vector<std::vector<test::CacheError>> out(kinds.size());
    for (const ReferencePrompt& p : *prompts_) {
      const int n = static_cast<int>(p.input_ids.size()) + steps();
      auto exact_cache = make_kv_cache(model_->config, {.kind = "contiguous"}, n);
      const test::GreedyRun exact = test::greedy_run(*model_, p.input_ids, steps(), *exact_cache);
      for (size_t k = 0; k < kinds.size(); ++k) {
        auto cache = make_kv_cache(model_->config, kinds[k], n);
        out[k].push_back(compare_runs(exact, test::greedy_run(*model_, p.input_ids, steps(), *cache, &exact.tokens)));
        print(kinds[k].kind + " SmolLM2 " + p.name, out[k].back());
      }
    }
    return out;
  }
  static inline Model* model_ = nullptr;
  static inline std::vector<ReferencePrompt>* prompts_ = nullptr;
};

// Measured (max |logit - fp32 cache's| over the steps; argmax agreement; steps identical before the
// first disagreement = where free-running generation would diverge), prompts p0 p1 p2, logits up to 45:
//   256 steps  fp16    0.016  0.025  0.041   256/256 all three           identical for 256 256 256
//              int8    0.62   0.92   1.30    255 252 255 /256            identical for  29  14 207
//              window  4.0    5.9    5.2     255 251 249 /256 (W = 128)  identical for 163 162 151
//    32 steps  fp16    0.012  0.013  0.041   32/32 all three
//              int8    0.56   0.82   1.06    31 30 32 /32
//              window  6.4   15.2   13.1     30 22 31 /32 (W = 16: p1's prompt alone is longer)
// fp16's 11 significant bits move the logits by ~1e-3 of their size and never changed a token; int8
// (1/254 of each row's max) by ~2e-2, enough to flip near-ties (margins 0.009 .. 0.07); a window of W
// by up to 0.41 of max|logit| at W = 16, 0.14 at W = 128. Bounds: fp16 0.1 and every token the same;
// int8 3.0 and 90% agreeing; window 0.5 x max|logit| and 60% agreeing.
TEST_F(SmolLM2KVCache, LossyCachesAgainstTheFp32Cache) {
  const auto errors = measure({{.kind = "fp16"}, {.kind = "int8"}, {.kind = "window", .window = steps() / 2, .sinks = 4}});
  for (size_t i = 0; i < errors[0].size(); ++i) {
    const test::CacheError &fp16 = errors[0][i], &int8 = errors[1][i], &window = errors[2][i];
    EXPECT_LE(fp16.max_logit_diff, 0.1f) << "prompt " << i;
    EXPECT_EQ(fp16.identical_prefix, fp16.steps) << "prompt " << i;
    EXPECT_LE(int8.max_logit_diff, 3.0f) << "prompt " << i;
    EXPECT_GE(int8.agreeing, 0.9 * int8.steps) << "prompt " << i;
    EXPECT_LE(window.max_logit_diff, 0.5f * window.max_abs_logit) << "prompt " << i;
    EXPECT_GE(window.agreeing, 0.6 * window.steps) << "prompt " << i;
  }
}

}  // namespace
}  // namespace kvlm
