// safetensors reader and writer; see safetensors.hpp. Every offset is checked before it is read.
#include "kvlm/io/safetensors.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <nlohmann/json.hpp>

#include "kvlm/error.hpp"
#include "kvlm/io/dtype.hpp"
#include "kvlm/printable.hpp"

namespace kvlm {
namespace {

constexpr uint64_t kHeaderLengthBytes = 8;
constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // the format's own limit (100 MB)

int dtype_size(const std::string& dtype) {
  if (dtype == "F32" || dtype == "I32") return 4;
  if (dtype == "F16" || dtype == "BF16") return 2;
  if (dtype == "I64" || dtype == "F64") return 8;
  return 0;
}

// nlohmann::json keeps the last of two equal keys; a header that names a tensor twice is corrupt
// (which of the two did the writer mean?), so the parser's callback refuses it as it reads.
nlohmann::json parse_refusing_duplicate_keys(std::span<const std::byte> text, const std::string& fname) {
  std::vector<std::set<std::string>> keys_per_object;  // one set per object being read
  auto check = [&](int /*depth*/, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (event == Event::object_start) keys_per_object.emplace_back();
    else if (event == Event::object_end) keys_per_object.pop_back();
    else if (event == Event::key && !keys_per_object.back().insert(parsed.get<std::string>()).second)
      throw Error(fname + " has a corrupt header: the key '" + printable(parsed.get<std::string>()) + "' appears twice");
    return true;
  };
  const char* begin = reinterpret_cast<const char*>(text.data());
  return nlohmann::json::parse(begin, begin + text.size(), check);
}

}  // namespace

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path) : file_(path) {
  const std::string fname = path.filename().string();
  const auto len_bytes = file_.slice(0, kHeaderLengthBytes, "the header length");
  const uint64_t header_len = load_le<uint64_t>(len_bytes.data());
  if (header_len > kMaxHeaderBytes)
    throw Error(fname + " is not a safetensors file: its header length (" + std::to_string(header_len) +
                " bytes) is absurd");
  const auto header = file_.slice(kHeaderLengthBytes, header_len, "the JSON header");
  data_start_ = kHeaderLengthBytes + header_len;
  const uint64_t data_size = file_.size() - data_start_;

  nlohmann::json j;
  try {
    j = parse_refusing_duplicate_keys(header, fname);
  } catch (const nlohmann::json::exception& e) {  // its message quotes the bytes it read last
    throw Error(fname + " has a corrupt header: it is not valid JSON (" + printable(e.what(), 200) + ")");
  }
  if (!j.is_object()) throw Error(fname + " has a corrupt header: it is not a JSON object");

  for (const auto& [name, info] : j.items()) {
    if (name == "__metadata__") {
      if (info.is_object())
        for (const auto& [k, v] : info.items())
          if (v.is_string()) metadata_[k] = v.get<std::string>();
      continue;
    }
    const std::string where = fname + ": tensor '" + printable(name) + "'";
    if (!info.is_object() || !info.contains("dtype") || !info.contains("shape") || !info.contains("data_offsets"))
      throw Error(where + " lacks dtype, shape or data_offsets");
    Entry e;
    try {
      e.dtype = info.at("dtype").get<std::string>();
      e.shape = info.at("shape").get<Shape>();
      const auto offsets = info.at("data_offsets").get<std::vector<uint64_t>>();
      if (offsets.size() != 2) throw Error(where + " has data_offsets that are not a [begin, end] pair");
      e.begin = offsets[0];
      e.end = offsets[1];
    } catch (const nlohmann::json::exception&) {
      throw Error(where + " has a dtype, shape or data_offsets of the wrong type");
    }
    const int esize = dtype_size(e.dtype);
    if (esize == 0) throw Error(where + " has unsupported dtype " + printable(e.dtype));
    // The element count by checked multiplication: [101]*10 + [0] overflows int64 before its
    // final 0 makes the product 0, so a later num_elements() would be undefined behaviour.
    int64_t count = 1;
    for (int64_t d : e.shape) {
      if (d < 0 || (d != 0 && count > std::numeric_limits<int64_t>::max() / d))
        throw Error(where + " has an absurd shape " + shape_string(e.shape) + " (its element count overflows)");
      count *= d;
    }
    if (e.begin > e.end || e.end > data_size)
      throw Error(where + " has data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                  ") outside the data section of " + std::to_string(data_size) +
                  " bytes (is the file truncated?)");
    const uint64_t elements = static_cast<uint64_t>(count);
    const bool fits = elements <= data_size;  // then elements * esize cannot overflow
    if (!fits || e.end - e.begin != elements * esize)
      throw Error(where + " holds " + std::to_string(e.end - e.begin) + " bytes but its shape " +
                  shape_string(e.shape) + " of " + e.dtype + " needs " +
                  (fits ? std::to_string(elements * esize) : "more than the file holds"));
    entries_.emplace(name, std::move(e));
  }
  refuse_overlaps(fname);
}

// Two tensors sharing bytes: a corrupt (or crafted) header; writing one would change the other.
void SafetensorsFile::refuse_overlaps(const std::string& fname) const {
  std::vector<std::pair<const std::string*, const Entry*>> by_begin;
  for (const auto& [name, e] : entries_)
    if (e.end > e.begin) by_begin.emplace_back(&name, &e);  // an empty range overlaps nothing
  std::sort(by_begin.begin(), by_begin.end(), [](const auto& a, const auto& b) { return a.second->begin < b.second->begin; });
  for (size_t i = 1; i < by_begin.size(); ++i) {
    const auto& [prev_name, prev] = by_begin[i - 1];
    const auto& [name, e] = by_begin[i];
    if (e->begin < prev->end)
      throw Error(fname + ": tensors '" + printable(*prev_name) + "' and '" + printable(*name) + "' overlap (bytes [" +
                  std::to_string(prev->begin) + ", " + std::to_string(prev->end) + ") and [" +
                  std::to_string(e->begin) + ", " + std::to_string(e->end) + "))");
  }
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> out;
  for (const auto& [name, e] : entries_) out.push_back(name);
  return out;
}

const SafetensorsFile::Entry& SafetensorsFile::entry(const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) throw Error(describe() + " has no tensor '" + printable(name) + "'");
  return it->second;
}

Tensor SafetensorsFile::read(const std::string& name) const {
  const Entry& e = entry(name);
  const int64_t n = num_elements(e.shape);
  const int64_t rows = e.shape.empty() ? 1 : (e.shape.size() == 1 ? 1 : e.shape[0]);
  const int64_t cols = rows ? n / std::max<int64_t>(rows, 1) : 0;
  Tensor t{e.shape, Matrix(rows, cols)};
  const std::byte* src = file_.slice(data_start_ + e.begin, e.end - e.begin, "tensor '" + name + "'").data();
  float* dst = t.data.data();
  if (n == 0) return t;  // an empty tensor: data() may be nullptr, which memcpy must not get even for 0 bytes
  if (e.dtype == "F32") {
    std::memcpy(dst, src, n * sizeof(float));
  } else if (e.dtype == "F16") {
    for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(load_le<uint16_t>(src + 2 * i));
  } else if (e.dtype == "BF16") {
    for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(load_le<uint16_t>(src + 2 * i));
  } else {
    throw Error(describe() + ": tensor '" + printable(name) + "' has dtype " + e.dtype + ", expected F32, F16 or BF16");
  }
  return t;
}

std::vector<int64_t> SafetensorsFile::read_ints(const std::string& name) const {
  const Entry& e = entry(name);
  const int64_t n = num_elements(e.shape);
  const std::byte* src = file_.slice(data_start_ + e.begin, e.end - e.begin, "tensor '" + name + "'").data();
  std::vector<int64_t> out(n);
  if (e.dtype == "I64") {
    for (int64_t i = 0; i < n; ++i) out[i] = load_le<int64_t>(src + 8 * i);
  } else if (e.dtype == "I32") {
    for (int64_t i = 0; i < n; ++i) out[i] = load_le<int32_t>(src + 4 * i);
  } else {
    throw Error(describe() + ": tensor '" + printable(name) + "' has dtype " + e.dtype + ", expected I64 or I32");
  }
  return out;
}

void SafetensorsWriter::add(const std::string& name, const Shape& shape, const float* data) {
  Item item{name, "F32", shape, std::vector<char>(num_elements(shape) * sizeof(float))};
  if (!item.bytes.empty()) std::memcpy(item.bytes.data(), data, item.bytes.size());
  items_.push_back(std::move(item));
}

void SafetensorsWriter::add(const std::string& name, const Shape& shape, const int64_t* data) {
  Item item{name, "I64", shape, std::vector<char>(num_elements(shape) * sizeof(int64_t))};
  if (!item.bytes.empty()) std::memcpy(item.bytes.data(), data, item.bytes.size());
  items_.push_back(std::move(item));
}

void SafetensorsWriter::write(const std::filesystem::path& path) const {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata_.empty()) header["__metadata__"] = metadata_;
  uint64_t offset = 0;
  for (const Item& item : items_) {
    header[item.name] = {{"dtype", item.dtype}, {"shape", item.shape}, {"data_offsets", {offset, offset + item.bytes.size()}}};
    offset += item.bytes.size();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // pad so the data section is 8-byte aligned
  std::ofstream out(path, std::ios::binary);
  if (!out) {
    const std::filesystem::path folder = std::filesystem::absolute(path).parent_path();
    throw Error("cannot write " + path.string() + ": " +
                (std::filesystem::is_directory(folder) ? std::strerror(errno) : "the folder " + folder.string() + " does not exist"));
  }
  const uint64_t len = text.size();
  out.write(reinterpret_cast<const char*>(&len), sizeof(len));
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  for (const Item& item : items_) out.write(item.bytes.data(), static_cast<std::streamsize>(item.bytes.size()));
  if (!out) throw Error("failed writing " + path.string());
}

}  // namespace kvlm
