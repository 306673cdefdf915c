// Tests exercise 3 of chapter 09 (window_row, ring_runs) with StreamingLLM's 4 sinks and a ring of
// 3 rows, worked out by hand, then the rule that makes the cache correct: at any length, the sinks
// and the last W positions all have rows of their own.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "exercises.hpp"

namespace kvlm::exercises {
namespace {

// S = 4, W = 3: rows 0..3 keep positions 0..3; the ring is rows 4, 5, 6.
//   position:  0 1 2 3 | 4 5 6 | 7 8 9 | 10 11
//   row:       0 1 2 3 | 4 5 6 | 4 5 6 |  4  5
TEST(WindowRing, RowsWithFourSinksAndThreeRingRows) {
  const std::vector<int> rows = {0, 1, 2, 3, 4, 5, 6, 4, 5, 6, 4, 5};
  for (int p = 0; p < static_cast<int>(rows.size()); ++p)
    EXPECT_EQ(exercises::window_row(p, 4, 3), rows[p]) << "position " << p;
  EXPECT_EQ(exercises::window_row(12, 0, 5), 2) << "no sinks: 12 mod 5";
  EXPECT_EQ(exercises::window_row(3, 8, 2), 3) << "a sink keeps its own row";
  EXPECT_EQ(exercises::window_row(123457, 4, 1000), 4 + 123453 % 1000) << "far past any model's context";
}

// After 11 positions (0..10), the ring holds the last 3: 8 in row 5, 9 in row 6, 10 in row 4.
TEST(WindowRing, RunsWithFourSinksAndThreeRingRows) {
  using Runs = std::vector<WindowRun>;
  EXPECT_EQ(exercises::ring_runs(8, 11, 4, 3), (Runs{{5, 8, 2}, {4, 10, 1}})) << "8 9 in rows 5 6, then 10 wraps to row 4";
  EXPECT_EQ(exercises::ring_runs(4, 7, 4, 3), (Runs{{4, 4, 3}})) << "the first lap: rows 4 5 6";
  EXPECT_EQ(exercises::ring_runs(7, 10, 4, 3), (Runs{{4, 7, 3}})) << "a lap that starts at the ring's first row";
  EXPECT_EQ(exercises::ring_runs(10, 11, 4, 3), (Runs{{4, 10, 1}})) << "one decode step";
  EXPECT_EQ(exercises::ring_runs(9, 9, 4, 3), Runs{}) << "no positions, no runs";
}

// What the cache relies on: at every length n, the kept positions (the sinks, and the last W after
// them) have distinct rows inside the S + W it allocated, and the runs of the kept ring positions
// cover exactly those positions, in order, each run's rows consecutive.
TEST(WindowRing, KeptPositionsNeverShareARow) {
  for (const int sinks : {0, 1, 4})
    for (const int window : {1, 2, 3, 7})
      for (int n = 1; n <= 40; ++n) {
        std::set<int> used;
        const int first_ring = std::max(sinks, n - window);
        for (int p = 0; p < n; ++p) {
          if (p >= sinks && p < first_ring) continue;  // dropped from the ring
          const int row = exercises::window_row(p, sinks, window);
          EXPECT_TRUE(row >= 0 && row < sinks + window) << "S=" << sinks << " W=" << window << " p=" << p;
          EXPECT_TRUE(used.insert(row).second) << "S=" << sinks << " W=" << window << " n=" << n << ": row " << row
                                               << " holds two kept positions";
        }
        int next = first_ring;
        for (const WindowRun& run : exercises::ring_runs(first_ring, n, sinks, window)) {
          EXPECT_EQ(run.first_position, next) << "S=" << sinks << " W=" << window << " n=" << n;
          EXPECT_EQ(run.first_row, exercises::window_row(run.first_position, sinks, window));
          EXPECT_LE(run.first_row + run.count, sinks + window) << "a run must not run past the ring's last row";
          next += run.count;
        }
        EXPECT_EQ(next, n) << "S=" << sinks << " W=" << window << " n=" << n << ": the runs must cover every kept position";
      }
}

}  // namespace
}  // namespace kvlm::exercises
