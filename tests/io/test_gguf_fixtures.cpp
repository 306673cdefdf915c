// open_gguf on GGUFs converted from tiny HF models: same tensors as the HF safetensors, and config.
// Not a forward-pass test: it proves names, shapes, layouts (incl. llama's Q/K permutation) and values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "kvlm/error.hpp"
#include "kvlm/io/gguf.hpp"
#include "kvlm/io/load.hpp"
#include "paths.hpp"
#include "safetensors_f32.hpp"

namespace kvlm::gguf {
namespace {

std::filesystem::path fixture(const std::string& name) { return test::data_dir() / "gguf" / name; }

// llama.cpp's permute sends HF row h*hd + j*hd/2 + i (j = 0 first half, 1 second half) to
// GGUF row h*hd + 2i + j. This is its inverse: GGUF (interleaved) rows back to HF (half-split).
Matrix unpermute_llama(const Matrix& w, int n_heads) {
  const Eigen::Index head_dim = w.rows() / n_heads, half = head_dim / 2;
  Matrix hf(w.rows(), w.cols());
  for (Eigen::Index h = 0; h < n_heads; ++h)
    for (Eigen::Index i = 0; i < half; ++i)
      for (Eigen::Index j = 0; j < 2; ++j) hf.row(h * head_dim + j * half + i) = w.row(h * head_dim + 2 * i + j);
  return hf;
}

bool is_conv1d_weight(const std::string& name) {
  return name.starts_with("transformer.h.") && name.ends_with(".weight") &&
         (name.find(".c_attn.") != std::string::npos || name.find(".c_proj.") != std::string::npos ||
          name.find(".c_fc.") != std::string::npos);
}

// How far a stored value may be from the original, given the type it was stored in and the
// statistics of its GGUF row (a block of 32 lies inside one row, so row stats bound block stats).
// Each bound is the format's rounding error plus the fp16 rounding of its scale (rel. 2^-11).
float allowed_error(TensorType type, float x, float row_amax, float row_range) {
  switch (type) {
    case TensorType::kF32: return 0.0f;
    case TensorType::kF16: return std::abs(x) * 0x1p-11f + 0x1p-24f;
    case TensorType::kBF16: return std::abs(x) * 0x1p-8f;
    case TensorType::kQ8_0: return 0.6f * row_amax / 127.0f + 1e-6f;     // d = amax/127, round: d/2
    case TensorType::kQ4_0: return 1.02f * row_amax / 8.0f + 1e-6f;      // d = amax/8; the far end clips: d
    case TensorType::kQ4_1: return 0.55f * row_range / 15.0f + 1e-3f * row_amax + 1e-6f;  // d/2 + fp16(m)
    // No fixture stores K-quants (gguf-py cannot quantize them): 0 makes a future one fail loudly.
    case TensorType::kQ2_K:
    case TensorType::kQ3_K:
    case TensorType::kQ4_K:
    case TensorType::kQ5_K:
    case TensorType::kQ6_K: return 0.0f;
  }
  return 0.0f;
}

struct Case {
  std::string hf_folder, gguf;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.gguf; }

class GgufFixture : public ::testing::TestWithParam<Case> {};

TEST_P(GgufFixture, TensorsEqualHfSafetensors) {
  const Case& c = GetParam();
  const ModelSource src = open_gguf(fixture(c.gguf));
  const auto& file = dynamic_cast<const GgufTensorFile&>(*src.tensors);
  const auto hf = test::read_safetensors_f32(fixture(c.hf_folder) / "model.safetensors");
  const bool llama = src.config.architecture == Architecture::kLlama;

  std::set<std::string> expected_names;
  for (const auto& [name, t] : hf) expected_names.insert(name);
  if (src.config.architecture == Architecture::kGpt2) expected_names.insert("lm_head.weight");
  const auto names = file.names();
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()), expected_names);

  for (const auto& [name, want] : hf) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(file.contains(name));
    EXPECT_EQ(file.shape(name), want.shape);
    Tensor got = file.read(name);
    ASSERT_EQ(got.shape, want.shape);
    ASSERT_EQ(got.data.rows(), got.shape.size() == 1 ? 1 : got.shape[0]);  // 1-D: one row of n
    ASSERT_EQ(got.data.rows(), want.data.rows());
    ASSERT_EQ(got.data.cols(), want.data.cols());
    const bool is_q = name.ends_with("q_proj.weight"), is_k = name.ends_with("k_proj.weight");
    if (llama && (is_q || is_k)) {
      // The layout claim: the file keeps llama.cpp's interleaved rows, so they differ from HF's
      // until we apply the inverse of llama.cpp's permute; then they match.
      const int heads = is_q ? src.config.num_attention_heads : src.config.num_key_value_heads;
      EXPECT_FALSE(got.data.isApprox(want.data, 0.1f)) << "rows should be interleaved";
      got.data = unpermute_llama(got.data, heads);
    }
    // The stored type decides the tolerance; a "GGUF row" is an HF column for GPT-2's Conv1D.
    const TensorType type = file.info(name).type;
    const Matrix w = is_conv1d_weight(name) ? Matrix(want.data.transpose()) : want.data;
    const Matrix g = is_conv1d_weight(name) ? Matrix(got.data.transpose()) : got.data;
    for (Eigen::Index r = 0; r < w.rows(); ++r) {
      float lo = w(r, 0), hi = w(r, 0);  // plain loop: Eigen's reductions trip a GCC 12 AVX-512 warning
      for (Eigen::Index k = 1; k < w.cols(); ++k) lo = std::min(lo, w(r, k)), hi = std::max(hi, w(r, k));
      const float amax = std::max(-lo, hi), range = hi - lo;
      for (Eigen::Index k = 0; k < w.cols(); ++k) {
        const float tolerance = allowed_error(type, w(r, k), amax, range);
        ASSERT_LE(std::abs(g(r, k) - w(r, k)), tolerance) << "at row " << r << ", col " << k;
      }
    }
  }
  if (src.config.architecture == Architecture::kGpt2) {  // llama.cpp writes the tied head out
    EXPECT_EQ(file.read("lm_head.weight").data, file.read("transformer.wte.weight").data);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Models, GgufFixture,
    ::testing::Values(Case{"llama-tiny", "llama-tiny.f32.gguf"}, Case{"llama-tiny", "llama-tiny.q.gguf"},
                      Case{"qwen2-tiny", "qwen2-tiny.f32.gguf"}, Case{"qwen2-tiny", "qwen2-tiny.q8_0.gguf"},
                      Case{"gpt2-tiny", "gpt2-tiny.f32.gguf"}, Case{"gpt2-tiny", "gpt2-tiny.bf16.gguf"}));

TEST(GgufConfig, LlamaIsInterleaved) {
  const ModelConfig c = open_gguf(fixture("llama-tiny.q.gguf")).config;
  EXPECT_EQ(c.architecture, Architecture::kLlama);
  EXPECT_EQ(c.rope_layout, RopeLayout::kInterleaved);  // llama.cpp permuted Q/K: RoPE type NORM
  EXPECT_EQ(c.hidden_size, 32);
  EXPECT_EQ(c.num_hidden_layers, 2);
  EXPECT_EQ(c.num_attention_heads, 4);
  EXPECT_EQ(c.num_key_value_heads, 2);
  EXPECT_EQ(c.head_dim, 8);
  EXPECT_EQ(c.intermediate_size, 64);
  EXPECT_EQ(c.vocab_size, 128);
  EXPECT_EQ(c.max_position_embeddings, 64);
  EXPECT_FLOAT_EQ(c.norm_eps, 1e-5f);
  EXPECT_FLOAT_EQ(c.rope_theta, 10000.0f);
  EXPECT_EQ(c.norm, NormKind::kRmsNorm);
  EXPECT_EQ(c.hidden_act, Activation::kSilu);
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_FALSE(c.attention_bias);
  EXPECT_EQ(c.bos_token_id, 1);
  EXPECT_EQ(c.eos_token_ids, std::vector<int>{2});
}

TEST(GgufConfig, Qwen2IsHalfSplitWithBiasesAndTiedHead) {
  const ModelConfig c = open_gguf(fixture("qwen2-tiny.f32.gguf")).config;
  EXPECT_EQ(c.architecture, Architecture::kQwen2);
  EXPECT_EQ(c.rope_layout, RopeLayout::kHalfSplit);  // HF order kept: RoPE type NEOX
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_TRUE(c.attention_bias);
  EXPECT_FLOAT_EQ(c.rope_theta, 1e6f);
  EXPECT_FLOAT_EQ(c.norm_eps, 1e-6f);
}

TEST(GgufConfig, Gpt2HasNoRope) {
  const ModelConfig c = open_gguf(fixture("gpt2-tiny.f32.gguf")).config;
  EXPECT_EQ(c.architecture, Architecture::kGpt2);
  EXPECT_EQ(c.rope_layout, RopeLayout::kNone);
  EXPECT_EQ(c.norm, NormKind::kLayerNorm);
  EXPECT_EQ(c.hidden_act, Activation::kGeluTanh);
  EXPECT_EQ(c.num_key_value_heads, 4);  // no head_count_kv key: MHA
  EXPECT_EQ(c.intermediate_size, 128);
  EXPECT_EQ(c.max_position_embeddings, 64);
  EXPECT_TRUE(c.attention_bias && c.mlp_bias);
  EXPECT_FALSE(c.tie_word_embeddings);  // llama.cpp writes output.weight (a copy of wte)
}

TEST(GgufMetadata, TypedValuesAndTokenizerData) {
  const GgufFile file(fixture("llama-tiny.q.gguf"));
  EXPECT_EQ(file.version(), 3u);
  EXPECT_EQ(file.alignment(), 32u);
  EXPECT_EQ(file.architecture(), "llama");
  EXPECT_EQ(file.at("llama.block_count").type, ValueType::kUint32);
  EXPECT_EQ(file.at("llama.block_count").as_int(), 2);
  EXPECT_EQ(file.at("llama.rope.freq_base").type, ValueType::kFloat32);
  EXPECT_EQ(file.at("tokenizer.ggml.tokens").summary(), "[128 x string]");
  EXPECT_THROW(file.at("llama.block_count").as_string(), Error);
  EXPECT_THROW(file.at("no.such.key"), Error);

  const GgufTokenizerData tok = read_tokenizer_data(file);
  EXPECT_EQ(tok.model, "gpt2");
  EXPECT_EQ(tok.pre, "default");
  ASSERT_EQ(tok.tokens.size(), 128u);
  EXPECT_EQ(tok.tokens[1], "<s>");
  EXPECT_EQ(tok.tokens[127], "t127");
  EXPECT_EQ(tok.token_types[0], 3);
  EXPECT_EQ(tok.token_types[5], 1);
  EXPECT_EQ(tok.merges, (std::vector<std::string>{"t 3", "t3 4", "t 5"}));
  EXPECT_TRUE(tok.scores.empty());
  EXPECT_EQ(tok.bos_token_id, 1);
  EXPECT_EQ(tok.eos_token_id, 2);
  EXPECT_EQ(tok.add_bos_token, false);
}

TEST(GgufMetadata, FloatArray) {
  const GgufFile file(fixture("quant_golden.gguf"));
  const auto& items = file.at("kvlm.golden.source").as_array();
  ASSERT_EQ(items.size(), 8u);
  EXPECT_TRUE(items[0].type == ValueType::kFloat32 || items[0].type == ValueType::kFloat64);
}

}  // namespace
}  // namespace kvlm::gguf
