// safetensors: an 8-byte header length, a JSON header {name: {dtype, shape, data_offsets}}, raw bytes.
// Not a full implementation of every dtype: F32, F16, BF16 (weights) and I64/I32 (reference ids).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "kvlm/io/mapped_file.hpp"
#include "kvlm/io/tensor_file.hpp"

namespace kvlm {

class SafetensorsFile : public TensorFile {
 public:
  // Parses and checks the whole header up front: every tensor's dtype, shape and byte range.
  explicit SafetensorsFile(const std::filesystem::path& path);

  std::vector<std::string> names() const override;
  bool contains(const std::string& name) const override { return entries_.count(name) != 0; }
  Shape shape(const std::string& name) const override { return entry(name).shape; }
  Tensor read(const std::string& name) const override;  // F32, F16, BF16 -> fp32
  std::string describe() const override { return file_.path().filename().string(); }

  std::vector<int64_t> read_ints(const std::string& name) const;  // I64 or I32 tensors
  const std::string& dtype(const std::string& name) const { return entry(name).dtype; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  struct Entry {
    std::string dtype;
    Shape shape;
    uint64_t begin = 0, end = 0;  // byte offsets relative to the start of the data section
  };
  const Entry& entry(const std::string& name) const;
  void refuse_overlaps(const std::string& fname) const;

  MappedFile file_;
  uint64_t data_start_ = 0;
  std::map<std::string, Entry> entries_;
  std::map<std::string, std::string> metadata_;
};

// Writes a safetensors file (used by `kvlm logits --out` and the tests).
class SafetensorsWriter {
 public:
  void add(const std::string& name, const Shape& shape, const float* data);    // F32
  void add(const std::string& name, const Shape& shape, const int64_t* data);  // I64
  void set_metadata(const std::string& key, const std::string& value) { metadata_[key] = value; }
  void write(const std::filesystem::path& path) const;

 private:
  struct Item {
    std::string name, dtype;
    Shape shape;
    std::vector<char> bytes;
  };
  std::vector<Item> items_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace kvlm
