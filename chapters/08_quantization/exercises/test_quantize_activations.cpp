// Tests exercise 2 of chapter 08 (quantize_activations) on values whose rounding is worked out by
// hand in the comments.
#include <gtest/gtest.h>

#include <vector>

#include "common/exercise_test.hpp"
#include "exercises.hpp"

namespace kvlm::exercises {
namespace {

TEST(QuantizeActivations, OneBlockByHand) {
  // max |x| = 3.2767, so d = 0.0001 and q = round(x / 0.0001): 32767, -10000, 3 (3.4), 0 (0.2), -1 (-0.6).
  std::vector<float> x(32, 0.0f);
  x[0] = 3.2767f, x[1] = -1.0f, x[2] = 0.00034f, x[3] = 0.00002f, x[4] = -0.00006f;
  const QuantizedActivations q = exercises::quantize_activations(x);
  ASSERT_EQ(q.cols, 32);
  ASSERT_EQ(q.q.size(), 32u);
  ASSERT_EQ(q.d.size(), 1u);
  ASSERT_EQ(q.s.size(), 1u);
  EXPECT_FLOAT_EQ(q.d[0], 0.0001f);
  EXPECT_EQ(q.q[0], 32767);
  EXPECT_EQ(q.q[1], -10000);
  EXPECT_EQ(q.q[2], 3);
  EXPECT_EQ(q.q[3], 0);
  EXPECT_EQ(q.q[4], -1);
  EXPECT_FLOAT_EQ(q.s[0], 0.0001f * (32767 - 10000 + 3 - 1));
}

TEST(QuantizeActivations, EachBlockHasItsOwnScale) {
  // Block 0 peaks at 1 (d = 1/32767), block 1 at 100 (d = 100/32767): 25 is q = 8191.75 -> 8192,
  // and 1 in block 1 is q = 327.67 -> 328.
  std::vector<float> x(64, 0.0f);
  x[0] = 1.0f, x[32] = -100.0f, x[33] = 25.0f, x[34] = 1.0f;
  const QuantizedActivations q = exercises::quantize_activations(x);
  ASSERT_EQ(q.d.size(), 2u);
  EXPECT_FLOAT_EQ(q.d[0], 1.0f / 32767);
  EXPECT_FLOAT_EQ(q.d[1], 100.0f / 32767);
  EXPECT_EQ(q.q[0], 32767);
  EXPECT_EQ(q.q[32], -32767);
  EXPECT_EQ(q.q[33], 8192);
  EXPECT_EQ(q.q[34], 328);
}

TEST(QuantizeActivations, AnAllZeroBlockIsZerosNotNaN) {
  const QuantizedActivations q = exercises::quantize_activations(std::vector<float>(32, 0.0f));
  ASSERT_EQ(q.d.size(), 1u);
  EXPECT_EQ(q.d[0], 0.0f);
  EXPECT_EQ(q.s[0], 0.0f);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(q.q[i], 0);
}

}  // namespace
}  // namespace kvlm::exercises
