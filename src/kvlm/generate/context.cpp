// check_fits_context and is_stop_token: the checks both generation loops (naive.cpp, cached.cpp) make.
// Not a loop: they live apart so that chapter 06's cached.cpp differs from naive.cpp only by its NEW lines.
#include <algorithm>

#include "kvlm/error.hpp"
#include "kvlm/generate/generate.hpp"

namespace kvlm {

namespace {

void check_request(size_t prompt_len, int max_new_tokens) {
  if (prompt_len == 0) throw Error("the prompt is empty: generation needs at least one token");
  if (max_new_tokens < 0) throw Error("the number of new tokens must be >= 0");
}

}  // namespace

void check_fits_cache(const Model& model, const KVCache& cache, size_t prompt_len, int max_new_tokens) {
  check_request(prompt_len, max_new_tokens);
  if (max_positions(model.config, &cache) < KVCache::kUnbounded) check_fits_context(model, prompt_len, max_new_tokens);
  // The last new token is sampled, never fed back: positions used = prompt + new - 1.
  const size_t needed = prompt_len + std::max(max_new_tokens - 1, 0);
  if (needed > static_cast<size_t>(cache.capacity()))
    throw Error("the prompt (" + std::to_string(prompt_len) + " tokens) plus " + std::to_string(max_new_tokens) +
                " new tokens needs " + std::to_string(needed) + " positions, more than the " + cache.kind() +
                " KV cache's " + std::to_string(cache.capacity()));
}

void check_fits_context(const Model& model, size_t prompt_len, int max_new_tokens) {
  const int context = model.config.max_position_embeddings;
  check_request(prompt_len, max_new_tokens);
  if (prompt_len > static_cast<size_t>(context))
    throw Error("the prompt has " + std::to_string(prompt_len) + " tokens, longer than the model's context of " +
                std::to_string(context));
  // The last new token is sampled, never fed back: positions used = prompt + new - 1.
  if (prompt_len + max_new_tokens - 1 > static_cast<size_t>(context))
    throw Error("the prompt (" + std::to_string(prompt_len) + " tokens) plus " + std::to_string(max_new_tokens) +
                " new tokens does not fit the model's context of " + std::to_string(context) + " tokens");
}

bool is_stop_token(const Model& model, const GenerationConfig& config, int token) {
  const auto in = [token](const std::vector<int>& ids) { return std::ranges::find(ids, token) != ids.end(); };
  return (config.stop_at_eos && in(model.config.eos_token_ids)) || in(config.stop_token_ids);
}

}  // namespace kvlm
