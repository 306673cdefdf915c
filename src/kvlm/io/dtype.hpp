// Half-precision conversions used by every loader: IEEE fp16 and bfloat16 -> fp32, and fp32 -> fp16
// for the block scales a quantizer writes. Not a numeric library: kvlm computes in fp32.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace kvlm {

// bfloat16 is the top 16 bits of an fp32: shift them back into place.
inline float bf16_to_fp32(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

// IEEE 754 half: 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits.
inline float fp16_to_fp32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1Fu;
  uint32_t mantissa = h & 0x3FFu;
  uint32_t bits;
  if (exponent == 0x1F) {  // inf or NaN
    bits = sign | 0x7F800000u | (mantissa << 13);
  } else if (exponent != 0) {  // normal: rebias 15 -> 127
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {  // +-0
    bits = sign;
  } else {  // subnormal half: normalize it
    exponent = 113;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --exponent;
    }
    bits = sign | (exponent << 23) | ((mantissa & 0x3FFu) << 13);
  }
  return std::bit_cast<float>(bits);
}

// fp32 -> IEEE half, rounding to nearest, ties to even (numpy's astype(float16), ggml's
// GGML_FP32_TO_FP16). Beyond 65504 it rounds to infinity; below 2^-14 to a subnormal half.
inline uint16_t fp32_to_fp16(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  const auto sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t magnitude = x & 0x7FFFFFFFu;
  if (magnitude > 0x7F800000u) return sign | 0x7E00u;        // NaN
  if (magnitude >= 0x47800000u) return sign | 0x7C00u;       // >= 65536 (and inf): infinity
  if (magnitude < 0x38800000u) {                             // below 2^-14: units of 2^-24, rounded
    const float units = std::bit_cast<float>(magnitude) * 16777216.0f;  // exact: times 2^24
    return sign | static_cast<uint16_t>(std::nearbyint(units));         // ties to even (default mode)
  }
  // Normal: rebias the exponent 127 -> 15, keep the top 10 of 23 mantissa bits, round the other 13.
  uint32_t half = ((((magnitude >> 23) - 112) << 10) | ((magnitude >> 13) & 0x3FFu));
  const uint32_t rest = magnitude & 0x1FFFu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;  // a carry may reach infinity: right
  return sign | static_cast<uint16_t>(half);
}

// Little-endian loads from an unaligned byte pointer (all formats here are little-endian).
template <typename T>
inline T load_le(const std::byte* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

}  // namespace kvlm
