// WindowKVCache; see window_kv_cache.hpp (the ring's arithmetic is there, inline).
#include "kvlm/cache/window_kv_cache.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <istream>
#include <ostream>
#include <string>

#include "kvlm/error.hpp"

namespace kvlm {

WindowKVCache::WindowKVCache(const ModelConfig& config, int window, int sinks) : window_(window), sinks_(sinks) {
  if (window <= 0) throw Error("the window KV cache must keep at least 1 recent position (got " + std::to_string(window) + ")");
  if (sinks < 0) throw Error("the window KV cache cannot keep a negative number of sinks (got " + std::to_string(sinks) + ")");
  for (int l = 0; l < config.num_hidden_layers; ++l) {
    keys_.emplace_back(Matrix::Zero(sinks + window, config.kv_dim()));
    values_.emplace_back(Matrix::Zero(sinks + window, config.kv_dim()));
  }
  length_.assign(config.num_hidden_layers, 0);
  ring_first_.assign(config.num_hidden_layers, sinks);
}

KVCache::View WindowKVCache::update(int layer, int start_pos, const MatrixRef& k, const MatrixRef& v) {
  assert(k.rows() == v.rows() && k.cols() == keys_[layer].cols() && v.cols() == values_[layer].cols());
  const int end = start_pos + static_cast<int>(k.rows());
  check_no_gap(start_pos, length_[layer]);
  if (start_pos < length_[layer]) roll_back(layer, start_pos);

  // Sinks go to their own rows; the ring takes the chunk's last W positions (earlier ones would be
  // overwritten by later ones of the same chunk anyway).
  for (int i = 0; i < k.rows(); ++i) {
    const int p = start_pos + i;
    if (p >= sinks_ && p < end - window_) continue;
    keys_[layer].row(window_row(p, sinks_, window_)) = k.row(i);
    values_[layer].row(window_row(p, sinks_, window_)) = v.row(i);
  }
  length_[layer] = end;
  ring_first_[layer] = std::max(ring_first_[layer], end - window_);

  // Nothing has left the ring: rows 0 .. end-1 hold positions 0 .. end-1, read as the contiguous cache is.
  if (ring_first_[layer] == sinks_) return {{keys_[layer].topRows(end), values_[layer].topRows(end), /*first_pos=*/0}};
  View out = held(layer, start_pos);  // the sinks and what the ring kept from before this chunk
  // The whole chunk, even the positions the ring did not keep, as a copy the cache owns (a view never
  // points into the caller's k and v); one row per decode step.
  chunk_keys_ = k;
  chunk_values_ = v;
  out.push_back({chunk_keys_, chunk_values_, start_pos});
  return out;
}

KVCache::View WindowKVCache::view(int layer) const {
  const int end = length_[layer];
  if (ring_first_[layer] == sinks_) return {{keys_[layer].topRows(end), values_[layer].topRows(end), 0}};
  return held(layer, end);
}

KVCache::View WindowKVCache::held(int layer, int end) const {
  View out;
  const int sinks = std::min(sinks_, end);
  if (sinks > 0) out.push_back({keys_[layer].topRows(sinks), values_[layer].topRows(sinks), 0});
  if (end > ring_first_[layer])
    for (const WindowRun& r : ring_runs(ring_first_[layer], end, sinks_, window_))
      out.push_back({keys_[layer].middleRows(r.first_row, r.count), values_[layer].middleRows(r.first_row, r.count),
                     r.first_position});
  return out;
}

void WindowKVCache::clear() {
  std::fill(length_.begin(), length_.end(), 0);
  std::fill(ring_first_.begin(), ring_first_.end(), sinks_);
}

// Rolling back must leave what feeding `length` positions from scratch would: possible while nothing
// has left the ring, or when only sinks remain.
void WindowKVCache::roll_back(int layer, int length) {
  if (length < 0 || length > length_[layer])
    throw Error("KV cache: cannot truncate " + std::to_string(length_[layer]) + " positions to " + std::to_string(length));
  if (ring_first_[layer] != sinks_ && length > sinks_)
    throw Error("the window KV cache cannot roll back to " + std::to_string(length) + " positions: positions " +
                std::to_string(sinks_) + ".." + std::to_string(ring_first_[layer] - 1) + " already left its window of " +
                std::to_string(window_));
  length_[layer] = length;
  ring_first_[layer] = sinks_;
}

void WindowKVCache::truncate(int length) {
  if (length < 0 || length > this->length())
    throw Error("KV cache: cannot truncate " + std::to_string(this->length()) + " positions to " + std::to_string(length));
  for (int l = 0; l < num_layers(); ++l) roll_back(l, length);
}

void WindowKVCache::save_state(std::ostream& out) const {
  write_i32(out, window_);
  write_i32(out, sinks_);
  for (int l = 0; l < num_layers(); ++l) {
    write_i32(out, length_[l]);
    write_i32(out, ring_first_[l]);
    out.write(reinterpret_cast<const char*>(keys_[l].data()), static_cast<std::streamsize>(keys_[l].size() * sizeof(float)));
    out.write(reinterpret_cast<const char*>(values_[l].data()), static_cast<std::streamsize>(values_[l].size() * sizeof(float)));
  }
}

void WindowKVCache::load_state(std::istream& in, const ModelConfig& config) {
  clear();
  const int32_t window = read_i32(in), sinks = read_i32(in);
  if (window != window_ || sinks != sinks_)
    throw Error("the KV cache file holds a window of " + std::to_string(window) + " with " + std::to_string(sinks) +
                " sinks, not " + std::to_string(window_) + " with " + std::to_string(sinks_) + " (--kv-window, --kv-sinks)");
  if (config.num_hidden_layers != num_layers() || config.kv_dim() != keys_.front().cols())
    throw Error("the KV cache file was made for another model shape");
  try {
    read_layers(in);
  } catch (...) {
    clear();  // nothing half-loaded
    throw;
  }
}

void WindowKVCache::read_layers(std::istream& in) {
  for (int l = 0; l < num_layers(); ++l) {
    const int32_t length = read_i32(in), ring_first = read_i32(in);
    // What update() could have left: the ring starts past the sinks, ends at length, holds at most W.
    if (length < 0 || ring_first < sinks_ || ring_first > std::max<int32_t>(sinks_, length) || length - ring_first > window_)
      throw Error("the KV cache file is corrupt (layer " + std::to_string(l) + " holds " + std::to_string(length) +
                  " positions, its ring from " + std::to_string(ring_first) + ")");
    const auto bytes = static_cast<std::streamsize>(keys_[l].size() * sizeof(float));
    if (!in.read(reinterpret_cast<char*>(keys_[l].data()), bytes) || !in.read(reinterpret_cast<char*>(values_[l].data()), bytes))
      throw Error("the KV cache file is truncated");
    length_[l] = length;
    ring_first_[l] = ring_first;
  }
  if (std::ranges::adjacent_find(length_, std::not_equal_to<>()) != length_.end())
    throw Error("the KV cache file is corrupt (its layers hold different numbers of positions)");
}

size_t WindowKVCache::bytes() const {
  size_t n = 0;
  for (size_t l = 0; l < keys_.size(); ++l) n += (keys_[l].size() + values_[l].size()) * sizeof(float);
  return n;
}

size_t WindowKVCache::bytes_used() const {
  size_t n = 0;
  for (size_t l = 0; l < keys_.size(); ++l) {
    const int rows = std::min(sinks_, length_[l]) + std::max(0, length_[l] - ring_first_[l]);
    n += 2 * static_cast<size_t>(rows) * keys_[l].cols() * sizeof(float);
  }
  return n;
}

}  // namespace kvlm
