// open_gguf: a GGUF file -> ModelConfig (from {arch}.* keys) + tensors under HF names and layouts.
// Not a converter: no weights are permuted; each layout difference is named and handled here once.
#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>

#include "kvlm/error.hpp"
#include "kvlm/io/gguf.hpp"
#include "kvlm/io/gguf_names.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/printable.hpp"

namespace kvlm {
namespace gguf {
namespace {

std::string file_name(const GgufFile& file) { return file.path().filename().string(); }

// llama.cpp architecture names kvlm knows it cannot run, and why (the rest are simply unknown).
const char* unsupported_feature(const std::string& name) {
  for (const char* moe : {"qwen2moe", "qwen3moe", "deepseek", "phimoe", "olmoe", "granitemoe", "dbrx", "grok",
                          "arctic", "llama4", "gpt-oss", "mixtral", "dots1", "ernie4_5-moe"})
    if (name == moe) return "a mixture-of-experts model";
  if (name == "deepseek2") return "multi-head latent attention (MLA) with mixture-of-experts";
  for (const char* mm : {"clip", "mllama", "qwen2vl", "qwen25vl", "gemma3n", "llava"})
    if (name == mm) return "a multimodal model or projector";
  return nullptr;
}

Architecture architecture_from_name(const GgufFile& file) {
  const std::string name = file.architecture();
  if (name == "llama") return Architecture::kLlama;  // Mistral too: llama.cpp converts it as llama
  if (name == "qwen2") return Architecture::kQwen2;
  if (name == "qwen3") return Architecture::kQwen3;
  if (name == "gemma3") return Architecture::kGemma3;
  if (name == "phi3") return Architecture::kPhi3;
  if (name == "gpt2") return Architecture::kGpt2;
  const char* feature = unsupported_feature(name);
  throw Error(file_name(file) + " holds a '" + printable(name) + "' model" +
              (feature ? std::string(" (") + feature + ", which kvlm does not support)" : "") +
              "; kvlm reads the GGUF architectures llama, qwen2, qwen3, gemma3, phi3 and gpt2.");
}

int positive_int(const GgufFile& file, const std::string& key) {
  const Value& v = file.at(key);
  if (!v.is_integer() || v.as_int() <= 0 || v.as_int() > std::numeric_limits<int>::max())
    throw Error(file_name(file) + ": metadata '" + key +
                "' must be a positive integer, not " + v.summary() + ".");
  return static_cast<int>(v.as_int());
}

// A token id from the metadata (uint32 in the spec) must name a row of the embedding table:
// 2^32-1 used to become -1, "no such token", through a cast to int.
int token_id(const GgufFile& file, const std::string& key, int vocab_size) {
  const int64_t id = file.at(key).as_int();
  if (id < 0 || id >= vocab_size)
    throw Error(file_name(file) + ": metadata '" + key + "' is token id " + std::to_string(id) +
                ", outside the vocabulary 0.." + std::to_string(vocab_size - 1) + ".");
  return static_cast<int>(id);
}

// The HF name of a GGUF tensor ("" when it has none) and whether its 2-D data must be transposed,
// looked up in gguf_names.cpp's table (the one kvlm quantize writes with).
struct HfName {
  std::string name;
  bool transpose = false;
};

HfName hf_name(Architecture arch, const std::string& gguf_name) {
  // Every name ends in .weight or .bias; the table holds what comes before.
  const size_t dot = gguf_name.rfind('.');
  if (dot == std::string::npos) return {};
  const std::string stem = gguf_name.substr(0, dot), suffix = gguf_name.substr(dot);  // "blk.3.attn_q", ".weight"
  const bool weight = suffix == ".weight";
  for (const NamePair& p : global_names(arch))
    if (stem == p.gguf) return {p.hf + suffix};
  // Per-block tensors: blk.N.<part>.
  constexpr std::string_view kBlock = "blk.";
  if (!stem.starts_with(kBlock)) return {};
  int layer = -1;
  const char* first = stem.data() + kBlock.size();
  const char* last = stem.data() + stem.size();
  const auto [end, ec] = std::from_chars(first, last, layer);
  if (ec != std::errc() || end == last || *end != '.') return {};
  const std::string part(end + 1, last);  // "attn_q"
  for (const NamePair& p : block_names(arch))
    if (part == p.gguf) return {hf_layer_prefix(arch, layer) + p.hf + suffix, p.transpose && weight};
  return {};
}

// {arch}.rope.scaling.* (and the older {arch}.rope.scale_linear) -> HF's rope_scaling. llama.cpp
// stores Llama 3's rule precomputed, as the rope_freqs.weight tensor, not here.
void read_rope_scaling(const GgufFile& file, const std::string& a, ModelConfig& c) {
  RopeScaling& rs = c.rope_scaling;
  auto number = [&](const std::string& key, float fallback) {
    const Value* v = file.find(a + key);
    return v ? static_cast<float>(v->as_float()) : fallback;
  };
  const float scale_linear = number("rope.scale_linear", 1.0f);  // older files: linear only
  std::string type = "none";
  if (const Value* v = file.find(a + "rope.scaling.type")) type = v->as_string();
  else if (scale_linear != 1.0f) type = "linear";
  if (type == "none") return;
  rs.factor = number("rope.scaling.factor", scale_linear);
  if (type == "linear") {
    rs.rope_type = RopeType::kLinear;
  } else if (type == "yarn") {
    rs.rope_type = RopeType::kYarn;
    rs.original_max_position_embeddings = positive_int(file, a + "rope.scaling.original_context_length");
    rs.attention_factor = number("rope.scaling.attn_factor", 0.0f);  // 0: HF's 0.1 ln(factor) + 1
    rs.beta_fast = number("rope.scaling.yarn_beta_fast", rs.beta_fast);
    rs.beta_slow = number("rope.scaling.yarn_beta_slow", rs.beta_slow);
  } else {
    throw Error(file_name(file) + " uses RoPE scaling '" + printable(type) + "', which kvlm does not implement.");
  }
}

// llama.cpp's Llama 3 conversion: the llama3 rule's per-frequency divisors, one per dimension pair.
std::vector<float> rope_freqs(const GgufFile& file) {
  const TensorInfo* t = file.find_tensor("rope_freqs.weight");
  return t ? file.read_fp32(*t) : std::vector<float>{};
}

// What llama.cpp's gemma3 loader assumes instead of reading it from the file (llama-model.cpp):
// every 6th layer global, sliding layers with theta 10000 and no scaling, and the attention scale
// 1/sqrt(head_dim), except the 27B model (62 layers), which uses 1/sqrt(hidden_size / heads).
void gemma3_conventions(ModelConfig& c) {
  c.layer_types.clear();
  for (int l = 0; l < c.num_hidden_layers; ++l)
    c.layer_types.push_back((l + 1) % 6 == 0 ? LayerType::kFullAttention : LayerType::kSlidingAttention);
  c.rope_local_base_freq = 10000.0f;
  c.query_pre_attn_scalar = static_cast<float>(c.num_hidden_layers == 62 ? c.hidden_size / c.num_attention_heads
                                                                         : c.head_dim);
  c.norm_weight_offset = 0.0f;  // the converter stored 1 + w in every *norm.weight: HF's x * (1 + w)
  c.sandwich_norms = true;
  c.qk_norm = true;
  c.embed_scale = std::sqrt(static_cast<float>(c.hidden_size));
  c.hidden_act = Activation::kGeluTanh;
}

}  // namespace

ModelConfig config_from_gguf(const GgufFile& file) {
  ModelConfig c;
  c.architecture = architecture_from_name(file);
  const std::string a = file.architecture() + ".";  // the key prefix: "llama.", "qwen2.", "gpt2."
  // Mixtral ships as 'llama' with experts: refuse it rather than run its tensors as a dense model.
  if (const Value* v = file.find(a + "expert_count"); v && v->is_integer() && v->as_int() > 0)
    throw Error(file_name(file) + " is a mixture-of-experts model (" + a + "expert_count " +
                v->summary() + "), which kvlm does not support.");
  if (file.find_tensor("rope_factors_long.weight") || file.find_tensor("rope_factors_short.weight"))
    throw Error(file_name(file) + " uses Phi-3's LongRoPE (rope_factors_long/short), which kvlm does not implement.");
  for (const char* key : {"attn_logit_softcapping", "final_logit_softcapping"})
    if (const Value* v = file.find(a + key); v && v->as_float() != 0.0)
      throw Error(file_name(file) + " uses logit soft-capping (" + a + key + "), which kvlm does not implement.");
  c.hidden_size = positive_int(file, a + "embedding_length");
  c.num_hidden_layers = positive_int(file, a + "block_count");
  c.num_attention_heads = positive_int(file, a + "attention.head_count");
  c.num_key_value_heads = file.find(a + "attention.head_count_kv")
                              ? positive_int(file, a + "attention.head_count_kv")
                              : c.num_attention_heads;
  c.head_dim = file.find(a + "attention.key_length") ? positive_int(file, a + "attention.key_length")
                                                     : c.hidden_size / c.num_attention_heads;
  if (file.find(a + "attention.value_length") && positive_int(file, a + "attention.value_length") != c.head_dim)
    throw Error(file_name(file) + ": keys and values of different lengths (" + a +
                "attention.value_length) are not supported.");
  c.intermediate_size = positive_int(file, a + "feed_forward_length");
  c.max_position_embeddings = positive_int(file, a + "context_length");

  // The vocabulary is as large as the embedding table (the token list may be padded differently).
  const TensorInfo* embed = file.find_tensor("token_embd.weight");
  if (!embed || embed->ne.size() != 2)
    throw Error(file_name(file) + " has no 2-D token_embd.weight tensor.");
  if (embed->ne[1] > std::numeric_limits<int>::max())
    throw Error(file_name(file) + ": token_embd.weight has " + std::to_string(embed->ne[1]) +
                " rows, more than any vocabulary kvlm can index.");
  c.vocab_size = static_cast<int>(embed->ne[1]);
  c.tie_word_embeddings = file.find_tensor("output.weight") == nullptr;

  // RoPE layout, by architecture name (the one place where GGUF and HF weights differ in order):
  switch (c.architecture) {
    case Architecture::kLlama:
      // llama.cpp's converter permutes llama's q_proj/k_proj rows into Meta's interleaved order
      // (llama.cpp's RoPE type NORM). We keep the file's rows and rotate pairs (2i, 2i+1).
      c.rope_layout = RopeLayout::kInterleaved;
      break;
    case Architecture::kQwen2:
    case Architecture::kQwen3:
    case Architecture::kGemma3:
    case Architecture::kPhi3:
      // These keep HF's row order, and llama.cpp rotates them NEOX-style: HF's rotate_half.
      c.rope_layout = RopeLayout::kHalfSplit;
      break;
    case Architecture::kGpt2:
      c.rope_layout = RopeLayout::kNone;  // learned absolute positions (position_embd)
      break;
    case Architecture::kMistral:  // never a GGUF name: llama.cpp writes Mistral as llama
      break;
  }
  if (c.rope_layout != RopeLayout::kNone) {
    if (const Value* v = file.find(a + "rope.freq_base")) c.rope_theta = static_cast<float>(v->as_float());
    if (file.find(a + "rope.dimension_count") && positive_int(file, a + "rope.dimension_count") != c.head_dim)
      throw Error(file_name(file) + ": RoPE over part of each head (" + a +
                  "rope.dimension_count) is not supported.");
    read_rope_scaling(file, a, c);
    c.rope_freqs = rope_freqs(file);
  }
  // A window over every layer (Phi-3, or Mistral written with the key); Gemma 3 slides 5 of 6 layers.
  if (const Value* v = file.find(a + "attention.sliding_window"); v && v->is_integer() && v->as_int() != 0)
    c.sliding_window = positive_int(file, a + "attention.sliding_window");

  if (c.architecture == Architecture::kGpt2) {
    c.norm = NormKind::kLayerNorm;
    c.hidden_act = Activation::kGeluTanh;
    c.attention_bias = true;
    c.mlp_bias = true;
    if (const Value* v = file.find(a + "attention.layer_norm_epsilon")) c.norm_eps = static_cast<float>(v->as_float());
  } else {
    c.norm = NormKind::kRmsNorm;
    c.hidden_act = Activation::kSilu;
    c.attention_bias = file.find_tensor("blk.0.attn_q.bias") != nullptr;  // Qwen2: q/k/v biases
    c.qk_norm = c.architecture == Architecture::kQwen3;
    if (c.architecture == Architecture::kGemma3) gemma3_conventions(c);
    if (const Value* v = file.find(a + "attention.layer_norm_rms_epsilon")) c.norm_eps = static_cast<float>(v->as_float());
  }

  if (file.find("tokenizer.ggml.bos_token_id")) c.bos_token_id = token_id(file, "tokenizer.ggml.bos_token_id", c.vocab_size);
  // Generation stops at the end-of-sequence token and, when the file names one, end-of-turn.
  for (const char* key : {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"})
    if (file.find(key)) {
      const int id = token_id(file, key, c.vocab_size);
      if (c.eos_token_ids.empty() || c.eos_token_ids.front() != id) c.eos_token_ids.push_back(id);
    }
  return c;
}

GgufTensorFile::GgufTensorFile(std::shared_ptr<const GgufFile> file) : file_(std::move(file)) {
  const Architecture arch = architecture_from_name(*file_);
  for (const TensorInfo& info : file_->tensors()) {
    HfName hf = hf_name(arch, info.name);
    if (hf.name.empty()) hf.name = info.name;  // no HF counterpart: keep the GGUF name
    Shape shape(info.ne.rbegin(), info.ne.rend());  // GGUF lists dims innermost first; HF outermost
    const bool transpose = hf.transpose && shape.size() == 2;
    if (transpose) std::swap(shape[0], shape[1]);
    if (!index_.emplace(hf.name, entries_.size()).second)
      throw Error(file_name(*file_) + " maps two tensors to the HF name '" + printable(hf.name) + "'.");
    entries_.push_back({hf.name, Entry{&info, shape, transpose}});
  }
}

std::vector<std::string> GgufTensorFile::names() const {
  std::vector<std::string> names;
  for (const auto& [name, e] : entries_) names.push_back(name);
  return names;
}

bool GgufTensorFile::contains(const std::string& name) const { return index_.count(name) != 0; }

const GgufTensorFile::Entry& GgufTensorFile::entry(const std::string& name) const {
  const auto it = index_.find(name);
  if (it == index_.end()) throw Error(describe() + " has no tensor named '" + printable(name) + "'.");
  return entries_[it->second].second;
}

Shape GgufTensorFile::shape(const std::string& name) const { return entry(name).shape; }

Tensor GgufTensorFile::read(const std::string& name) const {
  const Entry& e = entry(name);
  const std::vector<float> values = file_->read_fp32(*e.info);
  // kvlm::Tensor convention: shape[0] rows of (product of the rest); a 1-D tensor is one row.
  const Eigen::Index rows = e.shape.size() < 2 ? 1 : e.shape[0];
  const Eigen::Index cols = static_cast<Eigen::Index>(values.size()) / rows;
  Tensor t{e.shape, Matrix(rows, cols)};
  if (e.transpose)  // the file holds [cols rows of `rows` values]: read it so, then transpose
    t.data = MatrixMap(values.data(), cols, rows).transpose();
  else
    t.data = MatrixMap(values.data(), rows, cols);
  return t;
}

std::optional<QuantizedMatrix> GgufTensorFile::read_blocks(const std::string& name) const {
  const Entry& e = entry(name);
  const auto type = static_cast<uint32_t>(e.info->type);
  if (e.transpose || e.shape.size() != 2 || !QuantizedMatrix::supports(type)) return std::nullopt;
  // ne[0] (the row length) is HF's last dimension: the file's rows are HF's rows, block after block.
  QuantizedMatrix m{type, e.shape[0], e.shape[1], file_->bytes(*e.info).data(), file_};
  return m;
}

std::string GgufTensorFile::describe() const { return file_name(*file_); }

}  // namespace gguf

ModelSource open_gguf(const std::filesystem::path& path) {
  auto file = std::make_shared<const gguf::GgufFile>(path);
  ModelSource source;
  source.config = gguf::config_from_gguf(*file);
  source.tensors = std::make_unique<gguf::GgufTensorFile>(std::move(file));
  return source;
}

}  // namespace kvlm
