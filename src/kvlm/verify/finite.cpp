// check_finite_logits; see finite.hpp.
#include "kvlm/verify/finite.hpp"

#include <string>

#include "kvlm/error.hpp"
#include "kvlm/model/transformer.hpp"

namespace kvlm {
namespace {

// What wrote hidden state l (HF's output_hidden_states: [0] embeddings, [l] after layer l-1 (layers
// counted from 0, as model.layers.N), [L] after the last layer and the final norm, not told apart).
std::string producer(size_t l, int num_layers) {
  if (l == 0) return "the embeddings";
  const std::string layer = "layer " + std::to_string(l - 1);
  return static_cast<int>(l) < num_layers ? layer : layer + " or the final norm";
}

// The first row of m holding NaN or Inf, or -1.
Eigen::Index first_non_finite_row(const Matrix& m) {
  for (Eigen::Index t = 0; t < m.rows(); ++t)
    if (!m.row(t).allFinite()) return t;
  return -1;
}

Error not_finite(const std::string& who, Eigen::Index position, int id) {
  return Error("the logits are not finite: " + who + " first produced NaN or Inf, at position " +
               std::to_string(position) + " (token id " + std::to_string(id) + "); check the weights with --check-tensors");
}

}  // namespace

void check_finite_logits(const Model& model, std::span<const int> ids, const Matrix& logits) {
  if (logits.allFinite()) return;  // the whole cost when all is well

  // Only on failure: the whole sequence again, every hidden state kept, searched layer by layer.
  ForwardTrace trace;
  const Matrix fresh = forward(model, ids, /*start_pos=*/0, /*cache=*/nullptr, &trace);  // [S, V]
  for (size_t l = 0; l < trace.hidden_states.size(); ++l)
    if (const Eigen::Index t = first_non_finite_row(trace.hidden_states[l]); t >= 0)
      throw not_finite(producer(l, model.config.num_hidden_layers), t, ids[t]);
  if (const Eigen::Index t = first_non_finite_row(fresh); t >= 0)
    throw not_finite(model.weights.lm_head.size() ? "the output projection (lm_head)" : "the tied output projection",
                     t, ids[t]);
  throw Error("the logits are not finite, yet a fresh forward over the same " + std::to_string(ids.size()) +
              " tokens without the KV cache gives finite ones: the cache held NaN or Inf");
}

OnLogits finite_logits_check(const Model& model) {
  return [&model](std::span<const int> sequence, const Matrix& logits) { check_finite_logits(model, sequence, logits); };
}

}  // namespace kvlm
