// Exercise 3 of chapter 09: where the window cache keeps each position. Fill in window_row() and ring_runs().
// Not graded by reading: test_window_ring.cpp checks rows and runs worked out by hand.
#include <stdexcept>

#include "exercises.hpp"

namespace kvlm::exercises {

// The cache has S + W rows: rows 0 .. S-1 keep the first S positions (the attention sinks) for ever;
// rows S .. S+W-1 are a ring holding the last W positions (src/kvlm/cache/window_kv_cache.hpp).
// The row of position p: p itself while p < S; after that, the ring, starting over every W positions:
// S + (p - S) mod W. (With S = 2, W = 4: positions 0 1 2 3 4 5 6 7 -> rows 0 1 2 3 4 5 2 3.)
int window_row(int position, int sinks, int window) {
  (void)position;
  (void)sinks;
  (void)window;
  throw std::logic_error("exercise: not implemented: window_row (chapters/09_kv_cache_at_scale/exercises/window_ring.cpp)");
}

// The ring rows holding positions [first, end), as attention reads them: runs of consecutive rows
// holding consecutive positions, in position order. first >= S and end - first <= W, so the positions
// fit in the ring: one run, or two where they pass the ring's last row (S + W - 1) and wrap to row S.
// Empty when first == end. (S = 2, W = 4, positions [5, 9): {row 5, position 5, 1 row}, then
// {row 2, position 6, 3 rows}.)
std::vector<WindowRun> ring_runs(int first, int end, int sinks, int window) {
  (void)first;
  (void)end;
  (void)sinks;
  (void)window;
  throw std::logic_error("exercise: not implemented: ring_runs (chapters/09_kv_cache_at_scale/exercises/window_ring.cpp)");
}

}  // namespace kvlm::exercises
