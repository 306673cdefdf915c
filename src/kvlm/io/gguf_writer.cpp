// GGUF v3 writer; see gguf_writer.hpp. The same layout gguf.cpp parses, written field by field.
#include "kvlm/io/gguf_writer.hpp"

#include <cstring>
#include <fstream>
#include <set>
#include <string_view>

#include "kvlm/error.hpp"
#include "kvlm/io/gguf_quant.hpp"

namespace kvlm::gguf {
namespace {

uint64_t align(uint64_t n, uint64_t alignment) { return (n + alignment - 1) / alignment * alignment; }

class Out {
 public:
  Out() { bytes_.reserve(4096); }  // the header grows from here (and GCC 12 then sees no empty-vector insert)
  template <typename T>
  void scalar(T v) {
    const auto* p = reinterpret_cast<const char*>(&v);
    bytes_.insert(bytes_.end(), p, p + sizeof(T));  // little-endian, as x86 and ARM are
  }
  void raw(std::string_view s) { bytes_.insert(bytes_.end(), s.begin(), s.end()); }
  void string(const std::string& s) {
    scalar<uint64_t>(s.size());
    raw(s);
  }
  void value(const Value& v) {
    switch (v.type) {
      case ValueType::kUint8: scalar<uint8_t>(static_cast<uint8_t>(v.as_int())); break;
      case ValueType::kInt8: scalar<int8_t>(static_cast<int8_t>(v.as_int())); break;
      case ValueType::kUint16: scalar<uint16_t>(static_cast<uint16_t>(v.as_int())); break;
      case ValueType::kInt16: scalar<int16_t>(static_cast<int16_t>(v.as_int())); break;
      case ValueType::kUint32: scalar<uint32_t>(static_cast<uint32_t>(v.as_int())); break;
      case ValueType::kInt32: scalar<int32_t>(static_cast<int32_t>(v.as_int())); break;
      case ValueType::kInt64: scalar<int64_t>(v.as_int()); break;
      case ValueType::kUint64:
        scalar<uint64_t>(std::holds_alternative<uint64_t>(v.data) ? std::get<uint64_t>(v.data)
                                                                  : static_cast<uint64_t>(v.as_int()));
        break;
      case ValueType::kFloat32: scalar<float>(static_cast<float>(v.as_float())); break;
      case ValueType::kFloat64: scalar<double>(v.as_float()); break;
      case ValueType::kBool: scalar<uint8_t>(v.as_bool() ? 1 : 0); break;
      case ValueType::kString: string(v.as_string()); break;
      case ValueType::kArray: {
        const std::vector<Value>& items = v.as_array();
        scalar<uint32_t>(static_cast<uint32_t>(v.element_type));
        scalar<uint64_t>(items.size());
        for (const Value& item : items) {
          if (item.type != v.element_type) throw Error("a GGUF array must hold values of one type");
          value(item);
        }
        break;
      }
    }
  }
  void pad(uint64_t alignment) { bytes_.resize(align(bytes_.size(), alignment)); }
  std::vector<char>& bytes() { return bytes_; }

 private:
  std::vector<char> bytes_;
};

}  // namespace

void GgufWriter::add(const std::string& key, Value value) { metadata_.emplace_back(key, std::move(value)); }

void GgufWriter::add_tensor(const std::string& name, std::vector<int64_t> ne, TensorType type,
                            std::vector<std::byte> data) {
  tensors_.push_back({name, std::move(ne), type, std::move(data)});
}

void GgufWriter::write(const std::filesystem::path& path) const {
  uint64_t alignment = 32;
  std::set<std::string> keys;
  for (const auto& [key, value] : metadata_) {
    if (!keys.insert(key).second) throw Error("the GGUF metadata key '" + key + "' is given twice");
    if (key == "general.alignment") alignment = static_cast<uint64_t>(value.as_int());
  }
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) throw Error("general.alignment must be a power of two");

  Out out;
  out.raw("GGUF");
  out.scalar<uint32_t>(3);
  out.scalar<uint64_t>(tensors_.size());
  out.scalar<uint64_t>(metadata_.size());
  for (const auto& [key, value] : metadata_) {
    out.string(key);
    out.scalar<uint32_t>(static_cast<uint32_t>(value.type));
    out.value(value);
  }
  uint64_t offset = 0;  // within the data section
  for (const Tensor& t : tensors_) {
    out.string(t.name);
    out.scalar<uint32_t>(static_cast<uint32_t>(t.ne.size()));
    for (int64_t d : t.ne) out.scalar<uint64_t>(static_cast<uint64_t>(d));
    out.scalar<uint32_t>(static_cast<uint32_t>(t.type));
    out.scalar<uint64_t>(offset);
    offset = align(offset + t.data.size(), alignment);
  }
  out.pad(alignment);

  // Written beside the target, then renamed over it: a reader that has the old file mapped (or the
  // input itself, when in == out) keeps its pages instead of dying of SIGBUS as the file shrinks.
  const std::filesystem::path partial = path.string() + ".partial";
  std::ofstream file(partial, std::ios::binary);
  if (!file) throw Error("cannot write " + path.string());
  file.write(out.bytes().data(), static_cast<std::streamsize>(out.bytes().size()));
  const std::vector<char> zeros(alignment, 0);
  for (const Tensor& t : tensors_) {
    if (!t.data.empty()) file.write(reinterpret_cast<const char*>(t.data.data()), static_cast<std::streamsize>(t.data.size()));
    file.write(zeros.data(), static_cast<std::streamsize>(align(t.data.size(), alignment) - t.data.size()));
  }
  file.close();
  if (!file) {
    std::filesystem::remove(partial);
    throw Error("writing " + path.string() + " failed (is the disk full?)");
  }
  std::filesystem::rename(partial, path);
}

void add_tokenizer_data(GgufWriter& writer, const GgufTokenizerData& d) {
  const auto string = [](std::string s) {
    Value v;
    v.type = ValueType::kString;
    v.data = std::move(s);
    return v;
  };
  const auto array = [](ValueType element_type, std::vector<Value> items) {
    Value v;
    v.type = ValueType::kArray;
    v.element_type = element_type;
    v.data = std::move(items);
    return v;
  };
  const auto flag = [](bool b) {
    Value v;
    v.type = ValueType::kBool;
    v.data = b;
    return v;
  };
  writer.add("tokenizer.ggml.model", string(d.model));
  if (!d.pre.empty()) writer.add("tokenizer.ggml.pre", string(d.pre));
  std::vector<Value> tokens, types, merges;
  for (const std::string& t : d.tokens) tokens.push_back(string(t));
  for (int32_t t : d.token_types) {
    Value v;
    v.type = ValueType::kInt32;
    v.data = int64_t{t};
    types.push_back(std::move(v));
  }
  for (const std::string& m : d.merges) merges.push_back(string(m));
  writer.add("tokenizer.ggml.tokens", array(ValueType::kString, std::move(tokens)));
  if (!types.empty()) writer.add("tokenizer.ggml.token_type", array(ValueType::kInt32, std::move(types)));
  if (!merges.empty()) writer.add("tokenizer.ggml.merges", array(ValueType::kString, std::move(merges)));
  if (d.add_bos_token) writer.add("tokenizer.ggml.add_bos_token", flag(*d.add_bos_token));
  if (d.add_eos_token) writer.add("tokenizer.ggml.add_eos_token", flag(*d.add_eos_token));
  if (!d.chat_template.empty()) writer.add("tokenizer.chat_template", string(d.chat_template));
}

int llama_file_type(TensorType type) {
  switch (type) {
    case TensorType::kF32: return 0;
    case TensorType::kF16: return 1;
    case TensorType::kQ4_0: return 2;
    case TensorType::kQ4_1: return 3;
    case TensorType::kQ8_0: return 7;
    default: break;
  }
  throw Error("kvlm quantize writes f32, f16, q8_0, q4_0 and q4_1, not " + ggml_type_name(static_cast<uint32_t>(type)));
}

void add_quantized_tensor(GgufWriter& writer, const std::string& name, std::vector<int64_t> ne,
                          std::span<const float> values, TensorType type, bool is_head, QuantizeReport& report) {
  // The output head (output.weight, or token_embd.weight when the model ties them) decides every
  // token's logits: at 4 bits llama-quantize gives it Q6_K, or Q8_0 when its rows are not a multiple of
  // 256 (SmolLM2's 576). kvlm writes no K-quants, so a 4-bit file keeps its head in Q8_0.
  const bool four_bits = type == TensorType::kQ4_0 || type == TensorType::kQ4_1;
  const TensorType wanted = four_bits && is_head ? TensorType::kQ8_0 : type;
  // Weight matrices whose rows are whole blocks take the new type; norms, biases, rope_freqs
  // (1-D) and GPT-2's position table stay F32, as llama-quantize leaves them unquantized too.
  const bool matrix = ne.size() == 2 && name.ends_with(".weight") && !name.starts_with("position_embd");
  const TypeTraits* traits = supported_type_traits(static_cast<uint32_t>(type));
  const TensorType t = matrix && ne[0] % traits->block_size == 0 ? wanted : TensorType::kF32;
  const TypeTraits* tt = supported_type_traits(static_cast<uint32_t>(t));
  std::vector<std::byte> data(static_cast<size_t>(static_cast<int64_t>(values.size()) / tt->block_size * tt->block_bytes));
  quantize(static_cast<uint32_t>(t), values, data);
  report.bytes_out += data.size();
  report.quantized += t != TensorType::kF32 ? 1 : 0;
  report.tensors += 1;
  writer.add_tensor(name, std::move(ne), t, std::move(data));
}

QuantizeReport quantize_gguf(const std::filesystem::path& in, const std::filesystem::path& out, TensorType type) {
  Value ftype;
  ftype.type = ValueType::kUint32;
  ftype.data = int64_t{llama_file_type(type)};
  const GgufFile source(in);
  GgufWriter writer;
  for (const auto& [key, value] : source.metadata()) {
    if (key == "general.file_type") continue;
    writer.add(key, value);
  }
  writer.add("general.file_type", ftype);

  const bool tied = source.find_tensor("output.weight") == nullptr;
  QuantizeReport report;
  for (const TensorInfo& info : source.tensors()) {
    report.bytes_in += info.n_bytes;
    add_quantized_tensor(writer, info.name, info.ne, source.read_fp32(info), type,
                         info.name == (tied ? "token_embd.weight" : "output.weight"), report);
  }
  writer.write(out);
  return report;
}

}  // namespace kvlm::gguf
