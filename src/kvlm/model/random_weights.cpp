// random_model; see random_weights.hpp.
#include "kvlm/model/random_weights.hpp"

#include <random>

namespace kvlm {

Model random_model(const ModelConfig& c, uint64_t seed, float std) {
  c.validate();
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, std);
  auto m = [&](int rows, int cols) { return Matrix(Matrix::NullaryExpr(rows, cols, [&] { return normal(rng); })); };
  auto v = [&](int n) { return Vector(Vector::NullaryExpr(n, [&] { return normal(rng); })); };
  Weights w;
  w.embed_tokens = m(c.vocab_size, c.hidden_size);
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    LayerWeights lw;
    lw.input_layernorm = lw.post_attention_layernorm = Vector::Ones(c.hidden_size);
    lw.q_proj = m(c.q_dim(), c.hidden_size);
    lw.k_proj = m(c.kv_dim(), c.hidden_size);
    lw.v_proj = m(c.kv_dim(), c.hidden_size);
    lw.o_proj = m(c.hidden_size, c.q_dim());
    if (c.attention_bias) {
      lw.q_bias = v(c.q_dim());
      lw.k_bias = v(c.kv_dim());
      lw.v_bias = v(c.kv_dim());
    }
    lw.gate_proj = m(c.intermediate_size, c.hidden_size);
    lw.up_proj = m(c.intermediate_size, c.hidden_size);
    lw.down_proj = m(c.hidden_size, c.intermediate_size);
    w.layers.push_back(std::move(lw));
  }
  w.norm = Vector::Ones(c.hidden_size);
  if (!c.tie_word_embeddings) w.lm_head = m(c.vocab_size, c.hidden_size);
  return {c, std::move(w)};
}

ModelConfig smollm2_135m_config() {
  ModelConfig c;
  c.architecture = Architecture::kLlama;
  c.hidden_size = 576;
  c.num_hidden_layers = 30;
  c.num_attention_heads = 9;
  c.num_key_value_heads = 3;
  c.head_dim = 64;
  c.intermediate_size = 1536;
  c.vocab_size = 49152;
  c.max_position_embeddings = 8192;
  c.norm_eps = 1e-5f;
  c.rope_theta = 100000.0f;
  c.tie_word_embeddings = true;
  c.bos_token_id = 1;
  c.eos_token_ids = {2};
  return c;
}

}  // namespace kvlm
