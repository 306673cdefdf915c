// The kvlm command's contract for errors: one sentence on stderr, exit 1 for bad input, exit 2 for
// bad usage; and --json output that parses. Runs the real binary.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <fstream>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "paths.hpp"

namespace kvlm {
namespace {

struct Result {
  int code;
  std::string out, err;
};

Result run(const std::string& args) {
  // One file per process: ctest runs tests in parallel processes.
  const auto err_path = std::filesystem::temp_directory_path() / ("kvlm_cli_stderr_" + std::to_string(getpid()) + ".txt");
  const std::string cmd = test::kvlm_binary().string() + " " + args + " 2>" + err_path.string();
  Result r{};
  FILE* pipe = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(err_path);
  r.err.assign(std::istreambuf_iterator<char>(in), {});
  return r;
}

const std::string kModel = (test::data_dir() / "models" / "llama-mha").string();  // context 96, vocab 256

void expect_input_error(const Result& r, const std::string& message) {
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one sentence, one line: " << r.err;
}

TEST(Cli, PromptLongerThanTheContextIsRefused) {
  std::string ids = "1";
  for (int i = 0; i < 100; ++i) ids += ",5";
  expect_input_error(run("generate -m " + kModel + " --prompt-ids " + ids), "longer than the model's context of 96");
  expect_input_error(run("generate -m " + kModel + " --prompt-ids 1,2 -n 200"), "does not fit the model's context");
}

TEST(Cli, BadIdsAreRefused) {
  expect_input_error(run("generate -m " + kModel + " --prompt-ids 1,x,3"), "\"x\" in the id list is not an integer");
  expect_input_error(run("logits -m " + kModel + " --prompt-ids 1,999"), "token id 999 is outside the vocabulary of 256");
}

TEST(Cli, MissingModelIsRefused) {
  expect_input_error(run("inspect -m /nonexistent/model"), "does not exist");
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
TEST(Cli, CompareWorksForEveryFamily) {
  for (const char* family : {"llama3-scaled", "qwen2-yarn", "qwen3", "mistral", "phi3", "gemma3"}) {
    const auto dir = test::data_dir() / "models" / family;
    const Result r = run("compare -m " + dir.string() + " --reference " + (dir / "reference.safetensors").string());
    EXPECT_EQ(r.code, 0) << family << ": " << r.err << r.out;
  }
}

}  // namespace
}  // namespace kvlm
