// Tests exercise 1 of chapter 08 (dot_dequantized) on blocks written byte by byte here, with the
// answers worked out by hand in the comments: not against kvlm's own product.
#include <gtest/gtest.h>

#include <cstddef>
#include <vector>

#include "common/exercise_test.hpp"
#include "exercises.hpp"

namespace kvlm::exercises {
namespace {

constexpr uint32_t kQ4_0 = 2, kQ4_1 = 3, kQ8_0 = 8;
// fp16 bit patterns: 0x3800 = 0.5, 0x3C00 = 1.0, 0xBC00 = -1.0, 0x4000 = 2.0.
constexpr uint16_t kHalf = 0x3800, kOne = 0x3C00, kMinusOne = 0xBC00, kTwo = 0x4000;

void put_fp16(std::vector<std::byte>& bytes, size_t at, uint16_t h) {
  bytes[at] = std::byte(h & 0xFF);  // little-endian
  bytes[at + 1] = std::byte(h >> 8);
}

QuantizedMatrix matrix(uint32_t type, int64_t rows, int64_t cols, const std::vector<std::byte>& bytes) {
  return QuantizedMatrix{type, rows, cols, bytes.data(), nullptr};
}

std::vector<float> ones(int n) { return std::vector<float>(n, 1.0f); }

TEST(DotDequantized, Q8_0TwoBlocksInARow) {
  // Block 0: d = 0.5, q = [1, -2, 3, 0 ...] -> values 0.5, -1, 1.5; block 1: d = 2, q[31] = 127 -> 254.
  std::vector<std::byte> b(2 * 34, std::byte{0});
  put_fp16(b, 0, kHalf);
  b[2] = std::byte(1), b[3] = std::byte(uint8_t(-2)), b[4] = std::byte(3);
  put_fp16(b, 34, kTwo);
  b[34 + 2 + 31] = std::byte(127);
  std::vector<float> x = ones(64);
  x[1] = 10.0f;  // value 1 (-1) counts ten times
  // 0.5 * 1 + (-1) * 10 + 1.5 * 1 + 254 * 1 = 246
  EXPECT_FLOAT_EQ(exercises::dot_dequantized(matrix(kQ8_0, 1, 64, b), 0, x.data()), 246.0f);
}

TEST(DotDequantized, Q4_0NibblesAndTheirOffsetOf8) {
  // d = 1; every byte 0x88 makes every nibble 8, i.e. value 0. Byte 0 = 0x9A: nibble 0 = 0xA -> 10 - 8
  // = 2 (value 0), nibble 16 = 0x9 -> 1 (value 16). x[i] = i + 1: 2 * 1 + 1 * 17 = 19.
  std::vector<std::byte> b(18, std::byte{0x88});
  put_fp16(b, 0, kOne);
  b[2] = std::byte{0x9A};
  std::vector<float> x(32);
  for (int i = 0; i < 32; ++i) x[i] = static_cast<float>(i + 1);
  EXPECT_FLOAT_EQ(exercises::dot_dequantized(matrix(kQ4_0, 1, 32, b), 0, x.data()), 19.0f);
}

TEST(DotDequantized, Q4_1ScaleAndMinimum) {
  // d = 0.5, m = -1: nibble 0 -> -1. Every byte 0 but byte 3 = 0xF0: nibble 3 = 0 (-1), nibble 19 = 15
  // -> 0.5 * 15 - 1 = 6.5. With x all ones: 31 * (-1) + 6.5 = -24.5.
  std::vector<std::byte> b(20, std::byte{0});
  put_fp16(b, 0, kHalf);
  put_fp16(b, 2, kMinusOne);
  b[4 + 3] = std::byte{0xF0};
  EXPECT_FLOAT_EQ(exercises::dot_dequantized(matrix(kQ4_1, 1, 32, b), 0, ones(32).data()), -24.5f);
}

TEST(DotDequantized, TheRowArgumentPicksTheRow) {
  // Two Q4_1 rows of one block: row 0 all values m = 1 (d = 0.5, nibbles 0); row 1 all 0.5 * 2 + 1 = 2.
  std::vector<std::byte> b(40, std::byte{0});
  put_fp16(b, 0, kHalf), put_fp16(b, 2, kOne);
  put_fp16(b, 20, kHalf), put_fp16(b, 22, kOne);
  for (int j = 0; j < 16; ++j) b[24 + j] = std::byte{0x22};
  const QuantizedMatrix w = matrix(kQ4_1, 2, 32, b);
  EXPECT_FLOAT_EQ(exercises::dot_dequantized(w, 0, ones(32).data()), 32.0f);
  EXPECT_FLOAT_EQ(exercises::dot_dequantized(w, 1, ones(32).data()), 64.0f);
}

}  // namespace
}  // namespace kvlm::exercises
