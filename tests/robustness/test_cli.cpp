// The kvlm command's contract for errors: one sentence on stderr, exit 1 for bad input, exit 2 for
// bad usage; and --json output that parses. Runs the real binary.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <fstream>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "kvlm/io/load.hpp"
#include "kvlm/model/transformer.hpp"
#include "kvlm/tokenizer/tokenizer.hpp"
#include "kvlm/verify/reference.hpp"
#include "cli_run.hpp"
#include "paths.hpp"

namespace kvlm {
namespace {

// --device cuda: where a GPU is present, the CUDA forward's logits (within 1e-3 of the CPU's, as
// chapter 07's tests hold it to HF's); elsewhere one sentence naming why, and exit 1.
TEST(Cli, DeviceCudaRunsOrSaysWhyNot) {
  const std::string args = "logits -m " + kModel + " --prompt-ids 1,17,42 --json";
  const Result cpu = run(args), cuda = run(args + " --device cuda");
  ASSERT_EQ(cpu.code, 0) << cpu.err;
  if (cuda.code == 0) {
    const auto a = nlohmann::json::parse(cpu.out)["logits"], b = nlohmann::json::parse(cuda.out)["logits"];
    ASSERT_EQ(a.size(), b.size());
    for (size_t t = 0; t < a.size(); ++t)
      for (size_t i = 0; i < a[t].size(); ++i) EXPECT_NEAR(a[t][i].get<double>(), b[t][i].get<double>(), 1e-3);
  } else {
    expect_input_error(cuda, "--device cuda: ");
  }
  const Result bad = run(args + " --device tpu");
  EXPECT_EQ(bad.code, 2) << bad.err;  // bad usage: CLI11's message

  // generate: the same greedy tokens as the CPU's where a GPU is present, else the same sentence.
  const std::string gen = "generate -m " + kModel + " --prompt-ids 1,17,42 -n 8 --ignore-eos --json";
  const Result cpu_gen = run(gen), cuda_gen = run(gen + " --device cuda");
  ASSERT_EQ(cpu_gen.code, 0) << cpu_gen.err;
  EXPECT_EQ(nlohmann::json::parse(cpu_gen.out)["device"], "cpu");
  if (cuda_gen.code == 0) {
    EXPECT_EQ(nlohmann::json::parse(cuda_gen.out)["generated_ids"], nlohmann::json::parse(cpu_gen.out)["generated_ids"]);
  } else {
    expect_input_error(cuda_gen, "--device cuda: ");
  }
  // What the GPU does not do yet is a usage error, before anything loads.
  EXPECT_EQ(run(gen + " --device cuda --kv-cache paged").code, 2);
  EXPECT_EQ(run(gen + " --device cuda --trace /tmp/kvlm-trace.json").code, 2);
}

TEST(Cli, PromptLongerThanTheContextIsRefused) {
  std::string ids = "1";
  for (int i = 0; i < 100; ++i) ids += ",5";
  expect_input_error(run("generate -m " + kModel + " --prompt-ids " + ids), "longer than the context of 96 tokens");
  // A prompt that fits with more new tokens than the context holds is not refused: see
  // TooManyNewTokensStopAtAFullContext.
}

TEST(Cli, BadIdsAreRefused) {
  expect_input_error(run("generate -m " + kModel + " --prompt-ids 1,x,3"), "\"x\" in the id list is not an integer");
  expect_input_error(run("logits -m " + kModel + " --prompt-ids 1,999"), "token id 999 is outside the vocabulary of 256");
}

TEST(Cli, MissingModelIsRefused) {
  expect_input_error(run("inspect -m /nonexistent/model"), "does not exist");
}

TEST(Cli, TraceThatCannotBeWrittenIsRefusedBeforeGenerating) {
  expect_input_error(run("generate -m " + kModel + " --prompt-ids 1,2 -n 2 --trace /nonexistent/dir/t.json"),
                     "cannot write the trace to /nonexistent/dir/t.json");
  expect_input_error(run("view /nonexistent/t.json"), "cannot read the trace /nonexistent/t.json");
  EXPECT_EQ(run("generate -m " + kModel + " --prompt-ids 1,2 --trace-layers -1").code, 2);
  EXPECT_EQ(run("view t.json --port 70000").code, 2);
}

TEST(Cli, BadUsageExitsWith2) {
  EXPECT_EQ(run("generate --no-such-flag").code, 2);
  EXPECT_EQ(run("").code, 2);
  EXPECT_EQ(run("generate -m " + kModel).code, 2);  // neither -p nor --prompt-ids
}

TEST(Cli, GenerateJsonFollowsTheContract) {
  const Result r = run("generate -m " + kModel + " --prompt-ids 1,17,42 -n 5 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["prompt_ids"], nlohmann::json({1, 17, 42}));
  EXPECT_EQ(j["generated_ids"].size(), 5u);
  EXPECT_EQ(j["cache"], "kv");
  for (const char* key : {"load_ms", "prefill_ms", "decode_ms", "decode_tok_per_s"}) EXPECT_TRUE(j["timings"].contains(key)) << key;
  EXPECT_EQ(j["kv_cache_bytes"], 2 * 2 * 48 * 4 * 7);  // 2 (K,V) x 2 layers x kv_dim 48 x 4 bytes x 7 positions
  const auto naive = nlohmann::json::parse(run("generate -m " + kModel + " --prompt-ids 1,17,42 -n 5 --json --no-cache").out);
  EXPECT_EQ(naive["cache"], "none");
  EXPECT_EQ(naive["generated_ids"], j["generated_ids"]);
}

TEST(Cli, CompareExitsNonZeroOutsideTolerance) {
  // The llama-mha model against the gpt2 fixture's reference: a different model entirely.
  const std::string other = (test::data_dir() / "models" / "llama-gqa-tied" / "reference.safetensors").string();
  const Result bad = run("compare -m " + kModel + " --reference " + other + " --json");
  EXPECT_EQ(bad.code, 1);
  EXPECT_FALSE(nlohmann::json::parse(bad.out)["ok"].get<bool>());
  const std::string own = (test::data_dir() / "models" / "llama-mha" / "reference.safetensors").string();
  const Result good = run("compare -m " + kModel + " --reference " + own + " --json");
  EXPECT_EQ(good.code, 0) << good.err;
  EXPECT_TRUE(nlohmann::json::parse(good.out)["ok"].get<bool>());
  EXPECT_TRUE(nlohmann::json::parse(good.out)["prompts"][0]["hidden_checked"].get<bool>());

  // --device cuda: within the GPU's 1e-3 of HF's logits and HF's greedy paths, hidden states not
  // checked (the GPU records no traces); without a GPU or a CUDA build, one sentence and exit 1.
  const Result gpu = run("compare -m " + kModel + " --reference " + own + " --json --device cuda");
  if (gpu.code == 0) {
    const auto j = nlohmann::json::parse(gpu.out);
    EXPECT_TRUE(j["ok"].get<bool>());
    EXPECT_EQ(j["tolerance"]["logits"].get<double>(), static_cast<double>(kGpuLogitTolerance));
    EXPECT_FALSE(j["prompts"][0]["hidden_checked"].get<bool>());
  } else {
    expect_input_error(gpu, "--device cuda: ");
  }
}

TEST(Cli, LogitsOutWritesSafetensors) {
  const auto out = std::filesystem::temp_directory_path() / ("kvlm_cli_logits_" + std::to_string(getpid()) + ".safetensors");
  const Result r = run("logits -m " + kModel + " --prompt-ids 1,2,3 --out " + out.string() + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["shape"], nlohmann::json({3, 256}));
  EXPECT_GT(std::filesystem::file_size(out), 3u * 256 * 4);
}

TEST(Cli, InspectReportsKVCacheBytes) {
  const Result r = run("inspect -m " + kModel + " --context 10 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["kv_cache_bytes_per_token"], 2 * 2 * 4 * 12 * 4);  // 2 x layers x kv_heads x head_dim x 4
  EXPECT_EQ(j["kv_cache_bytes"], 10 * 2 * 2 * 4 * 12 * 4);
  EXPECT_FALSE(j.contains("kv_cache_bytes_window_aware"));  // no sliding layers
}

// Gemma 3's fixture: layer 0 slides over 8 positions, layer 1 is global; 2 kv heads x head_dim 16.
TEST(Cli, InspectShowsWhatASlidingWindowSaves) {
  const std::string gemma3 = (test::data_dir() / "models" / "gemma3").string();
  const Result r = run("inspect -m " + gemma3 + " --context 40 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const int per_layer_token = 2 * 2 * 16 * 4;  // K and V x kv_heads x head_dim x 4 bytes
  EXPECT_EQ(j["kv_cache_bytes"], 40 * 2 * per_layer_token);
  EXPECT_EQ(j["sliding_layers"], 1);
  EXPECT_EQ(j["kv_cache_bytes_window_aware"], (8 + 40) * per_layer_token);
}

// Each model family the fixtures cover goes through `kvlm compare` within tolerance.
// From the HF folder and from its GGUF (model.f32.gguf, as llama.cpp lays it out). Progress lines
// are for terminals only: none reach stderr here, a pipe.
TEST(Cli, CompareWorksForEveryFamily) {
  for (const char* family : {"llama3-scaled", "qwen2-yarn", "qwen3", "mistral", "phi3", "gemma3", "gemma3-6layer"}) {
    const auto dir = test::data_dir() / "models" / family;
    for (const auto& model : {dir, dir / "model.f32.gguf"}) {
      if (!std::filesystem::exists(model)) continue;  // gemma3's config has no faithful GGUF
      const Result r = run("compare -m " + model.string() + " --reference " + (dir / "reference.safetensors").string());
      EXPECT_EQ(r.code, 0) << model << ": " << r.err << r.out;
      EXPECT_EQ(r.err.find("comparing"), std::string::npos) << "progress written into a pipe: " << r.err;
    }
  }
}

// tokenize -m takes the tokenizer beside a model, as generate does (here a folder holding a
// tokenizer.json); -t and -m together are bad usage.
TEST(Cli, TokenizeTakesTheModelsTokenizer) {
  const auto folder = test::data_dir() / "tokenizers" / "tiny_bpe";
  const Result by_model = run("tokenize -m " + folder.string() + " --text \"Hello world\" --json");
  const Result by_file = run("tokenize -t " + (folder / "tokenizer.json").string() + " --text \"Hello world\" --json");
  ASSERT_EQ(by_model.code, 0) << by_model.err;
  EXPECT_EQ(by_model.out, by_file.out);
  EXPECT_EQ(run("tokenize -m " + folder.string() + " -t " + folder.string() + " --text x").code, 2);
  EXPECT_EQ(run("tokenize --text x").code, 2);
}

TEST(Cli, TrainTokenizerIntoAMissingFolderSaysWhich) {
  expect_input_error(run("train-tokenizer --input " + (test::data_dir() / "tokenizers" / "train.txt").string() +
                         " --merges 10 --out /nonexistent-kvlm-dir/t.json"),
                     "the folder /nonexistent-kvlm-dir does not exist");
}

// Floats as the config wrote them: 1e-05, not 9.999999747378752e-06.
TEST(Cli, InspectPrintsConfigFloatsAsWritten) {
  const Result r = run("inspect -m " + kModel);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("norm_eps                   1e-05\n"), std::string::npos) << r.out;
}

// --threads above the machine's CPUs is clamped with a one-line note, and the run goes on.
TEST(Cli, ThreadsAboveTheCpusAreClamped) {
  const Result r = run("generate -m " + kModel + " --prompt-ids 1,2 -n 2 --threads 100000 --json");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("--threads 100000 is more than this machine's"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(run("generate -m " + kModel + " --prompt-ids 1,2 -n 2 --threads -1").code, 1);
}

// The flags llama.cpp users type. A byte-level tokenizer (tiny_bpe) turns "zq" into ids 122, 113,
// inside the fixture's vocabulary of 256.
const std::string kTok = (test::data_dir() / "tokenizers" / "tiny_bpe" / "tokenizer.json").string();

nlohmann::json generate_json(const std::string& args) {
  const Result r = run("generate -m " + kModel + " -t " + kTok + " -n 5 --json " + args);
  EXPECT_EQ(r.code, 0) << args << ": " << r.err;
  if (r.code != 0) return {};
  nlohmann::json j = nlohmann::json::parse(r.out);
  j.erase("timings");  // the rest must be identical from run to run
  return j;
}

TEST(Cli, PromptFromStdinFileOrPipeEqualsTheText) {
  const auto file = std::filesystem::temp_directory_path() / ("kvlm_prompt_" + std::to_string(getpid()) + ".txt");
  std::ofstream(file) << "zq";
  const nlohmann::json text = generate_json("-p zq");
  EXPECT_EQ(text["prompt_ids"], nlohmann::json({122, 113}));
  EXPECT_EQ(generate_json("-p - < " + file.string()), text) << "-p - reads standard input";
  EXPECT_EQ(generate_json("-f " + file.string()), text) << "-f FILE";
  EXPECT_EQ(generate_json("< " + file.string()), text) << "a prompt piped in with no -p";
  std::filesystem::remove(file);
  // Nothing piped (stdin is /dev/null) and no prompt option: bad usage, not an empty generation.
  EXPECT_EQ(run("generate -m " + kModel + " < /dev/null").code, 2);
  expect_input_error(run("generate -m " + kModel + " -t " + kTok + " -f /nonexistent-kvlm-prompt.txt"),
                     "cannot open the prompt file");
}

TEST(Cli, EmptyPromptStartsFromBos) {
  EXPECT_EQ(generate_json("-p \"\"")["prompt_ids"], nlohmann::json({1}));  // the fixture's bos_token_id
}

// -n beyond the context generates until the context is full, then says so: 96 positions, a prompt
// of 3, so 94 new tokens (the last is sampled, never fed back).
TEST(Cli, TooManyNewTokensStopAtAFullContext) {
  const Result r = run("generate -m " + kModel + " --prompt-ids 1,2,3 -n 500 --ignore-eos --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["generated_ids"].size(), 94u);
  EXPECT_EQ(j["stop_reason"], "context_full");
  const Result small = run("generate -m " + kModel + " --prompt-ids 1,2,3 -n 500 -c 10 --ignore-eos --json");
  ASSERT_EQ(small.code, 0) << small.err;
  EXPECT_EQ(nlohmann::json::parse(small.out)["generated_ids"].size(), 8u) << "-c 10";
  EXPECT_EQ(nlohmann::json::parse(run("generate -m " + kModel + " --prompt-ids 1,2,3 -n 4 --json").out)["stop_reason"],
            "max_new_tokens");
  expect_input_error(run("generate -m " + kModel + " --prompt-ids 1,2,3,4 -c 3"), "longer than the context of 3 tokens (-c)");
}

// Chapter 09's lossy kinds from the command line. A window keeps S + W positions whatever the length,
// so generation runs past the model's context (96) in fixed memory. (Bad values: test_cli_kv_cache.cpp.)
TEST(Cli, LossyKVCachesFromTheCommandLine) {
  const Result r = run("generate -m " + kModel + " --prompt-ids 1,2,3 -n 300 --ignore-eos --json --kv-cache window --kv-window 16");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["generated_ids"].size(), 300u);
  EXPECT_EQ(j["stop_reason"], "max_new_tokens");
  EXPECT_EQ(j["kv_cache"]["kind"], "window");
  EXPECT_EQ(j["kv_cache"]["bytes_allocated"], (16 + 4) * 2 * 2 * 48 * 4);  // (W + S) x (K,V) x layers x kv_dim x 4
  for (const std::string kind : {"fp16", "int8"}) {
    const Result k = run("generate -m " + kModel + " --prompt-ids 1,2,3 -n 4 --json --kv-cache " + kind);
    ASSERT_EQ(k.code, 0) << k.err;
    EXPECT_EQ(nlohmann::json::parse(k.out)["kv_cache"]["kind"], kind);
  }
}

// Sampler values are checked before the model is loaded: exit 2 even for a model that does not exist.
TEST(Cli, BadSamplerValuesAreUsageErrors) {
  for (const char* bad : {"--temp -1", "--top-p 0", "--top-p 1.5", "--top-k -2", "--min-p 2", "--repeat-penalty 0",
                          "--repeat-last-n -2", "-n -1", "-c -5"})
    EXPECT_EQ(run(std::string("generate -m /nonexistent-kvlm-model --prompt-ids 1 ") + bad).code, 2) << bad;
}

TEST(Cli, LlamaCppHabits) {
  const Result t = run("generate -m " + kModel + " -t 2 -p hi");
  expect_input_error(t, "threads are --threads 2");
  const Result v = run("--version");
  EXPECT_EQ(v.code, 0);
  EXPECT_EQ(v.out.rfind("kvlm ", 0), 0u) << v.out;
  EXPECT_EQ(generate_json("-p zq --temp 0.8 -s 7"), generate_json("-p zq --temp 0.8 --seed 7")) << "-s is --seed";
}

// The text streamed token by token (decoding a short window each time) equals the whole
// generation decoded at once, as --json reports it: for SentencePiece, whose decoder drops the
// leading space of its first token, and for byte-level BPE, where the fixture's random tokens are
// often lone bytes of a UTF-8 character that the stream must hold back, then print.
TEST(Cli, StreamedTextEqualsTheWholeDecode) {
  for (const char* tok : {"tiny_sentencepiece/tokenizer.model", "tiny_bpe/tokenizer.json"}) {
    const std::string args = "generate -m " + kModel + " -t " + (test::data_dir() / "tokenizers" / tok).string() +
                             " --prompt-ids 1,5,9 -n 60";
    const Result streamed = run(args), json = run(args + " --json");
    ASSERT_EQ(streamed.code, 0) << streamed.err;
    ASSERT_EQ(json.code, 0) << json.err;
    const std::string text = nlohmann::json::parse(json.out)["text"];
    EXPECT_FALSE(text.empty()) << tok;
    EXPECT_EQ(streamed.out, text + "\n") << tok;
  }
}

// kvlm perplexity on llama-mha with the tiny_bpe tokenizer, whose ids 0..255 are single bytes:
// letters that no merge joins ("zqxjvk...") stay inside the model's vocabulary of 256.
std::filesystem::path text_file(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / ("kvlm_ppl_" + name + "_" + std::to_string(getpid()) + ".txt");
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::string repeated(const std::string& piece, int times) {
  std::string s;
  for (int i = 0; i < times; ++i) s += piece;
  return s;
}

// The command's perplexity against one computed here from `forward`'s logits, window by window, with
// the NLL written out in double: the same fp32 logits, so only the summation order differs (1e-12).
TEST(Cli, PerplexityJsonMatchesTheNllOfForwardsLogits) {
  constexpr int kCtx = 16;
  const std::string text = repeated("zqxjvkqzjxkv", 3);  // 36 tokens: 2 windows of 16 and a tail of 4
  const Result r = run("perplexity -m " + kModel + " -t " + kTok + " -f " + text_file("ok", text).string() +
                       " --ctx " + std::to_string(kCtx) + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  for (const char* key : {"model", "text", "text_tokens", "ctx", "windows", "first_scored_position", "tokens_scored",
                          "mean_nll", "perplexity", "perplexity_stderr"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_FALSE(j.contains("kl_base"));

  const std::vector<int> ids = load_tokenizer(kTok)->encode(text, true);
  ASSERT_EQ(ids.size(), 36u);
  const Model model = load_model(kModel);
  double nll = 0;
  int scored = 0;
  for (int w = 0; w < 2; ++w) {
    const std::span<const int> window(ids.data() + w * kCtx, kCtx);
    const Matrix logits = forward(model, window, 0, nullptr);
    for (int t = kCtx / 2; t + 1 < kCtx; ++t, ++scored) {
      const double max = logits.row(t).maxCoeff();
      double sum = 0;
      for (Eigen::Index i = 0; i < logits.cols(); ++i) sum += std::exp(logits(t, i) - max);
      nll += max + std::log(sum) - logits(t, window[t + 1]);
    }
  }
  EXPECT_EQ(j["text_tokens"], 36);
  EXPECT_EQ(j["windows"], 2);
  EXPECT_EQ(j["first_scored_position"], kCtx / 2);
  EXPECT_EQ(j["tokens_scored"], scored);
  EXPECT_NEAR(j["mean_nll"].get<double>(), nll / scored, 1e-12);
  EXPECT_NEAR(j["perplexity"].get<double>(), std::exp(nll / scored), 1e-12 * std::exp(nll / scored));

  // Against itself: KL 0, top-1 agreement 1. Against the same weights from llama2.c's file: KL
  // below 2e-8 (test_perplexity.cpp says why).
  for (const std::string& base : {kModel, kModel + "/llama2c.bin"}) {
    const Result kl = run("perplexity -m " + kModel + " -t " + kTok + " -f " + text_file("ok", text).string() +
                          " --ctx 16 --json --kl-base " + base);
    ASSERT_EQ(kl.code, 0) << kl.err;
    const auto k = nlohmann::json::parse(kl.out)["kl_base"];
    EXPECT_EQ(k["model"], base);
    EXPECT_LE(std::abs(k["mean_kl"].get<double>()), 2e-8) << base;
    EXPECT_EQ(k["top1_agreement"], 1.0) << base;
    // The base's logits are within 1e-4 of these (test_perplexity.cpp), so its mean NLL is within
    // 2e-4 and its perplexity within a relative 2e-4 (measured: 3e-7; logits 2e-6 apart).
    EXPECT_NEAR(k["perplexity"].get<double>(), j["perplexity"].get<double>(), 2e-4 * j["perplexity"].get<double>())
        << base;
  }
  const Result other = run("perplexity -m " + kModel + " -t " + kTok + " -f " + text_file("ok", text).string() +
                           " --ctx 16 --json --kl-base " + (test::data_dir() / "models" / "llama-gqa-tied").string());
  ASSERT_EQ(other.code, 0) << other.err;
  EXPECT_GT(nlohmann::json::parse(other.out)["kl_base"]["mean_kl"].get<double>(), 0.0);
}

TEST(Cli, PerplexityBadInputIsRefused) {
  const std::string ok = text_file("ok", repeated("zqxjvkqzjxkv", 3)).string();  // 36 tokens
  const std::string args = "perplexity -m " + kModel + " -t " + kTok + " ";
  expect_input_error(run(args + "-f " + text_file("empty", "").string()), "is empty");
  expect_input_error(run(args + "-f /nonexistent/text.txt"), "cannot open the text file /nonexistent/text.txt");
  expect_input_error(run(args + "-f " + ok + " --ctx 20"),
                     "the text has 36 tokens; perplexity with a window (--ctx) of 20 needs at least 40 (two windows)");
  expect_input_error(run(args + "-f " + ok + " --ctx 97"), "97 tokens is longer than the model's context of 96");
  expect_input_error(run(args + "-f " + ok + " --ctx 1"), "must hold at least 2 tokens, not 1");
  expect_input_error(run("perplexity -m " + kModel + " -f " + ok), "no tokenizer found beside");
  EXPECT_EQ(run(args + "-f " + ok + " --ctx many").code, 2);
  EXPECT_EQ(run("perplexity -m " + kModel).code, 2);  // no -f
  // A base model of another vocabulary: ../shared's llama-tiny (384 tokens), where ../shared is present.
  const auto tiny = test::shared_dir() / "models" / "llama-tiny";
  if (std::filesystem::exists(tiny))
    expect_input_error(run(args + "-f " + ok + " --ctx 16 --kl-base " + tiny.string()),
                       "the base model's vocabulary has 384 tokens and the model's 256");
}

// kvlm quantize -m FOLDER: what it cannot read or cannot write is refused in one sentence, and no
// file is left behind.
TEST(Cli, QuantizeBadFolderIsRefused) {
  const auto tmp = std::filesystem::temp_directory_path() / ("kvlm_quantize_bad_" + std::to_string(getpid()));
  std::filesystem::create_directories(tmp / "empty");
  const std::string out = (tmp / "out.gguf").string();
  expect_input_error(run("quantize --type q8_0 -o " + out + " -m " + (tmp / "empty").string()), "has no config.json");
  std::filesystem::create_directories(tmp / "bert");
  std::ofstream(tmp / "bert" / "config.json") << R"({"model_type": "bert", "hidden_size": 32})";
  expect_input_error(run("quantize --type q8_0 -o " + out + " -m " + (tmp / "bert").string()),
                     "model_type \"bert\" is not supported");
  // Gemma 3 with query_pre_attn_scalar 256 (not head_dim): llama.cpp's gemma3 keys cannot say so.
  expect_input_error(run("quantize --type q8_0 -o " + out + " -m " + (test::data_dir() / "models" / "gemma3").string()),
                     "sets query_pre_attn_scalar to a value that llama.cpp's gemma3 keys cannot carry");
  expect_input_error(run("quantize --type q8_0 -o " + out + " -m " + (test::data_dir() / "models" / "llama-mha" / "llama2c.bin").string()),
                     "is neither an HF model folder nor a .gguf file");
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_FALSE(std::filesystem::exists(out + ".partial"));
  EXPECT_FALSE(std::filesystem::exists(out + ".unchecked"));
  std::filesystem::remove_all(tmp);
}

// A folder without tokenizer.json: one warning line, and the GGUF runs as the folder does, on
// --prompt-ids (the same greedy ids: F32 keeps every weight), or on text with -t.
TEST(Cli, QuantizeFolderWithoutTokenizerWarnsAndRunsOnIds) {
  const std::string out = (std::filesystem::temp_directory_path() / ("kvlm_quantize_novocab_" + std::to_string(getpid()) + ".gguf")).string();
  const Result q = run("quantize -m " + kModel + " --type f32 -o " + out);
  ASSERT_EQ(q.code, 0) << q.err;
  EXPECT_EQ(q.err.rfind("warning: ", 0), 0u) << q.err;
  EXPECT_NE(q.err.find("has no tokenizer.json"), std::string::npos) << q.err;
  EXPECT_EQ(std::count(q.err.begin(), q.err.end(), '\n'), 1) << q.err;
  const std::string ids = " --prompt-ids 1,5,7 -n 6 --temp 0 --json";
  const Result a = run("generate -m " + kModel + ids), b = run("generate -m " + out + ids);
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_EQ(nlohmann::json::parse(a.out)["generated_ids"], nlohmann::json::parse(b.out)["generated_ids"]);
  expect_input_error(run("generate -m " + out + " -p hello -n 2"), "no tokenizer found beside");
  const Result text = run("generate -m " + out + " -t " + kTok + " -p zq -n 2 --temp 0");
  EXPECT_EQ(text.code, 0) << text.err;
  EXPECT_EQ(text.out, run("generate -m " + kModel + " -t " + kTok + " -p zq -n 2 --temp 0").out);
  std::filesystem::remove(out);
}

}  // namespace
}  // namespace kvlm
