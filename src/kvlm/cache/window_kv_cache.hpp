// WindowKVCache (chapter 09, StreamingLLM): keeps the first S positions (the attention sinks) and the
// last W in a ring, so its memory stays S + W rows per layer however long generation runs, past the
// model's context too. Exact while nothing has left the ring (W >= the length: it is then the
// contiguous cache, read as one segment, bit for bit); after that, lossy by design: a position that
// left the window is never seen again. Not StreamingLLM's re-positioning (see "Keys after RoPE").
//
// Sinks. Softmax must put its weight somewhere, and trained models park what they do not need on
// the first few tokens, whatever those are (Xiao et al. 2023, "Efficient Streaming Language Models
// with Attention Sinks"). A plain window evicts them and the distribution falls apart; keeping a
// handful (S = 4 by default) keeps it.
//
// Keys after RoPE, positions absolute. Each key is rotated once, by its own position, when computed,
// and stored rotated, as every cache here stores it; the query at position p, rotated by p, then
// scores it by the distance p - (key's position), the distance in the text. So nothing stored is
// ever rotated again, attention is the same function (it masks by the positions the view carries),
// and with W >= the length this is the full cache exactly. The cost: the sinks' distance to the query
// grows without bound, past any distance the model was trained on, while the ring's stays below W
// (or the chunk's length). The paper (section 3.2) caches keys before RoPE instead and rotates them by
// their place in the cache at every step (distances at most S + W): every distance stays in range,
// at the price of rotating the whole cache again for every token.
//
// A chunk of T positions sees the sinks, the positions kept from before it, and all of itself: with a
// long prompt fed in one pass, its queries look at the whole prompt; the window bounds what later
// steps see. Position p's key is visible from position q >= p when p < S, or when p is among the last
// W positions after q's chunk was written, or when p is in q's chunk.
//
// The ring's arithmetic first: where position p lives among the S + W rows of a layer, and which
// rows hold a range of positions.
#pragma once

#include <algorithm>
#include <cassert>
#include <iosfwd>
#include <vector>

#include "kvlm/cache/kv_cache.hpp"
#include "kvlm/config.hpp"
#include "kvlm/tensor.hpp"

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

class WindowKVCache final : public KVCache {
 public:
  // Allocates S + W rows of K and of V in every layer (sinks S >= 0, window W >= 1).
  WindowKVCache(const ModelConfig& config, int window, int sinks);

  // Writes this chunk (its positions before the last W are not kept) and returns the sinks, the
  // positions kept from before the chunk, and the chunk itself (a copy), each a segment with its
  // first position; one segment [0, start_pos + T) while nothing has left the ring.
  // start_pos below length() rolls back first (truncate).
  View update(int layer, int start_pos, const MatrixRef& k, const MatrixRef& v) override;
  View view(int layer) const override;  // the positions held now: sinks, then the ring's runs

  int num_layers() const override { return static_cast<int>(length_.size()); }
  int length() const override { return length_.back(); }  // positions fed, kept or not
  int capacity() const override { return kUnbounded; }    // it forgets instead of filling up
  void clear() override;
  // Forgets positions >= length. Throws when a position the result needs already left the ring.
  void truncate(int length) override;
  // The state is W and S, then per layer its length, its ring_first and its S + W rows as they lie
  // (the default, segments loaded back in order, cannot restore a ring). Loading into a cache of
  // another W or S is refused.
  void save_state(std::ostream& out) const override;
  void load_state(std::istream& in, const ModelConfig& config) override;
  // 2 * layers * (S + W) * kv_dim * 4, whatever the length (not counting the last chunk's copy, one
  // row while decoding)
  size_t bytes() const override;
  size_t bytes_used() const override;  // the rows holding a position
  std::string kind() const override { return "window"; }

  int window() const { return window_; }
  int sinks() const { return sinks_; }

 private:
  void roll_back(int layer, int length);
  void read_layers(std::istream& in);  // load_state's checked reads, layer by layer
  View held(int layer, int end) const;  // sinks + ring runs of positions kept below `end`

  int window_, sinks_;
  std::vector<Matrix> keys_, values_;  // per layer: [S + W, kv_dim], row window_row(p) for position p
  std::vector<int> length_;            // per layer: positions fed
  std::vector<int> ring_first_;        // per layer: the first position the ring holds (>= S)
  Matrix chunk_keys_, chunk_values_;   // [T, kv_dim]: the last update's chunk, once the ring has wrapped
};

}  // namespace kvlm
