// The sampler's own edge cases. Its statistical properties (seeded, softmax(logits / T) frequencies,
// top-k, top-p and renormalization as HF's warpers) are chapter 05's exercise test, compiled here
// against the library: chapters/05_naive_generation/exercises/test_sampler.cpp.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace kvlm
