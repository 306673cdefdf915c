// ggml block formats: how many values a block holds, its size in bytes, dequantization to fp32 and,
// for Q8_0, Q4_0 and Q4_1, quantization (bit for bit as gguf-py's quants.py, i.e. ggml-quants.c).
// Not a K-quant quantizer: those need llama.cpp's search for the best scales.
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

// Q4_K's and Q5_K's sub-block g (0..7) of 32 values: its 6-bit scale and min, unpacked from the
// block's 12 bytes s of scales (inline: the Q4_K dot product calls it for every 32 values):
//   g < 4:  scale = s[g] & 63,                           min = s[g + 4] & 63
//   g >= 4: scale = (s[g + 4] & 15) | (s[g - 4] >> 6) << 4, min = (s[g + 4] >> 4) | (s[g] >> 6) << 4
inline void scale_min_k4(const uint8_t* s, int g, int* scale, int* min) {
  if (g < 4) {
    *scale = s[g] & 63;
    *min = s[g + 4] & 63;
  } else {
    *scale = (s[g + 4] & 0x0F) | ((s[g - 4] >> 6) << 4);
    *min = (s[g + 4] >> 4) | ((s[g] >> 6) << 4);
  }
}

// Widens `n` values of `type_id` stored in `src` into `dst` (n a multiple of the block size;
// src exactly n / block_size * block_bytes bytes; the caller checks both).
void dequantize(uint32_t type_id, std::span<const std::byte> src, std::span<float> dst);

// The inverse for F32, F16, Q8_0, Q4_0 and Q4_1: `n` values of `src` into `dst` (n a multiple of
// the block size, dst n / block_size * block_bytes bytes). Throws kvlm::Error for other types.
void quantize(uint32_t type_id, std::span<const float> src, std::span<std::byte> dst);

}  // namespace kvlm::gguf
