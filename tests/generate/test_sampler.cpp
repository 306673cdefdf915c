// The sampler's own edge cases. Its statistical properties (seeded, softmax(logits / T) frequencies,
// top-k, top-p and renormalization as HF's warpers) are chapter 05's exercise test, compiled here
// against the library: chapters/05_naive_generation/exercises/test_sampler.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kvlm/error.hpp"
#include "kvlm/generate/sampler.hpp"

namespace kvlm {
namespace {

const std::vector<float> kLogits = {1.0f, 3.0f, 2.0f, 0.5f, 2.5f};  // softmax order: 1, 4, 2, 0, 3

TEST(Sampler, GreedyIsArgmaxAndTiesGoToTheLowestId) {
  Sampler s({});
  EXPECT_EQ(s.sample(kLogits), 1);
  const std::vector<float> tie = {0.0f, 2.0f, 2.0f};
  EXPECT_EQ(argmax(tie), 1);  // torch.argmax returns the first maximum
}

TEST(Sampler, RejectsInvalidSettings) {
  EXPECT_THROW(Sampler({-1.0f, 0, 1.0f, 0}), Error);
  EXPECT_THROW(Sampler({1.0f, -1, 1.0f, 0}), Error);
  EXPECT_THROW(Sampler({1.0f, 0, 0.0f, 0}), Error);
  EXPECT_THROW(Sampler({1.0f, 0, 1.5f, 0}), Error);
}

// llama.cpp's repetition penalty, worked by hand: a positive logit is divided by the penalty, a
// negative one multiplied, once per distinct token among the last repeat_last_n of the sequence.
TEST(Sampler, RepeatPenaltyFollowsLlamaCpp) {
  const std::vector<float> logits = {2.0f, 1.9f, -1.0f};
  SamplerConfig c;  // greedy
  c.repeat_penalty = 1.1f;
  const std::vector<int> prompt = {0, 0};  // twice, penalized once: 2.0 / 1.1 = 1.82 < 1.9
  Sampler s(c, prompt);
  EXPECT_EQ(s.sample(logits), 1);
  EXPECT_EQ(s.sample(logits), 0) << "1 joined the recent tokens: 1.9 / 1.1 = 1.73 < 1.82";
  // Negative logits: -1.0 x 1.1 = -1.1 < -1.05.
  Sampler negative(c, std::vector<int>{0});
  EXPECT_EQ(negative.sample(std::vector<float>{-1.0f, -1.05f}), 1);
  // Only the last repeat_last_n tokens count: 0 is out of the window of 2.
  c.repeat_last_n = 2;
  Sampler window(c, std::vector<int>{0, 5, 6});
  EXPECT_EQ(window.sample(logits), 0);
  // Off: penalty 1, or a window of 0.
  c.repeat_last_n = 0;
  EXPECT_EQ(Sampler(c, prompt).sample(logits), 0);
}

// Min-p (HF's MinPLogitsWarper): tokens below min_p x the top probability are never drawn.
// Probabilities here are 0.5, 0.3, 0.15, 0.05: min_p 0.4 keeps the first two (threshold 0.2).
TEST(Sampler, MinPDropsTheTail) {
  const std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
  SamplerConfig c;
  c.temperature = 1.0f;
  c.min_p = 0.4f;
  Sampler s(c);
  std::vector<int> counts(4, 0);
  for (int i = 0; i < 4000; ++i) ++counts[s.sample(logits)];
  EXPECT_EQ(counts[2] + counts[3], 0);
  // Renormalized over the two kept: 0.625 and 0.375; 4000 draws, 4 standard deviations (~0.03).
  EXPECT_NEAR(counts[0] / 4000.0, 0.625, 0.031);
  EXPECT_THROW(Sampler({1.0f, 0, 1.0f, 0, /*min_p=*/1.5f}), Error);
  EXPECT_THROW(Sampler({1.0f, 0, 1.0f, 0, 0.0f, /*repeat_penalty=*/0.0f}), Error);
}

}  // namespace
}  // namespace kvlm
