// ggml block dequantization: F32, F16, BF16, Q8_0, Q4_0, Q4_1 -> fp32; see gguf_quant.hpp.
// Not optimized: one plain loop per format, written to be read next to ggml's block structs.
#include "kvlm/io/gguf_quant.hpp"

#include <array>
#include <cassert>

#include "kvlm/io/dtype.hpp"

namespace kvlm::gguf {
namespace {

constexpr uint32_t kF32 = 0, kF16 = 1, kQ4_0 = 2, kQ4_1 = 3, kQ8_0 = 8, kBF16 = 30;
constexpr int64_t kQK = 32;  // values per block in every Q format here (ggml's QK8_0, QK4_0, QK4_1)

// Q8_0, 34 bytes per block of 32:  [d: fp16][q: 32 x int8]
//   x[i] = d * q[i]
void dequantize_q8_0(const std::byte* block, float* out) {
  const float d = fp16_to_fp32(load_le<uint16_t>(block));
  const auto* q = reinterpret_cast<const int8_t*>(block + 2);
  for (int i = 0; i < kQK; ++i) out[i] = d * static_cast<float>(q[i]);
}

// Q4_0, 18 bytes per block of 32:  [d: fp16][qs: 16 bytes, two 4-bit values each]
//   byte j holds value j in its low nibble and value j + 16 in its high nibble;
//   x[i] = d * (q[i] - 8)        (q in 0..15, so x in [-8d, 7d])
void dequantize_q4_0(const std::byte* block, float* out) {
  const float d = fp16_to_fp32(load_le<uint16_t>(block));
  const auto* qs = reinterpret_cast<const uint8_t*>(block + 2);
  for (int j = 0; j < kQK / 2; ++j) {
    out[j] = d * static_cast<float>((qs[j] & 0x0F) - 8);
    out[j + kQK / 2] = d * static_cast<float>((qs[j] >> 4) - 8);
  }
}

// Q4_1, 20 bytes per block of 32:  [d: fp16][m: fp16][qs: 16 bytes, nibbles as in Q4_0]
//   x[i] = d * q[i] + m          (m is the block's minimum, d = (max - min) / 15)
void dequantize_q4_1(const std::byte* block, float* out) {
  const float d = fp16_to_fp32(load_le<uint16_t>(block));
  const float m = fp16_to_fp32(load_le<uint16_t>(block + 2));
  const auto* qs = reinterpret_cast<const uint8_t*>(block + 4);
  for (int j = 0; j < kQK / 2; ++j) {
    out[j] = d * static_cast<float>(qs[j] & 0x0F) + m;
    out[j + kQK / 2] = d * static_cast<float>(qs[j] >> 4) + m;
  }
}

struct NamedType {
  uint32_t id;
  const char* name;
};
// ggml's type numbering (ggml.h), for error messages about types kvlm does not read.
constexpr std::array<NamedType, 29> kAllTypeNames{{
    {0, "F32"},     {1, "F16"},     {2, "Q4_0"},    {3, "Q4_1"},   {6, "Q5_0"},    {7, "Q5_1"},
    {8, "Q8_0"},    {9, "Q8_1"},    {10, "Q2_K"},   {11, "Q3_K"},  {12, "Q4_K"},   {13, "Q5_K"},
    {14, "Q6_K"},   {15, "Q8_K"},   {16, "IQ2_XXS"}, {17, "IQ2_XS"}, {18, "IQ3_XXS"}, {19, "IQ1_S"},
    {20, "IQ4_NL"}, {21, "IQ3_S"},  {22, "IQ2_S"},  {23, "IQ4_XS"}, {24, "I8"},     {25, "I16"},
    {26, "I32"},    {27, "I64"},    {28, "F64"},    {29, "IQ1_M"}, {30, "BF16"},
}};

}  // namespace

const TypeTraits* supported_type_traits(uint32_t type_id) {
  static constexpr TypeTraits f32{"F32", 1, 4}, f16{"F16", 1, 2}, bf16{"BF16", 1, 2},
      q8_0{"Q8_0", kQK, 2 + kQK}, q4_0{"Q4_0", kQK, 2 + kQK / 2}, q4_1{"Q4_1", kQK, 4 + kQK / 2};
  switch (type_id) {
    case kF32: return &f32;
    case kF16: return &f16;
    case kBF16: return &bf16;
    case kQ8_0: return &q8_0;
    case kQ4_0: return &q4_0;
    case kQ4_1: return &q4_1;
    default: return nullptr;
  }
}

std::string ggml_type_name(uint32_t type_id) {
  for (const NamedType& t : kAllTypeNames)
    if (t.id == type_id) return t.name;
  return "type " + std::to_string(type_id);
}

void dequantize(uint32_t type_id, std::span<const std::byte> src, std::span<float> dst) {
  const TypeTraits* traits = supported_type_traits(type_id);
  assert(traits && dst.size() % traits->block_size == 0);
  const size_t n_blocks = dst.size() / static_cast<size_t>(traits->block_size);
  assert(src.size() == n_blocks * static_cast<size_t>(traits->block_bytes));
  const std::byte* p = src.data();
  float* out = dst.data();
  for (size_t b = 0; b < n_blocks; ++b, p += traits->block_bytes, out += traits->block_size) {
    switch (type_id) {
      case kF32: *out = load_le<float>(p); break;
      case kF16: *out = fp16_to_fp32(load_le<uint16_t>(p)); break;
      case kBF16: *out = bf16_to_fp32(load_le<uint16_t>(p)); break;
      case kQ8_0: dequantize_q8_0(p, out); break;
      case kQ4_0: dequantize_q4_0(p, out); break;
      case kQ4_1: dequantize_q4_1(p, out); break;
    }
  }
}

}  // namespace kvlm::gguf
