// Tests exercise 2 of chapter 05 (Sampler::sample) with the properties tests/generate/test_sampler.cpp
// holds the library to: greedy at temperature 0, seeded, frequencies following softmax(logits / T),
// top-k and top-p keeping exactly the tokens HF's TopKLogitsWarper / TopPLogitsWarper keep.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "exercises.hpp"

namespace kvlm::exercises {
namespace {

const std::vector<float> kLogits = {1.0f, 3.0f, 2.0f, 0.5f, 2.5f};  // most likely first: 1, 4, 2, 0, 3

TEST(Sampler, TemperatureZeroIsGreedy) {
  Sampler s({});
  for (int i = 0; i < 10; ++i) EXPECT_EQ(s.sample(kLogits), 1);
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

// With 40000 draws the standard error of a frequency is at most 0.0025; 0.01 is four of them.
TEST(Sampler, FrequenciesFollowSoftmaxOverTemperature) {
  for (float temperature : {0.7f, 1.5f}) {
    Sampler s({temperature, 0, 1.0f, 7});
    std::map<int, int> counts;
    const int draws = 40000;
    for (int i = 0; i < draws; ++i) ++counts[s.sample(kLogits)];
    double z = 0;
    for (float l : kLogits) z += std::exp(l / temperature);
    for (int id = 0; id < static_cast<int>(kLogits.size()); ++id)
      EXPECT_NEAR(counts[id] / static_cast<double>(draws), std::exp(kLogits[id] / temperature) / z, 0.01)
          << "T " << temperature << " id " << id;
  }
}

TEST(Sampler, TopKKeepsOnlyTheKMostLikely) {
  Sampler s({1.0f, 2, 1.0f, 1});
  std::map<int, int> counts;
  for (int i = 0; i < 2000; ++i) ++counts[s.sample(kLogits)];
  EXPECT_EQ(counts.size(), 2u);
  EXPECT_GT(counts[1], 0);
  EXPECT_GT(counts[4], 0);
}

// At T = 1: id1 0.456, id4 0.277, id2 0.168, ... Top-p 0.6 keeps {1, 4} (0.733 >= 0.6): the token
// that crosses the threshold is kept. Top-p 0.01 keeps only the most likely token.
TEST(Sampler, TopPKeepsTheSmallestSetReachingP) {
  Sampler s({1.0f, 0, 0.6f, 3});
  std::map<int, int> counts;
  for (int i = 0; i < 4000; ++i) ++counts[s.sample(kLogits)];
  EXPECT_EQ(counts.size(), 2u);
  EXPECT_GT(counts[1], 0);
  EXPECT_GT(counts[4], 0);
  Sampler tiny({1.0f, 0, 0.01f, 3});
  for (int i = 0; i < 100; ++i) EXPECT_EQ(tiny.sample(kLogits), 1);
}

// Renormalizing after top-p: the kept {1, 4} are drawn 0.456 : 0.277, i.e. 62% : 38%.
TEST(Sampler, TopPRenormalizesTheKeptTokens) {
  Sampler s({1.0f, 0, 0.6f, 11});
  int ones = 0;
  const int draws = 20000;
  for (int i = 0; i < draws; ++i) ones += s.sample(kLogits) == 1;
  const double p1 = std::exp(3.0) / (std::exp(3.0) + std::exp(2.5));
  EXPECT_NEAR(ones / static_cast<double>(draws), p1, 0.015);
}

}  // namespace
}  // namespace kvlm::exercises
