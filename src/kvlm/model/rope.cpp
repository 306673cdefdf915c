// RoPE; see rope.hpp. Angles are computed in double: at position 1000 an fp32 angle is off by ~1e-4 rad.
#include "kvlm/model/rope.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numbers>

namespace kvlm {

namespace {

// HF's default: theta^(-2i / head_dim) for the pairs i = 0 .. head_dim/2 - 1.
std::vector<double> default_inv_freq(int head_dim, double theta) {
  std::vector<double> inv_freq(head_dim / 2);
  for (int i = 0; i < head_dim / 2; ++i) inv_freq[i] = std::pow(theta, -2.0 * i / head_dim);
  return inv_freq;
}

// HF's _compute_llama3_parameters.
void llama3(std::vector<double>& inv_freq, const RopeScaling& s) {
  const double old_context = s.original_max_position_embeddings;
  const double low_freq_wavelen = old_context / s.low_freq_factor;    // slower than this: interpolate
  const double high_freq_wavelen = old_context / s.high_freq_factor;  // faster than this: keep
  for (double& f : inv_freq) {
    const double wavelen = 2 * std::numbers::pi / f;
    if (wavelen > low_freq_wavelen) {
      f /= s.factor;
    } else if (wavelen >= high_freq_wavelen) {
      const double smooth = (old_context / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
      f = (1 - smooth) * f / s.factor + smooth * f;
    }
  }
}

// HF's _compute_yarn_parameters; returns the attention factor.
double yarn(std::vector<double>& inv_freq, const RopeScaling& s, int head_dim, double theta) {
  const double dim = head_dim;
  // The dimension whose pair turns num_rotations times over the original context.
  auto correction_dim = [&](double num_rotations) {
    return dim * std::log(s.original_max_position_embeddings / (num_rotations * 2 * std::numbers::pi)) /
           (2 * std::log(theta));
  };
  double low = correction_dim(s.beta_fast), high = correction_dim(s.beta_slow);
  if (s.truncate) low = std::floor(low), high = std::ceil(high);
  low = std::max(low, 0.0), high = std::min(high, dim - 1);
  if (low == high) high += 0.001;  // HF: prevent a singularity
  for (size_t i = 0; i < inv_freq.size(); ++i) {
    const double ramp = std::clamp((static_cast<double>(i) - low) / (high - low), 0.0, 1.0);
    const double extrapolation = 1 - ramp;  // 1: keep the frequency, 0: interpolate it
    inv_freq[i] = inv_freq[i] / s.factor * (1 - extrapolation) + inv_freq[i] * extrapolation;
  }
  if (s.attention_factor > 0) return s.attention_factor;
  return s.factor <= 1 ? 1.0 : 0.1 * std::log(s.factor) + 1.0;
}

}  // namespace

RopeFrequencies rope_frequencies(const ModelConfig& c, bool sliding_layer) {
  const bool local = sliding_layer && c.rope_local_base_freq > 0;  // Gemma 3: own theta, no scaling
  const double theta = local ? c.rope_local_base_freq : c.rope_theta;
  RopeFrequencies f{default_inv_freq(c.head_dim, theta), 1.0};
  const RopeScaling& s = c.rope_scaling;
  if (!local) {
    switch (s.rope_type) {
      case RopeType::kDefault: break;
      case RopeType::kLinear:
        for (double& x : f.inv_freq) x /= s.factor;
        break;
      case RopeType::kLlama3: llama3(f.inv_freq, s); break;
      case RopeType::kYarn: f.attention_factor = yarn(f.inv_freq, s, c.head_dim, theta); break;
    }
  }
  for (size_t i = 0; i < c.rope_freqs.size(); ++i) f.inv_freq[i] /= c.rope_freqs[i];
  return f;
}

RopeAngles rope_angles(const RopeFrequencies& f, int start_pos, int num_positions) {
  const int half = static_cast<int>(f.inv_freq.size());
  RopeAngles a{Matrix(num_positions, half), Matrix(num_positions, half)};
  for (int i = 0; i < half; ++i) {
    for (int t = 0; t < num_positions; ++t) {
      const double angle = static_cast<double>(start_pos + t) * f.inv_freq[i];
      a.cos(t, i) = static_cast<float>(std::cos(angle) * f.attention_factor);
      a.sin(t, i) = static_cast<float>(std::sin(angle) * f.attention_factor);
    }
  }
  return a;
}

RopeAngles rope_angles(int head_dim, float theta, int start_pos, int num_positions) {
  return rope_angles(RopeFrequencies{default_inv_freq(head_dim, theta), 1.0}, start_pos, num_positions);
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
