// What the lossy KV caches cost on a real model: SmolLM2-135M-Instruct (Q4_1 GGUF, scripts/fetch-models.sh),
// on the three data/smollm2 prompts. Each kind runs the exact (contiguous fp32) cache's greedy path
// teacher-forced (tests/cache/measure_cache.hpp) and is compared with it at every step.
// KVLM_KV_STEPS sets the steps (default 32, for CI; the figures in the bounds below are from 256).
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

// BOUNDS_TBD
TEST_F(SmolLM2KVCache, Fp16AndInt8) {
  const auto errors = measure({{.kind = "fp16"}, {.kind = "int8"}});
  for (size_t i = 0; i < errors[0].size(); ++i) {
    EXPECT_LE(errors[0][i].max_logit_diff, 1e9f) << "fp16, prompt " << i;
    EXPECT_LE(errors[1][i].max_logit_diff, 1e9f) << "int8, prompt " << i;
  }
}

// WINDOW_BOUNDS_TBD
TEST_F(SmolLM2KVCache, WindowShorterThanTheText) {
  const auto errors = measure({{.kind = "window", .window = steps() / 2, .sinks = 4}});  // the text: ~2 windows
  for (const test::CacheError& e : errors[0]) EXPECT_LE(e.max_logit_diff, 1e9f);
}

}  // namespace
}  // namespace kvlm
