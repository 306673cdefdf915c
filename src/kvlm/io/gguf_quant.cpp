// ggml block formats: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0 and the K-quants Q2_K..Q6_K -> fp32, and back for Q8_0,
// Q4_0, Q4_1.
// Not optimized: one plain loop per format, written to be read next to ggml's block structs.
#include "kvlm/io/gguf_quant.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <cassert>

#include "kvlm/error.hpp"
#include "kvlm/io/dtype.hpp"

namespace kvlm::gguf {
namespace {

constexpr uint32_t kF32 = 0, kF16 = 1, kQ4_0 = 2, kQ4_1 = 3, kQ5_0 = 6, kQ8_0 = 8, kBF16 = 30;
constexpr uint32_t kQ2_K = 10, kQ3_K = 11, kQ4_K = 12, kQ5_K = 13, kQ6_K = 14;
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

// Q5_0, 22 bytes per block of 32:  [d: fp16][qh: 4 bytes, the fifth bit of each value][qs: 16 bytes of nibbles]
//   value j's low 4 bits as in Q4_0 (byte j % 16, low nibble for j < 16), its fifth bit is bit j of qh
//   (a little-endian uint32);  x[i] = d * (q[i] - 16)        (q in 0..31)
// llama.cpp's Q4_K_M files use it where a row is too short for a K-quant (SmolLM2's 576 columns).
void dequantize_q5_0(const std::byte* block, float* out) {
  const float d = fp16_to_fp32(load_le<uint16_t>(block));
  const uint32_t qh = load_le<uint32_t>(block + 2);
  const auto* qs = reinterpret_cast<const uint8_t*>(block + 6);
  for (int j = 0; j < kQK / 2; ++j) {
    const int lo = (qs[j] & 0x0F) | (((qh >> j) & 1) << 4);
    const int hi = (qs[j] >> 4) | (((qh >> (j + kQK / 2)) & 1) << 4);
    out[j] = d * static_cast<float>(lo - 16);
    out[j + kQK / 2] = d * static_cast<float>(hi - 16);
  }
}

// ---- Quantization, the inverse of the three formats above: the block's scale from its values,
// then each value rounded to the nearest step. Computed in fp32 exactly as gguf-py's quants.py does
// (which matches ggml-quants.c's quantize_row_*_ref), so kvlm's files equal gguf-py's byte for byte.

// Q8_0: d = max|x| / 127; q[i] = round(x[i] / d), halves away from zero (C's roundf).
void quantize_q8_0(const float* x, std::byte* block) {
  float amax = 0.0f;
  for (int i = 0; i < kQK; ++i) amax = std::max(amax, std::abs(x[i]));
  const float d = amax / 127.0f;
  const float id = d == 0.0f ? 0.0f : 1.0f / d;
  const uint16_t d16 = fp32_to_fp16(d);
  std::memcpy(block, &d16, 2);
  for (int i = 0; i < kQK; ++i) block[2 + i] = static_cast<std::byte>(static_cast<int8_t>(std::round(x[i] * id)));
}

// Two 4-bit values per byte: value j in the low nibble, value j + 16 in the high one.
void pack_nibbles(const uint8_t* q, std::byte* qs) {
  for (int j = 0; j < kQK / 2; ++j) qs[j] = static_cast<std::byte>(q[j] | (q[j + kQK / 2] << 4));
}

// Q4_0: the value of largest magnitude (the first, if tied) is -8 steps: d = max / -8;
// q[i] = min(15, trunc(x[i] / d + 8.5)), so x[i] ~ d * (q[i] - 8).
void quantize_q4_0(const float* x, std::byte* block) {
  float max = 0.0f, amax = 0.0f;
  for (int i = 0; i < kQK; ++i)
    if (std::abs(x[i]) > amax) amax = std::abs(x[i]), max = x[i];
  const float d = max / -8.0f;
  const float id = d == 0.0f ? 0.0f : 1.0f / d;
  uint8_t q[kQK];
  for (int i = 0; i < kQK; ++i) q[i] = static_cast<uint8_t>(std::min(15.0f, std::trunc(x[i] * id + 8.5f)));
  const uint16_t d16 = fp32_to_fp16(d);
  std::memcpy(block, &d16, 2);
  pack_nibbles(q, block + 2);
}

// Q4_1: the block's range in 15 steps from its minimum: d = (max - min) / 15, m = min;
// q[i] = min(15, trunc((x[i] - min) / d + 0.5)), so x[i] ~ d * q[i] + m.
void quantize_q4_1(const float* x, std::byte* block) {
  const auto [lo, hi] = std::minmax_element(x, x + kQK);
  const float min = *lo, d = (*hi - min) / 15.0f;
  const float id = d == 0.0f ? 0.0f : 1.0f / d;
  uint8_t q[kQK];
  for (int i = 0; i < kQK; ++i) q[i] = static_cast<uint8_t>(std::min(15.0f, std::trunc((x[i] - min) * id + 0.5f)));
  const uint16_t d16 = fp32_to_fp16(d), m16 = fp32_to_fp16(min);
  std::memcpy(block, &d16, 2);
  std::memcpy(block + 2, &m16, 2);
  pack_nibbles(q, block + 4);
}

// ---- K-quants (ggml-common.h's block_qN_K): super-blocks of 256 values in 16 groups of 16
// (Q2_K, Q3_K, Q6_K) or 8 groups of 32 (Q4_K, Q5_K), each group with its own small scale.
// Written one value v at a time: which bits of which byte hold v is the whole format.
// Every formula is computed as gguf-py's quants.py does: (d * scale) * q - (dmin * min), in fp32.
constexpr int kQK_K = 256;

// The block structs mirror ggml-common.h field for field (no padding: every size is asserted below).
// A block is copied out of the file, which may hold it at any address; fp16 fields are read as
// little-endian, like the rest of the file, so this assumes a little-endian host (as ggml does).
template <class Block>
Block load_block(const std::byte* p) {
  static_assert(std::endian::native == std::endian::little);
  Block b;
  std::memcpy(&b, p, sizeof b);
  return b;
}

struct BlockQ2_K {          // 84 bytes
  uint8_t scales[16];      // group g: scale in the low nibble, min in the high one
  uint8_t qs[kQK_K / 4];   // 2-bit quants
  uint16_t d, dmin;        // fp16 super-block scales
};
// Group g = v / 16 has scale (scales[g] & 15) and min (scales[g] >> 4).
// v = h * 128 + j * 32 + l (h in 0..1, j in 0..3, l in 0..31): q = (qs[h * 32 + l] >> 2j) & 3.
//   x[v] = (d * scale) * q - dmin * min
void dequantize_q2_k(const std::byte* block, float* out) {
  const auto b = load_block<BlockQ2_K>(block);
  const float d = fp16_to_fp32(b.d), dmin = fp16_to_fp32(b.dmin);
  for (int v = 0; v < kQK_K; ++v) {
    const int h = v / 128, j = (v / 32) % 4, l = v % 32;
    const float q = static_cast<float>((b.qs[h * 32 + l] >> (2 * j)) & 3);
    const float dl = d * static_cast<float>(b.scales[v / 16] & 0x0F);
    const float ml = dmin * static_cast<float>(b.scales[v / 16] >> 4);
    out[v] = dl * q - ml;
  }
}

struct BlockQ3_K {          // 110 bytes
  uint8_t hmask[kQK_K / 8];  // the third bit of each quant
  uint8_t qs[kQK_K / 4];     // its low 2 bits
  uint8_t scales[12];        // 16 packed 6-bit scales
  uint16_t d;                // fp16 super-block scale
};
// 16 signed 6-bit scales: low 4 bits in scales[g % 8] (low nibble for g < 8, high for g >= 8),
// high 2 bits in scales[8 + g % 4] at bit 2 * (g / 4); scale = that - 32.
// Low 2 bits of q as in Q2_K; the third bit is (hmask[v % 32] >> (v / 32)) & 1, and a CLEAR bit
// subtracts 4:  q = low - (bit ? 0 : 4), in -4..3.
//   x[v] = (d * scale) * q
void dequantize_q3_k(const std::byte* block, float* out) {
  const auto b = load_block<BlockQ3_K>(block);
  const float d = fp16_to_fp32(b.d);
  for (int v = 0; v < kQK_K; ++v) {
    const int g = v / 16, h = v / 128, j = (v / 32) % 4, l = v % 32;
    const int lo4 = g < 8 ? b.scales[g] & 0x0F : b.scales[g - 8] >> 4;
    const int hi2 = (b.scales[8 + g % 4] >> (2 * (g / 4))) & 3;
    const float scale = static_cast<float>((lo4 | (hi2 << 4)) - 32);
    const int low = (b.qs[h * 32 + l] >> (2 * j)) & 3;
    const int bit = (b.hmask[l] >> (v / 32)) & 1;
    out[v] = (d * scale) * static_cast<float>(low - (bit ? 0 : 4));
  }
}

// Q4_K and Q5_K share 8 unsigned 6-bit scales and mins packed in 12 bytes: scale_min_k4 (drawn in
// gguf_quant.hpp, where model/quantized.cpp's Q4_K dot product finds it too).

struct BlockQ4_K {          // 144 bytes
  uint16_t d, dmin;          // fp16 super-block scales
  uint8_t scales[12];        // 8 packed 6-bit scales and 8 mins (scale_min_k4)
  uint8_t qs[kQK_K / 2];     // 4-bit quants
};
// Group g = v / 32; v = c * 64 + s * 32 + l: q = (qs[c * 32 + l] >> 4s) & 15
// (byte c*32+l holds value c*64+l in its low nibble and c*64+32+l in its high one).
//   x[v] = (d * scale) * q - dmin * min
// Written group by group (c = g / 2, s = g % 2): prefill widens Q4_K tiles with it (model/linear.cpp).
void dequantize_q4_k(const std::byte* block, float* out) {
  const auto b = load_block<BlockQ4_K>(block);
  const float d = fp16_to_fp32(b.d), dmin = fp16_to_fp32(b.dmin);
  for (int g = 0; g < kQK_K / 32; ++g) {
    int scale = 0, min = 0;
    scale_min_k4(b.scales, g, &scale, &min);
    const float dl = d * static_cast<float>(scale), ml = dmin * static_cast<float>(min);
    const int c = g / 2, s = g % 2;
    for (int l = 0; l < 32; ++l) {
      const float q = static_cast<float>((b.qs[c * 32 + l] >> (4 * s)) & 0x0F);
      out[g * 32 + l] = dl * q - ml;
    }
  }
}

struct BlockQ5_K {          // 176 bytes
  uint16_t d, dmin;          // fp16 super-block scales
  uint8_t scales[12];        // as Q4_K
  uint8_t qh[kQK_K / 8];     // the fifth bit of each quant
  uint8_t qs[kQK_K / 2];     // its low 4 bits
};
// As Q4_K plus a fifth bit: q = low4 | ((qh[v % 32] >> (v / 32)) & 1) << 4, in 0..31.
//   x[v] = (d * scale) * q - dmin * min
void dequantize_q5_k(const std::byte* block, float* out) {
  const auto b = load_block<BlockQ5_K>(block);
  const float d = fp16_to_fp32(b.d), dmin = fp16_to_fp32(b.dmin);
  for (int v = 0; v < kQK_K; ++v) {
    int scale = 0, min = 0;
    scale_min_k4(b.scales, v / 32, &scale, &min);
    const int c = v / 64, s = (v / 32) % 2, l = v % 32;
    const int low = (b.qs[c * 32 + l] >> (4 * s)) & 0x0F;
    const int high = (b.qh[l] >> (v / 32)) & 1;
    const float q = static_cast<float>(low | (high << 4));
    out[v] = (d * static_cast<float>(scale)) * q - dmin * static_cast<float>(min);
  }
}

struct BlockQ6_K {          // 210 bytes
  uint8_t ql[kQK_K / 2];     // low 4 bits of each quant
  uint8_t qh[kQK_K / 4];     // high 2 bits
  int8_t scales[16];         // signed 8-bit group scales
  uint16_t d;                // fp16 super-block scale
};
// v = h * 128 + r (h in 0..1, r in 0..127): low 4 bits = (ql[h * 64 + r % 64] >> 4 * (r / 64)) & 15,
// high 2 bits = (qh[h * 32 + r % 32] >> 2 * (r / 32)) & 3;  q = (low | high << 4) - 32, in -32..31.
//   x[v] = (d * scales[v / 16]) * q
// Written 32 values (r / 32 = j) at a time: prefill widens Q6_K tiles with it (model/linear.cpp).
void dequantize_q6_k(const std::byte* block, float* out) {
  const auto b = load_block<BlockQ6_K>(block);
  const float d = fp16_to_fp32(b.d);
  for (int h = 0; h < 2; ++h) {
    for (int j = 0; j < 4; ++j) {  // r = 32 j + l, so r % 64 = 32 (j % 2) + l and r % 32 = l
      float* y = out + h * 128 + j * 32;
      const int g = 8 * h + 2 * j;  // v / 16 for the first 16 of these 32 values, g + 1 for the rest
      const float dl[2] = {d * static_cast<float>(b.scales[g]), d * static_cast<float>(b.scales[g + 1])};
      for (int l = 0; l < 32; ++l) {
        const int low = (b.ql[h * 64 + 32 * (j % 2) + l] >> (4 * (j / 2))) & 0x0F;
        const int high = (b.qh[h * 32 + l] >> (2 * j)) & 3;
        y[l] = dl[l / 16] * static_cast<float>((low | (high << 4)) - 32);
      }
    }
  }
}

static_assert(sizeof(BlockQ2_K) == 84 && sizeof(BlockQ3_K) == 110 && sizeof(BlockQ4_K) == 144 &&
              sizeof(BlockQ5_K) == 176 && sizeof(BlockQ6_K) == 210);

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
      q8_0{"Q8_0", kQK, 2 + kQK}, q4_0{"Q4_0", kQK, 2 + kQK / 2}, q4_1{"Q4_1", kQK, 4 + kQK / 2},
      q5_0{"Q5_0", kQK, 2 + 4 + kQK / 2},
      q2_k{"Q2_K", kQK_K, sizeof(BlockQ2_K)}, q3_k{"Q3_K", kQK_K, sizeof(BlockQ3_K)},
      q4_k{"Q4_K", kQK_K, sizeof(BlockQ4_K)}, q5_k{"Q5_K", kQK_K, sizeof(BlockQ5_K)},
      q6_k{"Q6_K", kQK_K, sizeof(BlockQ6_K)};
  switch (type_id) {
    case kF32: return &f32;
    case kF16: return &f16;
    case kBF16: return &bf16;
    case kQ8_0: return &q8_0;
    case kQ4_0: return &q4_0;
    case kQ4_1: return &q4_1;
    case kQ5_0: return &q5_0;
    case kQ2_K: return &q2_k;
    case kQ3_K: return &q3_k;
    case kQ4_K: return &q4_k;
    case kQ5_K: return &q5_k;
    case kQ6_K: return &q6_k;
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
      case kQ5_0: dequantize_q5_0(p, out); break;
      case kQ2_K: dequantize_q2_k(p, out); break;
      case kQ3_K: dequantize_q3_k(p, out); break;
      case kQ4_K: dequantize_q4_k(p, out); break;
      case kQ5_K: dequantize_q5_k(p, out); break;
      case kQ6_K: dequantize_q6_k(p, out); break;
    }
  }
}

void quantize(uint32_t type_id, std::span<const float> src, std::span<std::byte> dst) {
  const TypeTraits* traits = supported_type_traits(type_id);
  if (!traits || !(type_id == kF32 || type_id == kF16 || type_id == kQ8_0 || type_id == kQ4_0 || type_id == kQ4_1))
    throw Error("kvlm quantizes to F32, F16, Q8_0, Q4_0 and Q4_1, not " + ggml_type_name(type_id));
  const int64_t n = static_cast<int64_t>(src.size());
  if (n % traits->block_size != 0)
    throw Error(std::to_string(n) + " values are not whole " + traits->name + " blocks of " +
                std::to_string(traits->block_size));
  if (static_cast<int64_t>(dst.size()) != n / traits->block_size * traits->block_bytes)
    throw Error(std::string("the ") + traits->name + " buffer has the wrong size");
  std::byte* out = dst.data();
  for (int64_t i = 0; i < n; i += traits->block_size, out += traits->block_bytes) {
    const float* x = src.data() + i;
    switch (type_id) {
      case kF32: std::memcpy(out, x, 4); break;
      case kF16: { const uint16_t h = fp32_to_fp16(*x); std::memcpy(out, &h, 2); } break;
      case kQ8_0: quantize_q8_0(x, out); break;
      case kQ4_0: quantize_q4_0(x, out); break;
      case kQ4_1: quantize_q4_1(x, out); break;
    }
  }
}

}  // namespace kvlm::gguf
