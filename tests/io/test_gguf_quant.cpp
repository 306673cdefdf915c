// Block dequantization (Q8_0, Q4_0, Q4_1, Q5_0, Q2_K..Q6_K, BF16, F16) against gguf-py's own dequantize.
// Not a test of the file parser's error paths: test_gguf_corrupt.cpp does that.
#include <gtest/gtest.h>

#include <cmath>

#include "kvlm/error.hpp"
#include "kvlm/io/dtype.hpp"
#include "kvlm/io/gguf.hpp"
#include "kvlm/io/gguf_quant.hpp"
#include "paths.hpp"

namespace kvlm::gguf {
namespace {

// data/gguf/quant_golden.gguf (scripts/reference/make_gguf_fixtures.py) holds, for each type T,
// a tensor "t" of 4 rows in type T (96 values a row; 256 for the K-quants, random bytes with finite
// scales since gguf-py cannot quantize them) and "t.expected": gguf.quants.dequantize of the same bytes.
class QuantGolden : public ::testing::TestWithParam<const char*> {};

TEST_P(QuantGolden, MatchesGgufPyDequantizeExactly) {
  const GgufFile file(test::data_dir() / "gguf" / "quant_golden.gguf");
  const std::string name = GetParam();
  const TensorInfo* quantized = file.find_tensor(name);
  const TensorInfo* expected = file.find_tensor(name + ".expected");
  ASSERT_TRUE(quantized && expected);
  EXPECT_EQ(quantized->ne, expected->ne);
  const std::vector<float> got = file.read_fp32(*quantized);
  const std::vector<float> want = file.read_fp32(*expected);
  ASSERT_EQ(got.size(), want.size());
  // Exact: both sides compute fp16(d) * q (+ fp16(m)) in fp32, the same operations in the same order
  // (K-quants: (d * scale) * q - dmin * min, as gguf-py's quants.py groups them).
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << name << "[" << i << "]";
    } else {
      EXPECT_EQ(got[i], want[i]) << name << "[" << i << "]";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Types, QuantGolden, ::testing::Values("q8_0", "q4_0", "q4_1", "q5_0", "q2_k", "q3_k", "q4_k",
                                                          "q5_k", "q6_k", "bf16", "f16"));

TEST(GgufQuant, BlockSizesAreGgmls) {
  // ggml's block structs: block_q8_0 = 2 + 32, block_q4_0 = 2 + 16, block_q4_1 = 2 + 2 + 16,
  // block_q5_0 = 2 + 4 + 16 bytes.
  EXPECT_EQ(supported_type_traits(8)->block_bytes, 34);
  EXPECT_EQ(supported_type_traits(6)->block_bytes, 22);
  EXPECT_EQ(supported_type_traits(2)->block_bytes, 18);
  EXPECT_EQ(supported_type_traits(3)->block_bytes, 20);
  EXPECT_EQ(supported_type_traits(3)->block_size, 32);
  // ggml-common.h's K-quant super-blocks of QK_K = 256 values: block_q2_K = 16 + 64 + 2 + 2,
  // block_q3_K = 32 + 64 + 12 + 2, block_q4_K = 2 + 2 + 12 + 128, block_q5_K = 2 + 2 + 12 + 32 + 128,
  // block_q6_K = 128 + 64 + 16 + 2 bytes.
  const std::pair<uint32_t, int64_t> k_quants[] = {{10, 84}, {11, 110}, {12, 144}, {13, 176}, {14, 210}};
  for (const auto& [id, bytes] : k_quants) {
    ASSERT_NE(supported_type_traits(id), nullptr) << ggml_type_name(id);
    EXPECT_EQ(supported_type_traits(id)->block_size, 256);
    EXPECT_EQ(supported_type_traits(id)->block_bytes, bytes) << ggml_type_name(id);
  }
  EXPECT_EQ(supported_type_traits(16), nullptr);  // IQ2_XXS: not supported
  EXPECT_EQ(ggml_type_name(12), "Q4_K");
  EXPECT_EQ(ggml_type_name(999), "type 999");
}

TEST(GgufQuant, Q4_1HandBuiltBlock) {
  // d = 0.5, m = -1.0; byte j = (hi << 4) | lo with lo = j, hi = 15 - j.
  std::vector<std::byte> block(20);
  const uint16_t d = 0x3800, m = 0xBC00;  // fp16 0.5 and -1.0
  std::memcpy(block.data(), &d, 2);
  std::memcpy(block.data() + 2, &m, 2);
  for (int j = 0; j < 16; ++j) block[4 + j] = static_cast<std::byte>(((15 - j) << 4) | j);
  std::vector<float> out(32);
  dequantize(3, block, out);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(out[j], 0.5f * j - 1.0f);
    EXPECT_EQ(out[j + 16], 0.5f * (15 - j) - 1.0f);
  }
}

// kvlm's quantizer against gguf-py's: quant_golden.gguf's "source" values, quantized by gguf-py into
// q8_0 / q4_0 / q4_1. Quantizing them here must give blocks that dequantize to exactly the same
// values, i.e. the same fp16 scales and the same 4/8-bit steps (the zero block and the all-positive
// block included).
TEST(GgufQuant, QuantizeMatchesGgufPy) {
  const GgufFile file(test::data_dir() / "gguf" / "quant_golden.gguf");
  const TensorInfo* source = file.find_tensor("source");
  ASSERT_TRUE(source) << "regenerate quant_golden.gguf with scripts/reference/make_gguf_fixtures.py";
  const std::vector<float> x = file.read_fp32(*source);
  for (const auto& [name, type] : {std::pair{"q8_0", 8u}, {"q4_0", 2u}, {"q4_1", 3u}}) {
    const TypeTraits* t = supported_type_traits(type);
    std::vector<std::byte> blocks(x.size() / t->block_size * t->block_bytes);
    quantize(type, x, blocks);
    std::vector<float> ours(x.size());
    dequantize(type, blocks, ours);
    EXPECT_EQ(ours, file.read_fp32(*file.find_tensor(name))) << name;
  }
}

TEST(GgufQuant, QuantizeRefusesWhatItCannotWrite) {
  std::vector<float> x(48);
  std::vector<std::byte> out(64);
  EXPECT_THROW(quantize(8, x, out), Error);   // 48 values are not whole blocks of 32
  EXPECT_THROW(quantize(12, std::span(x).first(32), out), Error);  // Q4_K: kvlm does not search K-quant scales
}

// fp32 -> fp16 rounds to nearest even: every half survives the round trip, and a value halfway
// between two halves goes to the even one (as numpy's astype(float16)).
TEST(GgufQuant, Fp32ToFp16RoundsToNearestEven) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7C00) == 0x7C00 && (h & 0x3FF)) continue;  // NaN payloads
    ASSERT_EQ(fp32_to_fp16(fp16_to_fp32(static_cast<uint16_t>(h))), h) << std::hex << h;
  }
  EXPECT_EQ(fp32_to_fp16(1.0f + 0x1p-11f), 0x3C00);      // halfway to the next half: stays even
  EXPECT_EQ(fp32_to_fp16(1.0f + 3 * 0x1p-11f), 0x3C02);  // halfway from an odd one: rounds up
  EXPECT_EQ(fp32_to_fp16(65519.0f), 0x7BFF);             // below the halfway point to 65536
  EXPECT_EQ(fp32_to_fp16(65520.0f), 0x7C00);             // overflows to infinity
  EXPECT_EQ(fp32_to_fp16(0x1p-25f), 0x0000);             // half the smallest subnormal: to even (0)
  EXPECT_EQ(fp32_to_fp16(0x1p-25f * 3), 0x0002);         // 1.5 units: to even (2)
  EXPECT_EQ(fp32_to_fp16(-0.0f), 0x8000);
}

TEST(GgufQuant, HalfFloats) {
  EXPECT_EQ(fp16_to_fp32(0x3C00), 1.0f);
  EXPECT_EQ(fp16_to_fp32(0x7BFF), 65504.0f);
  EXPECT_EQ(fp16_to_fp32(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_TRUE(std::isinf(fp16_to_fp32(0xFC00)));
  EXPECT_EQ(bf16_to_fp32(0x3F80), 1.0f);
  EXPECT_EQ(bf16_to_fp32(0xC020), -2.5f);
}

}  // namespace
}  // namespace kvlm::gguf
