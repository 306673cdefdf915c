// GGUF: the llama.cpp file format (versions 2 and 3): typed metadata, tensor infos, aligned data.
// Not a llama.cpp port: it only reads the file and widens F16/BF16/Q8_0/Q4_0/Q4_1/Q5_0/Q2_K..Q6_K tensors to fp32.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "kvlm/io/mapped_file.hpp"
#include "kvlm/io/tensor_file.hpp"
#include "kvlm/config.hpp"

namespace kvlm::gguf {

// The metadata value types, numbered as in the file.
enum class ValueType : uint32_t {
  kUint8 = 0, kInt8 = 1, kUint16 = 2, kInt16 = 3, kUint32 = 4, kInt32 = 5, kFloat32 = 6,
  kBool = 7, kString = 8, kArray = 9, kUint64 = 10, kInt64 = 11, kFloat64 = 12,
};
std::string to_string(ValueType t);

// One metadata value. Integers are kept as int64 (uint64 above INT64_MAX as uint64), floats as
// double; `type` remembers what the file said. An array holds its elements (all of one type).
struct Value {
  ValueType type = ValueType::kUint8;
  std::variant<int64_t, uint64_t, double, bool, std::string, std::vector<Value>> data;
  ValueType element_type = ValueType::kUint8;  // arrays only: what each element is (kept when empty)

  bool is_integer() const;
  int64_t as_int() const;          // throws kvlm::Error unless an integer that fits in int64
  double as_float() const;         // integers and floats
  bool as_bool() const;
  const std::string& as_string() const;
  const std::vector<Value>& as_array() const;
  std::string summary() const;     // short human text for `inspect`: 3, "llama", [49152 strings]
};

// ggml tensor types this reader can read, by ggml's numbers.
enum class TensorType : uint32_t {
  kF32 = 0, kF16 = 1, kQ4_0 = 2, kQ4_1 = 3, kQ8_0 = 8, kBF16 = 30,
  kQ2_K = 10, kQ3_K = 11, kQ4_K = 12, kQ5_K = 13, kQ6_K = 14,
};

struct TensorInfo {
  std::string name;
  std::vector<int64_t> ne;  // dimensions innermost first: ne[0] is the row length (HF's last dim)
  TensorType type = TensorType::kF32;
  uint64_t offset = 0;      // from the start of the tensor data section
  uint64_t n_bytes = 0;     // size of the stored (possibly quantized) data
  int64_t n_elements() const;
};

class GgufFile {
 public:
  // Parses the header, metadata and tensor infos; checks every size against the file.
  // Throws kvlm::Error with one sentence on anything malformed.
  explicit GgufFile(const std::filesystem::path& path);

  uint32_t version() const { return version_; }
  const std::vector<std::pair<std::string, Value>>& metadata() const { return metadata_; }
  const Value* find(const std::string& key) const;  // nullptr when absent
  const Value& at(const std::string& key) const;    // throws kvlm::Error naming the key
  std::string architecture() const;                 // general.architecture
  uint64_t alignment() const { return alignment_; }

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find_tensor(const std::string& name) const;  // nullptr when absent
  // The tensor's values widened to fp32, in file order (ne[0] fastest).
  std::vector<float> read_fp32(const TensorInfo& info) const;
  // The tensor's stored bytes, in place in the mapped file (alive as long as this GgufFile).
  std::span<const std::byte> bytes(const TensorInfo& info) const;

  const std::filesystem::path& path() const { return file_.path(); }

 private:
  MappedFile file_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;  // where the tensor data section starts
  std::vector<std::pair<std::string, Value>> metadata_;  // in file order
  std::vector<TensorInfo> tensors_;                       // in file order
  std::unordered_map<std::string, size_t> metadata_index_, tensor_index_;  // name -> position
};

// Everything the tokenizer needs from tokenizer.ggml.*, copied out of the metadata.
// Turned into a kvlm::Tokenizer by the tokenizer folder; this is only the extraction.
struct GgufTokenizerData {
  std::string model;                 // tokenizer.ggml.model: "gpt2" (byte-level BPE), "llama" (SPM)
  std::string pre;                   // tokenizer.ggml.pre: pre-tokenizer name, e.g. "smollm"; may be ""
  std::vector<std::string> tokens;   // id -> token text
  std::vector<float> scores;         // id -> score (SentencePiece); empty when absent
  std::vector<int32_t> token_types;  // id -> 1 normal, 2 unknown, 3 control, 4 user, 5 unused, 6 byte
  std::vector<std::string> merges;   // "a b" pairs in rank order (BPE); empty for SentencePiece
  int bos_token_id = -1, eos_token_id = -1, unknown_token_id = -1, padding_token_id = -1;
  std::optional<bool> add_bos_token, add_eos_token;
  std::string chat_template;         // tokenizer.chat_template, "" when absent
};
GgufTokenizerData read_tokenizer_data(const GgufFile& file);

// The ModelConfig described by the {arch}.* and tokenizer.ggml.* keys (gguf_model.cpp).
ModelConfig config_from_gguf(const GgufFile& file);

// A GGUF file seen through HF's tensor names and layouts (gguf_model.cpp), e.g.
//   blk.3.attn_q.weight, ne [D, H*hd]  ->  model.layers.3.self_attn.q_proj.weight, [H*hd, D].
// Tensors with no HF counterpart keep their GGUF name. The llama Q/K rows stay as the file has
// them (interleaved RoPE order): see config_from_gguf's RoPE switch.
class GgufTensorFile : public TensorFile {
 public:
  explicit GgufTensorFile(std::shared_ptr<const GgufFile> file);
  std::vector<std::string> names() const override;
  bool contains(const std::string& name) const override;
  Shape shape(const std::string& name) const override;
  Tensor read(const std::string& name) const override;
  std::optional<QuantizedMatrix> read_blocks(const std::string& name) const override;
  std::string describe() const override;
  const GgufFile& gguf() const { return *file_; }
  const TensorInfo& info(const std::string& name) const { return *entry(name).info; }  // as stored

 private:
  struct Entry {
    const TensorInfo* info;  // the tensor in the file
    Shape shape;             // HF shape
    bool transpose;          // GPT-2 Conv1D: the file stores (out, in), HF wants (in, out)
  };
  const Entry& entry(const std::string& name) const;
  std::shared_ptr<const GgufFile> file_;
  std::vector<std::pair<std::string, Entry>> entries_;  // HF name -> entry, in file order
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace kvlm::gguf
