// kvlm quantize from an HF folder: config.json + safetensors -> a GGUF that gguf_model.cpp reads back
// as the same model, with llama.cpp's tensor names, layouts and {arch}.* keys (gguf_writer.hpp).
// Not convert_hf_to_gguf.py: only the architectures kvlm runs, only a byte-level BPE tokenizer.json.
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "kvlm/error.hpp"
#include "kvlm/io/gguf_names.hpp"
#include "kvlm/io/gguf_writer.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/model/rope.hpp"
#include "kvlm/printable.hpp"
#include "kvlm/tokenizer/gguf_tokenizer.hpp"

namespace kvlm::gguf {
namespace {

Value scalar(ValueType type, int64_t v) {
  Value out;
  out.type = type;
  out.data = v;
  return out;
}
Value u32(int64_t v) { return scalar(ValueType::kUint32, v); }
Value f32(double v) {
  Value out;
  out.type = ValueType::kFloat32;
  out.data = v;
  return out;
}
Value str(std::string s) {
  Value out;
  out.type = ValueType::kString;
  out.data = std::move(s);
  return out;
}

// llama.cpp's architecture name: Mistral is written as llama, as convert_hf_to_gguf.py does.
std::string gguf_architecture(Architecture a) {
  switch (a) {
    case Architecture::kLlama:
    case Architecture::kMistral: return "llama";
    case Architecture::kQwen2: return "qwen2";
    case Architecture::kQwen3: return "qwen3";
    case Architecture::kGemma3: return "gemma3";
    case Architecture::kPhi3: return "phi3";
    case Architecture::kGpt2: return "gpt2";
  }
  return "";
}

// convert_hf_to_gguf.py's LlamaModel.permute: within each head, HF's half-split rows (i, i + hd/2)
// become neighbours (2i, 2i + 1), the order llama.cpp's RoPE ("NORM") rotates. [rows, cols] row-major.
std::vector<float> permute_rows(std::span<const float> w, int64_t rows, int64_t cols, int64_t n_head) {
  const int64_t head_dim = rows / n_head, half = head_dim / 2;
  std::vector<float> out(w.size());
  for (int64_t h = 0; h < n_head; ++h)
    for (int64_t i = 0; i < half; ++i)
      for (int64_t j = 0; j < 2; ++j) {
        const float* src = w.data() + (h * head_dim + j * half + i) * cols;
        std::copy(src, src + cols, out.data() + (h * head_dim + 2 * i + j) * cols);
      }
  return out;
}

// convert_hf_to_gguf.py's Llama 3 rope_freqs: the llama3 rule as divisors of each default frequency.
std::vector<float> llama3_rope_freqs(const ModelConfig& c) {
  ModelConfig unscaled = c;
  unscaled.rope_scaling = RopeScaling{};
  const std::vector<double> base = rope_frequencies(unscaled).inv_freq, scaled = rope_frequencies(c).inv_freq;
  std::vector<float> divisors(base.size());
  for (size_t i = 0; i < base.size(); ++i) divisors[i] = static_cast<float>(base[i] / scaled[i]);
  return divisors;
}

// The ModelConfig gguf_model.cpp must read back from the file: the folder's, with every difference
// the GGUF layout makes named (the converter's permutation, Gemma's 1 + w, Llama 3's rope_freqs).
ModelConfig expected_from_gguf(ModelConfig c) {
  if (c.architecture == Architecture::kMistral) c.architecture = Architecture::kLlama;
  if (c.architecture == Architecture::kLlama) c.rope_layout = RopeLayout::kInterleaved;
  if (c.rope_scaling.rope_type == RopeType::kLlama3) {
    c.rope_freqs = llama3_rope_freqs(c);
    c.rope_scaling = RopeScaling{};
  }
  if (c.architecture == Architecture::kGemma3) c.norm_weight_offset = 0.0f;
  if (c.architecture == Architecture::kGpt2) c.tie_word_embeddings = false;  // output.weight: a copy of wte
  if (c.eos_token_ids.size() > 2) c.eos_token_ids.resize(2);  // GGUF: eos and eot
  return c;
}

// The first ModelConfig field where the two differ, "" when none does.
std::string first_difference(const ModelConfig& a, const ModelConfig& b) {
  const RopeScaling &r = a.rope_scaling, &s = b.rope_scaling;
  const std::pair<const char*, bool> fields[] = {
      {"architecture", a.architecture == b.architecture},
      {"hidden_size", a.hidden_size == b.hidden_size},
      {"num_hidden_layers", a.num_hidden_layers == b.num_hidden_layers},
      {"num_attention_heads", a.num_attention_heads == b.num_attention_heads},
      {"num_key_value_heads", a.num_key_value_heads == b.num_key_value_heads},
      {"head_dim", a.head_dim == b.head_dim},
      {"intermediate_size", a.intermediate_size == b.intermediate_size},
      {"vocab_size", a.vocab_size == b.vocab_size},
      {"max_position_embeddings", a.max_position_embeddings == b.max_position_embeddings},
      {"norm", a.norm == b.norm && a.norm_eps == b.norm_eps},
      {"hidden_act", a.hidden_act == b.hidden_act},
      {"rope_theta", a.rope_layout == b.rope_layout && a.rope_theta == b.rope_theta},
      {"tie_word_embeddings", a.tie_word_embeddings == b.tie_word_embeddings},
      {"attention_bias", a.attention_bias == b.attention_bias && a.mlp_bias == b.mlp_bias},
      {"rope_scaling", r.rope_type == s.rope_type && r.factor == s.factor &&
                           r.original_max_position_embeddings == s.original_max_position_embeddings &&
                           r.low_freq_factor == s.low_freq_factor && r.high_freq_factor == s.high_freq_factor &&
                           r.beta_fast == s.beta_fast && r.beta_slow == s.beta_slow && r.truncate == s.truncate &&
                           r.attention_factor == s.attention_factor && a.rope_freqs == b.rope_freqs},
      {"qk_norm", a.qk_norm == b.qk_norm},
      {"norm_weight_offset", a.norm_weight_offset == b.norm_weight_offset && a.sandwich_norms == b.sandwich_norms},
      {"embed_scale", a.embed_scale == b.embed_scale},
      {"query_pre_attn_scalar", a.query_pre_attn_scalar == b.query_pre_attn_scalar},
      {"sliding_window", a.sliding_window == b.sliding_window},
      {"layer_types", a.layer_types == b.layer_types},
      {"rope_local_base_freq", a.rope_local_base_freq == b.rope_local_base_freq},
      {"bos_token_id", a.bos_token_id == b.bos_token_id},
      {"eos_token_id", a.eos_token_ids == b.eos_token_ids},
  };
  for (const auto& [name, same] : fields)
    if (!same) return name;
  return "";
}

// ModelConfig -> the {arch}.* keys config_from_gguf reads, with llama.cpp's value types.
void add_hyperparameters(GgufWriter& w, const ModelConfig& c) {
  const std::string a = gguf_architecture(c.architecture) + ".";
  const bool gpt2 = c.architecture == Architecture::kGpt2;
  w.add(a + "context_length", u32(c.max_position_embeddings));
  w.add(a + "embedding_length", u32(c.hidden_size));
  w.add(a + "feed_forward_length", u32(c.intermediate_size));
  w.add(a + "block_count", u32(c.num_hidden_layers));
  w.add(a + "attention.head_count", u32(c.num_attention_heads));
  if (gpt2) {
    w.add(a + "attention.layer_norm_epsilon", f32(c.norm_eps));
  } else {
    w.add(a + "attention.head_count_kv", u32(c.num_key_value_heads));
    w.add(a + "attention.key_length", u32(c.head_dim));
    w.add(a + "attention.value_length", u32(c.head_dim));
    w.add(a + "attention.layer_norm_rms_epsilon", f32(c.norm_eps));
    w.add(a + "rope.freq_base", f32(c.rope_theta));
    w.add(a + "rope.dimension_count", u32(c.head_dim));
  }
  if (c.sliding_window > 0) w.add(a + "attention.sliding_window", u32(c.sliding_window));
  const RopeScaling& s = c.rope_scaling;
  if (s.rope_type == RopeType::kLinear || s.rope_type == RopeType::kYarn) {
    w.add(a + "rope.scaling.type", str(s.rope_type == RopeType::kLinear ? "linear" : "yarn"));
    w.add(a + "rope.scaling.factor", f32(s.factor));
  }
  if (s.rope_type == RopeType::kYarn) {
    w.add(a + "rope.scaling.original_context_length", u32(s.original_max_position_embeddings));
    const RopeScaling defaults;
    if (s.attention_factor != 0.0f) w.add(a + "rope.scaling.attn_factor", f32(s.attention_factor));
    if (s.beta_fast != defaults.beta_fast) w.add(a + "rope.scaling.yarn_beta_fast", f32(s.beta_fast));
    if (s.beta_slow != defaults.beta_slow) w.add(a + "rope.scaling.yarn_beta_slow", f32(s.beta_slow));
  }
  w.add(a + "vocab_size", u32(c.vocab_size));
}

// tokenizer.ggml.*: config.json's bos / eos ids (a second eos id as eot), and the vocabulary of the
// folder's tokenizer.json (tokenizer/gguf_tokenizer.cpp). Without one, the file says "no_vocab" (llama.cpp's converter's --no-vocab)
// and the report warns: kvlm then runs it as it runs that folder, --prompt-ids or -t TOKENIZER.
void add_vocabulary(GgufWriter& w, const std::filesystem::path& folder, const ModelConfig& c, QuantizeReport& report) {
  if (c.bos_token_id >= 0) w.add("tokenizer.ggml.bos_token_id", u32(c.bos_token_id));
  if (!c.eos_token_ids.empty()) w.add("tokenizer.ggml.eos_token_id", u32(c.eos_token_ids[0]));
  if (c.eos_token_ids.size() > 1) w.add("tokenizer.ggml.eot_token_id", u32(c.eos_token_ids[1]));
  if (!std::filesystem::exists(folder / "tokenizer.json")) {
    w.add("tokenizer.ggml.model", str("no_vocab"));
    report.warnings.push_back(folder.string() + " has no tokenizer.json, so the GGUF carries no vocabulary "
                              "(tokenizer.ggml.model \"no_vocab\"): kvlm runs it with --prompt-ids, or on text with -t TOKENIZER.");
    return;
  }
  add_tokenizer_data(w, gguf_tokenizer_data(folder / "tokenizer.json", c.vocab_size));
}

// The folder's tensors, walked in llama.cpp's order (globals, then layer by layer), each under its GGUF
// name and layout. A tensor the table has no name for is refused: the file would lose it.
void add_tensors(GgufWriter& w, const ModelConfig& c, const TensorFile& tensors, const std::string& folder,
                 TensorType type, QuantizeReport& report) {
  const bool llama = c.architecture == Architecture::kLlama || c.architecture == Architecture::kMistral;
  const bool gemma = c.architecture == Architecture::kGemma3, gpt2 = c.architecture == Architecture::kGpt2;
  // The head at 4 bits stays Q8_0 (add_quantized_tensor): output, or token_embd when tied.
  const std::string head = c.tie_word_embeddings ? "token_embd.weight" : "output.weight";
  std::set<std::string> written;
  auto add = [&](const std::string& gguf_name, const std::string& hf_name, bool transpose) {
    if (!tensors.contains(hf_name)) return;
    written.insert(hf_name);
    const Tensor t = tensors.read(hf_name);
    Shape shape = t.shape;  // HF's, outermost first
    std::vector<float> values(t.data.data(), t.data.data() + t.data.size());
    if (transpose && shape.size() == 2) {  // GPT-2's Conv1D (in, out) -> (out, in)
      const Matrix tr = t.data.transpose();
      values.assign(tr.data(), tr.data() + tr.size());
      std::swap(shape[0], shape[1]);
    }
    const bool q = hf_name.ends_with("self_attn.q_proj.weight"), k = hf_name.ends_with("self_attn.k_proj.weight");
    if (llama && (q || k)) {
      const int heads = q ? c.num_attention_heads : c.num_key_value_heads;
      if (shape.size() != 2 || shape[0] != int64_t{heads} * c.head_dim)
        throw Error(folder + ": " + hf_name + " has " + std::to_string(shape[0]) + " rows, not " +
                    std::to_string(heads) + " heads x head_dim " + std::to_string(c.head_dim) + ".");
      values = permute_rows(values, shape[0], shape[1], heads);
    }
    if (gemma && hf_name.ends_with("norm.weight"))
      for (float& v : values) v += 1.0f;  // Gemma3RMSNorm's x * (1 + w): llama.cpp stores 1 + w
    report.bytes_in += values.size() * sizeof(float);
    add_quantized_tensor(w, gguf_name, std::vector<int64_t>(shape.rbegin(), shape.rend()), values, type,
                         gguf_name == head, report);
  };
  auto add_pair = [&](const std::string& gguf_stem, const std::string& hf_stem, bool transpose) {
    for (const char* suffix : {".weight", ".bias"}) add(gguf_stem + suffix, hf_stem + suffix, transpose);
  };

  if (!c.rope_freqs.empty()) {  // Llama 3's rule, precomputed as llama.cpp's loader wants it
    report.bytes_in += c.rope_freqs.size() * sizeof(float);
    add_quantized_tensor(w, "rope_freqs.weight", {static_cast<int64_t>(c.rope_freqs.size())}, c.rope_freqs, type,
                         false, report);
  }
  const std::span<const NamePair> globals = global_names(c.architecture);
  const auto is_output = [](const NamePair& p) { return std::string_view(p.gguf).starts_with("output"); };
  for (const NamePair& p : globals)
    if (!is_output(p)) add_pair(p.gguf, p.hf, p.transpose);
  for (int l = 0; l < c.num_hidden_layers; ++l)
    for (const NamePair& p : block_names(c.architecture))
      add_pair("blk." + std::to_string(l) + "." + p.gguf, hf_layer_prefix(c.architecture, l) + p.hf, p.transpose);
  for (const NamePair& p : globals) {
    if (!is_output(p)) continue;
    if (std::string_view(p.gguf) == "output" && (gpt2 || c.tie_word_embeddings)) {
      written.insert("lm_head.weight");  // a tied checkpoint may still carry it: the same matrix
      // llama.cpp's GPT-2 converter writes the tied wte a second time as output.weight.
      if (gpt2) add("output.weight", "transformer.wte.weight", false);
      continue;
    }
    add_pair(p.gguf, p.hf, p.transpose);
  }

  for (const std::string& name : tensors.names()) {
    // Buffers some checkpoints save that no converter keeps: RoPE's inv_freq, GPT-2's causal mask.
    if (name.ends_with("rotary_emb.inv_freq") || name.ends_with(".attn.bias") || name.ends_with(".attn.masked_bias"))
      continue;
    if (!written.count(name))
      throw Error(folder + " has the tensor '" + printable(name) + "', which has no GGUF name in kvlm's " +
                  gguf_architecture(c.architecture) + " table (io/gguf_names.cpp); kvlm quantize would lose it.");
  }
}

}  // namespace

QuantizeReport quantize_hf_folder(const std::filesystem::path& folder, const std::filesystem::path& out, TensorType type) {
  const int file_type = llama_file_type(type);
  const ModelSource source = open_hf_folder(folder);
  const ModelConfig want = expected_from_gguf(source.config);
  const std::string name = folder.filename().empty() ? folder.parent_path().filename().string() : folder.filename().string();

  GgufWriter w;
  w.add("general.architecture", str(gguf_architecture(want.architecture)));
  w.add("general.name", str(name));
  w.add("general.file_type", u32(file_type));
  add_hyperparameters(w, source.config);
  QuantizeReport report;
  add_vocabulary(w, folder, want, report);
  add_tensors(w, want, *source.tensors, folder.string(), type, report);
  // The file must read back as the folder's model: what GGUF cannot say (a Gemma 3 layer pattern
  // other than llama.cpp's, yarn without truncation, ...) is refused here rather than run wrong.
  // Checked under another name, so that a refused folder leaves an existing `out` as it was.
  const std::filesystem::path unchecked = out.string() + ".unchecked";
  w.write(unchecked);
  std::string differs;
  try {
    differs = first_difference(want, config_from_gguf(GgufFile(unchecked)));
  } catch (const Error&) {
    std::filesystem::remove(unchecked);
    throw;
  }
  if (differs.empty()) {
    std::filesystem::rename(unchecked, out);
  } else {
    std::filesystem::remove(unchecked);
    throw Error(folder.string() + "'s config.json sets " + differs + " to a value that llama.cpp's " +
                gguf_architecture(want.architecture) + " keys cannot carry; kvlm quantize wrote no file.");
  }
  return report;
}

}  // namespace kvlm::gguf
