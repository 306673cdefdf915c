// llama2.c's legacy .bin checkpoint: 7 int32 header fields, then fp32 arrays in a fixed order.
// Not the "ak42" v1/v2 export formats. Q/K rows stay in Meta's interleaved RoPE layout, as trained.
#include <cstring>
#include <limits>
#include <map>

#include "kvlm/error.hpp"
#include "kvlm/io/dtype.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/io/mapped_file.hpp"

namespace kvlm {
namespace {

// run.c's Config, in file order.
struct Llama2cHeader {
  int32_t dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len;
};
constexpr uint64_t kHeaderBytes = 7 * sizeof(int32_t);

// Tensors at fixed offsets of one mapped fp32 file, under HF names.
class Llama2cTensors : public TensorFile {
 public:
  explicit Llama2cTensors(const std::filesystem::path& path) : file_(path) {}
  void add(const std::string& name, const Shape& shape, uint64_t offset) { entries_[name] = {shape, offset}; }

  std::vector<std::string> names() const override {
    std::vector<std::string> out;
    for (const auto& [n, e] : entries_) out.push_back(n);
    return out;
  }
  bool contains(const std::string& name) const override { return entries_.count(name) != 0; }
  Shape shape(const std::string& name) const override { return entry(name).shape; }
  Tensor read(const std::string& name) const override {
    const Entry& e = entry(name);
    const int64_t n = num_elements(e.shape);
    const int64_t rows = e.shape.size() == 1 ? 1 : e.shape[0];
    Tensor t{e.shape, Matrix(rows, n / rows)};
    const auto bytes = file_.slice(e.offset, n * sizeof(float), "tensor '" + name + "'");
    std::memcpy(t.data.data(), bytes.data(), bytes.size());
    return t;
  }
  std::string describe() const override { return file_.path().filename().string(); }
  const MappedFile& file() const { return file_; }

 private:
  struct Entry {
    Shape shape;
    uint64_t offset;
  };
  const Entry& entry(const std::string& name) const {
    auto it = entries_.find(name);
    if (it == entries_.end()) throw Error(describe() + " has no tensor '" + name + "'");
    return it->second;
  }
  MappedFile file_;
  std::map<std::string, Entry> entries_;
};

}  // namespace

ModelSource open_llama2c(const std::filesystem::path& path) {
  auto tensors = std::make_unique<Llama2cTensors>(path);
  const std::string fname = path.filename().string();
  const auto header_bytes = tensors->file().slice(0, kHeaderBytes, "the llama2.c header");
  Llama2cHeader h;
  std::memcpy(&h, header_bytes.data(), sizeof(h));
  // vocab_size's sign is a flag (below); INT32_MIN has no positive twin, so negating it overflowed.
  if (h.dim <= 0 || h.hidden_dim <= 0 || h.n_layers <= 0 || h.n_heads <= 0 || h.n_kv_heads <= 0 || h.vocab_size == 0 ||
      h.vocab_size == std::numeric_limits<int32_t>::min() || h.seq_len <= 0 || h.dim % h.n_heads != 0)
    throw Error(fname + " is not a llama2.c checkpoint: its header (dim " + std::to_string(h.dim) + ", layers " +
                std::to_string(h.n_layers) + ", heads " + std::to_string(h.n_heads) + ", vocab_size " +
                std::to_string(h.vocab_size) + ") is invalid");

  ModelConfig c;
  c.architecture = Architecture::kLlama;
  c.hidden_size = h.dim;
  c.intermediate_size = h.hidden_dim;
  c.num_hidden_layers = h.n_layers;
  c.num_attention_heads = h.n_heads;
  c.num_key_value_heads = h.n_kv_heads;
  c.head_dim = h.dim / h.n_heads;
  c.tie_word_embeddings = h.vocab_size > 0;  // llama2.c's convention: negative vocab = separate classifier
  c.vocab_size = h.vocab_size > 0 ? h.vocab_size : -h.vocab_size;
  c.max_position_embeddings = h.seq_len;
  c.norm_eps = 1e-5f;                         // run.c hard-codes it
  c.rope_theta = 10000.0f;                    // likewise
  c.rope_layout = RopeLayout::kInterleaved;   // Meta's layout: the file's Q/K rows are not permuted
  c.bos_token_id = 1;
  c.eos_token_ids = {2};
  c.validate();

  // The arrays follow in this order, each for all layers at once (run.c: memory_map_weights).
  const int64_t D = c.hidden_size, I = c.intermediate_size, V = c.vocab_size, L = c.num_hidden_layers;
  const int64_t q_dim = c.q_dim(), kv_dim = c.kv_dim();
  uint64_t offset = kHeaderBytes;
  auto add_per_layer = [&](const std::string& suffix, const Shape& shape) {
    for (int64_t l = 0; l < L; ++l) {
      tensors->add("model.layers." + std::to_string(l) + "." + suffix, shape, offset);
      offset += num_elements(shape) * sizeof(float);
    }
  };
  tensors->add("model.embed_tokens.weight", {V, D}, offset);
  offset += V * D * sizeof(float);
  add_per_layer("input_layernorm.weight", {D});
  add_per_layer("self_attn.q_proj.weight", {q_dim, D});
  add_per_layer("self_attn.k_proj.weight", {kv_dim, D});
  add_per_layer("self_attn.v_proj.weight", {kv_dim, D});
  add_per_layer("self_attn.o_proj.weight", {D, q_dim});
  add_per_layer("post_attention_layernorm.weight", {D});
  add_per_layer("mlp.gate_proj.weight", {I, D});  // w1
  add_per_layer("mlp.down_proj.weight", {D, I});  // w2
  add_per_layer("mlp.up_proj.weight", {I, D});    // w3
  tensors->add("model.norm.weight", {D}, offset);
  offset += D * sizeof(float);
  offset += static_cast<uint64_t>(c.max_position_embeddings) * c.head_dim * sizeof(float);  // freq_cis_real/imag: unused
  if (!c.tie_word_embeddings) {
    tensors->add("lm_head.weight", {V, D}, offset);
    offset += V * D * sizeof(float);
  }
  // The format has no end marker: the sizes must match exactly, or the header describes another model.
  const uint64_t size = tensors->file().size();
  if (offset > size)
    throw Error(fname + " is truncated: its header implies " + std::to_string(offset) + " bytes but the file has " +
                std::to_string(size));
  if (offset < size)
    throw Error(fname + " has " + std::to_string(size - offset) + " bytes after the weights: its header implies " +
                std::to_string(offset) + " bytes but the file has " + std::to_string(size) +
                " (the header describes a smaller model, or this is not a llama2.c checkpoint)");
  return {c, std::move(tensors)};
}

}  // namespace kvlm
