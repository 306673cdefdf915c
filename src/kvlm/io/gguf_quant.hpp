// ggml block formats: how many values a block holds, its size in bytes, and dequantization to fp32.
// Not a quantizer: kvlm only reads quantized files; quantizing is llama.cpp's (or gguf-py's) job.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace kvlm::gguf {

struct TypeTraits {
  const char* name;     // "Q4_1"
  int64_t block_size;   // values per block (1 for plain floats)
  int64_t block_bytes;  // bytes per block
};

// The traits of a supported ggml type id, or nullptr for any other id.
const TypeTraits* supported_type_traits(uint32_t type_id);
// A readable name for any ggml type id ("Q4_K", "IQ2_XXS", ...), "type 99" when unknown.
std::string ggml_type_name(uint32_t type_id);

// Widens `n` values of `type_id` stored in `src` into `dst` (n a multiple of the block size;
// src exactly n / block_size * block_bytes bytes; the caller checks both).
void dequantize(uint32_t type_id, std::span<const std::byte> src, std::span<float> dst);

}  // namespace kvlm::gguf
