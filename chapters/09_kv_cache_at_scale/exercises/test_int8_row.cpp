// Tests exercise 2 of chapter 09 (quantize_row_int8): rows worked out by hand, the rounding rule, zeros
// and non-finite values, then every (position, KV head) row of the keys and values HF transformers
// cached for a fixture's prompts, each of which must come back within half a quantization step.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "common/exercise_test.hpp"
#include "exercises.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/io/safetensors.hpp"
#include "kvlm/verify/reference.hpp"

namespace kvlm::exercises {
namespace {

// max|x| = 4, so each value is multiplied by 127 / 4 = 31.75 (every product exact in fp32):
// 4 -> 127, -3 -> -95.25, 1 -> 31.75, 0.5 -> 15.875, -1/32 -> -0.9921875; rounded: 127, -95, 32, 16, -1.
TEST(Int8Row, HandWorkedRow) {
  const std::vector<float> x = {4.0f, -3.0f, 1.0f, 0.5f, -0.03125f};
  std::vector<int8_t> q(x.size());
  const float scale = exercises::quantize_row_int8(x, q);
  EXPECT_FLOAT_EQ(scale, 4.0f / 127.0f) << "scale = max|x| / 127";
  EXPECT_EQ(q, (std::vector<int8_t>{127, -95, 32, 16, -1}));
}

// max|x| = 127: the scale is 1 and q is x rounded. Halves go away from zero: 2.5 -> 3, -0.5 -> -1, 126.5 -> 127.
TEST(Int8Row, HalvesRoundAwayFromZero) {
  const std::vector<float> x = {-127.0f, 2.5f, -0.5f, 126.5f, 0.49f};
  std::vector<int8_t> q(x.size());
  EXPECT_FLOAT_EQ(exercises::quantize_row_int8(x, q), 1.0f);
  EXPECT_EQ(q, (std::vector<int8_t>{-127, 3, -1, 127, 0}));
}

TEST(Int8Row, ZerosGiveScaleZeroAndNonFiniteGivesNaN) {
  std::vector<int8_t> q(4, 9);
  EXPECT_EQ(exercises::quantize_row_int8(std::vector<float>{0, -0.0f, 0, 0}, q), 0.0f);
  EXPECT_EQ(q, (std::vector<int8_t>{0, 0, 0, 0}));
  for (const float bad : {NAN, -INFINITY}) {
    std::fill(q.begin(), q.end(), 9);
    EXPECT_TRUE(std::isnan(exercises::quantize_row_int8(std::vector<float>{1, 2, bad, 3}, q))) << bad;
    EXPECT_EQ(q, (std::vector<int8_t>{0, 0, 0, 0})) << "no int8 is made from a " << bad;
  }
}

// HF's cache [KV, T, hd] per layer, as the int8 cache would store it: one row per (position, KV head).
// Each must have scale max|row| / 127 and come back within half a step, max|row| / 254 (the 1e-5
// relative slack is fp32's rounding of q * scale).
TEST(Int8Row, HfCachedKeysAndValuesComeBackWithinHalfAStep) {
  const auto fixture = test::model_dir("llama-gqa-tied");
  const ModelConfig c = load_model(fixture).config;
  const SafetensorsFile ref(test::reference_of("llama-gqa-tied"));
  int rows = 0;
  for (const ReferencePrompt& p : read_reference(test::reference_of("llama-gqa-tied")))
    for (int l = 0; l < c.num_hidden_layers; ++l)
      for (const char* kv : {".k", ".v"}) {
        const Tensor cached = ref.read(p.name + ".layer" + std::to_string(l) + kv);
        for (int h = 0; h < c.num_key_value_heads; ++h)
          for (int t = 0; t < static_cast<int>(p.input_ids.size()); ++t) {
            std::vector<float> x(c.head_dim), back(c.head_dim);
            std::vector<int8_t> q(c.head_dim);
            float amax = 0;
            for (int d = 0; d < c.head_dim; ++d) amax = std::max(amax, std::abs(x[d] = cached.data(h, t * c.head_dim + d)));
            const float scale = exercises::quantize_row_int8(x, q);
            ASSERT_FLOAT_EQ(scale, amax / 127) << p.name << " layer " << l << kv << " head " << h << " position " << t;
            kvlm::dequantize_row_int8(q, scale, back);
            for (int d = 0; d < c.head_dim; ++d)
              ASSERT_LE(std::abs(back[d] - x[d]), amax / 254 * (1 + 1e-5f))
                  << p.name << " layer " << l << kv << " head " << h << " position " << t << " dim " << d;
            ++rows;
          }
      }
  EXPECT_GT(rows, 100);
}

}  // namespace
}  // namespace kvlm::exercises
