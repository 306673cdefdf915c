// The KV cache contract (chapters 06 and 09): write this chunk's keys and values, let attention read
// every position it may see. Not a cache itself: each variant is one file beside this one
// (contiguous.hpp is chapter 06's; paged, fp16, int8, window are chapter 09's), made by make_kv_cache.
// Attention reads a View and never learns which variant it reads.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "kvlm/config.hpp"
#include "kvlm/tensor.hpp"

namespace kvlm {

// n consecutive positions of one layer, as attention reads them: row i is position first_pos + i.
// The references point into the cache (or into its scratch, for a variant that stores another
// format); they stay valid until the cache's next update, clear or truncate. Bind them to rows of a
// Matrix the cache owns (m.topRows(n), m.middleRows(a, n)), never to an expression such as
// x.cast<float>(): Eigen::Ref would evaluate that into a temporary of its own, and a copy of the
// segment (a KVView is a vector) would point into the temporary after it is gone.
struct KVSegment {
  Eigen::Ref<const Matrix> keys;    // [n, kv_dim], already rotated by RoPE
  Eigen::Ref<const Matrix> values;  // [n, kv_dim]
  int first_pos;                    // the position of row 0
};
// Every position attention may look at, in segments: one for a contiguous cache, one per block for a
// paged one, the sinks and the recent run for a window. Attention masks by each key's position.
using KVView = std::vector<KVSegment>;

// The checks every cache's update makes, in the same words (the GPU's twin, cuda/kv_cache.hpp, too):
// a write at start_pos may not leave a gap after the `filled` positions of its layer, and may not run
// past the cache's `capacity` positions (end = start_pos + T). Each throws kvlm::Error.
void check_no_gap(int start_pos, int filled);
void check_capacity(int end, int capacity);

class KVCache {
 public:
  using View = KVView;
  static constexpr int kUnbounded = std::numeric_limits<int>::max();  // capacity() of a cache that forgets

  virtual ~KVCache() = default;

  // Like HF's Cache.update: writes this chunk's k and v [T, kv_dim] (keys already rotated by RoPE)
  // at positions [start_pos, start_pos + T) of `layer`, and returns every position of that layer
  // attention may now look at. start_pos must be <= the layer's length (a gap throws kvlm::Error;
  // writing below it overwrites); running past capacity() throws kvlm::Error.
  virtual View update(int layer, int start_pos, const MatrixRef& k, const MatrixRef& v) = 0;
  // What the last update of `layer` returned, without writing (tests, Python, saving).
  virtual View view(int layer) const = 0;

  virtual int num_layers() const = 0;
  virtual int length() const = 0;    // positions fed so far in every layer: the next start_pos
  virtual int capacity() const = 0;   // the most positions it can be fed (kUnbounded for a window)
  virtual void clear() = 0;           // forget every position (memory may stay allocated)
  virtual void truncate(int length);  // forget positions >= length (speculative decoding rolls back);
                                      // the default throws: a variant that can roll back overrides it
  virtual size_t bytes() const = 0;       // memory allocated now, in bytes
  virtual size_t bytes_used() const = 0;  // of which holding positions fed so far
  virtual std::string kind() const = 0;   // "contiguous", "paged", ... as --kv-cache spells it

  // Tells the cache which tokens the sequence it is about to hold starts with (the cache must be
  // empty). A cache that shares positions between sequences (paged, with prefix caching) attaches
  // the ones it already holds for those tokens and returns how many: length() is then that number,
  // always less than prompt.size(), and generate_cached feeds only the rest. Others return 0.
  virtual int reuse_prefix(std::span<const int> prompt);

  // The cache's contents, for --save-cache / --load-cache (cache_file.hpp writes the header).
  // The defaults write each layer's view as fp32 segments and load them back through update(), in
  // order: exact for a cache whose view is positions 0 .. length()-1 in fp32. A variant that stores
  // another format, or whose positions are not 0 .. n-1, overrides both.
  virtual void save_state(std::ostream& out) const;
  virtual void load_state(std::istream& in, const ModelConfig& config);  // the config the cache was made for

  // Bytes one position takes in an fp32 cache: 2 (K and V) * layers * kv_heads * head_dim * 4.
  static size_t bytes_per_token(const ModelConfig& config);

 protected:
  // The int32 fields of save_state/load_state, for variants that write their own (read_i32 throws
  // kvlm::Error on a truncated file).
  static void write_i32(std::ostream& out, int32_t x);
  static int32_t read_i32(std::istream& in);
};

// All positions of a view in one [n, kv_dim] matrix each, in order (tests, Python, the readable
// twin of a paged read). A copy, unlike the view.
struct GatheredKV {
  Matrix keys, values;         // [n, kv_dim]
  std::vector<int> positions;  // [n]
};
GatheredKV gather(const KVView& view);

}  // namespace kvlm
