// perplexity(); see perplexity.hpp. Every probability is taken in double from fp32 logits:
// log p(i) = logit(i) - logsumexp(logits), the max subtracted first so that exp never overflows.
#include "kvlm/verify/perplexity.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kvlm/error.hpp"
#include "kvlm/model/transformer.hpp"
#include "kvlm/verify/finite.hpp"

namespace kvlm {
namespace {

using Row = Eigen::Ref<const RowVector>;

// log(sum_i exp(row(i))), in double.
double log_sum_exp(const Row& row) {
  const double max = row.maxCoeff();
  double sum = 0;
  for (Eigen::Index i = 0; i < row.size(); ++i) sum += std::exp(row(i) - max);
  return max + std::log(sum);
}

// KL(base || model) for one position, given each row's logsumexp: sum_i p_b(i) (log p_b(i) - log p_m(i)).
double kl_divergence(const Row& base, double base_lse, const Row& model, double model_lse) {
  double kl = 0;
  for (Eigen::Index i = 0; i < base.size(); ++i) {
    const double log_p_base = base(i) - base_lse, log_p_model = model(i) - model_lse;
    kl += std::exp(log_p_base) * (log_p_base - log_p_model);
  }
  return kl;
}

int argmax(const Row& row) {
  Eigen::Index best = 0;
  row.maxCoeff(&best);
  return static_cast<int>(best);
}

// Running sums of the negative log-likelihoods of the scored tokens.
struct NllSums {
  double sum = 0, sum_sq = 0;
  int count = 0;
  void add(double nll) {
    sum += nll;
    sum_sq += nll * nll;
    ++count;
  }
  PerplexityScore score() const {
    PerplexityScore s;
    s.tokens_scored = count;
    s.mean_nll = sum / count;
    s.perplexity = std::exp(s.mean_nll);
    const double variance = sum_sq / count - s.mean_nll * s.mean_nll;  // as llama-perplexity computes it
    if (count > 1 && variance > 0) s.perplexity_stderr = s.perplexity * std::sqrt(variance / (count - 1));
    return s;
  }
};

void check_inputs(const Model& model, size_t num_ids, int ctx, const Model* base) {
  if (ctx < 2) throw Error("the window (--ctx) must hold at least 2 tokens, not " + std::to_string(ctx));
  for (const Model* m : {&model, base}) {
    if (m && ctx > m->config.max_position_embeddings)
      throw Error("the window (--ctx) of " + std::to_string(ctx) + " tokens is longer than the " +
                  (m == base ? "base model's" : "model's") + " context of " +
                  std::to_string(m->config.max_position_embeddings) + " tokens");
  }
  if (base && base->config.vocab_size != model.config.vocab_size)
    throw Error("the base model's vocabulary has " + std::to_string(base->config.vocab_size) +
                " tokens and the model's " + std::to_string(model.config.vocab_size) +
                "; KL divergence compares distributions over the same vocabulary");
  if (num_ids < 2 * static_cast<size_t>(ctx))
    throw Error("the text has " + std::to_string(num_ids) + " tokens; perplexity with a window (--ctx) of " +
                std::to_string(ctx) + " needs at least " + std::to_string(2 * ctx) + " (two windows)");
}

// One window's logits [ctx, V], from position 0, checked to be finite.
Matrix window_logits(const Model& model, std::span<const int> window) {
  Matrix logits = forward(model, window, 0, nullptr);
  check_finite_logits(model, window, logits);
  return logits;
}

}  // namespace

PerplexityReport perplexity(const Model& model, std::span<const int> ids, const PerplexityOptions& options,
                            const Model* base) {
  const int ctx = options.ctx;
  check_inputs(model, ids.size(), ctx, base);
  PerplexityReport report;
  report.windows = static_cast<int>(ids.size() / ctx);
  report.first_scored_position = ctx / 2;

  NllSums model_nll, base_nll;
  double kl_sum = 0;
  int top1_same = 0;
  std::vector<int> window(ctx);
  for (int w = 0; w < report.windows; ++w) {
    std::copy_n(ids.begin() + static_cast<ptrdiff_t>(w) * ctx, ctx, window.begin());
    if (options.window_start_token) window[0] = *options.window_start_token;
    const Matrix logits = window_logits(model, window);  // [ctx, V]
    const Matrix base_logits = base ? window_logits(*base, window) : Matrix();
    // Position t predicts the token at t + 1.
    for (int t = report.first_scored_position; t + 1 < ctx; ++t) {
      const int next = window[t + 1];
      const double lse = log_sum_exp(logits.row(t));
      model_nll.add(lse - logits(t, next));
      if (!base) continue;
      const double base_lse = log_sum_exp(base_logits.row(t));
      base_nll.add(base_lse - base_logits(t, next));
      kl_sum += kl_divergence(base_logits.row(t), base_lse, logits.row(t), lse);
      top1_same += argmax(base_logits.row(t)) == argmax(logits.row(t));
    }
    if (options.on_window) options.on_window(w + 1, report.windows);
  }

  report.score = model_nll.score();
  if (base) {
    Divergence d;
    d.base = base_nll.score();
    d.mean_kl = kl_sum / model_nll.count;
    d.top1_agreement = static_cast<double>(top1_same) / model_nll.count;
    report.vs_base = d;
  }
  return report;
}

}  // namespace kvlm
