// Rotary position embeddings (chapter 03): rotate each pair of a head's dimensions by pos * freq.
// Not learned and not added: RoPE rotates q and k so that q.k depends on the distance between tokens.
#pragma once

#include "kvlm/model/config.hpp"
#include "kvlm/tensor.hpp"

namespace kvlm {

// cos and sin of every angle used by one forward call: row t is position start_pos + t,
// column i is frequency i: angle = pos * theta^(-2i / head_dim).   Both [T, head_dim / 2].
struct RopeAngles {
  Matrix cos, sin;
};
RopeAngles rope_angles(int head_dim, float theta, int start_pos, int num_positions);

// Rotates every head of x [T, num_heads * head_dim] in place.
//   kHalfSplit   (HF rotate_half): pairs (i, i + head_dim/2)
//   kInterleaved (Meta, llama2.c): pairs (2i, 2i + 1)
// For a pair (a, b) and angle phi:  a' = a cos phi - b sin phi,  b' = b cos phi + a sin phi.
void apply_rope(Matrix& x, int num_heads, int head_dim, const RopeAngles& angles, RopeLayout layout);

}  // namespace kvlm
