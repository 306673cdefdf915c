// forward (chapter 04): ids -> embeddings -> L x (attention + MLP, each with a residual) -> norm -> logits.
// Not a generation loop (generate/ calls this); not batched: one sequence at a time.
#pragma once

#include <span>
#include <vector>

#include "kvlm/cache/kv_cache.hpp"
#include "kvlm/model/weights.hpp"

namespace kvlm {

// What forward can report besides the logits, for tests, `kvlm compare` and the notebooks.
struct ForwardTrace {
  bool keep_attention = false;                 // set before calling forward
  bool last_attention_row_only = false;        // keep only the newest position's row: [1, S] (`--trace`)
  std::vector<Matrix> hidden_states;           // L + 1 of [T, D], as HF's output_hidden_states:
                                               //   [0] embeddings, [l] after layer l-1, [L] after the final norm
  std::vector<std::vector<Matrix>> attention;  // [layer][head] of [T, S] (or [1, S]), when keep_attention
};

// How far positions may go: the model's context (max_position_embeddings), except with a cache that
// keeps only recent positions (capacity() == KVCache::kUnbounded: a window with sinks), which lets
// generation run on past it. RoPE computes the angle of any position; GPT-2's learned table cannot.
int max_positions(const ModelConfig& config, const KVCache* cache);

// Runs the model on ids, which sit at positions start_pos .. start_pos + T - 1.
//   cache == nullptr: recompute from scratch (start_pos must be 0): chapter 05, naive.
//   cache != nullptr: append this chunk's keys and values and attend to everything cached
//                     (start_pos must equal cache->length()): chapter 06, prefill or decode.
// Returns logits [T, V], or with logits_to_keep = N > 0 (HF's name) only the last N positions'
// [N, V]: generation needs only the newest, and at prefill the output head is a fifth of SmolLM2's
// work per position. Throws kvlm::Error for an id outside the vocabulary or a position past
// max_positions(config, cache); the cache itself throws when it is full.
Matrix forward(const Model& model, std::span<const int> ids, int start_pos, KVCache* cache,
               ForwardTrace* trace = nullptr, int logits_to_keep = 0);

}  // namespace kvlm
