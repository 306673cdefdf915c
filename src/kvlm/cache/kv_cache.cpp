// The KV cache contract's shared parts; see kv_cache.hpp. The variants live in their own files.
#include "kvlm/cache/kv_cache.hpp"

#include <cstdint>
#include <istream>
#include <ostream>

#include "kvlm/error.hpp"

namespace kvlm {

void KVCache::truncate(int) { throw Error("a " + kind() + " KV cache cannot roll back positions"); }

int KVCache::reuse_prefix(std::span<const int>) {
  if (length() != 0) throw Error("reuse_prefix needs an empty KV cache");
  return 0;
}

size_t KVCache::bytes_per_token(const ModelConfig& c) {
  return 2 * static_cast<size_t>(c.num_hidden_layers) * c.num_key_value_heads * c.head_dim * sizeof(float);
}

GatheredKV gather(const KVView& view) {
  Eigen::Index n = 0, cols = 0;
  for (const KVSegment& s : view) n += s.keys.rows(), cols = s.keys.cols();
  GatheredKV out{Matrix(n, cols), Matrix(n, cols), {}};
  Eigen::Index row = 0;
  for (const KVSegment& s : view) {
    out.keys.middleRows(row, s.keys.rows()) = s.keys;
    out.values.middleRows(row, s.values.rows()) = s.values;
    for (Eigen::Index i = 0; i < s.keys.rows(); ++i) out.positions.push_back(s.first_pos + static_cast<int>(i));
    row += s.keys.rows();
  }
  return out;
}

void check_no_gap(int start_pos, int filled) {
  if (start_pos < 0 || start_pos > filled)
    throw Error("KV cache: cannot write position " + std::to_string(start_pos) + " when " + std::to_string(filled) +
                " positions are filled (positions must be contiguous)");
}

void check_capacity(int end, int capacity) {
  if (end > capacity)
    throw Error("KV cache: position " + std::to_string(end - 1) + " is past its " + std::to_string(capacity) +
                " positions (the context is full)");
}

void KVCache::write_i32(std::ostream& out, int32_t x) { out.write(reinterpret_cast<const char*>(&x), sizeof(x)); }

int32_t KVCache::read_i32(std::istream& in) {
  int32_t x = 0;
  if (!in.read(reinterpret_cast<char*>(&x), sizeof(x))) throw Error("the KV cache file is truncated");
  return x;
}

// The default state: per layer, its segments as (first_pos, rows, cols, keys, values), int32 and fp32.

void KVCache::save_state(std::ostream& out) const {
  for (int l = 0; l < num_layers(); ++l) {
    const View v = view(l);
    write_i32(out, static_cast<int32_t>(v.size()));
    for (const KVSegment& s : v) {
      const Matrix keys = s.keys, values = s.values;  // a Ref may be strided: write plain rows
      write_i32(out, s.first_pos);
      write_i32(out, static_cast<int32_t>(keys.rows()));
      write_i32(out, static_cast<int32_t>(keys.cols()));
      out.write(reinterpret_cast<const char*>(keys.data()), static_cast<std::streamsize>(keys.size() * sizeof(float)));
      out.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size() * sizeof(float)));
    }
  }
}

void KVCache::load_state(std::istream& in, const ModelConfig& config) {
  clear();
  for (int l = 0; l < num_layers(); ++l) {
    const int32_t segments = read_i32(in);
    if (segments < 0) throw Error("the KV cache file is corrupt (a negative segment count)");
    for (int32_t i = 0; i < segments; ++i) {
      const int32_t first_pos = read_i32(in), rows = read_i32(in), cols = read_i32(in);
      if (first_pos < 0 || rows < 0 || cols != config.kv_dim() || rows > capacity() || first_pos > capacity() - rows)
        throw Error("the KV cache file is corrupt (a segment of " + std::to_string(rows) + " positions at " +
                    std::to_string(first_pos) + " does not fit this cache)");
      Matrix keys(rows, cols), values(rows, cols);
      const auto bytes = static_cast<std::streamsize>(keys.size() * sizeof(float));
      if (!in.read(reinterpret_cast<char*>(keys.data()), bytes) || !in.read(reinterpret_cast<char*>(values.data()), bytes))
        throw Error("the KV cache file is truncated");
      if (rows > 0) update(l, first_pos, keys, values);
    }
  }
}

}  // namespace kvlm
