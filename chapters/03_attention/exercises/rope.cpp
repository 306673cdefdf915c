// Exercise 1 of chapter 03: rotary position embeddings. Fill in apply_rope().
// Not graded by reading: test_rope.cpp compares the rotated keys with HF's KV cache.
#include <stdexcept>

#include "exercises.hpp"

namespace kvlm::exercises {

// For every row t, every head h, every frequency i in [0, head_dim/2):
//   take the pair of dimensions (ia, ib) of head h that rotate together (which pair depends on the
//   layout: see exercises.hpp), read a = x[t, h*head_dim + ia], b = x[t, h*head_dim + ib],
//   c = angles.cos(t, i), s = angles.sin(t, i), and write back
//       a' = a c - b s,    b' = b c + a s.
// Read both a and b before writing either.
void apply_rope(Matrix& x, int num_heads, int head_dim, const RopeAngles& angles, RopeLayout layout) {
  (void)x;
  (void)num_heads;
  (void)head_dim;
  (void)angles;
  (void)layout;
  throw std::logic_error("exercise: not implemented: apply_rope (chapters/03_attention/exercises/rope.cpp)");
}

}  // namespace kvlm::exercises
