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

Matrix forward(const Model& model, std::span<const int> ids, int start_pos, KVCache* cache, ForwardTrace* trace) {
  const ModelConfig& c = model.config;
  const Weights& w = model.weights;
  const int T = static_cast<int>(ids.size());
  if (T == 0) throw Error("forward needs at least one token");
  if (start_pos < 0 || start_pos + T > c.max_position_embeddings)
    throw Error("positions " + std::to_string(start_pos) + ".." + std::to_string(start_pos + T - 1) +
                " exceed the model's context of " + std::to_string(c.max_position_embeddings) + " tokens");
  if (cache && start_pos != cache->length())
    throw Error("forward at position " + std::to_string(start_pos) + " but the KV cache holds " +
                std::to_string(cache->length()) + " positions");
  if (trace) {
    trace->hidden_states.clear();
    trace->attention.clear();
  }

  // 1. Token ids -> vectors (GPT-2 adds a learned vector per position).
  Matrix x = embed_tokens(w.embed_tokens, ids);  // [T, D], the residual stream
  if (c.architecture == Architecture::kGpt2) add_position_embeddings(x, w.embed_positions, start_pos);
  if (trace) trace->hidden_states.push_back(x);

  // RoPE's cos/sin for these positions, shared by every layer.
  const RopeAngles angles =
      c.rope_layout == RopeLayout::kNone ? RopeAngles{} : rope_angles(c.head_dim, c.rope_theta, start_pos, T);

  // 2. The layers: each reads the stream through a norm and adds its result back (pre-norm residuals).
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    const LayerWeights& lw = w.layers[l];
    std::vector<Matrix>* probs = nullptr;
    if (trace && trace->keep_attention) probs = &trace->attention.emplace_back();

    const Matrix h = norm(c, x, lw.input_layernorm, lw.input_layernorm_bias);
    x += attention(c, lw, h, angles, l, start_pos, cache, probs);
    if (probs && trace->last_attention_row_only)
      for (Matrix& p : *probs) p = p.bottomRows(1).eval();  // one layer's [T, S] at a time, never all

    const Matrix m = norm(c, x, lw.post_attention_layernorm, lw.post_attention_layernorm_bias);
    x += mlp(c, lw, m);
    if (trace && l + 1 < c.num_hidden_layers) trace->hidden_states.push_back(x);
  }

  // 3. Final norm, then one score per vocabulary entry: logits = x E^T (tied) or x lm_head^T.
  x = norm(c, x, w.norm, w.norm_bias);
  if (trace) trace->hidden_states.push_back(x);
  return linear(x, w.output_matrix());  // [T, V]
}

}  // namespace kvlm
