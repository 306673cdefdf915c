// Chapter 08 exercises: fill in dot_dequantized (exercise 1) and quantize_activations (exercise 2).
// Not graded by reading: test_dot_dequantized.cpp and test_quantize_activations.cpp check hand-worked blocks.
#include <stdexcept>

#include "exercises.hpp"
#include "kvlm/io/dtype.hpp"  // fp16_to_fp32 and load_le<uint16_t>, for the blocks' fp16 scales

namespace kvlm::exercises {

// Exercise 1. The layouts (io/gguf_quant.cpp draws them), 32 values per block, blocks back to back:
//   Q8_0 (type 8), 34 bytes: [d: fp16][q: 32 x int8]                  value i = d * q[i]
//   Q4_0 (type 2), 18 bytes: [d: fp16][16 bytes]                      value i = d * (nibble i - 8)
//   Q4_1 (type 3), 20 bytes: [d: fp16][m: fp16][16 bytes]             value i = d * nibble i + m
// where byte j of the 16 holds nibble j in its low 4 bits and nibble j + 16 in its high 4 bits.
// 1. For each block b of the row (w.cols / 32 of them, starting at w.row(row) + b * w.block_bytes()):
// 2.   read d (and m) with fp16_to_fp32(load_le<uint16_t>(pointer));
// 3.   for i in 0..31: sum += value i * x[32 b + i].
// Decode the bytes yourself: calling gguf::dequantize would skip the lesson.
float dot_dequantized(const QuantizedMatrix& w, int64_t row, const float* x) {
  (void)w;
  (void)row;
  (void)x;
  throw std::logic_error("exercise: not implemented: dot_dequantized (chapters/08_quantization/exercises/quantized.cpp)");
}

// Exercise 2. out.cols = x.size(); out.q, out.d, out.s sized x.size(), x.size() / 32, x.size() / 32.
// For each block of 32: amax = max |x|, d = amax / 32767, q = round(x * (1 / d)) (std::lround; 0 if d
// is 0), s = d * (sum of the block's q).
QuantizedActivations quantize_activations(std::span<const float> x) {
  (void)x;
  throw std::logic_error(
      "exercise: not implemented: quantize_activations (chapters/08_quantization/exercises/quantized.cpp)");
}

}  // namespace kvlm::exercises
