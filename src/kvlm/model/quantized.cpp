// QuantizedMatrix; see quantized.hpp. The block layouts are drawn in io/gguf_quant.cpp:
//   Q8_0  [d: fp16][q: 32 x int8]                      x = d * q
//   Q4_0  [d: fp16][16 bytes of nibbles]               x = d * (q - 8)      q in 0..15
//   Q4_1  [d: fp16][m: fp16][16 bytes of nibbles]      x = d * q + m
//     byte j of the nibbles holds value j (low nibble) and value j + 16 (high nibble);
//   Q5_0  [d: fp16][qh: 4 bytes][16 bytes of nibbles]  x = d * (q - 16)     q in 0..31,
//     nibbles as Q4_0's, and value j's fifth bit is bit j of qh (a little-endian uint32);
//   Q4_K  [d: fp16][dmin: fp16][12 bytes: 8 scales, 8 mins][128 bytes of nibbles], 256 values:
//     sub-block g of 32 (g = 0..7):  x = (d * scale_g) * q - dmin * min_g     q in 0..15,
//     byte 32c + l holds value 64c + l (low nibble) and value 64c + 32 + l (high nibble);
//   Q6_K  [ql: 128 bytes][qh: 64 bytes][16 x int8 scales][d: fp16], 256 values:
//     sub-block g of 16 (g = 0..15): x = (d * scales[g]) * q                 q in -32..31,
//     value 128h + 32j + l: low 4 bits in ql[64h + 32(j % 2) + l] >> 4(j / 2), high 2 bits in
//     qh[32h + l] >> 2j, q = (low | high << 4) - 32.
// The fast path works on 32 values at a time, x's block b: a K-quant super-block covers 8 of them.
#include "kvlm/model/quantized.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "kvlm/io/dtype.hpp"
#include "kvlm/io/gguf_quant.hpp"

#if defined(__AVX2__) && defined(__FMA__)
// GCC 12 warns inside its own AVX-512 intrinsics (their _mm512_undefined_ps), not about our code.
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#endif

namespace kvlm {
namespace {

constexpr uint32_t kQ4_0 = 2, kQ4_1 = 3, kQ5_0 = 6, kQ8_0 = 8, kQ4_K = 12, kQ6_K = 14;
constexpr int kQK = 32;      // values per block of x (and of Q8_0, Q4_0, Q4_1, Q5_0)
constexpr int kQK_K = 256;   // values per K-quant super-block: kQK_K / kQK = 8 blocks of x
constexpr int64_t kQ8_0Bytes = 34, kQ5_0Bytes = 22, kQ4_KBytes = 144, kQ6_KBytes = 210;
constexpr int kQ4_KScales = 4, kQ4_KQs = 16;                   // byte offsets in a Q4_K block
constexpr int kQ6_KQh = 128, kQ6_KScales = 192, kQ6_KD = 208;  // byte offsets in a Q6_K block

float half(const std::byte* p) {
#if defined(__F16C__)
  return _cvtsh_ss(load_le<uint16_t>(p));  // one instruction instead of fp16_to_fp32's branches
#else
  return fp16_to_fp32(load_le<uint16_t>(p));
#endif
}

const uint8_t* bytes(const std::byte* p) { return reinterpret_cast<const uint8_t*>(p); }

// Q6_K's value 128h + 32j + l, l in 0..31 (the layout above): q in -32..31.
int q6_k_value(const std::byte* block, int h, int j, int l) {
  const int low = (bytes(block)[64 * h + 32 * (j % 2) + l] >> (4 * (j / 2))) & 0x0F;
  const int high = (bytes(block + kQ6_KQh)[32 * h + l] >> (2 * j)) & 3;
  return (low | (high << 4)) - 32;
}

// ---- The plain path: one row of w against x, block by block, in integers, one value at a time.
// No sum overflows int32: |x's q| <= 32767, so 32 products of |w's q| <= 128 stay under 1.4e8
// (Q6_K's scaled sums, which can reach 2.1e9, are taken in int64: see dot_q6_k).
// (Structs of static functions, so that dot_int_with picks a set of kernels as a template argument.)
struct Plain {
  static float dot_q8_0(const std::byte* row, int64_t blocks, const QuantizedActivations& x) {
    float sum = 0.0f;
    for (int64_t b = 0; b < blocks; ++b) {
      const std::byte* block = row + b * kQ8_0Bytes;
      const auto* w = reinterpret_cast<const int8_t*>(block + 2);
      int32_t dot = 0;
      for (int i = 0; i < kQK; ++i) dot += w[i] * x.q[b * kQK + i];
      sum += half(block) * x.d[b] * static_cast<float>(dot);
    }
    return sum;
  }

  // Q4_0 is Q4_1 with m = -8 d: x = d * q + m either way, and sum(m * x_i) = m * s.
  template <bool kHasMin>
  static float dot_q4(const std::byte* row, int64_t blocks, const QuantizedActivations& x) {
    constexpr int64_t block_bytes = kHasMin ? 20 : 18;
    float sum = 0.0f;
    for (int64_t b = 0; b < blocks; ++b) {
      const std::byte* block = row + b * block_bytes;
      const float d = half(block), m = kHasMin ? half(block + 2) : -8.0f * d;
      const uint8_t* qs = bytes(block + (kHasMin ? 4 : 2));
      const int16_t* q = &x.q[b * kQK];
      int32_t dot = 0;
      for (int j = 0; j < kQK / 2; ++j) dot += (qs[j] & 0x0F) * q[j] + (qs[j] >> 4) * q[j + kQK / 2];
      sum += d * x.d[b] * static_cast<float>(dot) + m * x.s[b];
    }
    return sum;
  }

  // Q5_0 is Q4_0 with a fifth bit and m = -16 d.
  static float dot_q5_0(const std::byte* row, int64_t blocks, const QuantizedActivations& x) {
    float sum = 0.0f;
    for (int64_t b = 0; b < blocks; ++b) {
      const std::byte* block = row + b * kQ5_0Bytes;
      const float d = half(block);
      const uint32_t qh = load_le<uint32_t>(block + 2);
      const uint8_t* qs = bytes(block + 6);
      const int16_t* q = &x.q[b * kQK];
      int32_t dot = 0;
      for (int j = 0; j < kQK / 2; ++j) {
        const int lo = (qs[j] & 0x0F) | (((qh >> j) & 1) << 4), hi = (qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
        dot += lo * q[j] + hi * q[j + kQK / 2];
      }
      sum += d * x.d[b] * static_cast<float>(dot) - 16.0f * d * x.s[b];
    }
    return sum;
  }

  // Q4_K: sub-block g is x's block 8 * sb + g; its min term is sum(dmin * min_g * x_i) = dmin * min_g * s.
  static float dot_q4_k(const std::byte* row, int64_t super_blocks, const QuantizedActivations& x) {
    float sum = 0.0f;
    for (int64_t sb = 0; sb < super_blocks; ++sb) {
      const std::byte* block = row + sb * kQ4_KBytes;
      const float d = half(block), dmin = half(block + 2);
      const uint8_t* qs = bytes(block + kQ4_KQs);
      for (int g = 0; g < kQK_K / kQK; ++g) {
        int scale = 0, min = 0;
        gguf::scale_min_k4(bytes(block + kQ4_KScales), g, &scale, &min);
        const int64_t b = sb * (kQK_K / kQK) + g;
        const int16_t* q = &x.q[b * kQK];
        int32_t dot = 0;
        for (int l = 0; l < kQK; ++l) dot += ((qs[32 * (g / 2) + l] >> (4 * (g % 2))) & 0x0F) * q[l];
        sum += d * static_cast<float>(scale) * x.d[b] * static_cast<float>(dot) -
               dmin * static_cast<float>(min) * x.s[b];
      }
    }
    return sum;
  }

  // Q6_K: x's block b = 8 * sb + 4h + j holds two sub-blocks of 16 with their own int8 scales. Each
  // half's dot is at most 16 * 32 * 32767 = 1.7e7; times a scale of up to 128 it is 2.147e9, a hair
  // under INT32_MAX, and the two halves' sum would overflow: it is taken in int64.
  static float dot_q6_k(const std::byte* row, int64_t super_blocks, const QuantizedActivations& x) {
    float sum = 0.0f;
    for (int64_t sb = 0; sb < super_blocks; ++sb) {
      const std::byte* block = row + sb * kQ6_KBytes;
      const auto* scales = reinterpret_cast<const int8_t*>(block + kQ6_KScales);
      const float d = half(block + kQ6_KD);
      for (int h = 0; h < 2; ++h) {
        for (int j = 0; j < 4; ++j) {
          const int64_t b = sb * (kQK_K / kQK) + 4 * h + j;
          const int16_t* q = &x.q[b * kQK];
          int32_t dot[2] = {0, 0};  // values 0..15 and 16..31 of this block of x
          for (int l = 0; l < kQK; ++l) dot[l / 16] += q6_k_value(block, h, j, l) * q[l];
          const int g = 8 * h + 2 * j;  // the first of the two sub-blocks of 16
          const int64_t scaled = int64_t{scales[g]} * dot[0] + int64_t{scales[g + 1]} * dot[1];
          sum += d * x.d[b] * static_cast<float>(scaled);
        }
      }
    }
    return sum;
  }
};

// ---- The AVX2 path: the same sums, 32 values per step.

#if defined(__AVX2__) && defined(__FMA__)

float horizontal_sum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

__m128i load16(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }
__m256i load32(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// sum over 32 lanes of w[i] * q[i], both as int16 (w in two halves of 16: values 0..15, 16..31):
// madd multiplies pairs and adds neighbours into 8 int32, and each int32 ends up with 4 products:
// exact while |w| < 2^31 / (4 * 32767) = 16384. The largest w here is Q6_K's scale * q, 128 * 32.
__m256 dot_i16(__m256i w_lo, __m256i w_hi, const int16_t* q) {
  const __m256i sum = _mm256_add_epi32(_mm256_madd_epi16(w_lo, load32(q)), _mm256_madd_epi16(w_hi, load32(q + 16)));
  return _mm256_cvtepi32_ps(sum);
}

// 32 bytes as two halves of 16 int16: unsigned (nibbles) or signed (int8).
__m256i low_half_u8(__m256i v) { return _mm256_cvtepu8_epi16(_mm256_castsi256_si128(v)); }
__m256i high_half_u8(__m256i v) { return _mm256_cvtepu8_epi16(_mm256_extracti128_si256(v, 1)); }
__m256i low_half_i8(__m256i v) { return _mm256_cvtepi8_epi16(_mm256_castsi256_si128(v)); }
__m256i high_half_i8(__m256i v) { return _mm256_cvtepi8_epi16(_mm256_extracti128_si256(v, 1)); }
// Each byte shifted right by n (a shift of 16-bit lanes, then the bits that came from the
// neighbouring byte masked off by the caller).
__m256i shift_right(__m256i v, int n) { return _mm256_srl_epi16(v, _mm_cvtsi32_si128(n)); }
// 16 int16 lanes, lane i = 16 where bit i of `bits` is set, else 0 (Q5_0's fifth bits).
__m256i fifth_bits(uint32_t bits) {
  const __m256i lane_bit = _mm256_setr_epi16(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384,
                                             static_cast<int16_t>(0x8000));
  const __m256i masked = _mm256_and_si256(_mm256_set1_epi16(static_cast<int16_t>(bits & 0xFFFF)), lane_bit);
  const __m256i set = _mm256_cmpeq_epi16(masked, lane_bit);
  return _mm256_and_si256(set, _mm256_set1_epi16(16));
}

// A row's blocks summed in two accumulator chains, even and odd blocks (why: Avx2 below), then
// added: block_dot(b, acc) returns acc plus block b's contribution. Vec is __m256 or __m512.
template <typename Vec, typename BlockDot>
Vec two_chains(int64_t blocks, Vec zero, const BlockDot& block_dot) {
  Vec even = zero, odd = zero;
  int64_t b = 0;
  for (; b + 1 < blocks; b += 2) {
    even = block_dot(b, even);
    odd = block_dot(b + 1, odd);
  }
  if (b < blocks) even = block_dot(b, even);
  return even + odd;  // GCC's and clang's vector extensions: lane by lane
}

struct Avx2 {
  // Two accumulators, even and odd blocks: each fmadd waits ~4 cycles for the one before it on the
  // same accumulator, longer than the rest of a block's work; two chains hide that wait. Decode reads
  // every weight once from memory, row after row: each block asks for the bytes 2 KB ahead of it
  // (bench_quantized, SmolLM2's head at one thread: Q8_0 1.80 -> 1.40 ms; nearer was slower).
  static float dot_q8_0(const std::byte* row, int64_t blocks, const QuantizedActivations& x) {
    const auto block_dot = [&](int64_t b, __m256 acc) {
      const std::byte* block = row + b * kQ8_0Bytes;
      _mm_prefetch(reinterpret_cast<const char*>(block) + 2048, _MM_HINT_T0);
      const __m256 dot = dot_i16(_mm256_cvtepi8_epi16(load16(block + 2)), _mm256_cvtepi8_epi16(load16(block + 18)),
                                 &x.q[b * kQK]);
      return _mm256_fmadd_ps(_mm256_set1_ps(half(block) * x.d[b]), dot, acc);
    };
    return horizontal_sum(two_chains(blocks, _mm256_setzero_ps(), block_dot));
  }

  // Q4_0 is Q4_1 with m = -8 d: x = d * q + m either way, and sum(m * x_i) = m * s.
  // Byte j holds values j (low nibble) and j + 16 (high): widened to 16 bits, lane j is that byte, so
  // `& 0x0F` gives values 0..15 and `>> 4` values 16..31, each in the lane its x is multiplied in.
  // A row is only 18 blocks of SmolLM2, so the per-block scalar work counts: Q4_1's d and m, adjacent
  // in the block, are widened by one instruction.
  template <bool kHasMin>
  static float dot_q4(const std::byte* row, int64_t blocks, const QuantizedActivations& x) {
    constexpr int64_t block_bytes = kHasMin ? 20 : 18;
    const __m256i low4 = _mm256_set1_epi16(0x0F);
    float offsets = 0.0f;
    const auto block_dot = [&](int64_t b, __m256 acc) {
      const std::byte* block = row + b * block_bytes;
      _mm_prefetch(reinterpret_cast<const char*>(block) + 2048, _MM_HINT_T0);
      float d, m;
      if constexpr (kHasMin) {
        const __m128 dm = _mm_cvtph_ps(_mm_cvtsi32_si128(load_le<int32_t>(block)));  // [d, m, 0, 0]
        d = _mm_cvtss_f32(dm);
        m = _mm_cvtss_f32(_mm_movehdup_ps(dm));
      } else {
        d = half(block);
        m = -8.0f * d;
      }
      const __m256i bytes = _mm256_cvtepu8_epi16(load16(block + (kHasMin ? 4 : 2)));
      const __m256 dot = dot_i16(_mm256_and_si256(bytes, low4), _mm256_srli_epi16(bytes, 4), &x.q[b * kQK]);
      offsets += m * x.s[b];
      return _mm256_fmadd_ps(_mm256_set1_ps(d * x.d[b]), dot, acc);
    };
    const __m256 sum = two_chains(blocks, _mm256_setzero_ps(), block_dot);  // adds to offsets as it goes
    return horizontal_sum(sum) + offsets;
  }

  static float dot_q5_0(const std::byte* row, int64_t blocks, const QuantizedActivations& x) {
    const __m128i mask = _mm_set1_epi8(0x0F);
    __m256 acc = _mm256_setzero_ps();
    float offsets = 0.0f;
    for (int64_t b = 0; b < blocks; ++b) {
      const std::byte* block = row + b * kQ5_0Bytes;
      const float d = half(block);
      const uint32_t qh = load_le<uint32_t>(block + 2);
      const __m128i nibbles = load16(block + 6);
      const __m256i lo = _mm256_or_si256(_mm256_cvtepu8_epi16(_mm_and_si128(nibbles, mask)), fifth_bits(qh));
      const __m256i hi = _mm256_or_si256(_mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(nibbles, 4), mask)),
                                         fifth_bits(qh >> 16));
      acc = _mm256_fmadd_ps(_mm256_set1_ps(d * x.d[b]), dot_i16(lo, hi, &x.q[b * kQK]), acc);
      offsets += -16.0f * d * x.s[b];
    }
    return horizontal_sum(acc) + offsets;
  }

  // Q4_K: 32 bytes of nibbles hold two sub-blocks (low nibbles: g = 2c, high: g = 2c + 1), each one
  // block of x. Unsigned q in 0..15, so the integer dot is at most 32 * 15 * 32767 = 1.6e7.
  static float dot_q4_k(const std::byte* row, int64_t super_blocks, const QuantizedActivations& x) {
    const __m256i mask = _mm256_set1_epi8(0x0F);
    __m256 acc = _mm256_setzero_ps();
    float mins = 0.0f;
    for (int64_t sb = 0; sb < super_blocks; ++sb) {
      const std::byte* block = row + sb * kQ4_KBytes;
      const float d = half(block), dmin = half(block + 2);
      for (int c = 0; c < 4; ++c) {
        const __m256i nibbles = load32(block + kQ4_KQs + 32 * c);
        const __m256i q[2] = {_mm256_and_si256(nibbles, mask), _mm256_and_si256(_mm256_srli_epi16(nibbles, 4), mask)};
        for (int s = 0; s < 2; ++s) {
          const int g = 2 * c + s;
          int scale = 0, min = 0;
          gguf::scale_min_k4(bytes(block + kQ4_KScales), g, &scale, &min);
          const int64_t b = sb * (kQK_K / kQK) + g;
          const __m256 dot = dot_i16(low_half_u8(q[s]), high_half_u8(q[s]), &x.q[b * kQK]);
          acc = _mm256_fmadd_ps(_mm256_set1_ps(d * static_cast<float>(scale) * x.d[b]), dot, acc);
          mins += dmin * static_cast<float>(min) * x.s[b];
        }
      }
    }
    return horizontal_sum(acc) - mins;
  }

  // Q6_K: each block of x meets 32 values of w in two sub-blocks of 16, whose int8 scales are
  // multiplied into w's int16 lanes before the dot: |scale * q| <= 128 * 32 = 4096, which dot_i16 sums
  // exactly (4 products of 4096 * 32767 per int32 lane: 5.4e8 < 2^31). One fp32 scale per block of x.
  static float dot_q6_k(const std::byte* row, int64_t super_blocks, const QuantizedActivations& x) {
    const __m256i low_mask = _mm256_set1_epi8(0x0F), high_mask = _mm256_set1_epi8(3), offset = _mm256_set1_epi8(32);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t sb = 0; sb < super_blocks; ++sb) {
      const std::byte* block = row + sb * kQ6_KBytes;
      const auto* scales = reinterpret_cast<const int8_t*>(block + kQ6_KScales);
      const float d = half(block + kQ6_KD);
      for (int h = 0; h < 2; ++h) {
        const __m256i qh = load32(block + kQ6_KQh + 32 * h);
        for (int j = 0; j < 4; ++j) {
          const __m256i ql = load32(block + 64 * h + 32 * (j % 2));
          const __m256i low = _mm256_and_si256(shift_right(ql, 4 * (j / 2)), low_mask);
          const __m256i high = _mm256_and_si256(shift_right(qh, 2 * j), high_mask);
          const __m256i q = _mm256_sub_epi8(_mm256_or_si256(low, _mm256_slli_epi16(high, 4)), offset);  // -32..31
          const int g = 8 * h + 2 * j;
          const __m256i w_lo = _mm256_mullo_epi16(low_half_i8(q), _mm256_set1_epi16(scales[g]));
          const __m256i w_hi = _mm256_mullo_epi16(high_half_i8(q), _mm256_set1_epi16(scales[g + 1]));
          const int64_t b = sb * (kQK_K / kQK) + 4 * h + j;
          acc = _mm256_fmadd_ps(_mm256_set1_ps(d * x.d[b]), dot_i16(w_lo, w_hi, &x.q[b * kQK]), acc);
        }
      }
    }
    return horizontal_sum(acc);
  }
};

#if defined(__AVX512BW__)
// AVX-512: a whole Q8_0 block in one register. Its 32 int8 become 32 int16 lanes, one madd with x's
// 32 codes gives 16 int32, and one fmadd scales them: half the instructions of the AVX2 block, whose
// two halves each need their own widening and madd. The other formats are Avx2's.
struct Avx512 : Avx2 {
  static float dot_q8_0(const std::byte* row, int64_t blocks, const QuantizedActivations& x) {
    const auto block_dot = [&](int64_t b, __m512 acc) {
      const std::byte* block = row + b * kQ8_0Bytes;
      _mm_prefetch(reinterpret_cast<const char*>(block) + 2048, _MM_HINT_T0);
      const __m512i w = _mm512_cvtepi8_epi16(load32(block + 2));
      const __m512i q = _mm512_loadu_si512(&x.q[b * kQK]);
      const __m512 dot = _mm512_cvtepi32_ps(_mm512_madd_epi16(w, q));
      return _mm512_fmadd_ps(_mm512_set1_ps(half(block) * x.d[b]), dot, acc);
    };
    return _mm512_reduce_add_ps(two_chains(blocks, _mm512_setzero_ps(), block_dot));
  }
};
#endif
#endif

// dot_int_rows with one set of kernels (Plain or Avx2): the format and row length looked up once
// per call, not per row.
template <class Kernels>
void dot_int_rows_with(const QuantizedMatrix& w, int64_t first, int64_t n, const QuantizedActivations& x, float* out) {
  assert(x.cols == w.cols);
  const int64_t blocks = w.cols / w.block_values(), row_bytes = w.row_bytes();
  const std::byte* row = w.row(first);
  // Each kernel wrapped in a lambda of its own type, so each_row is compiled once per kernel with a
  // direct (inlinable) call, as a hand-written loop per case would be.
  const auto each_row = [&](auto kernel) {
    for (int64_t i = 0; i < n; ++i) out[i] = kernel(row + i * row_bytes, blocks, x);
  };
  switch (w.type) {
    case kQ8_0: each_row([](const auto&... a) { return Kernels::dot_q8_0(a...); }); break;
    case kQ4_0: each_row([](const auto&... a) { return Kernels::template dot_q4<false>(a...); }); break;
    case kQ4_1: each_row([](const auto&... a) { return Kernels::template dot_q4<true>(a...); }); break;
    case kQ5_0: each_row([](const auto&... a) { return Kernels::dot_q5_0(a...); }); break;
    case kQ4_K: each_row([](const auto&... a) { return Kernels::dot_q4_k(a...); }); break;
    case kQ6_K: each_row([](const auto&... a) { return Kernels::dot_q6_k(a...); }); break;
    default: assert(false && "QuantizedMatrix::supports lists the types");
  }
}

}  // namespace

bool QuantizedMatrix::supports(uint32_t type) {
  return type == kQ8_0 || type == kQ4_0 || type == kQ4_1 || type == kQ5_0 || type == kQ4_K || type == kQ6_K;
}

int64_t QuantizedMatrix::block_values() const { return gguf::supported_type_traits(type)->block_size; }
int64_t QuantizedMatrix::block_bytes() const { return gguf::supported_type_traits(type)->block_bytes; }

float dot_dequantized(const QuantizedMatrix& w, int64_t row, const float* x) {
  float block[kQK_K];  // the largest block
  const int64_t n = w.block_values();
  float sum = 0.0f;
  for (int64_t b = 0; b < w.cols / n; ++b) {
    gguf::dequantize(w.type, {w.row(row) + b * w.block_bytes(), static_cast<size_t>(w.block_bytes())},
                     {block, static_cast<size_t>(n)});
    for (int64_t i = 0; i < n; ++i) sum += block[i] * x[b * n + i];
  }
  return sum;
}

namespace {
// An empty QuantizedActivations for cols values: both quantize_activations versions fill it.
QuantizedActivations sized_activations(size_t cols) {
  assert(cols % kQK == 0);
  QuantizedActivations out;
  out.cols = static_cast<int64_t>(cols);
  out.q.resize(cols);
  out.d.resize(cols / kQK);
  out.s.resize(cols / kQK);
  return out;
}
}  // namespace

QuantizedActivations quantize_activations_plain(std::span<const float> x) {
  QuantizedActivations out = sized_activations(x.size());
  const size_t blocks = x.size() / kQK;
  for (size_t b = 0; b < blocks; ++b) {
    const float* v = &x[b * kQK];
    float amax = 0.0f;
    for (int i = 0; i < kQK; ++i) amax = std::max(amax, std::abs(v[i]));
    const float d = amax / 32767.0f, inverse = d > 0.0f ? 1.0f / d : 0.0f;
    int32_t sum = 0;
    for (int i = 0; i < kQK; ++i) {
      const auto q = static_cast<int16_t>(std::lround(v[i] * inverse));  // -32767 .. 32767
      out.q[b * kQK + i] = q;
      sum += q;
    }
    out.d[b] = d;
    out.s[b] = d * static_cast<float>(sum);
  }
  return out;
}

#if defined(__AVX2__) && defined(__FMA__)
// The same numbers, 8 values per instruction: decode rounds x before every quantized product (7 per
// layer), and std::lround is a library call per value. lround rounds halves away from zero, which
// no SIMD rounding mode does, so: truncate, then add +-1 where the dropped fraction is >= 1/2 (both
// exact in fp32 for |x / d| <= 32767). The tests require q, d and s equal to the plain version's.
QuantizedActivations quantize_activations(std::span<const float> x) {
  QuantizedActivations out = sized_activations(x.size());
  const size_t blocks = x.size() / kQK;
  const __m256 sign_bit = _mm256_set1_ps(-0.0f), half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
  for (size_t b = 0; b < blocks; ++b) {
    const float* v = &x[b * kQK];
    __m256 values[4], amax8 = _mm256_setzero_ps();
    for (int k = 0; k < 4; ++k) {
      values[k] = _mm256_loadu_ps(v + 8 * k);
      amax8 = _mm256_max_ps(amax8, _mm256_andnot_ps(sign_bit, values[k]));
    }
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(amax8), _mm256_extractf128_ps(amax8, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    const float amax = _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)));
    const float d = amax / 32767.0f, inverse = d > 0.0f ? 1.0f / d : 0.0f;
    __m256i q32[4], sum = _mm256_setzero_si256();
    for (int k = 0; k < 4; ++k) {
      const __m256 scaled = _mm256_mul_ps(values[k], _mm256_set1_ps(inverse));
      const __m256 whole = _mm256_round_ps(scaled, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
      const __m256 away = _mm256_or_ps(_mm256_and_ps(scaled, sign_bit), one);  // +-1, x's sign
      const __m256 up = _mm256_cmp_ps(_mm256_andnot_ps(sign_bit, _mm256_sub_ps(scaled, whole)), half, _CMP_GE_OQ);
      q32[k] = _mm256_cvttps_epi32(_mm256_add_ps(whole, _mm256_and_ps(up, away)));
      sum = _mm256_add_epi32(sum, q32[k]);
    }
    // packs interleaves 128-bit lanes: [a0-3 b0-3 a4-7 b4-7]; the permute puts them back in order.
    for (int k = 0; k < 4; k += 2)
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(&out.q[b * kQK + 8 * k]),
                          _mm256_permute4x64_epi64(_mm256_packs_epi32(q32[k], q32[k + 1]), 0xD8));
    __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4E));
    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xB1));
    out.d[b] = d;
    out.s[b] = d * static_cast<float>(_mm_cvtsi128_si32(s4));
  }
  return out;
}
#else
QuantizedActivations quantize_activations(std::span<const float> x) { return quantize_activations_plain(x); }
#endif

void dot_int_rows(const QuantizedMatrix& w, int64_t first, int64_t n, const QuantizedActivations& x, float* out) {
#if defined(__AVX512BW__)
  dot_int_rows_with<Avx512>(w, first, n, x, out);
#elif defined(__AVX2__) && defined(__FMA__)
  dot_int_rows_with<Avx2>(w, first, n, x, out);
#else
  dot_int_rows_with<Plain>(w, first, n, x, out);
#endif
}

float dot_int(const QuantizedMatrix& w, int64_t row, const QuantizedActivations& x) {
  float out;
  dot_int_rows(w, row, 1, x, &out);
  return out;
}

float dot_int_plain(const QuantizedMatrix& w, int64_t row, const QuantizedActivations& x) {
  float out;
  dot_int_rows_with<Plain>(w, row, 1, x, &out);
  return out;
}

void dequantize_rows(const QuantizedMatrix& w, int64_t first, int64_t n, float* out) {
  gguf::dequantize(w.type, {w.row(first), static_cast<size_t>(n * w.row_bytes())},
                   {out, static_cast<size_t>(n * w.cols)});
}

}  // namespace kvlm
