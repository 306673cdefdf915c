// Chapter 06, KV-cached generation: chapter 05's loop plus a cache. The NEW blocks are the whole diff.
// Not a different model: the same forward, the same sampler, and (tested) the same tokens.
#include <algorithm>
#include <chrono>
#include <memory>

#include "kvlm/error.hpp"
#include "kvlm/generate/generate.hpp"
#include "kvlm/model/transformer.hpp"

namespace kvlm {

Generation generate_cached(const Decoder& decoder, std::span<const int> prompt, const GenerationConfig& config,
                           const OnToken& on_token, KVCache* caller_cache) {
  const Model& model = decoder.model();
  Sampler sampler(config.sampler, prompt);
  Generation out;
  std::vector<int> sequence(prompt.begin(), prompt.end());

  // NEW: a cache with room for every position this generation will feed through the model, of the
  // kind config.kv_cache names (or the caller's cache, which may already hold the start of the
  // prompt: a chat's earlier turns). A cache that shares positions between prompts (paged, with
  // prefix caching) may attach the prompt's start itself; either way only the rest is fed.
  const size_t needed = prompt.size() + std::max(config.max_new_tokens - 1, 0);  // the last token is not fed
  std::unique_ptr<KVCache> own;
  if (!caller_cache)
    own = decoder.make_cache(config.kv_cache,
                             static_cast<int>(std::clamp<size_t>(needed, 1, model.config.max_position_embeddings)));
  KVCache& cache = caller_cache ? *caller_cache : *own;
  check_fits_cache(model, cache, prompt.size(), config.max_new_tokens);  // the context, or the cache's capacity
  if (cache.length() == 0) out.stats.reused_positions = cache.reuse_prefix(prompt);
  if (cache.length() >= static_cast<int>(prompt.size()))
    throw Error("the KV cache already holds " + std::to_string(cache.length()) + " positions, the whole prompt of " +
                std::to_string(prompt.size()) + ": nothing new to feed");

  ForwardTrace trace;  // for config.on_step only: the newest position's attention weights
  trace.keep_attention = trace.last_attention_row_only = true;
  ForwardTrace* observed = config.on_step ? &trace : nullptr;
  SamplerView view;

  for (int step = 0; step < config.max_new_tokens; ++step) {
    const auto t0 = std::chrono::steady_clock::now();
    // NEW: feed only what the cache has not seen: the whole prompt first (prefill), then one token.
    const std::span<const int> fresh = std::span<const int>(sequence).subspan(cache.length());
    // NEW: only the newest position's logits: a prefill skips the output head for the rest.
    const Matrix logits = decoder.forward(fresh, /*start_pos=*/cache.length(), &cache, observed, 1);  // [1, V]
    if (config.on_logits) config.on_logits(sequence, logits);  // may throw: kvlm generate's NaN/Inf check
    const Eigen::RowVectorXf last = logits.row(logits.rows() - 1);
    const int next = sampler.sample({last.data(), static_cast<size_t>(last.size())}, observed ? &view : nullptr);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

    (step == 0 ? out.stats.prefill_ms : out.stats.decode_ms) += ms;
    out.stats.step_ms.push_back(ms);
    if (config.on_step) {  // --trace: what this step fed, computed and chose
      const int fed = static_cast<int>(fresh.size());
      StepView seen{step, /*start_pos=*/cache.length() - fed, fed, next, {last.data(), static_cast<size_t>(last.size())},
                    view, trace, ms};
      seen.cache_length = cache.length();  // NEW: what the cache holds after this step
      seen.cache_bytes = cache.bytes_used();
      config.on_step(seen);
    }
    out.tokens.push_back(next);
    sequence.push_back(next);
    if (on_token) on_token(next);
    if (is_stop_token(model, config, next)) break;
  }
  out.stats.kv_cache_bytes = cache.bytes();  // NEW: what the cache holds at the end
  out.stats.kv_cache_bytes_used = cache.bytes_used();
  return out;
}

// The CPU, as chapter 06 teaches it.
Generation generate_cached(const Model& model, std::span<const int> prompt, const GenerationConfig& config,
                           const OnToken& on_token, KVCache* cache) {
  return generate_cached(CpuDecoder(model), prompt, config, on_token, cache);
}

}  // namespace kvlm
