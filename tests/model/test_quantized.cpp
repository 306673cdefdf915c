// Chapter 08: weights kept in Q8_0/Q4_0/Q4_1/Q5_0/Q4_K/Q6_K blocks. The references, in order of trust:
//   - the blocks' values: gguf::dequantize, bit-exact against gguf-py (tests/io/test_gguf_quant.cpp);
//   - the readable twin (dot_dequantized) against a float64 dot of those values;
//   - the fast integer path against that float64 dot and the twin, within the bound its one
//     approximation allows, and its AVX2 kernels against the plain C++ ones (dot_int_plain);
//   - whole models on their quantized path against the same file widened to fp32 (--dequantize),
//     which the GGUF suites verify against HF; and the chapter 06 equivalences on the quantized path.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "kvlm/error.hpp"
#include "kvlm/cache/contiguous.hpp"
#include "kvlm/generate/generate.hpp"
#include "kvlm/io/dtype.hpp"
#include "kvlm/io/gguf.hpp"
#include "kvlm/io/gguf_quant.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/model/linear.hpp"
#include "kvlm/model/quantized.hpp"
#include "kvlm/model/transformer.hpp"
#include "fixtures.hpp"
#include "paths.hpp"

namespace kvlm {
namespace {

constexpr uint32_t kQ4_0 = 2, kQ4_1 = 3, kQ5_0 = 6, kQ8_0 = 8, kQ4_K = 12, kQ6_K = 14;
constexpr bool kvlm_quantizes(uint32_t type) { return type == kQ8_0 || type == kQ4_0 || type == kQ4_1; }

// A weight of `rows` rows of `blocks_per_row` blocks of `type`. Q8_0/Q4_0/Q4_1: random values
// quantized by gguf::quantize (ggml's rounding). Q5_0 and the K-quants, which kvlm does not quantize:
// random bytes (every bit pattern is a valid block) with each fp16 scale (Q5_0's d, Q4_K's d and
// dmin, Q6_K's d) set to a finite random value of either sign, as quant_golden.gguf's K-quants are.
struct Blocks {
  std::vector<std::byte> bytes;
  QuantizedMatrix m;
};
// Where a block of `type` keeps its fp16 scales (d, and m or dmin where the format has one).
std::vector<int> scale_offsets(uint32_t type) {
  if (type == kQ4_1 || type == kQ4_K) return {0, 2};
  if (type == kQ6_K) return {208};
  return {0};
}
Blocks random_blocks(uint32_t type, int64_t rows, int64_t blocks_per_row, uint32_t seed) {
  std::mt19937 rng(seed);
  Blocks b;
  b.m = QuantizedMatrix{type, rows, blocks_per_row * gguf::supported_type_traits(type)->block_size, nullptr, nullptr};
  b.bytes.resize(b.m.bytes());
  if (!kvlm_quantizes(type)) {
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_real_distribution<float> scale(-0.01f, 0.01f);
    for (std::byte& v : b.bytes) v = static_cast<std::byte>(byte(rng));
    for (size_t block = 0; block < b.bytes.size(); block += b.m.block_bytes())
      for (int offset : scale_offsets(type)) {
        const uint16_t h = fp32_to_fp16(scale(rng));
        std::memcpy(&b.bytes[block + offset], &h, 2);
      }
  } else {
    std::normal_distribution<float> normal(0.0f, 0.05f);
    std::vector<float> values(b.m.rows * b.m.cols);
    for (float& v : values) v = normal(rng);
    gguf::quantize(type, values, b.bytes);
  }
  b.m.data = b.bytes.data();
  return b;
}

std::vector<float> random_vector(int64_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> x(n);
  for (float& v : x) v = normal(rng);
  return x;
}

// The row's values as gguf::dequantize gives them (the bit-exact reference).
std::vector<float> row_values(const QuantizedMatrix& w, int64_t r) {
  std::vector<float> out(w.cols);
  gguf::dequantize(w.type, {w.row(r), static_cast<size_t>(w.row_bytes())}, out);
  return out;
}

// The size of the terms the fast path adds in fp32, per value of the row: |w_i|, except for Q4_K,
// whose w_i = (d * scale) * q - dmin * min is summed as its two parts (which may nearly cancel):
// |(d * scale) * q| + |dmin * min|, found by widening the row again with dmin set to 0.
std::vector<float> term_sizes(const QuantizedMatrix& w, int64_t r) {
  std::vector<float> v = row_values(w, r);
  if (w.type != kQ4_K) {
    for (float& x : v) x = std::abs(x);
    return v;
  }
  std::vector<std::byte> no_min(w.row(r), w.row(r) + w.row_bytes());
  for (size_t block = 0; block < no_min.size(); block += w.block_bytes()) std::memset(&no_min[block + 2], 0, 2);
  std::vector<float> scaled(w.cols);
  gguf::dequantize(w.type, no_min, scaled);
  for (int64_t i = 0; i < w.cols; ++i) v[i] = std::abs(scaled[i]) + std::abs(scaled[i] - v[i]);
  return v;
}

// The fast path's fp32 rounding, as a fraction of the magnitude of its terms (sum |term_i x_i|):
// its integer sums are exact (quantized.cpp bounds them), then each block's scale d_w * d_x, the
// int32 -> float conversion, the offset term and the final horizontal sum round a few times, and each
// add into accumulators of at most cols / 32 terms once: at most cols / 32 + 8 roundings of 2^-24.
double fast_path_rounding(int64_t cols) { return static_cast<double>(cols / 32 + 8) * 0x1p-24; }

class QuantizedFormat : public ::testing::TestWithParam<uint32_t> {};

TEST_P(QuantizedFormat, ReadableTwinIsTheDotOfTheDequantizedRow) {
  const Blocks w = random_blocks(GetParam(), 9, 3, 1);
  const std::vector<float> x = random_vector(w.m.cols, 2);
  for (int64_t r = 0; r < w.m.rows; ++r) {
    const std::vector<float> v = row_values(w.m, r);
    double want = 0, magnitude = 0;
    for (int64_t i = 0; i < w.m.cols; ++i) want += double(v[i]) * x[i], magnitude += std::abs(double(v[i]) * x[i]);
    // fp32 accumulation over cols terms: each add rounds by at most 2^-24 of the running magnitude.
    EXPECT_NEAR(dot_dequantized(w.m, r, x.data()), want, w.m.cols * 0x1p-24 * magnitude) << "row " << r;
  }
}

TEST_P(QuantizedFormat, FastPathWithinTheBoundOfRoundingXTo16Bits) {
  // 7 rows of 5 blocks, on activations with an outlier (as real hidden states have): the outlier's
  // block gets a coarse step and must still stay within the bound.
  const Blocks w = random_blocks(GetParam(), 7, 5, 3);
  std::vector<float> x = random_vector(w.m.cols, 4);
  x[37] = 25.0f;
  const QuantizedActivations xq = quantize_activations(x);
  for (int64_t r = 0; r < w.m.rows; ++r) {
    const std::vector<float> v = row_values(w.m, r), terms = term_sizes(w.m, r);
    // Against the exact dot of the row's values (float64): rounding moves each x[i] by at most half
    // its block's step d_x / 2, so the dot moves by at most sum |w_i| d_x / 2; plus fp32 rounding.
    double want = 0, bound = 0, magnitude = 0;
    for (int64_t i = 0; i < w.m.cols; ++i) {
      want += double(v[i]) * x[i];
      bound += std::abs(v[i]) * xq.d[i / 32] / 2;
      magnitude += std::abs(double(terms[i]) * x[i]);
    }
    EXPECT_NEAR(dot_int(w.m, r, xq), want, bound + fast_path_rounding(w.m.cols) * magnitude) << "row " << r;
    // And against the readable twin, whose own fp32 sum adds at most cols roundings.
    const double twin_rounding = static_cast<double>(w.m.cols) * 0x1p-24 * magnitude;
    EXPECT_NEAR(dot_int(w.m, r, xq), dot_dequantized(w.m, r, x.data()),
                bound + fast_path_rounding(w.m.cols) * magnitude + twin_rounding) << "row " << r;
    EXPECT_NE(dot_int(w.m, r, xq), 0.0f);  // not vacuous: a real product
  }
}

TEST_P(QuantizedFormat, Avx2KernelsMatchThePlainOnes) {
  // The same integer sums (exact in both), scaled and added in fp32 in another order: each within
  // fast_path_rounding of the exact sum. Where the build has no AVX2, dot_int is dot_int_plain.
  const Blocks w = random_blocks(GetParam(), 16, 4, 8);
  std::vector<float> x = random_vector(w.m.cols, 9);
  x[70] = -40.0f;
  const QuantizedActivations xq = quantize_activations(x);
  for (int64_t r = 0; r < w.m.rows; ++r) {
    const std::vector<float> terms = term_sizes(w.m, r);
    double magnitude = 0;
    for (int64_t i = 0; i < w.m.cols; ++i) magnitude += std::abs(double(terms[i]) * x[i]);
    const double allowed = 2 * fast_path_rounding(w.m.cols) * magnitude;
    EXPECT_NEAR(dot_int(w.m, r, xq), dot_int_plain(w.m, r, xq), allowed) << "row " << r;
  }
}

TEST_P(QuantizedFormat, ExtremeBlocksDoNotOverflow) {
  // The largest integer sums the kernels can meet: every x at 32767 (all x equal) and every byte of
  // the weight but its fp16 scales 0xFF, 0x00 or 0x80, which puts q and the small scales at their
  // extremes, all products of one sign (Q4_K 0xFF: q = 15, scale and min 63; Q6_K 0x80: mostly
  // q = -32 with scales -128, |scale * q| = 4096 as quantized.cpp's bound assumes).
  for (const uint8_t fill : {uint8_t{0xFF}, uint8_t{0x00}, uint8_t{0x80}}) {
    Blocks w = random_blocks(GetParam(), 2, 2, 10);
    for (size_t block = 0; block < w.bytes.size(); block += w.m.block_bytes()) {
      std::memset(&w.bytes[block], fill, w.m.block_bytes());
      for (int offset : scale_offsets(GetParam())) {
        const uint16_t h = fp32_to_fp16(0.001f);
        std::memcpy(&w.bytes[block + offset], &h, 2);
      }
    }
    const std::vector<float> x(w.m.cols, 1.0f);  // q = 32767 everywhere, d_x = fp32(1 / 32767)
    const QuantizedActivations xq = quantize_activations(x);
    for (int64_t r = 0; r < w.m.rows; ++r) {
      const std::vector<float> v = row_values(w.m, r), terms = term_sizes(w.m, r);
      double want = 0, magnitude = 0;
      for (int64_t i = 0; i < w.m.cols; ++i) {
        want += double(v[i]) * x[i];
        magnitude += std::abs(double(terms[i]) * x[i]);
      }
      // An overflow would be off by ~2^32; only fp32 rounding remains (d_x = fp32(1 / 32767) moves x
      // by 2^-24 of itself, one more rounding).
      const double allowed = (fast_path_rounding(w.m.cols) + 0x1p-24) * magnitude;
      EXPECT_NEAR(dot_int(w.m, r, xq), want, allowed) << "fill " << int(fill) << " row " << r;
      EXPECT_NEAR(dot_int_plain(w.m, r, xq), want, allowed) << "fill " << int(fill) << " row " << r;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, QuantizedFormat, ::testing::Values(kQ8_0, kQ4_0, kQ4_1, kQ5_0, kQ4_K, kQ6_K),
                         [](const auto& info) { return gguf::ggml_type_name(info.param); });

TEST(QuantizeActivations, OneHandWorkedBlock) {
  // max |x| = 3.2767, so d = 0.0001 and q = round(x / 0.0001): 32767, -10000, 3 (3.4), 0 (0.2).
  std::vector<float> x(32, 0.0f);
  x[0] = 3.2767f, x[1] = -1.0f, x[2] = 0.00034f, x[3] = 0.00002f;
  const QuantizedActivations q = quantize_activations(x);
  EXPECT_FLOAT_EQ(q.d[0], 0.0001f);
  EXPECT_EQ(q.q[0], 32767);
  EXPECT_EQ(q.q[1], -10000);
  EXPECT_EQ(q.q[2], 3);
  EXPECT_EQ(q.q[3], 0);
  EXPECT_FLOAT_EQ(q.s[0], 0.0001f * (32767 - 10000 + 3));
  // An all-zero block has step 0 and quantizes to zeros, not NaN.
  const QuantizedActivations z = quantize_activations(std::vector<float>(32, 0.0f));
  EXPECT_EQ(z.d[0], 0.0f);
  EXPECT_EQ(z.q[5], 0);
}

// The AVX2 rounding (truncate, then +-1 where the fraction is >= 1/2) against std::lround value by
// value: identical q, d and s, on random blocks of every scale and on exact halves, where rounding
// to even (the SIMD default) would differ.
TEST(QuantizeActivations, FastEqualsPlain) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(32 * 64);
  for (size_t i = 0; i < x.size(); ++i) x[i] = normal(rng) * std::ldexp(1.0f, static_cast<int>(i / 32) % 24 - 12);
  // Block 0: max 32767, so d = 1 and x / d is x itself: halves of both signs, and zeros.
  const float halves[] = {32767.0f, 2.5f, -2.5f, 0.5f, -0.5f, 3.5f, -32766.5f, 1.49999988f, 0.0f, -0.0f};
  std::copy(std::begin(halves), std::end(halves), x.begin());
  std::fill(x.begin() + 32, x.begin() + 64, 0.0f);  // block 1: all zero
  const QuantizedActivations fast = quantize_activations(x), plain = quantize_activations_plain(x);
  EXPECT_EQ(fast.q, plain.q);
  EXPECT_EQ(fast.d, plain.d);
  EXPECT_EQ(fast.s, plain.s);
  EXPECT_EQ(plain.q[1], 3);  // lround: halves away from zero
  EXPECT_EQ(plain.q[2], -3);
  EXPECT_EQ(plain.q[4], -1);
  EXPECT_EQ(plain.q[6], -32767);
}

// linear() on blocks against linear() on the same blocks widened to fp32, for every strategy it
// picks (int8 dot products for few rows, fp32 tiles for many) and shapes that leave partial slices.
TEST_P(QuantizedFormat, LinearOnBlocksMatchesLinearOnTheirFp32Values) {
  const Blocks w = random_blocks(GetParam(), 200, 3, 5);  // 200 rows: slices of 64 and 128 do not divide it
  const int cols = static_cast<int>(w.m.cols);
  const LinearWeight blocks(w.m);
  const Matrix fp32 = blocks.dequantized();
  for (int T : {1, 2, 7, 8, 9, 33}) {
    const std::vector<float> values = random_vector(T * cols, 6 + T);
    const Matrix x = MatrixMap(values.data(), T, cols);
    const Matrix got = linear(x, blocks), want = linear(x, fp32);
    ASSERT_EQ(got.rows(), T);
    ASSERT_EQ(got.cols(), 200);
    for (int t = 0; t < T; ++t) {
      const QuantizedActivations xq = quantize_activations({&values[t * cols], static_cast<size_t>(cols)});
      for (int r = 0; r < 200; ++r) {
        const std::vector<float> terms = term_sizes(w.m, r);
        double bound = 0, magnitude = 0;  // as in FastPathWithinTheBoundOfRoundingXTo16Bits
        for (int i = 0; i < cols; ++i) {
          bound += std::abs(fp32(r, i)) * xq.d[i / 32] / 2;
          magnitude += std::abs(double(terms[i]) * x(t, i));
        }
        // Integer dots (T <= 8) round x to 16 bits and add fast_path_rounding; fp32 tiles (T > 8) compute
        // the fp32 product itself, in other slices. Either side's fp32 sums: at most cols roundings.
        const double allowed =
            (T <= 8 ? bound + fast_path_rounding(cols) * magnitude : 0.0) + 2 * cols * 0x1p-24 * magnitude;
        ASSERT_NEAR(got(t, r), want(t, r), allowed) << "T=" << T << " row " << r;
      }
    }
  }
}

TEST(LinearWeight, ViewsAndRows) {
  const Blocks w = random_blocks(kQ4_1, 10, 2, 7);
  const LinearWeight blocks(w.m);
  EXPECT_TRUE(blocks.quantized());
  EXPECT_EQ(blocks.bytes(), 10u * 2 * 20);
  const Matrix all = blocks.dequantized();
  const LinearWeight middle = blocks.middle_rows(3, 4);  // Phi-3's fused projections are split so
  EXPECT_EQ(middle.rows(), 4);
  EXPECT_EQ(middle.dequantized(), all.middleRows(3, 4));
  EXPECT_EQ(blocks.row(9), all.row(9));
}

// The blocks of quant_golden.gguf that kvlm does not quantize itself (Q5_0: 4 rows of 96 values
// quantized by gguf-py; Q4_K, Q6_K: 4 rows of 256, random bytes with finite scales) kept as blocks:
// widened whole by dequantize_rows they equal gguf-py's dequantization (exact, as in
// tests/io/test_gguf_quant.cpp), and the fast path's dot against gguf-py's values stays within the
// bound of rounding x to 16 bits.
class GoldenBlocks : public ::testing::TestWithParam<const char*> {};

TEST_P(GoldenBlocks, MatchGgufPy) {
  const gguf::GgufFile file(test::data_dir() / "gguf" / "quant_golden.gguf");
  const gguf::TensorInfo* info = file.find_tensor(GetParam());
  const gguf::TensorInfo* expected = file.find_tensor(std::string(GetParam()) + ".expected");
  ASSERT_TRUE(info && expected);
  const auto type = static_cast<uint32_t>(info->type);
  const QuantizedMatrix w{type, info->ne[1], info->ne[0], file.bytes(*info).data(), nullptr};
  ASSERT_TRUE(QuantizedMatrix::supports(type));
  ASSERT_EQ(w.bytes(), file.bytes(*info).size());
  const std::vector<float> want = file.read_fp32(*expected);
  std::vector<float> got(want.size());
  dequantize_rows(w, 0, w.rows, got.data());
  EXPECT_EQ(got, want);
  const std::vector<float> x = random_vector(w.cols, 11);
  const QuantizedActivations xq = quantize_activations(x);
  for (int64_t r = 0; r < w.rows; ++r) {
    const std::vector<float> terms = term_sizes(w, r);
    double dot = 0, bound = 0, magnitude = 0;
    for (int64_t i = 0; i < w.cols; ++i) {
      const float v = want[r * w.cols + i];
      dot += double(v) * x[i];
      bound += std::abs(v) * xq.d[i / 32] / 2;                       // x's 16-bit rounding
      magnitude += std::abs(double(terms[i]) * x[i]);
    }
    const double allowed = bound + fast_path_rounding(w.cols) * magnitude;  // as in FastPathWithin...
    EXPECT_NEAR(dot_int(w, r, xq), dot, allowed) << "row " << r;
    EXPECT_NEAR(dot_int_plain(w, r, xq), dot, allowed) << "row " << r;
  }
}

INSTANTIATE_TEST_SUITE_P(Types, GoldenBlocks, ::testing::Values("q5_0", "q4_k", "q6_k"));

// ---- Whole models: the quantized fixtures in data/gguf, computed on their blocks.

struct QuantizedModel : ::testing::TestWithParam<std::string> {
  void SetUp() override {
    const auto path = test::data_dir() / "gguf" / GetParam();
    blocks = load_model(path);
    fp32 = load_model(path, {.dequantize = true});
  }
  Model blocks, fp32;
  const std::vector<int> prompt{1, 17, 42, 9, 88, 3, 61, 25, 7, 100, 54, 12};
};

TEST_P(QuantizedModel, KeepsItsBlocksUnlessAskedToDequantize) {
  EXPECT_TRUE(blocks.weights.layers[0].q_proj.quantized());
  EXPECT_TRUE(blocks.weights.output_matrix().quantized());
  EXPECT_FALSE(fp32.weights.layers[0].q_proj.quantized());
  EXPECT_LT(linear_bytes(blocks), linear_bytes(fp32) / 3);
  EXPECT_EQ(linear_formats(fp32), "F32");
}

TEST_P(QuantizedModel, LogitsNearTheDequantizedPath) {
  // A prefill (12 rows, more than 8: fp32 tiles of the blocks' values) is the fp32 path's product in another
  // summation order: 1e-5, as chapter 06's GEMV against GEMM. A decode step (integer dots) also
  // rounds each projection's input to 16 bits (at most 1/65534 of its block's largest value per value):
  // measured max |diff| 6.1e-4, 8.2e-4 and 1.6e-4 on the three fixtures (logits of |max| 5.6, 5.7, 3.5); bound 2e-3.
  const Matrix want = forward(fp32, prompt, 0, nullptr);
  const Matrix prefill = forward(blocks, prompt, 0, nullptr);
  EXPECT_LT((prefill - want).cwiseAbs().maxCoeff(), 1e-5f);
  ContiguousKVCache cache(blocks.config, static_cast<int>(prompt.size()));
  float worst = 0.0f;
  for (size_t t = 0; t < prompt.size(); ++t) {  // one token at a time: the integer dots
    const Matrix step = forward(blocks, std::span(prompt).subspan(t, 1), static_cast<int>(t), &cache);
    worst = std::max(worst, (step.row(0) - want.row(t)).cwiseAbs().maxCoeff());
  }
  EXPECT_LT(worst, 2e-3f);
  EXPECT_GT(worst, 1e-6f);  // not the fp32 path by mistake
}

TEST_P(QuantizedModel, CachedEqualsNaive) {
  GenerationConfig config;
  config.max_new_tokens = 16;
  config.stop_at_eos = false;
  const std::vector<int> naive = generate_naive(blocks, prompt, config).tokens;
  EXPECT_EQ(generate_cached(blocks, prompt, config).tokens, naive);
}

TEST_P(QuantizedModel, ChunkedPrefillEqualsOnePass) {
  // Chunks of more than 8 rows take the same fp32 tiles as one pass: equal up to summation order.
  std::vector<int> longer = prompt;
  longer.insert(longer.end(), prompt.begin(), prompt.end());  // 24 tokens: chunks of 10 and 14
  const Matrix one = forward(blocks, longer, 0, nullptr);
  ContiguousKVCache cache(blocks.config, static_cast<int>(longer.size()));
  const Matrix first = forward(blocks, std::span(longer).first(10), 0, &cache);
  const Matrix second = forward(blocks, std::span(longer).subspan(10), 10, &cache);
  EXPECT_LT((first - one.topRows(10)).cwiseAbs().maxCoeff(), 1e-5f);
  EXPECT_LT((second - one.bottomRows(14)).cwiseAbs().maxCoeff(), 1e-5f);
}

// llama-kquants-tiny.gguf: hidden 256, random Q4_K / Q6_K projections and head, Q8_0 token_embd.
INSTANTIATE_TEST_SUITE_P(Fixtures, QuantizedModel,
                         ::testing::Values("llama-tiny.q.gguf", "qwen2-tiny.q8_0.gguf", "llama-kquants-tiny.gguf"),
                         [](const auto& info) { return test::gtest_name(info.param); });

}  // namespace
}  // namespace kvlm
