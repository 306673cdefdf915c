// A test-only reader for small F32 safetensors files: the expected side of the GGUF fixture tests.
// Not kvlm's safetensors reader (io/safetensors.cpp): it trusts its input and reads F32 only.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "kvlm/tensor.hpp"

namespace kvlm::test {

// File layout: [header length: u64][JSON header][data]; header["name"] = {dtype, shape, data_offsets}.
inline std::map<std::string, Tensor> read_safetensors_f32(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  uint64_t header_len = 0;
  in.read(reinterpret_cast<char*>(&header_len), sizeof header_len);
  std::string header(header_len, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_len));
  const std::vector<char> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::map<std::string, Tensor> tensors;
  const nlohmann::json json = nlohmann::json::parse(header);
  for (const auto& [name, info] : json.items()) {
    if (name == "__metadata__") continue;
    if (info["dtype"] != "F32") throw std::runtime_error(name + " is not F32");
    Tensor t;
    for (int64_t d : info["shape"]) t.shape.push_back(d);
    const int64_t rows = t.shape.size() < 2 ? 1 : t.shape[0];  // a 1-D tensor is one row (tensor.hpp)
    const int64_t cols = num_elements(t.shape) / rows;
    t.data.resize(rows, cols);
    const size_t begin = info["data_offsets"][0];
    std::memcpy(t.data.data(), data.data() + begin, sizeof(float) * static_cast<size_t>(rows * cols));
    tensors.emplace(name, std::move(t));
  }
  return tensors;
}

}  // namespace kvlm::test
