// The real model, end to end: SmolLM2-135M-Instruct (Q4_1 GGUF from scripts/fetch-models.sh)
// against HF transformers' outputs on the same file (data/smollm2, made by make_reference.py).
// Skips with a message when models/ does not hold the model.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <sstream>
#include <nlohmann/json.hpp>

#include "kvlm/cache/contiguous.hpp"
#include "kvlm/generate/generate.hpp"
#include "kvlm/io/gguf_quant.hpp"
#include "kvlm/io/gguf_writer.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/io/safetensors.hpp"
#include "kvlm/model/transformer.hpp"
#include "kvlm/tokenizer/chat_template.hpp"
#include "kvlm/tokenizer/tokenizer.hpp"
#include "kvlm/verify/reference.hpp"
#include "paths.hpp"
#include "real/smollm2_hf.hpp"
#include "tokenizer/golden_cases.hpp"

namespace kvlm {
namespace {

namespace fs = std::filesystem;

fs::path model_path() { return fs::path(KVLM_MODELS_DIR) / "SmolLM2-135M-Instruct.Q4_1.gguf"; }
fs::path reference_path() { return test::data_dir() / "smollm2" / "reference.safetensors"; }

// Loaded once: dequantizing 135M parameters takes a second. These tests hold the fp32 path (the
// file's blocks widened at load, `--dequantize`) to HF's run on the same dequantized weights;
// SmolLM2Blocks below holds chapter 08's quantized path to this one.
class SmolLM2 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists(model_path())) return;
    model_ = new Model(load_model(model_path(), {.dequantize = true}));
    tokenizer_ = load_tokenizer(model_path()).release();
    prompts_ = new std::vector<ReferencePrompt>(read_reference(reference_path()));
  }
  static void TearDownTestSuite() {
    delete model_;
    delete tokenizer_;
    delete prompts_;
  }
  void SetUp() override {
    if (!model_) GTEST_SKIP() << model_path() << " not found: run scripts/fetch-models.sh";
  }
  static inline Model* model_ = nullptr;
  static inline Tokenizer* tokenizer_ = nullptr;
  static inline std::vector<ReferencePrompt>* prompts_ = nullptr;

  // HF's greedy continuation of each prompt, token for token, run its full length past any EOS.
  static void expect_greedy_matches_hf(const Model& model) {
    test::expect_greedy_matches_hf(CpuDecoder(model), *prompts_);
  }

  // Naive generation gives the cache's tokens (shortest prompt, 24 tokens).
  static void expect_naive_equals_cached(const Model& model) {
    const ReferencePrompt& p = prompts_->front();
    GenerationConfig config;
    config.max_new_tokens = 24;
    config.stop_at_eos = false;
    EXPECT_EQ(generate_naive(model, p.input_ids, config).tokens, generate_cached(model, p.input_ids, config).tokens);
  }
};

TEST_F(SmolLM2, ConfigIsTheRealModel) {
  const ModelConfig& c = model_->config;
  EXPECT_EQ(c.num_hidden_layers, 30);
  EXPECT_EQ(c.hidden_size, 576);
  EXPECT_EQ(c.num_attention_heads, 9);
  EXPECT_EQ(c.num_key_value_heads, 3);
  EXPECT_EQ(c.vocab_size, 49152);
  EXPECT_EQ(c.rope_layout, RopeLayout::kInterleaved);  // llama.cpp permuted Q/K into Meta's layout
  EXPECT_TRUE(c.tie_word_embeddings);                  // no output.weight: the head is embed_tokens
  EXPECT_EQ(parameter_count(*model_), 134515008);      // HF: sum(p.numel()) = 134,515,008 (tied head)
  EXPECT_EQ(KVCache::bytes_per_token(c), 2u * 30 * 3 * 64 * 4);
}

// Loading dequantizes into fp32 matrices while the GGUF is only mapped, one tensor at a time: the
// peak stays near the fp32 weights themselves. The bound: 1.5 x fp32 weights + KV cache.
TEST_F(SmolLM2, PeakMemoryStaysNearTheFp32Weights) {
  GenerationConfig config;
  config.max_new_tokens = 16;
  const Generation g = generate_cached(*model_, prompts_->back().input_ids, config);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double peak = usage.ru_maxrss * 1024.0;  // ru_maxrss is in KiB on Linux
  const double fp32_weights = 4.0 * static_cast<double>(parameter_count(*model_));
  EXPECT_LT(peak, 1.5 * fp32_weights + static_cast<double>(g.stats.kv_cache_bytes))
      << "peak RSS " << peak / 1e6 << " MB for " << fp32_weights / 1e6 << " MB of fp32 weights";
}

// HF's tokenizer for the same GGUF (AutoTokenizer.from_pretrained(gguf_file=...)) on the golden strings.
TEST_F(SmolLM2, TokenizerMatchesHF) {
  const auto cases = test::read_golden(test::data_dir() / "smollm2" / "tokenizer_golden.json");
  EXPECT_GT(cases.size(), 30u);
  test::expect_matches_golden(*tokenizer_, cases);
}

// The reference prompts were tokenized by HF; p1 through apply_chat_template, which --chat mirrors.
TEST_F(SmolLM2, PromptsAndChatTemplateMatchHF) {
  const SafetensorsFile reference(reference_path());
  const auto& texts = reference.metadata();
  ASSERT_TRUE(texts.count("prompts"));
  const auto prompts = nlohmann::json::parse(texts.at("prompts"));
  for (size_t i = 0; i < prompts.size(); ++i) {
    std::string text = prompts[i];
    if (text.rfind("chat:", 0) == 0) text = chat_template_for(read_chat_template(model_path())).apply(text.substr(5));
    EXPECT_EQ(tokenizer_->encode(text, true), (*prompts_)[i].input_ids) << "prompt " << i;
  }
}

// Logits: the 64 largest at every position (the compact reference keeps those), fp32 against HF's
// float64 run on the same dequantized weights. Measured: 9.5e-5, the same with one thread or two
// (logits reach 38); HF's own fp32 run is 5e-5 from its float64 run on these prompts. Bound: 2e-4.
constexpr float kLogitTolerance = 2e-4f;
TEST_F(SmolLM2, LogitsMatchHF) {
  for (const ReferencePrompt& p : *prompts_) {
    test::expect_topk_logits_near_hf(forward(*model_, p.input_ids, 0, nullptr), p, kLogitTolerance);
  }
}

// Hidden states with the row-relative bound of verify/reference.hpp (see its Tolerance comment).
TEST_F(SmolLM2, HiddenStatesMatchHF) {
  for (const ReferencePrompt& p : *prompts_) {
    const PromptComparison c = compare_prompt(*model_, {p.name, p.input_ids, {}, {}, {}, p.hidden, {}, {}});
    EXPECT_FALSE(c.first_bad_layer) << p.name << ": departs at layer " << *c.first_bad_layer << ", position "
                                    << c.first_bad_position.value_or(-1) << " (max diff " << c.max_hidden_diff << ")";
  }
}

// The prefilled KV cache against HF's (keys after RoPE). kvlm keeps llama.cpp's interleaved Q/K
// rows, so its key dimension 2i is HF's i and 2i+1 is HF's i + 32; values are not permuted.
// Bound: the hidden-state rule, 1e-4 + 5e-5 x the largest |key| of that position and head.
TEST_F(SmolLM2, PrefilledKVCacheMatchesHF) {
  const SafetensorsFile ref(reference_path());
  const ModelConfig& c = model_->config;
  const int hd = c.head_dim, half = hd / 2;
  float worst = 0;
  for (const ReferencePrompt& p : *prompts_) {
    const int T = static_cast<int>(p.input_ids.size());
    ContiguousKVCache cache(c, T);
    forward(*model_, p.input_ids, 0, &cache);
    for (int l = 0; l < c.num_hidden_layers; ++l) {
      const std::string pre = p.name + ".layer" + std::to_string(l);
      const Tensor k = ref.read(pre + ".k"), v = ref.read(pre + ".v");  // [KV, T, hd]
      for (int h = 0; h < c.num_key_value_heads; ++h)
        for (int t = 0; t < T; ++t) {
          const auto hf_k = k.data.row(h).segment(t * hd, hd), hf_v = v.data.row(h).segment(t * hd, hd);
          const float k_bound = 1e-4f + 5e-5f * hf_k.cwiseAbs().maxCoeff();
          const float v_bound = 1e-4f + 5e-5f * hf_v.cwiseAbs().maxCoeff();
          for (int d = 0; d < hd; ++d) {
            const int ours = d < half ? 2 * d : 2 * (d - half) + 1;
            const float dk = std::abs(cache.keys(l)(t, h * hd + ours) - hf_k(d));
            const float dv = std::abs(cache.values(l)(t, h * hd + d) - hf_v(d));
            worst = std::max({worst, dk, dv});
            ASSERT_LE(dk, k_bound) << pre << " key head " << h << " position " << t << " dim " << d;
            ASSERT_LE(dv, v_bound) << pre << " value head " << h << " position " << t << " dim " << d;
          }
        }
    }
  }
  RecordProperty("max_kv_diff", std::to_string(worst));
  std::printf("max |K/V - HF| = %.3g\n", worst);
}

// The greedy continuation, 64 tokens for each prompt, token for token (smallest reference margin: 0.009).
TEST_F(SmolLM2, GreedyContinuationMatchesHF) { expect_greedy_matches_hf(*model_); }

// Naive generation on the real model gives the same tokens as the cache (shortest prompt, 24 tokens).
TEST_F(SmolLM2, NaiveEqualsCached) { expect_naive_equals_cached(*model_); }

// kvlm chat keeps the KV cache between turns and prefills only the new message. Its greedy
// transcript, three turns read from a script on stdin, must equal running each turn from scratch
// (naive generation, no cache at all) on the conversation's full ids; later turns reuse everything
// before the new message. With a context of 80 tokens the oldest turns are dropped (and the cache
// refilled), and the answers must still equal the from-scratch ones.
std::vector<nlohmann::json> chat_transcript(const std::string& options) {
  const std::string script = "printf 'What is the capital of France?\\nAnd of Italy?\\nName one more.\\n/exit\\n'";
  const std::string cmd = script + " | " + test::kvlm_binary().string() + " chat -m " + model_path().string() +
                          " -n 24 --json --dequantize " + options + " 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while (pipe && (n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  EXPECT_EQ(pipe ? pclose(pipe) : -1, 0) << out;
  std::vector<nlohmann::json> turns;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) turns.push_back(nlohmann::json::parse(line));
  return turns;
}

TEST_F(SmolLM2, ChatTurnsEqualGeneratingFromScratch) {
  GenerationConfig config;
  config.max_new_tokens = 24;
  config.stop_token_ids = {*tokenizer_->token_to_id("<|im_end|>")};  // and EOS, by default
  for (const std::string options : {"", "-c 80"}) {
    const std::vector<nlohmann::json> turns = chat_transcript(options);
    ASSERT_EQ(turns.size(), 3u) << options;
    size_t dropped = 0;
    for (size_t i = 0; i < turns.size(); ++i) {
      const nlohmann::json& j = turns[i];
      const std::vector<int> prompt = j["prompt_ids"], generated = j["generated_ids"];
      EXPECT_EQ(generate_naive(*model_, prompt, config).tokens, generated) << options << " turn " << i + 1;
      EXPECT_EQ(j["reused"].get<size_t>() + j["prefilled"].get<size_t>(), prompt.size());
      dropped += j["dropped_turns"].get<size_t>();
      // A turn that dropped nothing reuses at least the whole previous prompt.
      if (i > 0 && j["dropped_turns"] == 0) {
        EXPECT_GE(j["reused"].get<size_t>(), turns[i - 1]["prompt_ids"].size()) << options << " turn " << i + 1;
      }
    }
    EXPECT_EQ(dropped > 0, options == "-c 80") << options;
  }
}

// ---- Chapter 08: the same file computed on its Q4_1/Q8_0 blocks (the default), against the fp32 path.

class SmolLM2Blocks : public SmolLM2 {
 protected:
  static void SetUpTestSuite() {
    SmolLM2::SetUpTestSuite();
    if (fs::exists(model_path())) blocks_ = new Model(load_model(model_path()));
  }
  static void TearDownTestSuite() {
    delete blocks_;
    SmolLM2::TearDownTestSuite();
  }
  static inline Model* blocks_ = nullptr;

  // Greedy chat answer to `question`, decoded, stopping at <|im_end|>.
  static std::string chat_answer(const Model& model, const std::string& question) {
    const ChatTemplate chat = chat_template_for(read_chat_template(model_path()));
    GenerationConfig config;
    config.max_new_tokens = 24;
    config.stop_token_ids = {*tokenizer_->token_to_id("<|im_end|>")};
    const std::vector<int> prompt = tokenizer_->encode(chat.apply(question), true);
    return tokenizer_->decode(generate_cached(model, prompt, config).tokens);
  }
};

TEST_F(SmolLM2Blocks, KeepsTheFilesBlocks) {
  EXPECT_EQ(linear_formats(*blocks_), "Q4_1+Q8_0");  // the head (tied token_embd) is Q8_0, the rest Q4_1
  EXPECT_EQ(linear_bytes(*blocks_), 96436224u);       // what one decode step reads: 5.6x less than fp32's
  EXPECT_EQ(linear_bytes(*model_), 537919488u);
}

// A prefill of more than 8 tokens runs fp32 tiles of the blocks' values: the fp32 path's product exactly.
// A decode step (one row) runs the integer dots, which round each projection's input to 16 bits. Fed one token at a
// time through the cache, on the 64 largest logits at every position of the 3 prompts: measured max
// |diff| from the fp32 path 0.009 on logits up to 38 (8-bit inputs, as llama.cpp rounds them, gave 2.1).
// Bound: 0.03. And the greedy continuations are HF's, token for token, as the fp32 path's are.
TEST_F(SmolLM2Blocks, DecodeStepsNearTheFp32PathAndGreedyMatchesHF) {
  const std::vector<int>& p1 = (*prompts_)[1].input_ids;  // 45 tokens: more than 8 rows, the fp32 tiles
  ASSERT_GT(p1.size(), 8u);
  EXPECT_TRUE(forward(*blocks_, p1, 0, nullptr) == forward(*model_, p1, 0, nullptr));  // the same product
  float worst = 0.0f;
  for (const ReferencePrompt& p : *prompts_) {
    const Matrix fp32 = forward(*model_, p.input_ids, 0, nullptr);
    ContiguousKVCache cache(blocks_->config, static_cast<int>(p.input_ids.size()));
    for (size_t t = 0; t < p.input_ids.size(); ++t) {
      const Matrix step = forward(*blocks_, std::span(p.input_ids).subspan(t, 1), static_cast<int>(t), &cache);
      for (size_t j = 0; j < p.topk_ids[t].size(); ++j)
        worst = std::max(worst, std::abs(step(0, p.topk_ids[t][j]) - fp32(t, p.topk_ids[t][j])));
    }
  }
  expect_greedy_matches_hf(*blocks_);
  std::printf("max |decode step - fp32 path| = %.3g\n", worst);
  EXPECT_LT(worst, 0.03f);
  EXPECT_GT(worst, 0.0f);  // the decode steps did run the integer path
}

TEST_F(SmolLM2Blocks, NaiveEqualsCached) { expect_naive_equals_cached(*blocks_); }

// The check of every format: the chat answer is still right. Q8_0 and Q4_0 are made from the
// Q4_1 file by kvlm's quantizer (gguf_writer.hpp), into a temporary folder.
TEST_F(SmolLM2Blocks, CapitalOfFranceOnEveryFormat) {
  const std::string question = "What is the capital of France?";
  EXPECT_NE(chat_answer(*model_, question).find("Paris"), std::string::npos) << "fp32";
  EXPECT_NE(chat_answer(*blocks_, question).find("Paris"), std::string::npos) << "Q4_1";
  const fs::path dir = fs::temp_directory_path() / ("kvlm_smollm2_formats_" + std::to_string(getpid()));
  fs::create_directories(dir);
  // At 4 bits the head (the tied token_embd) stays Q8_0, as llama-quantize keeps it (gguf_writer.cpp).
  for (const auto& [name, type, formats] : {std::tuple{"Q8_0", gguf::TensorType::kQ8_0, "Q8_0"},
                                            std::tuple{"Q4_0", gguf::TensorType::kQ4_0, "Q4_0+Q8_0"}}) {
    const fs::path file = dir / (std::string(name) + ".gguf");
    gguf::quantize_gguf(model_path(), file, type);
    const Model model = load_model(file);
    EXPECT_EQ(linear_formats(model), formats);
    EXPECT_NE(chat_answer(model, question).find("Paris"), std::string::npos) << name << ": " << chat_answer(model, question);
    fs::remove(file);
  }
  fs::remove_all(dir);
}

// ---- Chapter 08, K-quants: llama-quantize's Q4_K_M of the same model, when models/ has it. Its
// ffn_down rows (1536 values) are Q4_K or Q6_K super-blocks; the 576-wide matrices, too short for
// super-blocks of 256, are Q5_0 or Q8_0 (the head, and some attn_v); all kept as blocks.
// Held to the same file's fp32 path (--dequantize), as SmolLM2Blocks holds the Q4_1 file.

fs::path k_quant_path() { return fs::path(KVLM_MODELS_DIR) / "SmolLM2-135M-Instruct.Q4_K_M.gguf"; }

class SmolLM2KQuants : public SmolLM2Blocks {
 protected:
  static void SetUpTestSuite() {
    SmolLM2Blocks::SetUpTestSuite();
    if (!model_ || !fs::exists(k_quant_path())) return;
    k_blocks_ = new Model(load_model(k_quant_path()));
    k_fp32_ = new Model(load_model(k_quant_path(), {.dequantize = true}));
  }
  static void TearDownTestSuite() {
    delete k_blocks_;
    delete k_fp32_;
    k_blocks_ = k_fp32_ = nullptr;
    SmolLM2Blocks::TearDownTestSuite();
  }
  void SetUp() override {
    SmolLM2Blocks::SetUp();
    if (!k_blocks_) GTEST_SKIP() << k_quant_path() << " not found (llama-quantize's Q4_K_M of the Q4_1 file's model)";
  }
  static inline Model* k_blocks_ = nullptr;
  static inline Model* k_fp32_ = nullptr;
};

TEST_F(SmolLM2KQuants, KeepsItsKQuantBlocks) {
  EXPECT_EQ(linear_formats(*k_blocks_), "Q4_K+Q5_0+Q6_K+Q8_0");
  std::printf("bytes per decode step: %zu\n", linear_bytes(*k_blocks_));
  for (const auto& layer : k_blocks_->weights.layers) {
    ASSERT_TRUE(layer.down_proj.quantized());
    const std::string type = gguf::ggml_type_name(layer.down_proj.blocks().type);
    EXPECT_TRUE(type == "Q4_K" || type == "Q6_K") << type;
  }
}

// As SmolLM2Blocks' test, against this file's own fp32 path (HF's references are the Q4_1 file's):
// a prefill of more than 8 rows is its fp32 product exactly; decode steps through the cache run the
// integer dots (Q4_K, Q6_K, Q5_0, Q8_0 here). Measured max |diff| on the 64 largest logits at every position
// of the 3 prompts: 0.0073 on logits up to 38. Bound: 0.03, as for the Q4_1 file.
TEST_F(SmolLM2KQuants, DecodeStepsNearItsFp32Path) {
  const std::vector<int>& p1 = (*prompts_)[1].input_ids;
  ASSERT_GT(p1.size(), 8u);
  EXPECT_TRUE(forward(*k_blocks_, p1, 0, nullptr) == forward(*k_fp32_, p1, 0, nullptr));
  float worst = 0.0f;
  for (const ReferencePrompt& p : *prompts_) {
    const Matrix fp32 = forward(*k_fp32_, p.input_ids, 0, nullptr);
    ContiguousKVCache cache(k_blocks_->config, static_cast<int>(p.input_ids.size()));
    for (size_t t = 0; t < p.input_ids.size(); ++t) {
      const Matrix step = forward(*k_blocks_, std::span(p.input_ids).subspan(t, 1), static_cast<int>(t), &cache);
      for (size_t j = 0; j < p.topk_ids[t].size(); ++j)
        worst = std::max(worst, std::abs(step(0, p.topk_ids[t][j]) - fp32(t, p.topk_ids[t][j])));
    }
  }
  std::printf("max |decode step - fp32 path| = %.3g\n", worst);
  EXPECT_LT(worst, 0.03f);
  EXPECT_GT(worst, 0.0f);  // the decode steps did run the integer path
}

TEST_F(SmolLM2KQuants, NaiveEqualsCached) { expect_naive_equals_cached(*k_blocks_); }

// Not "Paris": this file's fp32 path itself answers "L'Étoile (The City of Light) is the capital of
// France." Its first token is a near tie in every file: "L" leads "The" by 0.29 here, and trails it by
// 0.08 in the Q4_1 file (kvlm logits on the chat prompt). What the blocks must do is keep that answer.
TEST_F(SmolLM2KQuants, ChatAnswerIsItsFp32PathsAnswer) {
  const std::string question = "What is the capital of France?";
  const std::string answer = chat_answer(*k_blocks_, question);
  std::printf("Q4_K_M: %s\n", answer.c_str());
  EXPECT_EQ(answer, chat_answer(*k_fp32_, question));
}

}  // namespace
}  // namespace kvlm
