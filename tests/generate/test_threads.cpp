// parallel_for (threads.hpp): every item runs exactly once, whatever the thread count, nesting or
// a second caller; the thread count is clamped to the machine. Output equality across thread counts
// for the model itself is in test_equivalence.cpp (Threads.CountDoesNotChangeTheOutput).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "kvlm/threads.hpp"

namespace kvlm {
namespace {

// Sets a thread count for one test and restores the previous one.
struct ThreadCount {
  explicit ThreadCount(int n) : saved(num_threads()) { set_num_threads(n); }
  ~ThreadCount() { set_num_threads(saved); }
  int saved;
};

std::vector<int> run_counts(int n) {
  std::vector<std::atomic<int>> hits(n);
  parallel_for(n, [&](int i) { hits[i].fetch_add(1); });
  std::vector<int> out(n);
  for (int i = 0; i < n; ++i) out[i] = hits[i].load();
  return out;
}

TEST(ParallelFor, EveryItemRunsExactlyOnce) {
  ThreadCount threads(hardware_threads());
  for (int n : {0, 1, 2, 3, 7, 64, 1000}) {
    for (int repeat = 0; repeat < 50; ++repeat)  // back-to-back jobs, as decode runs them
      ASSERT_EQ(run_counts(n), std::vector<int>(n, 1)) << "n = " << n << ", repeat " << repeat;
  }
}

TEST(ParallelFor, NestedLoopRunsSerially) {
  ThreadCount threads(hardware_threads());
  std::vector<std::atomic<int>> hits(8 * 8);
  parallel_for(8, [&](int i) { parallel_for(8, [&](int j) { hits[i * 8 + j].fetch_add(1); }); });
  for (auto& h : hits) EXPECT_EQ(h.load(), 1);
}

TEST(ParallelFor, TwoCallersAtOnce) {
  ThreadCount threads(hardware_threads());
  std::vector<int> a, b;
  std::thread other([&] {
    for (int r = 0; r < 200; ++r) a = run_counts(97);
  });
  for (int r = 0; r < 200; ++r) b = run_counts(89);
  other.join();
  EXPECT_EQ(a, std::vector<int>(97, 1));
  EXPECT_EQ(b, std::vector<int>(89, 1));
}

TEST(ParallelFor, CountIsClampedToTheMachine) {
  ThreadCount threads(1);
  EXPECT_EQ(set_num_threads(hardware_threads() + 5), hardware_threads());
  EXPECT_EQ(num_threads(), hardware_threads());
  EXPECT_EQ(set_num_threads(1), 1);
  EXPECT_GE(set_num_threads(0), 1);  // 0 restores the default
}

}  // namespace
}  // namespace kvlm
