// The sampler: greedy is argmax; sampling is seeded, reproducible and follows softmax(logits / T)
// restricted by top-k and top-p, as HF's TopKLogitsWarper and TopPLogitsWarper do.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

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

TEST(Sampler, SameSeedSameTokens) {
  std::vector<int> a, b, c;
  Sampler s1({1.0f, 0, 1.0f, 42}), s2({1.0f, 0, 1.0f, 42}), s3({1.0f, 0, 1.0f, 43});
  for (int i = 0; i < 50; ++i) {
    a.push_back(s1.sample(kLogits));
    b.push_back(s2.sample(kLogits));
    c.push_back(s3.sample(kLogits));
  }
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

// Frequencies over many draws against the exact softmax. With 40000 draws the standard error of a
// frequency is at most 0.0025; 0.01 is four standard errors.
TEST(Sampler, FrequenciesFollowSoftmaxOverTemperature) {
  const float temperature = 0.7f;
  Sampler s({temperature, 0, 1.0f, 7});
  std::map<int, int> counts;
  const int draws = 40000;
  for (int i = 0; i < draws; ++i) ++counts[s.sample(kLogits)];
  double z = 0;
  for (float l : kLogits) z += std::exp(l / temperature);
  for (int id = 0; id < static_cast<int>(kLogits.size()); ++id)
    EXPECT_NEAR(counts[id] / static_cast<double>(draws), std::exp(kLogits[id] / temperature) / z, 0.01) << "id " << id;
}

TEST(Sampler, TopKKeepsOnlyTheKMostLikely) {
  Sampler s({1.0f, 2, 1.0f, 1});
  for (int i = 0; i < 2000; ++i) {
    const int id = s.sample(kLogits);
    EXPECT_TRUE(id == 1 || id == 4) << id;
  }
}

// Probabilities at T = 1: id1 0.456, id4 0.277, id2 0.168, ... Top-p 0.6 keeps {1, 4} (0.733 >= 0.6),
// the smallest prefix reaching p, as HF keeps the token that crosses the threshold.
TEST(Sampler, TopPKeepsTheSmallestSetReachingP) {
  Sampler s({1.0f, 0, 0.6f, 3});
  std::map<int, int> counts;
  for (int i = 0; i < 4000; ++i) ++counts[s.sample(kLogits)];
  EXPECT_EQ(counts.size(), 2u);
  EXPECT_GT(counts[1], 0);
  EXPECT_GT(counts[4], 0);
  Sampler tiny({1.0f, 0, 0.01f, 3});
  for (int i = 0; i < 100; ++i) EXPECT_EQ(tiny.sample(kLogits), 1);  // p below the top token: greedy
}

TEST(Sampler, RejectsInvalidSettings) {
  EXPECT_THROW(Sampler({-1.0f, 0, 1.0f, 0}), Error);
  EXPECT_THROW(Sampler({1.0f, -1, 1.0f, 0}), Error);
  EXPECT_THROW(Sampler({1.0f, 0, 0.0f, 0}), Error);
  EXPECT_THROW(Sampler({1.0f, 0, 1.5f, 0}), Error);
}

}  // namespace
}  // namespace kvlm
