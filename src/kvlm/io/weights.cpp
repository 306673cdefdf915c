// load_weights: fills Weights from a TensorFile by HF name, checking every shape against the config.
// Not format-specific: safetensors, GGUF and llama2.c all arrive here under HF's names.
#include <charconv>
#include <set>
#include <string_view>

#include "kvlm/error.hpp"
#include "kvlm/io/gguf_quant.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/printable.hpp"

namespace kvlm {
namespace {

Matrix matrix(const TensorFile& f, const std::string& name, int64_t rows, int64_t cols) {
  return std::move(read_checked(f, name, {rows, cols}).data);
}

// A weight linear() multiplies: kept in its GGUF blocks when it has them (chapter 08), unless
// --dequantize asks for fp32; every other weight is read in fp32.
LinearWeight weight(const TensorFile& f, const std::string& name, int64_t rows, int64_t cols, const LoadOptions& o) {
  if (!o.dequantize && f.contains(name) && f.shape(name) == Shape{rows, cols})
    if (std::optional<QuantizedMatrix> blocks = f.read_blocks(name)) return LinearWeight(std::move(*blocks));
  return matrix(f, name, rows, cols);
}

Vector vec(const TensorFile& f, const std::string& name, int64_t n) {
  return read_checked(f, name, {n}).data.row(0).transpose();
}

// Llama, Qwen2/3, Mistral, Gemma 3 and Phi-3 share HF's names: model.layers.N.self_attn.q_proj.weight, ...
Weights load_llama_like(const ModelConfig& c, const TensorFile& f, const LoadOptions& o) {
  const int64_t D = c.hidden_size, I = c.intermediate_size, V = c.vocab_size;
  const int64_t q_dim = c.q_dim(), kv_dim = c.kv_dim();
  Weights w;
  w.embed_tokens = weight(f, "model.embed_tokens.weight", V, D, o);
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    LayerWeights lw;
    lw.input_layernorm = vec(f, p + "input_layernorm.weight", D);
    if (c.architecture == Architecture::kPhi3) {  // Phi-3 fuses q, k and v rows: split them at load
      const LinearWeight qkv = weight(f, p + "self_attn.qkv_proj.weight", q_dim + 2 * kv_dim, D, o);
      lw.q_proj = qkv.middle_rows(0, q_dim);
      lw.k_proj = qkv.middle_rows(q_dim, kv_dim);
      lw.v_proj = qkv.middle_rows(q_dim + kv_dim, kv_dim);
    } else {
      lw.q_proj = weight(f, p + "self_attn.q_proj.weight", q_dim, D, o);
      lw.k_proj = weight(f, p + "self_attn.k_proj.weight", kv_dim, D, o);
      lw.v_proj = weight(f, p + "self_attn.v_proj.weight", kv_dim, D, o);
    }
    lw.o_proj = weight(f, p + "self_attn.o_proj.weight", D, q_dim, o);
    if (c.attention_bias) {
      lw.q_bias = vec(f, p + "self_attn.q_proj.bias", q_dim);
      lw.k_bias = vec(f, p + "self_attn.k_proj.bias", kv_dim);
      lw.v_bias = vec(f, p + "self_attn.v_proj.bias", kv_dim);
    }
    if (c.qk_norm) {
      lw.q_norm = vec(f, p + "self_attn.q_norm.weight", c.head_dim);
      lw.k_norm = vec(f, p + "self_attn.k_norm.weight", c.head_dim);
    }
    lw.post_attention_layernorm = vec(f, p + "post_attention_layernorm.weight", D);
    if (c.sandwich_norms) {
      lw.pre_feedforward_layernorm = vec(f, p + "pre_feedforward_layernorm.weight", D);
      lw.post_feedforward_layernorm = vec(f, p + "post_feedforward_layernorm.weight", D);
    }
    if (c.architecture == Architecture::kPhi3) {  // gate_up_proj = [gate; up] along the rows
      const LinearWeight gate_up = weight(f, p + "mlp.gate_up_proj.weight", 2 * I, D, o);
      lw.gate_proj = gate_up.middle_rows(0, I);
      lw.up_proj = gate_up.middle_rows(I, I);
    } else {
      lw.gate_proj = weight(f, p + "mlp.gate_proj.weight", I, D, o);
      lw.up_proj = weight(f, p + "mlp.up_proj.weight", I, D, o);
    }
    lw.down_proj = weight(f, p + "mlp.down_proj.weight", D, I, o);
    w.layers.push_back(std::move(lw));
  }
  w.norm = vec(f, "model.norm.weight", D);
  // Some tied checkpoints still carry lm_head.weight; a tied model uses embed_tokens either way.
  if (!c.tie_word_embeddings) w.lm_head = weight(f, "lm_head.weight", V, D, o);
  return w;
}

// GPT-2 stores its projections as Conv1D, (in, out): transpose them to kvlm's (out, in).
// c_attn packs Q, K and V side by side along `out`.
Weights load_gpt2(const ModelConfig& c, const TensorFile& f) {
  const int64_t D = c.hidden_size, I = c.intermediate_size, V = c.vocab_size;
  Weights w;
  w.embed_tokens = matrix(f, "transformer.wte.weight", V, D);
  w.embed_positions = matrix(f, "transformer.wpe.weight", c.max_position_embeddings, D);
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "transformer.h." + std::to_string(l) + ".";
    LayerWeights lw;
    lw.input_layernorm = vec(f, p + "ln_1.weight", D);
    lw.input_layernorm_bias = vec(f, p + "ln_1.bias", D);
    const Matrix c_attn = matrix(f, p + "attn.c_attn.weight", D, 3 * D);  // (in, out)
    const Vector c_attn_bias = vec(f, p + "attn.c_attn.bias", 3 * D);
    lw.q_proj = c_attn.middleCols(0, D).transpose();
    lw.k_proj = c_attn.middleCols(D, D).transpose();
    lw.v_proj = c_attn.middleCols(2 * D, D).transpose();
    lw.q_bias = c_attn_bias.segment(0, D);
    lw.k_bias = c_attn_bias.segment(D, D);
    lw.v_bias = c_attn_bias.segment(2 * D, D);
    lw.o_proj = matrix(f, p + "attn.c_proj.weight", D, D).transpose();
    lw.o_bias = vec(f, p + "attn.c_proj.bias", D);
    lw.post_attention_layernorm = vec(f, p + "ln_2.weight", D);
    lw.post_attention_layernorm_bias = vec(f, p + "ln_2.bias", D);
    lw.up_proj = matrix(f, p + "mlp.c_fc.weight", D, I).transpose();
    lw.up_bias = vec(f, p + "mlp.c_fc.bias", I);
    lw.down_proj = matrix(f, p + "mlp.c_proj.weight", I, D).transpose();
    lw.down_bias = vec(f, p + "mlp.c_proj.bias", D);
    w.layers.push_back(std::move(lw));
  }
  w.norm = vec(f, "transformer.ln_f.weight", D);
  w.norm_bias = vec(f, "transformer.ln_f.bias", D);
  return w;
}

// The layer index in a per-layer tensor name ("model.layers.N.", "transformer.h.N.", GGUF's
// "blk.N." when a part has no HF name), or -1.
int64_t layer_of(std::string_view name) {
  for (std::string_view prefix : {"model.layers.", "transformer.h.", "blk."}) {
    if (!name.starts_with(prefix)) continue;
    int64_t layer = -1;
    const char* last = name.data() + name.size();
    const auto [end, ec] = std::from_chars(name.data() + prefix.size(), last, layer);
    if (ec == std::errc() && end != last && *end == '.') return layer;
  }
  return -1;
}

// A file with more layers than its config: loading only the first ones would run a different
// model than the one trained, so the layer count and the tensors must agree.
void refuse_extra_layers(const ModelConfig& c, const TensorFile& f) {
  for (const std::string& name : f.names()) {
    const int64_t layer = layer_of(name);
    if (layer >= c.num_hidden_layers)
      throw Error(f.describe() + " holds tensor '" + printable(name) + "' of layer " + std::to_string(layer) + ", but the model has " +
                  std::to_string(c.num_hidden_layers) + " layers (num_hidden_layers in config.json, block_count in GGUF)");
  }
}

}  // namespace

Weights load_weights(const ModelConfig& config, const TensorFile& tensors, const LoadOptions& options) {
  config.validate();
  refuse_extra_layers(config, tensors);
  return config.architecture == Architecture::kGpt2 ? load_gpt2(config, tensors) : load_llama_like(config, tensors, options);
}

int64_t parameter_count(const Model& model) {
  const Weights& w = model.weights;
  int64_t n = w.embed_tokens.size() + w.embed_positions.size() + w.norm.size() + w.norm_bias.size() + w.lm_head.size();
  for (const LayerWeights& l : w.layers)
    n += l.input_layernorm.size() + l.input_layernorm_bias.size() + l.q_proj.size() + l.k_proj.size() +
         l.v_proj.size() + l.o_proj.size() + l.q_bias.size() + l.k_bias.size() + l.v_bias.size() +
         l.o_bias.size() + l.post_attention_layernorm.size() + l.post_attention_layernorm_bias.size() +
         l.gate_proj.size() + l.up_proj.size() + l.down_proj.size() + l.up_bias.size() + l.down_bias.size() +
         l.q_norm.size() + l.k_norm.size() + l.pre_feedforward_layernorm.size() + l.post_feedforward_layernorm.size();
  return n;
}

namespace {

template <typename Fn>
void for_each_linear(const Weights& w, const Fn& fn) {
  fn(w.output_matrix());
  for (const LayerWeights& l : w.layers)
    for (const LinearWeight* m : {&l.q_proj, &l.k_proj, &l.v_proj, &l.o_proj, &l.gate_proj, &l.up_proj, &l.down_proj})
      if (m->size()) fn(*m);
}

}  // namespace

std::string linear_formats(const Model& model) {
  std::set<std::string> formats;
  for_each_linear(model.weights, [&](const LinearWeight& m) {
    formats.insert(m.quantized() ? gguf::ggml_type_name(m.blocks().type) : "F32");
  });
  std::string out;
  for (const std::string& f : formats)
    if (f != "F32") out += (out.empty() ? "" : "+") + f;
  if (formats.count("F32")) out += out.empty() ? "F32" : "+F32";
  return out;
}

size_t linear_bytes(const Model& model) {
  size_t n = 0;
  for_each_linear(model.weights, [&](const LinearWeight& m) { n += m.bytes(); });
  return n;
}

}  // namespace kvlm
