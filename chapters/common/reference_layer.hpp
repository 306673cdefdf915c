// One transformer layer recomputed from HF's hidden state before it, with any part swapped for a
// student's version, so an exercise is checked against HF's hidden state after the layer.
// Not kvlm::forward: it is the same sequence of calls (src/kvlm/model/transformer.cpp), opened up.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>
#include <string>

#include "common/exercise_test.hpp"

#include "kvlm/model/attention.hpp"
#include "kvlm/model/mlp.hpp"
#include "kvlm/model/norms.hpp"
#include "kvlm/model/rope.hpp"
#include "kvlm/model/weights.hpp"
#include "kvlm/verify/reference.hpp"

namespace kvlm::exercises::test {

struct LayerParts {
  // The norm before attention, before the MLP and (last layer) the final one.
  std::function<Matrix(const ModelConfig&, const MatrixRef& x, const Vector& weight, const Vector& bias)> norm =
      [](const ModelConfig& c, const MatrixRef& x, const Vector& w, const Vector& b) { return kvlm::norm(c, x, w, b); };
  // The attention block on the normalized input h [T, D] -> [T, D], positions 0 .. T-1, no cache.
  std::function<Matrix(const ModelConfig&, const LayerWeights&, const MatrixRef& h, int layer)> attention =
      [](const ModelConfig& c, const LayerWeights& w, const MatrixRef& h, int layer) {
        const RopeAngles angles = c.rope_layout == RopeLayout::kNone
                                      ? RopeAngles{}
                                      : rope_angles(c.head_dim, c.rope_theta, 0, static_cast<int>(h.rows()));
        return kvlm::attention(c, w, h, angles, layer, 0, nullptr);
      };
  std::function<Matrix(const ModelConfig&, const LayerWeights&, const MatrixRef& x)> mlp =
      [](const ModelConfig& c, const LayerWeights& w, const MatrixRef& x) { return kvlm::mlp(c, w, x); };
};

// x = HF's hidden[layer] [T, D]; returns what HF's hidden[layer + 1] holds: the residual stream
// after the layer, or, for the last layer, that stream through the final norm.
// A student's part that returns the wrong shape is reported as a failure (an exception GoogleTest
// catches), never fed on to Eigen, where a mismatch is undefined behaviour in a Release build.
inline Matrix checked(Matrix m, const Matrix& like, const char* part) {
  if (m.rows() != like.rows() || m.cols() != like.cols())
    throw std::runtime_error(std::string(part) + " returned [" + std::to_string(m.rows()) + ", " +
                             std::to_string(m.cols()) + "], expected [" + std::to_string(like.rows()) + ", " +
                             std::to_string(like.cols()) + "]");
  return m;
}

inline Matrix run_layer(const Model& model, int layer, const Matrix& x_in, const LayerParts& parts) {
  const ModelConfig& c = model.config;
  const LayerWeights& lw = model.weights.layers[layer];
  Matrix x = x_in;
  const Matrix h = checked(parts.norm(c, x, lw.input_layernorm, lw.input_layernorm_bias), x, "the norm");
  x += checked(parts.attention(c, lw, h, layer), x, "attention");
  const Matrix m = checked(parts.norm(c, x, lw.post_attention_layernorm, lw.post_attention_layernorm_bias), x, "the norm");
  x += checked(parts.mlp(c, lw, m), x, "the MLP");
  if (layer + 1 == c.num_hidden_layers)
    x = checked(parts.norm(c, x, model.weights.norm, model.weights.norm_bias), x, "the final norm");
  return x;
}

// Every layer of `fixture` (loaded as m) recomputed with `parts` from HF's hidden state before it must
// give HF's hidden state after it, on the rows from first_query on (a chunk's queries; 0: every row).
inline void expect_layers_match_hf(const Model& m, const std::string& fixture, const LayerParts& parts,
                                   int first_query = 0) {
  for (const ReferencePrompt& p : read_reference(reference_of(fixture))) {
    const int T = static_cast<int>(p.input_ids.size());
    if (first_query >= T) continue;
    for (int l = 0; l < m.config.num_hidden_layers; ++l) {
      const Matrix got = run_layer(m, l, p.hidden[l], parts);
      EXPECT_TRUE(matrices_near(got.bottomRows(T - first_query), p.hidden[l + 1].bottomRows(T - first_query),
                                kTolerance))
          << fixture << " " << p.name << " layer " << l << " (rows from position " << first_query << ")";
    }
  }
}

}  // namespace kvlm::exercises::test
