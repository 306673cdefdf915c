// The run-time check that logits are finite, and, when they are not, where the model first went wrong.
// Not a weight scan (that is LoadOptions::check_tensors, at load): this looks at what forward produced.
#pragma once

#include <span>

#include "kvlm/generate/generate.hpp"
#include "kvlm/model/weights.hpp"

namespace kvlm {

// Returns when every logit is finite: one pass over [T, V], cheap beside the forward that made them.
// Otherwise runs forward again on `ids` from position 0, without a cache (so the answer does not
// depend on what a cache holds), keeping every hidden state (ForwardTrace, as `kvlm compare`), and
// throws kvlm::Error naming the first layer whose output holds NaN or Inf, and the first such position.
//   ids:    the whole sequence so far (prompt and new tokens), [S]
//   logits: [T, V], the logits of its last T positions (a prefill, a decode step, or all S)
void check_finite_logits(const Model& model, std::span<const int> ids, const Matrix& logits);

// check_finite_logits on every step of a generation loop: GenerationConfig::on_logits for `model`
// (which must outlive the generation).
OnLogits finite_logits_check(const Model& model);

}  // namespace kvlm
