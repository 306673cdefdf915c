// How far a lossy KV cache moves a model's output from the exact (contiguous fp32) cache: both run the
// same greedy path, the lossy one teacher-forced on the exact one's tokens, and their logits are
// compared at every step. Not a generation loop for users (generate_cached is): a test's measuring tool.
//
// Why teacher-forced: fed the same tokens, the two caches see the same inputs, so the logit gap at each
// step is the cache's own error, not the drift of a different text. And the first step whose argmax
// differs is exactly where a free-running lossy generation would first diverge: until then it would
// have fed the very same tokens.
#pragma once

#include <algorithm>
#include <cstdio>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "kvlm/cache/kv_cache.hpp"
#include "kvlm/generate/sampler.hpp"
#include "kvlm/model/transformer.hpp"

namespace kvlm::test {

// The prompt in one pass, then one token per step: logits row i predicts new token i. With `forced`,
// the tokens fed are forced's, else each row's argmax (greedy).
struct GreedyRun {
  std::vector<int> tokens;  // [n]: each row's argmax
  Matrix logits;            // [n, V]
};
inline GreedyRun greedy_run(const Model& model, const std::vector<int>& prompt, int n, KVCache& cache,
                            const std::vector<int>* forced = nullptr) {
  GreedyRun run{{}, Matrix(n, model.config.vocab_size)};
  Matrix logits = forward(model, prompt, 0, &cache);
  for (int i = 0; i < n; ++i) {
    run.logits.row(i) = logits.row(logits.rows() - 1);
    run.tokens.push_back(argmax({run.logits.row(i).data(), static_cast<size_t>(run.logits.cols())}));
    if (i + 1 == n) break;
    const int next = forced ? (*forced)[i] : run.tokens.back();
    logits = forward(model, std::span(&next, 1), cache.length(), &cache);
  }
  return run;
}

// The lossy run against the exact one, over the same n steps.
struct CacheError {
  float max_logit_diff = 0;    // max over steps and vocabulary of |lossy - exact|
  float max_abs_logit = 0;     // max |exact logit|, for scale
  int agreeing = 0;            // steps whose argmax is the exact run's
  int steps = 0;
  int identical_prefix = 0;    // steps before the first disagreeing argmax (= free-running divergence)
  float min_flipped_margin = std::numeric_limits<float>::infinity();  // exact top-1/top-2 margin where they disagree
};
inline CacheError compare_runs(const GreedyRun& exact, const GreedyRun& lossy) {
  CacheError e;
  e.steps = static_cast<int>(exact.tokens.size());
  e.max_logit_diff = (lossy.logits - exact.logits).cwiseAbs().maxCoeff();
  e.max_abs_logit = exact.logits.cwiseAbs().maxCoeff();
  e.identical_prefix = e.steps;
  for (int i = 0; i < e.steps; ++i) {
    if (exact.tokens[i] == lossy.tokens[i]) {
      ++e.agreeing;
      continue;
    }
    e.identical_prefix = std::min(e.identical_prefix, i);
    RowVector row = exact.logits.row(i);
    const float top1 = row(exact.tokens[i]);
    row(exact.tokens[i]) = -std::numeric_limits<float>::infinity();
    e.min_flipped_margin = std::min(e.min_flipped_margin, top1 - row.maxCoeff());
  }
  return e;
}

inline void print(const std::string& what, const CacheError& e) {
  std::printf("%-40s max|dlogit| %.3g (max|logit| %.3g, relative %.2g)  argmax agrees %d/%d, identical for %d%s\n",
              what.c_str(), e.max_logit_diff, e.max_abs_logit, e.max_logit_diff / e.max_abs_logit, e.agreeing, e.steps,
              e.identical_prefix, e.agreeing < e.steps ? (", smallest flipped margin " + std::to_string(e.min_flipped_margin)).c_str() : "");
}

}  // namespace kvlm::test
