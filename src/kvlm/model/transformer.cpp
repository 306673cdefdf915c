// forward; see transformer.hpp. Read it top to bottom: it is the whole model.
#include "kvlm/model/transformer.hpp"

#include "kvlm/error.hpp"
#include "kvlm/model/attention.hpp"
#include "kvlm/model/embeddings.hpp"
#include "kvlm/model/linear.hpp"
#include "kvlm/model/mlp.hpp"
#include "kvlm/model/norms.hpp"
#include "kvlm/model/rope.hpp"

namespace kvlm {

int max_positions(const ModelConfig& c, const KVCache* cache) {
  const bool forgets = cache && cache->capacity() == KVCache::kUnbounded;  // a window keeps only recent keys
  const bool learned_positions = c.architecture == Architecture::kGpt2;    // a table of max_position_embeddings rows
  return forgets && !learned_positions ? KVCache::kUnbounded : c.max_position_embeddings;
}

Matrix forward(const Model& model, std::span<const int> ids, int start_pos, KVCache* cache, ForwardTrace* trace,
               int logits_to_keep) {
  const ModelConfig& c = model.config;
  const Weights& w = model.weights;
  const int T = static_cast<int>(ids.size());
  if (T == 0) throw Error("forward needs at least one token");
  if (start_pos < 0 || start_pos + T > max_positions(c, cache))
    throw Error("positions " + std::to_string(start_pos) + ".." + std::to_string(start_pos + T - 1) +
                " exceed the model's context of " + std::to_string(c.max_position_embeddings) + " tokens");
  if (cache && start_pos != cache->length())
    throw Error("forward at position " + std::to_string(start_pos) + " but the KV cache holds " +
                std::to_string(cache->length()) + " positions");
  if (trace) {
    trace->hidden_states.clear();
    trace->attention.clear();
  }

  // 1. Token ids -> vectors (GPT-2 adds a learned vector per position; Gemma scales by sqrt(D)).
  Matrix x = embed_tokens(w.embed_tokens, ids);  // [T, D], the residual stream
  if (c.architecture == Architecture::kGpt2) add_position_embeddings(x, w.embed_positions, start_pos);
  if (c.embed_scale != 1.0f) x *= c.embed_scale;
  if (trace) trace->hidden_states.push_back(x);

  // RoPE's cos/sin for these positions, shared by every layer (Gemma 3's sliding layers have their own).
  const bool rope = c.rope_layout != RopeLayout::kNone;
  const bool local_rope = rope && c.rope_local_base_freq > 0;
  const RopeAngles angles = rope ? rope_angles(rope_frequencies(c), start_pos, T) : RopeAngles{};
  const RopeAngles local_angles = local_rope ? rope_angles(rope_frequencies(c, true), start_pos, T) : RopeAngles{};

  // 2. The layers: each reads the stream through a norm and adds its result back (pre-norm residuals).
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    const LayerWeights& lw = w.layers[l];
    std::vector<Matrix>* probs = nullptr;
    if (trace && trace->keep_attention) probs = &trace->attention.emplace_back();

    const RopeAngles& layer_angles = local_rope && c.layer_is_sliding(l) ? local_angles : angles;

    const Matrix h = norm(c, x, lw.input_layernorm, lw.input_layernorm_bias);
    Matrix a = attention(c, lw, h, layer_angles, l, start_pos, cache, probs);
    if (probs && trace->last_attention_row_only)
      for (Matrix& p : *probs) p = p.bottomRows(1).eval();  // one layer's [T, S] at a time, never all
    if (c.sandwich_norms) a = norm(c, a, lw.post_attention_layernorm, Vector());  // Gemma 3
    x += a;

    const Vector& mlp_norm = c.sandwich_norms ? lw.pre_feedforward_layernorm : lw.post_attention_layernorm;
    const Matrix m = norm(c, x, mlp_norm, lw.post_attention_layernorm_bias);
    Matrix f = mlp(c, lw, m);
    if (c.sandwich_norms) f = norm(c, f, lw.post_feedforward_layernorm, Vector());  // Gemma 3
    x += f;
    if (trace && l + 1 < c.num_hidden_layers) trace->hidden_states.push_back(x);
  }

  // 3. Final norm, then one score per vocabulary entry: logits = x E^T (tied) or x lm_head^T.
  x = norm(c, x, w.norm, w.norm_bias);
  if (trace) trace->hidden_states.push_back(x);
  const int keep = logits_to_keep > 0 ? std::min(logits_to_keep, T) : T;
  return linear(x.bottomRows(keep), w.output_matrix());  // [keep, V]
}

}  // namespace kvlm
