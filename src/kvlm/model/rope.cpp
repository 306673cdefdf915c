// RoPE; see rope.hpp. Angles are computed in double: at position 1000 an fp32 angle is off by ~1e-4 rad.
#include "kvlm/model/rope.hpp"

#include <cassert>
#include <cmath>

namespace kvlm {

RopeAngles rope_angles(int head_dim, float theta, int start_pos, int num_positions) {
  const int half = head_dim / 2;
  RopeAngles a{Matrix(num_positions, half), Matrix(num_positions, half)};
  for (int i = 0; i < half; ++i) {
    const double inv_freq = std::pow(static_cast<double>(theta), -2.0 * i / head_dim);
    for (int t = 0; t < num_positions; ++t) {
      const double angle = static_cast<double>(start_pos + t) * inv_freq;
      a.cos(t, i) = static_cast<float>(std::cos(angle));
      a.sin(t, i) = static_cast<float>(std::sin(angle));
    }
  }
  return a;
}

void apply_rope(Matrix& x, int num_heads, int head_dim, const RopeAngles& angles, RopeLayout layout) {
  if (layout == RopeLayout::kNone) return;  // GPT-2: positions were added to the embeddings instead
  assert(x.cols() == static_cast<Eigen::Index>(num_heads) * head_dim);
  assert(angles.cos.rows() == x.rows() && angles.cos.cols() == head_dim / 2);
  const int half = head_dim / 2;
  for (Eigen::Index t = 0; t < x.rows(); ++t) {
    for (int h = 0; h < num_heads; ++h) {
      float* head = x.row(t).data() + static_cast<ptrdiff_t>(h) * head_dim;
      for (int i = 0; i < half; ++i) {
        // The two dimensions that rotate together, by layout.
        const int ia = layout == RopeLayout::kHalfSplit ? i : 2 * i;
        const int ib = layout == RopeLayout::kHalfSplit ? i + half : 2 * i + 1;
        const float a = head[ia], b = head[ib];
        const float c = angles.cos(t, i), s = angles.sin(t, i);
        head[ia] = a * c - b * s;
        head[ib] = b * c + a * s;
      }
    }
  }
}

}  // namespace kvlm
