// GGUF parser: header, metadata, tensor infos and bounds checks; see gguf.hpp for the types.
// Not trusting: every count and length is checked against the bytes left before anything is allocated.
//
// File layout (all little-endian):
//   magic "GGUF" | version u32 | n_tensors u64 | n_kv u64
//   n_kv x      [key: string][value type: u32][value]
//   n_tensors x [name: string][n_dims: u32][ne: n_dims x u64][ggml type: u32][offset: u64]
//   padding to general.alignment (default 32), then the tensor data section.
//   string = [length: u64][bytes, no terminator]; array = [element type: u32][count: u64][elements]
#include "kvlm/io/gguf.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include "kvlm/error.hpp"
#include "kvlm/io/dtype.hpp"
#include "kvlm/io/gguf_quant.hpp"
#include "kvlm/printable.hpp"

namespace kvlm::gguf {
namespace {

constexpr char kMagic[4] = {'G', 'G', 'U', 'F'};
constexpr uint32_t kMinVersion = 2, kMaxVersion = 3;
constexpr uint64_t kDefaultAlignment = 32;
constexpr uint32_t kMaxDims = 4;        // GGML_MAX_DIMS
constexpr int kMaxArrayDepth = 8;       // arrays of arrays of ...: deeper is surely corrupt
// Each metadata value costs ~50 bytes in memory; real files hold < 1M (Llama 3: 128k tokens +
// 280k merges), so more than this is refused rather than allocated.
constexpr uint64_t kMaxMetadataValues = uint64_t{1} << 22;
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;          // empty key, type, one-byte value
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 4 + 8;  // empty name, n_dims 0, type, offset

// Smallest encoding of one value of type t: bounds how many elements a count can honestly claim.
uint64_t min_value_bytes(ValueType t) {
  switch (t) {
    case ValueType::kUint8: case ValueType::kInt8: case ValueType::kBool: return 1;
    case ValueType::kUint16: case ValueType::kInt16: return 2;
    case ValueType::kUint32: case ValueType::kInt32: case ValueType::kFloat32: return 4;
    case ValueType::kUint64: case ValueType::kInt64: case ValueType::kFloat64: return 8;
    case ValueType::kString: return 8;
    case ValueType::kArray: return 4 + 8;
  }
  return 1;
}

bool known_value_type(uint32_t t) { return t <= static_cast<uint32_t>(ValueType::kFloat64); }

// A cursor over the mapped file; every read goes through MappedFile::slice (bounds-checked).
class Reader {
 public:
  explicit Reader(const MappedFile& file) : file_(file) {}

  template <typename T>
  T scalar(const std::string& what) {
    const auto bytes = file_.slice(pos_, sizeof(T), what);
    pos_ += sizeof(T);
    return load_le<T>(bytes.data());
  }

  std::string string(const std::string& what) {
    const uint64_t length = scalar<uint64_t>(what + " (length)");
    if (length > remaining())
      fail(what + " claims a string of " + std::to_string(length) + " bytes but only " +
           std::to_string(remaining()) + " bytes remain");
    const auto bytes = file_.slice(pos_, length, what);
    pos_ += length;
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }

  // A count of items that take at least `min_bytes` each: refused if the file cannot hold them.
  uint64_t count(const std::string& what, uint64_t min_bytes) {
    const uint64_t n = scalar<uint64_t>(what);
    if (n > remaining() / min_bytes)
      fail(what + " is " + std::to_string(n) + ", more than the " + std::to_string(remaining()) +
           " remaining bytes could hold");
    return n;
  }

  Value value(ValueType type, const std::string& what, int depth) {
    if (++n_values_ > kMaxMetadataValues)
      fail("the metadata holds more than " + std::to_string(kMaxMetadataValues) + " values");
    Value v;
    v.type = type;
    switch (type) {
      case ValueType::kUint8: v.data = int64_t{scalar<uint8_t>(what)}; break;
      case ValueType::kInt8: v.data = int64_t{scalar<int8_t>(what)}; break;
      case ValueType::kUint16: v.data = int64_t{scalar<uint16_t>(what)}; break;
      case ValueType::kInt16: v.data = int64_t{scalar<int16_t>(what)}; break;
      case ValueType::kUint32: v.data = int64_t{scalar<uint32_t>(what)}; break;
      case ValueType::kInt32: v.data = int64_t{scalar<int32_t>(what)}; break;
      case ValueType::kInt64: v.data = scalar<int64_t>(what); break;
      case ValueType::kUint64: {
        const uint64_t u = scalar<uint64_t>(what);
        if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
          v.data = static_cast<int64_t>(u);
        else
          v.data = u;
        break;
      }
      case ValueType::kFloat32: v.data = double{scalar<float>(what)}; break;
      case ValueType::kFloat64: v.data = scalar<double>(what); break;
      case ValueType::kBool: {
        const uint8_t b = scalar<uint8_t>(what);
        if (b > 1) fail(what + " is a bool with the invalid value " + std::to_string(b));
        v.data = b == 1;
        break;
      }
      case ValueType::kString: v.data = string(what); break;
      case ValueType::kArray: v.data = array(what, depth + 1, v.element_type); break;
    }
    return v;
  }

  ValueType value_type(const std::string& what) {
    const uint32_t t = scalar<uint32_t>(what + " (type)");
    if (!known_value_type(t)) fail(what + " has the unknown value type " + std::to_string(t));
    return static_cast<ValueType>(t);
  }

  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return file_.size() - pos_; }
  [[noreturn]] void fail(const std::string& why) const {
    throw Error(file_.path().filename().string() + " is not a valid GGUF file: " + why + ".");
  }

 private:
  std::vector<Value> array(const std::string& what, int depth, ValueType& element_type) {
    if (depth > kMaxArrayDepth)
      fail(what + " nests arrays deeper than " + std::to_string(kMaxArrayDepth) + " levels");
    element_type = value_type(what + " element");
    const uint64_t n = count(what + " element count", min_value_bytes(element_type));
    std::vector<Value> items;
    items.reserve(n);  // safe: n <= remaining bytes
    for (uint64_t i = 0; i < n; ++i) items.push_back(value(element_type, what, depth));
    return items;
  }

  const MappedFile& file_;
  uint64_t pos_ = 0;
  uint64_t n_values_ = 0;
};

// n_elements of a tensor, refusing dimensions whose product could not fit in the file.
// `tensor` names it in messages: "tensor 'blk.0.attn_q.weight'".
int64_t checked_elements(const Reader& r, const std::string& tensor, const std::vector<int64_t>& ne,
                         uint64_t max_elements) {
  uint64_t n = 1;
  for (int64_t d : ne) {
    if (d <= 0) r.fail(tensor + " has a dimension of " + std::to_string(d));
    if (static_cast<uint64_t>(d) > max_elements / n)
      r.fail(tensor + " has absurd dimensions (more elements than the file could hold)");
    n *= static_cast<uint64_t>(d);
  }
  return static_cast<int64_t>(n);
}

}  // namespace

GgufFile::GgufFile(const std::filesystem::path& path) : file_(path) {
  Reader r(file_);
  const auto magic = file_.slice(0, sizeof(kMagic), "the GGUF magic");
  if (std::memcmp(magic.data(), kMagic, sizeof(kMagic)) != 0)
    r.fail("bad magic (the file does not start with \"GGUF\")");
  r.scalar<uint32_t>("the magic");
  version_ = r.scalar<uint32_t>("the version");
  if (version_ < kMinVersion || version_ > kMaxVersion)
    r.fail("unsupported version " + std::to_string(version_) + " (kvlm reads versions 2 and 3" +
           (version_ > 0xFFFF ? "; is it a big-endian file?)" : ")"));
  const uint64_t n_tensors = r.count("the tensor count", kMinTensorInfoBytes);
  const uint64_t n_kv = r.count("the metadata count", kMinKvBytes);

  metadata_.reserve(n_kv);
  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string key = r.string("metadata key #" + std::to_string(i));
    if (!metadata_index_.emplace(key, metadata_.size()).second)
      r.fail("metadata key '" + printable(key) + "' appears twice");
    const std::string where = "metadata '" + printable(key) + "'";  // the key's bytes, safe for a message
    const ValueType type = r.value_type(where);
    metadata_.emplace_back(key, r.value(type, where, 0));
  }
  if (const Value* a = find("general.alignment")) {
    if (!a->is_integer() || a->as_int() <= 0 || (a->as_int() & (a->as_int() - 1)) != 0)
      r.fail("general.alignment must be a positive power of two, not " + a->summary());
    alignment_ = static_cast<uint64_t>(a->as_int());
  } else {
    alignment_ = kDefaultAlignment;
  }

  // Quantized blocks take at least 18 bytes per 32 values, so no tensor has more than 2 per byte.
  const uint64_t max_elements = std::max<uint64_t>(file_.size(), 1) * 2;
  tensors_.reserve(n_tensors);
  for (uint64_t i = 0; i < n_tensors; ++i) {
    TensorInfo t;
    t.name = r.string("tensor name #" + std::to_string(i));
    const std::string tensor = "tensor '" + printable(t.name) + "'";  // the name's bytes, safe for a message
    if (!tensor_index_.emplace(t.name, tensors_.size()).second)
      r.fail(tensor + " appears twice");
    const uint32_t n_dims = r.scalar<uint32_t>(tensor + " rank");
    if (n_dims == 0 || n_dims > kMaxDims)
      r.fail(tensor + " has " + std::to_string(n_dims) + " dimensions (1 to 4 allowed)");
    for (uint32_t d = 0; d < n_dims; ++d)
      t.ne.push_back(static_cast<int64_t>(
          std::min<uint64_t>(r.scalar<uint64_t>(tensor + " shape"),
                             std::numeric_limits<int64_t>::max())));
    const uint32_t type_id = r.scalar<uint32_t>(tensor + " type");
    const TypeTraits* traits = supported_type_traits(type_id);
    if (!traits) {
      const std::string type_name = ggml_type_name(type_id);
      if (type_name.starts_with("type "))
        r.fail(tensor + " has the unknown tensor " + type_name);
      r.fail(tensor + " has type " + type_name +
             ", which kvlm cannot read (it reads F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0 and Q2_K..Q6_K)");
    }
    t.type = static_cast<TensorType>(type_id);
    t.offset = r.scalar<uint64_t>(tensor + " offset");
    if (t.offset % alignment_ != 0)
      r.fail(tensor + " offset " + std::to_string(t.offset) +
             " is misaligned (alignment " + std::to_string(alignment_) + ")");
    const int64_t n = checked_elements(r, tensor, t.ne, max_elements);
    if (t.ne[0] % traits->block_size != 0)
      r.fail(tensor + " has rows of " + std::to_string(t.ne[0]) + " values, not a multiple of " +
             traits->name + "'s block of " + std::to_string(traits->block_size));
    t.n_bytes = static_cast<uint64_t>(n / traits->block_size * traits->block_bytes);
    tensors_.push_back(std::move(t));
  }

  data_offset_ = (r.pos() + alignment_ - 1) / alignment_ * alignment_;
  for (const TensorInfo& t : tensors_) {
    const uint64_t size = file_.size();
    if (data_offset_ > size || t.offset > size - data_offset_ || t.n_bytes > size - data_offset_ - t.offset)
      r.fail("tensor '" + printable(t.name) + "' data is out of bounds (" + std::to_string(t.n_bytes) +
             " bytes at data offset " + std::to_string(t.offset) + ", but the file has " +
             std::to_string(size) + " bytes)");
  }
}

const Value* GgufFile::find(const std::string& key) const {
  const auto it = metadata_index_.find(key);
  return it == metadata_index_.end() ? nullptr : &metadata_[it->second].second;
}

const Value& GgufFile::at(const std::string& key) const {
  if (const Value* v = find(key)) return *v;
  throw Error(path().filename().string() + " lacks the metadata key '" + key + "'.");
}

std::string GgufFile::architecture() const { return at("general.architecture").as_string(); }

const TensorInfo* GgufFile::find_tensor(const std::string& name) const {
  const auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

std::vector<float> GgufFile::read_fp32(const TensorInfo& info) const {
  std::vector<float> values(static_cast<size_t>(info.n_elements()));
  dequantize(static_cast<uint32_t>(info.type), bytes(info), values);
  return values;
}

std::span<const std::byte> GgufFile::bytes(const TensorInfo& info) const {
  return file_.slice(data_offset_ + info.offset, info.n_bytes, "tensor '" + info.name + "'");
}

int64_t TensorInfo::n_elements() const {
  int64_t n = 1;
  for (int64_t d : ne) n *= d;
  return n;
}

}  // namespace kvlm::gguf
