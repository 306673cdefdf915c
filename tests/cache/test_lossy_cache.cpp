// Chapter 09's lossy and bounded caches, piece by piece: the int8 row step, the fp16 storage and the
// window ring's arithmetic, each against values worked out by hand. Whole-model checks (bounded
// error, window == full cache) are in the equivalence suites.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kvlm/cache/int8_kv_cache.hpp"
#include "kvlm/cache/window_kv_cache.hpp"

namespace kvlm {
namespace {

// max|x| = 2, so scale = 2 / 127 and x * 127 / 2 = -127, 63.5, -31.75, 15.875, 0 (all exact in fp32):
// rounded, halves away from zero, -127, 64, -32, 16, 0.
TEST(Int8Row, HandWorkedValues) {
  const std::vector<float> x = {-2.0f, 1.0f, -0.5f, 0.25f, 0.0f};
  std::vector<int8_t> q(x.size());
  const float scale = quantize_row_int8(x, q);
  EXPECT_FLOAT_EQ(scale, 2.0f / 127.0f);
  EXPECT_EQ(q, (std::vector<int8_t>{-127, 64, -32, 16, 0}));
  std::vector<float> back(x.size());
  dequantize_row_int8(q, scale, back);
  EXPECT_FLOAT_EQ(back[0], -2.0f);            // the largest value is exact: 127 steps
  EXPECT_FLOAT_EQ(back[1], 64.0f * 2 / 127);  // 1.00787: the tie, off by exactly half a step
  EXPECT_FLOAT_EQ(back[4], 0.0f);
}

// Every value comes back within half a step, scale / 2 = max|x| / 254, whatever the row's size.
TEST(Int8Row, ErrorIsAtMostHalfAStep) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (const float magnitude : {1e-6f, 1e-2f, 1.0f, 30.0f, 1e4f}) {
    std::vector<float> x(64), back(64);
    std::vector<int8_t> q(64);
    for (float& v : x) v = magnitude * normal(rng);
    const float scale = quantize_row_int8(x, q);
    dequantize_row_int8(q, scale, back);
    float amax = 0;
    for (const float v : x) amax = std::max(amax, std::abs(v));
    for (size_t i = 0; i < x.size(); ++i)
      EXPECT_LE(std::abs(back[i] - x[i]), amax / 254 * (1 + 1e-5f)) << "magnitude " << magnitude << " value " << i;
  }
}

TEST(Int8Row, ZerosAndNonFiniteValues) {
  std::vector<int8_t> q(3, 5);
  EXPECT_EQ(quantize_row_int8(std::vector<float>{0, 0, 0}, q), 0.0f);
  EXPECT_EQ(q, (std::vector<int8_t>{0, 0, 0}));
  // A NaN or Inf must reach the logits (generate's non-finite check), not turn into a number.
  for (const float bad : {NAN, INFINITY}) {
    const float scale = quantize_row_int8(std::vector<float>{1, bad, 2}, q);
    std::vector<float> back(3);
    dequantize_row_int8(q, scale, back);
    EXPECT_TRUE(std::isnan(back[0]) && std::isnan(back[2]));
  }
}

// S = 2 sinks, W = 4 ring rows: see the drawing in window_kv_cache.hpp.
TEST(WindowRing, RowsByHand) {
  const std::vector<int> rows = {0, 1, 2, 3, 4, 5, 2, 3, 4, 5, 2};  // positions 0..10
  for (int p = 0; p < static_cast<int>(rows.size()); ++p) EXPECT_EQ(window_row(p, 2, 4), rows[p]) << "position " << p;
  EXPECT_EQ(window_row(7, 0, 3), 1);       // no sinks: plain p mod W
  EXPECT_EQ(window_row(1000003, 4, 1), 4);  // W = 1: every later position in the one ring row
}

TEST(WindowRing, RunsByHand) {
  using R = std::vector<WindowRun>;
  EXPECT_EQ(ring_runs(2, 6, 2, 4), (R{{2, 2, 4}}));             // fills the ring exactly, no wrap
  EXPECT_EQ(ring_runs(5, 9, 2, 4), (R{{5, 5, 1}, {2, 6, 3}}));  // 5 in row 5, then 6 7 8 in rows 2..4
  EXPECT_EQ(ring_runs(6, 10, 2, 4), (R{{2, 6, 4}}));            // a whole lap starting at row 2
  EXPECT_EQ(ring_runs(9, 10, 2, 4), (R{{5, 9, 1}}));            // one decode step
  EXPECT_EQ(ring_runs(7, 7, 2, 4), R{});
  EXPECT_EQ(window_first_kept(9, 2, 4), 5);  // positions 5..8 kept in the ring
  EXPECT_EQ(window_first_kept(3, 2, 4), 2);  // nothing dropped yet: the ring starts after the sinks
}

}  // namespace
}  // namespace kvlm
