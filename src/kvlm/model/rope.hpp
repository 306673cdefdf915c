// Rotary position embeddings (chapter 03): rotate each pair of a head's dimensions by pos * freq.
// Not learned and not added: RoPE rotates q and k so that q.k depends on the distance between tokens.
#pragma once

#include <vector>

#include "kvlm/config.hpp"
#include "kvlm/tensor.hpp"

namespace kvlm {

// The rotation speed of each pair of dimensions, [head_dim / 2], as HF's ROPE_INIT_FUNCTIONS compute
// it (transformers' modeling_rope_utils.py), and the factor HF multiplies cos and sin by.
//   default  inv_freq[i] = theta^(-2i / head_dim)
//   linear   inv_freq[i] / factor
//   llama3   wavelength 2 pi / inv_freq above original_max / low_freq_factor: / factor; below
//            original_max / high_freq_factor: kept; between: a linear blend of the two
//   yarn     per frequency, a ramp from inv_freq (fast pairs) to inv_freq / factor (slow pairs),
//            and attention_factor (default 0.1 ln(factor) + 1) on cos and sin
// Then llama.cpp's rope_freqs (a GGUF's rope_freqs.weight), when present: inv_freq[i] /= rope_freqs[i].
// sliding_layer: Gemma 3's sliding layers use rope_local_base_freq and no scaling.
struct RopeFrequencies {
  std::vector<double> inv_freq;   // [head_dim / 2]
  double attention_factor = 1.0;  // HF: attention_scaling
};
RopeFrequencies rope_frequencies(const ModelConfig& c, bool sliding_layer = false);

// cos and sin of every angle used by one forward call: row t is position start_pos + t,
// column i is frequency i: angle = pos * inv_freq[i].   Both [T, head_dim / 2].
struct RopeAngles {
  Matrix cos, sin;
};
RopeAngles rope_angles(const RopeFrequencies& f, int start_pos, int num_positions);
// The unscaled (default) angles: inv_freq[i] = theta^(-2i / head_dim).
RopeAngles rope_angles(int head_dim, float theta, int start_pos, int num_positions);

// Rotates every head of x [T, num_heads * head_dim] in place.
//   kHalfSplit   (HF rotate_half): pairs (i, i + head_dim/2)
//   kInterleaved (Meta, llama2.c): pairs (2i, 2i + 1)
// For a pair (a, b) and angle phi:  a' = a cos phi - b sin phi,  b' = b cos phi + a sin phi.
void apply_rope(Matrix& x, int num_heads, int head_dim, const RopeAngles& angles, RopeLayout layout);

}  // namespace kvlm
