// Generation loops: chapter 05 (naive: recompute everything per token) and chapter 06 (KV cache).
// Not a server: one prompt, one sequence, stopping at a stop token or after max_new_tokens.
#pragma once

#include <functional>
#include <span>
#include <vector>

#include "kvlm/cache/kv_cache.hpp"
#include "kvlm/cache/make_kv_cache.hpp"
#include "kvlm/generate/decoder.hpp"
#include "kvlm/generate/sampler.hpp"
#include "kvlm/model/transformer.hpp"
#include "kvlm/model/weights.hpp"

namespace kvlm {

// What one step shows an observer (`kvlm generate --trace`); the references live only during the call.
struct StepView {
  int step;                       // 0: the prompt -> the first token (prefill); then one decode step per token
  int start_pos;                  // forward ran on positions start_pos .. start_pos + n_positions - 1
  int n_positions;                //   (naive: the whole sequence every step; cached: prompt, then 1)
  int token;                      // the token sampled
  std::span<const float> logits;  // [V], the newest position's
  const SamplerView& sampler;     // top candidates before and after temperature / top-k / top-p
  const ForwardTrace& forward;    // attention: [layer][head] of [1, S], the newest position's row
  double ms;                      // forward + sampling
  int cache_length = 0;           // positions in the KV cache after the step (naive: none)
  size_t cache_bytes = 0;         // bytes those positions hold
};
using OnStep = std::function<void(const StepView&)>;

// Each step's logits, before sampling (`kvlm generate` checks they are finite: verify/finite.hpp).
//   sequence: every id so far, prompt and new tokens; logits: [T, V] for its last T positions
//   (T = 1 with the cache, which asks forward for the newest position's only)
using OnLogits = std::function<void(std::span<const int> sequence, const Matrix& logits)>;

struct GenerationConfig {
  int max_new_tokens = 32;
  SamplerConfig sampler;            // greedy by default
  bool stop_at_eos = true;          // end at the model's end-of-sequence ids (ModelConfig::eos_token_ids)
  std::vector<int> stop_token_ids;  // more ids that end it (a chat's <|im_end|>); the stop id is kept
  OnStep on_step;                   // optional; when set, each forward also keeps the newest attention rows
  OnLogits on_logits;               // optional; unlike on_step, asks forward for nothing more
  KVCacheOptions kv_cache;          // the cache generate_cached makes when the caller passes none
};

struct GenerationStats {
  double prefill_ms = 0;        // the first forward pass: the whole prompt, producing token 1
  double decode_ms = 0;         // every later step
  std::vector<double> step_ms;  // per new token, step_ms[0] being the prefill
  size_t kv_cache_bytes = 0;       // allocated by the KV cache at the end; 0 for the naive loop
  size_t kv_cache_bytes_used = 0;  // of which holding positions
  int reused_positions = 0;        // prompt positions the cache already held (prefix caching)
};

struct Generation {
  std::vector<int> tokens;  // the new tokens only
  GenerationStats stats;
};

// Called with each new token as soon as it is sampled (for streaming text).
using OnToken = std::function<void(int)>;

// Chapter 05: every step runs forward over prompt + everything generated so far. O(n^2) work.
// On the CPU (a CpuDecoder of the model), or on the device a Decoder stands for (chapter 07).
Generation generate_naive(const Model& model, std::span<const int> prompt, const GenerationConfig& config,
                          const OnToken& on_token = {});
Generation generate_naive(const Decoder& decoder, std::span<const int> prompt, const GenerationConfig& config,
                          const OnToken& on_token = {});

// Chapter 06: prefill the prompt once into a KV cache, then run one token per step. O(n) work.
// With `cache`, the caller's cache is used and kept (a chat keeps it between turns): it may already
// hold the keys and values of the prompt's first cache->length() tokens, which are then not fed
// again, and it must have room for the rest. Without it, a cache just large enough is made.
// The cache, made or given, must be one the decoder's device reads (a CPU cache for the CPU).
Generation generate_cached(const Model& model, std::span<const int> prompt, const GenerationConfig& config,
                           const OnToken& on_token = {}, KVCache* cache = nullptr);
Generation generate_cached(const Decoder& decoder, std::span<const int> prompt, const GenerationConfig& config,
                           const OnToken& on_token = {}, KVCache* cache = nullptr);

// Whether `token` ends generation: one of the model's EOS ids (unless config.stop_at_eos is false) or
// one of config.stop_token_ids.
bool is_stop_token(const Model& model, const GenerationConfig& config, int token);

// Throws kvlm::Error when the prompt is empty or prompt + new tokens do not fit the context.
void check_fits_context(const Model& model, size_t prompt_len, int max_new_tokens);
// The same against a cache: its capacity (a paged pool, a contiguous block), and the model's context
// unless the cache lets generation run past it (a window: model/transformer.hpp's max_positions).
void check_fits_cache(const Model& model, const KVCache& cache, size_t prompt_len, int max_new_tokens);

}  // namespace kvlm
