// SmolLM2-135M-Instruct on the GPU (chapter 07): HF's three 64-token greedy paths (data/smollm2) token
// for token, and HF's top-10 logits, with the plain kernels and with the fast ones. The weights are
// the Q4_1 file's blocks widened to fp32, as HF's reference run read them (test_smollm2.cpp holds the
// CPU to the same references). Skips without a GPU, or without models/ (scripts/fetch-models.sh).
#include <gtest/gtest.h>

#include <memory>

#include "kvlm/cuda/decoder.hpp"
#include "kvlm/cuda/device.hpp"
#include "kvlm/generate/generate.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/verify/reference.hpp"
#include "paths.hpp"
#include "real/smollm2_hf.hpp"

namespace kvlm {
namespace {

// fp32 on the GPU against HF's float64 run: DESIGN.md's 1e-3 for the GPU (the CPU is held to 2e-4 on
// this model, whose logits reach 38; the GPU sums in other orders, over up to 1,536 terms).
constexpr float kLogitTolerance = 1e-3f;

std::filesystem::path model_path() { return test::models_dir() / "SmolLM2-135M-Instruct.Q4_1.gguf"; }

class SmolLM2Cuda : public ::testing::TestWithParam<cuda::Kernels> {
 protected:
  static void SetUpTestSuite() {
    if (!cuda::device_present() || !std::filesystem::exists(model_path())) return;
    model_ = std::make_unique<Model>(load_model(model_path(), {.dequantize = true}));
    prompts_ = read_reference(test::data_dir() / "smollm2" / "reference.safetensors");
  }
  static void TearDownTestSuite() { model_.reset(); }
  void SetUp() override {
    std::string why;
    if (!cuda::device_present(&why)) GTEST_SKIP() << "no GPU to run SmolLM2 on: " << why;
    if (!model_) GTEST_SKIP() << model_path() << " not found: run scripts/fetch-models.sh";
    decoder_ = std::make_unique<cuda::Decoder>(*model_, GetParam());
  }
  static inline std::unique_ptr<Model> model_;
  static inline std::vector<ReferencePrompt> prompts_;
  std::unique_ptr<cuda::Decoder> decoder_;
};

TEST_P(SmolLM2Cuda, LogitsMatchHF) {
  for (const ReferencePrompt& p : prompts_) {
    test::expect_topk_logits_near_hf(decoder_->forward(p.input_ids, 0, nullptr, nullptr, 0), p, kLogitTolerance);
  }
}

// 64 greedy tokens per prompt through chapter 06's loop on the GPU (smallest reference margin: 0.009,
// above the 1e-3 bound), and chapter 05's naive loop gives the same tokens.
TEST_P(SmolLM2Cuda, GreedyPathsMatchHF) {
  test::expect_greedy_matches_hf(*decoder_, prompts_);
  const ReferencePrompt& p = prompts_.front();
  GenerationConfig config;
  config.max_new_tokens = 24;
  config.stop_at_eos = false;
  EXPECT_EQ(generate_naive(*decoder_, p.input_ids, config).tokens,
            std::vector<int>(p.greedy.begin(), p.greedy.begin() + 24))
      << p.name << " (naive)";
}

INSTANTIATE_TEST_SUITE_P(Kernels, SmolLM2Cuda, ::testing::Values(cuda::Kernels::kPlain, cuda::Kernels::kFast),
                         [](const auto& info) { return info.param == cuda::Kernels::kFast ? "fast" : "plain"; });

}  // namespace
}  // namespace kvlm
