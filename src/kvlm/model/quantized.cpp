// QuantizedMatrix; see quantized.hpp. The block layouts are drawn in io/gguf_quant.cpp:
//   Q8_0  [d: fp16][q: 32 x int8]                 x = d * q
//   Q4_0  [d: fp16][16 bytes of nibbles]          x = d * (q - 8)      q in 0..15
//   Q4_1  [d: fp16][m: fp16][16 bytes of nibbles] x = d * q + m
// byte j of the nibbles holds value j (low nibble) and value j + 16 (high nibble).
#include "kvlm/model/quantized.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "kvlm/io/dtype.hpp"
#include "kvlm/io/gguf_quant.hpp"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace kvlm {
namespace {

constexpr uint32_t kQ4_0 = 2, kQ4_1 = 3, kQ8_0 = 8;
constexpr int kQK = 32;  // values per block

float half(const std::byte* p) {
#if defined(__F16C__)
  return _cvtsh_ss(load_le<uint16_t>(p));  // one instruction instead of fp16_to_fp32's branches
#else
  return fp16_to_fp32(load_le<uint16_t>(p));
#endif
}

// ---- The fast path: one row of w against x, block by block, in integers.

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
// madd multiplies pairs and adds neighbours into 8 int32 (at most 2 * 128 * 32767: no overflow).
__m256 dot_i16(__m256i w_lo, __m256i w_hi, const int16_t* q) {
  const __m256i sum = _mm256_add_epi32(_mm256_madd_epi16(w_lo, load32(q)), _mm256_madd_epi16(w_hi, load32(q + 16)));
  return _mm256_cvtepi32_ps(sum);
}

// Two accumulators, even and odd blocks: each fmadd waits ~4 cycles for the one before it on the
// same accumulator, longer than the rest of a block's work; two chains hide that wait. Decode reads
// every weight once from memory, row after row: each block asks for the bytes 2 KB ahead of it
// (bench_quantized, SmolLM2's head at one thread: Q8_0 1.80 -> 1.40 ms; nearer was slower).
float dot_q8_0(const std::byte* row, int64_t blocks, const QuantizedActivations& x) {
  const auto block_dot = [&](int64_t b, __m256 acc) {
    const std::byte* block = row + b * 34;
    _mm_prefetch(reinterpret_cast<const char*>(block) + 2048, _MM_HINT_T0);
    const __m256 dot = dot_i16(_mm256_cvtepi8_epi16(load16(block + 2)), _mm256_cvtepi8_epi16(load16(block + 18)),
                               &x.q[b * kQK]);
    return _mm256_fmadd_ps(_mm256_set1_ps(half(block) * x.d[b]), dot, acc);
  };
  __m256 even = _mm256_setzero_ps(), odd = _mm256_setzero_ps();
  int64_t b = 0;
  for (; b + 1 < blocks; b += 2) {
    even = block_dot(b, even);
    odd = block_dot(b + 1, odd);
  }
  if (b < blocks) even = block_dot(b, even);
  return horizontal_sum(_mm256_add_ps(even, odd));
}

// Q4_0 is Q4_1 with m = -8 d: x = d * q + m either way, and sum(m * x_i) = m * s.
// Byte j holds values j (low nibble) and j + 16 (high): widened to 16 bits, lane j is that byte, so
// `& 0x0F` gives values 0..15 and `>> 4` values 16..31, each in the lane its x is multiplied in.
// A row is only 18 blocks of SmolLM2, so the per-block scalar work counts: Q4_1's d and m, adjacent
// in the block, are widened by one instruction.
template <bool kHasMin>
float dot_q4(const std::byte* row, int64_t blocks, const QuantizedActivations& x) {
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
  __m256 even = _mm256_setzero_ps(), odd = _mm256_setzero_ps();
  int64_t b = 0;
  for (; b + 1 < blocks; b += 2) {
    even = block_dot(b, even);
    odd = block_dot(b + 1, odd);
  }
  if (b < blocks) even = block_dot(b, even);
  return horizontal_sum(_mm256_add_ps(even, odd)) + offsets;
}

#else  // The same sums in plain C++ for CPUs without AVX2.

float dot_q8_0(const std::byte* row, int64_t blocks, const QuantizedActivations& x) {
  float sum = 0.0f;
  for (int64_t b = 0; b < blocks; ++b) {
    const std::byte* block = row + b * 34;
    const auto* w = reinterpret_cast<const int8_t*>(block + 2);
    int32_t dot = 0;
    for (int i = 0; i < kQK; ++i) dot += w[i] * x.q[b * kQK + i];
    sum += half(block) * x.d[b] * static_cast<float>(dot);
  }
  return sum;
}

template <bool kHasMin>
float dot_q4(const std::byte* row, int64_t blocks, const QuantizedActivations& x) {
  constexpr int64_t block_bytes = kHasMin ? 20 : 18;
  float sum = 0.0f;
  for (int64_t b = 0; b < blocks; ++b) {
    const std::byte* block = row + b * block_bytes;
    const float d = half(block), m = kHasMin ? half(block + 2) : -8.0f * d;
    const auto* qs = reinterpret_cast<const uint8_t*>(block + (kHasMin ? 4 : 2));
    const int16_t* q = &x.q[b * kQK];
    int32_t dot = 0;
    for (int j = 0; j < kQK / 2; ++j) dot += (qs[j] & 0x0F) * q[j] + (qs[j] >> 4) * q[j + kQK / 2];
    sum += d * x.d[b] * static_cast<float>(dot) + m * x.s[b];
  }
  return sum;
}

#endif

}  // namespace

bool QuantizedMatrix::supports(uint32_t type) { return type == kQ8_0 || type == kQ4_0 || type == kQ4_1; }

int64_t QuantizedMatrix::block_bytes() const { return gguf::supported_type_traits(type)->block_bytes; }

float dot_dequantized(const QuantizedMatrix& w, int64_t row, const float* x) {
  float block[kQK];
  float sum = 0.0f;
  for (int64_t b = 0; b < w.cols / kQK; ++b) {
    gguf::dequantize(w.type, {w.row(row) + b * w.block_bytes(), static_cast<size_t>(w.block_bytes())}, block);
    for (int i = 0; i < kQK; ++i) sum += block[i] * x[b * kQK + i];
  }
  return sum;
}

QuantizedActivations quantize_activations(std::span<const float> x) {
  assert(x.size() % kQK == 0);
  QuantizedActivations out;
  out.cols = static_cast<int64_t>(x.size());
  const size_t blocks = x.size() / kQK;
  out.q.resize(x.size());
  out.d.resize(blocks);
  out.s.resize(blocks);
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

void dot_int_rows(const QuantizedMatrix& w, int64_t first, int64_t n, const QuantizedActivations& x, float* out) {
  assert(x.cols == w.cols);
  const int64_t blocks = w.cols / kQK, row_bytes = w.row_bytes();
  const std::byte* row = w.row(first);
  switch (w.type) {
    case kQ8_0:
      for (int64_t i = 0; i < n; ++i) out[i] = dot_q8_0(row + i * row_bytes, blocks, x);
      break;
    case kQ4_0:
      for (int64_t i = 0; i < n; ++i) out[i] = dot_q4<false>(row + i * row_bytes, blocks, x);
      break;
    default:
      for (int64_t i = 0; i < n; ++i) out[i] = dot_q4<true>(row + i * row_bytes, blocks, x);
  }
}

float dot_int(const QuantizedMatrix& w, int64_t row, const QuantizedActivations& x) {
  float out;
  dot_int_rows(w, row, 1, x, &out);
  return out;
}

void dequantize_rows(const QuantizedMatrix& w, int64_t first, int64_t n, float* out) {
  gguf::dequantize(w.type, {w.row(first), static_cast<size_t>(n * w.row_bytes())},
                   {out, static_cast<size_t>(n * w.cols)});
}

}  // namespace kvlm
