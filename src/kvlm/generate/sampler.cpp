// Sampler; see sampler.hpp.
#include "kvlm/generate/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "kvlm/error.hpp"

namespace kvlm {

int argmax(std::span<const float> logits) {
  return static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

void validate(const SamplerConfig& config) {
  if (!(config.temperature >= 0.0f && std::isfinite(config.temperature))) throw Error("temperature must be >= 0");
  if (config.top_k < 0) throw Error("top-k must be >= 0");
  if (!(config.top_p > 0.0f && config.top_p <= 1.0f)) throw Error("top-p must be in (0, 1]");
  if (!(config.min_p >= 0.0f && config.min_p <= 1.0f)) throw Error("min-p must be in [0, 1]");
  if (!(config.repeat_penalty > 0.0f && std::isfinite(config.repeat_penalty)))
    throw Error("the repeat penalty must be > 0 (1 = off)");
  if (config.repeat_last_n < -1) throw Error("repeat-last-n must be >= -1 (-1 = the whole sequence, 0 = off)");
}

Sampler::Sampler(const SamplerConfig& config, std::span<const int> prompt) : config_(config), rng_(config.seed) {
  validate(config);
  for (int id : prompt) recent_.push_back(id);
  if (config.repeat_last_n >= 0)
    while (recent_.size() > static_cast<size_t>(config.repeat_last_n)) recent_.pop_front();
}

namespace {

// The kTop most likely tokens of softmax(logits), for SamplerView::before.
std::vector<SamplerView::Candidate> top_softmax(std::span<const float> logits) {
  std::vector<int> ids(logits.size());
  std::iota(ids.begin(), ids.end(), 0);
  const size_t k = std::min<size_t>(SamplerView::kTop, ids.size());
  std::partial_sort(ids.begin(), ids.begin() + k, ids.end(),
                    [&](int a, int b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
  const double max_logit = logits[ids[0]];
  double sum = 0.0;
  for (const float l : logits) sum += std::exp(l - max_logit);
  std::vector<SamplerView::Candidate> top;
  for (size_t i = 0; i < k; ++i) top.push_back({ids[i], std::exp(logits[ids[i]] - max_logit) / sum});
  return top;
}

}  // namespace

double Sampler::uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }

int Sampler::sample(std::span<const float> logits, SamplerView* view) {
  if (config_.repeat_penalty == 1.0f || config_.repeat_last_n == 0) return choose(logits, view);
  // llama.cpp's penalty, once per distinct recent token: shrink its logit towards "less likely".
  std::vector<float> penalized(logits.begin(), logits.end());
  std::vector<bool> seen(logits.size(), false);
  for (int id : recent_) {
    if (id < 0 || static_cast<size_t>(id) >= logits.size() || seen[id]) continue;
    seen[id] = true;
    float& l = penalized[id];
    l = l > 0.0f ? l / config_.repeat_penalty : l * config_.repeat_penalty;
  }
  const int next = choose(penalized, view);
  recent_.push_back(next);
  if (config_.repeat_last_n > 0 && recent_.size() > static_cast<size_t>(config_.repeat_last_n)) recent_.pop_front();
  return next;
}

int Sampler::choose(std::span<const float> logits, SamplerView* view) {
  if (view) view->before = top_softmax(logits);
  if (config_.temperature == 0.0f) {
    const int id = argmax(logits);
    if (view) view->after = {{id, 1.0}};
    return id;
  }

  // Candidates sorted by logit, most likely first (stable: ties keep the lower id first).
  std::vector<int> ids(logits.size());
  std::iota(ids.begin(), ids.end(), 0);
  std::stable_sort(ids.begin(), ids.end(), [&](int a, int b) { return logits[a] > logits[b]; });
  if (config_.top_k > 0 && static_cast<size_t>(config_.top_k) < ids.size()) ids.resize(config_.top_k);

  // Softmax of logits / temperature over the candidates, shifted by the max for stability.
  std::vector<double> probs(ids.size());
  const double max_logit = logits[ids[0]];
  double sum = 0.0;
  for (size_t i = 0; i < ids.size(); ++i) sum += probs[i] = std::exp((logits[ids[i]] - max_logit) / config_.temperature);
  for (double& p : probs) p /= sum;

  // Top-p: keep the head of the sorted list until its probability reaches top_p (at least one token).
  size_t keep = probs.size();
  double cumulative = 0.0;
  for (size_t i = 0; i < probs.size(); ++i) {
    cumulative += probs[i];
    if (cumulative >= config_.top_p) {
      keep = i + 1;
      break;
    }
  }
  // Min-p (HF's MinPLogitsWarper): drop the tail whose probability is below min_p x the top one's.
  while (keep > 1 && probs[keep - 1] < config_.min_p * probs[0]) --keep;
  const double kept_mass = std::accumulate(probs.begin(), probs.begin() + keep, 0.0);
  if (view) {
    view->after.clear();
    for (size_t i = 0; i < std::min<size_t>(keep, SamplerView::kTop); ++i) view->after.push_back({ids[i], probs[i] / kept_mass});
  }

  // Draw: walk the cumulative distribution of the kept tokens.
  const double r = uniform() * kept_mass;
  cumulative = 0.0;
  for (size_t i = 0; i < keep; ++i) {
    cumulative += probs[i];
    if (r < cumulative) return ids[i];
  }
  return ids[keep - 1];
}

}  // namespace kvlm
