// kvlm quantize (quantize_gguf + GgufWriter): the file it writes reads back as the same model.
// What is checked against an outside reference (gguf-py reading the file, its bytes equal to
// gguf.quants.quantize) is tests/io/check_quantize_with_gguf_py.py; here, kvlm's own reader.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "kvlm/error.hpp"
#include "kvlm/io/gguf.hpp"
#include "kvlm/io/gguf_writer.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/model/transformer.hpp"
#include "kvlm/tokenizer/gguf_tokenizer.hpp"
#include "paths.hpp"
#include "tokenizer/golden_cases.hpp"

namespace kvlm::gguf {
namespace {

const std::filesystem::path kSource = test::data_dir() / "gguf" / "llama-tiny.f32.gguf";

std::filesystem::path temp(const std::string& tag) {
  return std::filesystem::temp_directory_path() / ("kvlm_quantize_" + tag + "_" + std::to_string(getpid()) + ".gguf");
}

// F32 -> F32 rewrites the file without changing a value: metadata, names, shapes and data survive.
TEST(GgufWriter, F32CopyKeepsEveryKeyAndValue) {
  const auto out = temp("f32");
  quantize_gguf(kSource, out, TensorType::kF32);
  const GgufFile a(kSource), b(out);
  for (const auto& [key, value] : a.metadata()) {
    if (key == "general.file_type") continue;
    ASSERT_TRUE(b.find(key)) << key;
    EXPECT_EQ(b.find(key)->summary(), value.summary()) << key;
  }
  EXPECT_EQ(b.at("general.file_type").as_int(), 0);
  ASSERT_EQ(a.tensors().size(), b.tensors().size());
  for (const TensorInfo& t : a.tensors()) {
    const TensorInfo* u = b.find_tensor(t.name);
    ASSERT_TRUE(u) << t.name;
    EXPECT_EQ(u->ne, t.ne);
    EXPECT_EQ(b.read_fp32(*u), a.read_fp32(t)) << t.name;
  }
  std::filesystem::remove(out);
}

// Each stored value is within the format's step of the F32 value it came from, block by block:
//   Q8_0  |err| <= d/2,  d = max|x| / 127        Q4_1  |err| <= d/2,  d = (max - min) / 15
//   Q4_0  |err| <= d,    d = max|x| / 8 (the +8th step does not exist: the far end clips)
// each widened by the fp16 rounding of d and m (2^-11 relative, times the steps taken). The model still runs, and Q8_0's
// logits stay within 0.3 of F32's (measured 0.146 of logits up to 4.9 on this random fixture; the
// 4-bit formats move them by 1.8 and 4.4, which says more about 2 random layers than about kvlm:
// the bytes themselves equal gguf-py's, tests/io/check_quantize_with_gguf_py.py).
TEST(GgufWriter, QuantizedValuesAreWithinOneStepOfF32) {
  const GgufFile source(kSource);
  const Model f32 = load_model(kSource);
  const std::vector<int> ids{1, 17, 42, 99, 5, 64, 3, 120};
  const Matrix want = forward(f32, ids, 0, nullptr);
  for (const auto& [type, name] : {std::pair{TensorType::kQ8_0, "q8_0"}, {TensorType::kQ4_1, "q4_1"},
                                   {TensorType::kQ4_0, "q4_0"}}) {
    const auto out = temp(name);
    const QuantizeReport r = quantize_gguf(kSource, out, type);
    EXPECT_EQ(r.quantized, 16) << name;  // token_embd, output and 7 matrices x 2 layers; norms stay F32
    const GgufFile file(out);
    EXPECT_EQ(file.find_tensor("blk.0.attn_norm.weight")->type, TensorType::kF32);
    for (const TensorInfo& t : source.tensors()) {
      const TensorInfo* q = file.find_tensor(t.name);
      const std::vector<float> x = source.read_fp32(t), y = file.read_fp32(*q);
      if (q->type == TensorType::kF32) {
        EXPECT_EQ(x, y) << t.name;
        continue;
      }
      // At 4 bits the output head stays Q8_0, as llama-quantize keeps it at 8 bits or more.
      const bool head = t.name == "output.weight";
      EXPECT_EQ(q->type, head && type != TensorType::kQ8_0 ? TensorType::kQ8_0 : type) << t.name;
      const TensorType stored = q->type;
      for (size_t b = 0; b < x.size(); b += 32) {
        float lo = x[b], hi = x[b], amax = 0;
        for (size_t i = b; i < b + 32; ++i) lo = std::min(lo, x[i]), hi = std::max(hi, x[i]), amax = std::max(amax, std::abs(x[i]));
        const float step = stored == TensorType::kQ8_0 ? 0.5f * amax / 127 : stored == TensorType::kQ4_1 ? 0.5f * (hi - lo) / 15 : amax / 8;
        // fp16(d) is off by up to 2^-11 relative, times up to 127 / 15 / 8 steps: at most the block's
        // magnitude or range times 2^-11; fp16(m) likewise.
        const float bound = step + (amax + (hi - lo) + std::abs(lo)) * 0x1p-11f + 1e-7f;
        for (size_t i = b; i < b + 32; ++i) ASSERT_LE(std::abs(y[i] - x[i]), bound) << name << " " << t.name << "[" << i << "]";
      }
    }
    const Matrix got = forward(load_model(out), ids, 0, nullptr);
    const float diff = (got - want).cwiseAbs().maxCoeff();
    std::printf("%s: max |logit - f32 logit| = %.4f of max |logit| %.2f; tensor data %.0f%% of f32\n", name, diff,
                want.cwiseAbs().maxCoeff(), 100.0 * r.bytes_out / r.bytes_in);
    if (type == TensorType::kQ8_0) {
      EXPECT_LT(diff, 0.3f);
    }
    EXPECT_GT(diff, 0.0f) << name << ": the weights were not quantized";
    std::filesystem::remove(out);
  }
}

// kvlm quantize -m FOLDER, for every family fixture: the F32 file computes the folder's logits up to
// fp32 rounding (llama's permuted rows are rotated as interleaved pairs: measured 2.6e-6 of logits up
// to 5; bound 1e-5), and the Q8_0 file within 6% of the largest logit, the bound above (0.3 of 4.9) as
// a fraction: measured 0.7% (qwen2-yarn) to 4.5% (qwen2-tiny, gemma3-6layer). Only matrices whose rows
// are whole blocks of 32 are quantized: llama3-scaled and llama-gqa-tied (rows of 48 and 112) have none.
// The tensors themselves are checked against gguf-py's conversion in check_quantize_with_gguf_py.py.
TEST(GgufWriter, FromAnHfFolderComputesTheFoldersLogits) {
  const std::vector<int> ids{1, 17, 42, 99, 5, 64, 3, 120};
  for (const char* folder : {"gguf/llama-tiny", "gguf/qwen2-tiny", "gguf/gpt2-tiny", "models/llama3-scaled",
                             "models/mistral", "models/qwen2-yarn", "models/qwen3", "models/phi3",
                             "models/gemma3-6layer", "models/llama-gqa-tied", "models/qwen2-bf16"}) {
    const auto dir = test::data_dir() / folder;
    const Matrix want = forward(load_model(dir), ids, 0, nullptr);
    const float max_logit = want.cwiseAbs().maxCoeff();
    for (const TensorType type : {TensorType::kF32, TensorType::kQ8_0}) {
      const auto out = temp("hf");
      const QuantizeReport r = quantize_hf_folder(dir, out, type);
      EXPECT_EQ(r.warnings.size(), 1u) << folder << ": the fixture has no tokenizer.json";
      const float diff = (forward(load_model(out), ids, 0, nullptr) - want).cwiseAbs().maxCoeff();
      std::printf("%s %s: %d of %d tensors quantized; max |logit - folder's logit| = %.2g of max |logit| %.2f\n",
                  folder, type == TensorType::kF32 ? "f32" : "q8_0", r.quantized, r.tensors, diff, max_logit);
      if (type == TensorType::kF32 || r.quantized == 0) {
        EXPECT_LT(diff, 1e-5f) << folder;
      } else {
        EXPECT_LT(diff, 0.06f * max_logit) << folder;
        EXPECT_GT(diff, 0.0f) << folder << ": the weights were not quantized";
      }
      std::filesystem::remove(out);
    }
  }
}

// A byte-level BPE tokenizer.json as tokenizer.ggml.* (gguf_tokenizer_data + add_tokenizer_data), read
// back by load_gguf_tokenizer, gives HF tokenizers' golden ids, with and without BOS, and decodes.
void expect_gguf_vocabulary_matches_golden(const std::filesystem::path& dir, const std::string& pre) {
  std::ifstream in(dir / "golden.json");
  const int vocab_size = nlohmann::json::parse(in).at("vocab_size").get<int>();
  const GgufTokenizerData d = gguf_tokenizer_data(dir / "tokenizer.json", vocab_size);
  EXPECT_EQ(d.pre, pre) << dir;
  GgufWriter w;
  if (const std::optional<int> bos = load_tokenizer(dir / "tokenizer.json")->bos_id()) {
    Value id;  // kvlm quantize takes it from config.json
    id.type = ValueType::kUint32;
    id.data = int64_t{*bos};
    w.add("tokenizer.ggml.bos_token_id", id);
  }
  add_tokenizer_data(w, d);
  const auto out = temp("vocab");
  w.write(out);
  test::expect_matches_golden(*load_gguf_tokenizer(out), test::read_golden(dir / "golden.json"));
  std::filesystem::remove(out);
}

TEST(GgufWriter, TokenizerJsonReadsBackFromTheGgufAsHfEncodes) {
  expect_gguf_vocabulary_matches_golden(test::data_dir() / "tokenizers" / "tiny_bpe", "default");
  expect_gguf_vocabulary_matches_golden(test::data_dir() / "tokenizers" / "tiny_llama3_style", "llama3");
  // Llama 2's BPE falls back to bytes: a "llama" (SentencePiece) GGUF vocabulary, which kvlm does not write.
  EXPECT_THROW(gguf_tokenizer_data(test::data_dir() / "tokenizers" / "tiny_llama2_style" / "tokenizer.json", 1000), Error);
}

// The same with real vocabularies (../shared): GPT-2's, Llama 3's (128256 tokens) and Qwen3's, whose
// pre-tokenizer llama.cpp calls qwen2.
TEST(GgufWriter, RealTokenizerJsonReadsBackFromTheGgufAsHfEncodes) {
  KVLM_REQUIRE_SHARED();
  for (const auto& [name, pre] : {std::pair{"gpt2", "default"}, {"llama3", "llama3"}, {"qwen3", "qwen2"}})
    expect_gguf_vocabulary_matches_golden(test::shared_dir() / "tokenizers" / name, pre);
}

TEST(GgufWriter, RefusesTypesItCannotWrite) {
  EXPECT_THROW(quantize_gguf(kSource, temp("k"), TensorType::kQ4_K), Error);
}

}  // namespace
}  // namespace kvlm::gguf
