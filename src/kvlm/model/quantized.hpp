// QuantizedMatrix (chapter 08): a weight kept as the GGUF file stores it, in ggml blocks (Q8_0, Q4_0,
// Q4_1, Q5_0 of 32 values; the K-quants Q4_K and Q6_K of 256), read in place from the mapped file, and the
// two ways to multiply it by a vector:
//   - dot_dequantized, the readable twin: widen one block to floats, dot it with x, next block;
//   - dot_int, the fast path: x is first rounded to 16-bit integer blocks of 32 of its own (once per
//     product), and each 32 values of the weight become one integer dot product with x's block (AVX2
//     where the CPU has it; AVX-512 for Q8_0), scaled once. A K-quant's sub-blocks line up with x's blocks: Q4_K's 8
//     sub-blocks of 32 one to one, Q6_K's 16 of 16 two to one.
// Tests hold the fast one to the readable one within the bound that rounding x to 16 bits allows.
//
// Why 16 bits for x, where llama.cpp rounds x to 8 (Q8_0/Q8_1/Q8_K): on SmolLM2-135M, 8-bit activations
// moved the logits by up to 2.1 (KL 0.0064 from the fp32 path, top-1 agreement 86%) and turned its
// chat answer "The capital of France is Paris." into "L'Etoile, la Marseillaise, ...", while 16 bits
// move them by at most 0.009 (on logits up to 38) at the same speed on AVX2: _mm256_madd_epi16 does
// 16 multiply-adds per instruction where maddubs does 32, but a row's loop is not bound by multiplies.
// Not a quantizer for files (io/gguf_quant.hpp writes blocks) and not a GEMM: linear() uses these.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace kvlm {

struct QuantizedMatrix {
  uint32_t type = 0;                 // ggml type id: 8 Q8_0, 2 Q4_0, 3 Q4_1, 6 Q5_0, 12 Q4_K, 14 Q6_K
  int64_t rows = 0, cols = 0;        // [out, in] as HF's weight; cols a multiple of block_values()
  const std::byte* data = nullptr;   // rows * row_bytes() bytes, row after row, as in the file
  std::shared_ptr<const void> owner;  // keeps `data` alive: the mapped file

  // The ggml types kept quantized in memory (other types are widened to fp32 at load).
  static bool supports(uint32_t type);
  int64_t block_values() const;  // 32, or 256 for the K-quants
  int64_t block_bytes() const;   // 34 (Q8_0), 18 (Q4_0), 20 (Q4_1), 22 (Q5_0), 144 (Q4_K), 210 (Q6_K)
  int64_t row_bytes() const { return cols / block_values() * block_bytes(); }
  size_t bytes() const { return static_cast<size_t>(rows * row_bytes()); }
  const std::byte* row(int64_t r) const { return data + r * row_bytes(); }
};

// The readable twin: sum over the row's blocks of dot(dequantize(block), the block's span of x).
// x has w.cols values. Computes exactly what the fp32 path computes on the dequantized matrix.
float dot_dequantized(const QuantizedMatrix& w, int64_t row, const float* x);

// x rounded to 16 bits for the fast path, in blocks of 32 like the weights', with fp32 scales:
//   x[i] ~ d[b] * q[i],  d[b] = max|x in block b| / 32767,  q[i] = round(x[i] / d[b]) in -32767..32767,
// and s[b] = d[b] * (sum of block b's q), which the offsets of Q4_0, Q4_1, Q5_0 and Q4_K multiply.
struct QuantizedActivations {
  int64_t cols = 0;
  std::vector<int16_t> q;  // cols
  std::vector<float> d;   // cols / 32
  std::vector<float> s;   // cols / 32
};
QuantizedActivations quantize_activations(std::span<const float> x);  // x.size() a multiple of 32
// The same rounding written value by value (std::lround): the readable twin, and what
// quantize_activations computes on CPUs without AVX2. The tests require identical results.
QuantizedActivations quantize_activations_plain(std::span<const float> x);

// The fast path: sum over blocks of d_w * d_x * (integer dot of the two blocks' q), plus the
// format's offset term. Its only approximation is x's rounding: each x[i] moves by at most d_x / 2.
float dot_int(const QuantizedMatrix& w, int64_t row, const QuantizedActivations& x);
// dot_int of rows [first, first + n) into out[0 .. n): linear()'s loop, with the row's format and
// length looked up once instead of per row (SmolLM2's rows are only 18 blocks long).
void dot_int_rows(const QuantizedMatrix& w, int64_t first, int64_t n, const QuantizedActivations& x, float* out);
// The same integer sums in plain C++: what dot_int runs on CPUs without AVX2, and what the tests
// hold the AVX2 kernels to (equal up to the order of the fp32 additions).
float dot_int_plain(const QuantizedMatrix& w, int64_t row, const QuantizedActivations& x);

// Widens rows [first, first + n) to fp32 into out [n, cols], row-major (prefill's tiles, embeddings).
void dequantize_rows(const QuantizedMatrix& w, int64_t first, int64_t n, float* out);

}  // namespace kvlm
