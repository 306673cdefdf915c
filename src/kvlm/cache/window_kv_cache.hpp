// The window cache's index arithmetic (chapter 09): where position p lives among the S + W rows that
// keep the attention sinks and a ring of the last W positions, and which rows hold a range of positions.
// (The cache itself follows below.)
//
//   rows:       [ 0 .. S-1 ][ S .. S+W-1 ]
//   positions:  0 .. S-1     each later position p in row S + (p - S) mod W, over the one W before it
//
// With S = 2, W = 4: positions 0 1 | 2 3 4 5 go to rows 0 1 | 2 3 4 5; position 6 to row 2 (over 2),
// 7 to row 3, ... After 9 positions the ring holds 5 6 7 8 in rows 5 2 3 4: two runs, {row 5: 5} and
// {rows 2..4: 6 7 8}, each of consecutive positions, which is what attention is handed.
#pragma once

#include <algorithm>
#include <cassert>
#include <vector>

namespace kvlm {

// The row of position p (p >= 0; sinks S >= 0, window W >= 1).
constexpr int window_row(int position, int sinks, int window) {
  return position < sinks ? position : sinks + (position - sinks) % window;
}

// `count` consecutive rows from `first_row`, holding consecutive positions from `first_position`.
struct WindowRun {
  int first_row = 0;
  int first_position = 0;
  int count = 0;
  bool operator==(const WindowRun&) const = default;
};

// The ring rows holding positions [first, end): all past the sinks and at most W of them, so one run,
// or two where they wrap past the ring's last row. Empty when first == end.
inline std::vector<WindowRun> ring_runs(int first, int end, int sinks, int window) {
  assert(sinks <= first && first <= end && end - first <= window);
  std::vector<WindowRun> runs;
  if (first == end) return runs;
  const int row = window_row(first, sinks, window);
  const int before_wrap = std::min(end - first, sinks + window - row);  // rows left up to the ring's end
  runs.push_back({row, first, before_wrap});
  if (before_wrap < end - first) runs.push_back({sinks, first + before_wrap, end - first - before_wrap});
  return runs;
}

// The first position the ring still holds once `length` positions were written (the sinks aside):
// the last W of them, and never a sink.
constexpr int window_first_kept(int length, int sinks, int window) { return std::max(sinks, length - window); }

}  // namespace kvlm
