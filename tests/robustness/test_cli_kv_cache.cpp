// kvlm's KV cache flags (chapter 09) from the command line: bad values are usage errors (exit 2), a
// pool too small and a foreign, corrupt or truncated cache file are input errors (exit 1), each one
// sentence; -f runs several prompts on one paged pool and reports reuse; a saved prompt cache
// continues to the same tokens as a run without it. Runs the real binary on the llama-mha fixture.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>
#include <nlohmann/json.hpp>

#include "cli_run.hpp"

namespace kvlm {
namespace {

const std::string kTok = (test::data_dir() / "tokenizers" / "tiny_bpe" / "tokenizer.json").string();
const std::string kGenerate = "generate -m " + kModel + " -t " + kTok + " ";

std::filesystem::path temp_file(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("kvlm_kv_" + std::to_string(getpid()) + "_" + name);
}

// One JSON object per line of stdout.
std::vector<nlohmann::json> json_lines(const Result& r) {
  std::vector<nlohmann::json> out;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

void expect_usage_error(const Result& r, const std::string& message) {
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
}

TEST(CliKVCache, BadFlagValuesAreUsageErrors) {
  expect_usage_error(run(kGenerate + "-p zq --kv-cache paged --kv-block 0"), "--kv-block must be at least 1");
  expect_usage_error(run(kGenerate + "-p zq --kv-cache window --kv-window 0"), "--kv-window must keep at least 1");
  expect_usage_error(run(kGenerate + "-p zq --kv-cache nope"), "unknown KV cache kind 'nope'");
  expect_usage_error(run(kGenerate + "-p zq --no-cache --save-cache x.kvc"), "need the KV cache");
  expect_usage_error(run("chat -m " + kModel + " --kv-block 0 < /dev/null"), "--kv-block must be at least 1");
}

TEST(CliKVCache, PoolTooSmallForOneSequenceIsAnInputError) {
  // 7 prompt + 5 new tokens need 11 positions; one block of 4 holds 4.
  expect_input_error(run(kGenerate + "--prompt-ids 1,2,3,4,5,6,7 -n 5 --kv-cache paged --kv-block 4 --kv-pool 1"),
                     "needs 11 positions, more than the paged KV cache's 4");
}

TEST(CliKVCache, JsonReportsTheCache) {
  const nlohmann::json j = json_lines(run(kGenerate + "--prompt-ids 1,2,3,4,5,6,7 -n 5 --json")).at(0);
  EXPECT_EQ(j["kv_cache"]["kind"], "contiguous");
  EXPECT_EQ(j["kv_cache"]["bytes_allocated"], 2 * 2 * 48 * 4 * 11);  // 2 (K,V) x 2 layers x kv_dim 48 x 4 bytes x 11
  EXPECT_EQ(j["kv_cache"]["bytes_used"], j["kv_cache"]["bytes_allocated"]);
  const nlohmann::json p = json_lines(run(kGenerate + "--prompt-ids 1,2,3,4,5,6,7 -n 5 --json --kv-cache paged --kv-block 4")).at(0);
  EXPECT_EQ(p["generated_ids"], j["generated_ids"]);
  EXPECT_EQ(p["kv_cache"]["kind"], "paged");
  EXPECT_EQ(p["kv_cache"]["blocks"]["in_table"], 3);  // 11 positions in blocks of 4
  EXPECT_EQ(p["kv_cache"]["bytes_used"], 3 * 2 * 2 * 48 * 4 * 4);
  EXPECT_EQ(p["kv_cache"]["reused_positions"], 0);
}

// The same 30-token start, then two endings and the first again: the later prompts reuse the
// first's full blocks (a pool of 32 blocks keeps them all; the default pool, sized for one prompt,
// would give the second prompt's new blocks the first one's least recently used block), and every
// prompt continues as it does alone with the contiguous cache.
TEST(CliKVCache, PromptsFromAFileShareOnePagedPool) {
  const auto file = temp_file("prompts.txt");
  const std::string start = "zqzqzqzqzqzqzqzqzqzqzqzqzqzqzq";  // 30 tokens of the tiny vocabulary
  std::ofstream(file) << start << "abab\n\n" << start << "cdcd\n" << start << "abab\n";
  const std::vector<nlohmann::json> paged =
      json_lines(run(kGenerate + "-f " + file.string() + " -n 4 --json --kv-cache paged --kv-block 4 --kv-pool 32"));
  const std::vector<nlohmann::json> alone = json_lines(run(kGenerate + "-f " + file.string() + " -n 4 --json"));
  std::filesystem::remove(file);
  ASSERT_EQ(paged.size(), 3u) << "one object per non-empty line";
  ASSERT_EQ(alone.size(), 3u);
  EXPECT_EQ(paged[0]["kv_cache"]["reused_positions"], 0);
  EXPECT_EQ(paged[1]["kv_cache"]["reused_positions"], 28);  // 7 full blocks of the shared 30 tokens
  EXPECT_EQ(paged[2]["kv_cache"]["reused_positions"], 32);  // the first prompt again: all 8 blocks but its last token
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(paged[i]["generated_ids"], alone[i]["generated_ids"]) << "prompt " << i;
    EXPECT_GT(paged[i]["timings"]["time_to_first_token_ms"].get<double>(), 0.0);
  }
}

// --save-cache then --load-cache: the same tokens as a run that never saved, and the positions reused.
TEST(CliKVCache, SavedPromptCacheContinuesTheSame) {
  const auto file = temp_file("prompt.kvcache");
  const std::string prompt = "--prompt-ids 5,6,7,8,9,10,11,12 -n 6 --json ";
  const nlohmann::json plain = json_lines(run(kGenerate + prompt)).at(0);
  const nlohmann::json saved = json_lines(run(kGenerate + prompt + "--save-cache " + file.string())).at(0);
  const nlohmann::json loaded = json_lines(run(kGenerate + prompt + "--load-cache " + file.string())).at(0);
  EXPECT_EQ(saved["generated_ids"], plain["generated_ids"]);
  EXPECT_EQ(loaded["generated_ids"], plain["generated_ids"]);
  EXPECT_EQ(loaded["kv_cache"]["reused_positions"], 7);  // every prompt position but the last
  // A longer prompt that starts with the saved one may load it too.
  const nlohmann::json longer =
      json_lines(run(kGenerate + "--prompt-ids 5,6,7,8,9,10,11,12,13 -n 6 --json --load-cache " + file.string())).at(0);
  EXPECT_EQ(longer["generated_ids"], json_lines(run(kGenerate + "--prompt-ids 5,6,7,8,9,10,11,12,13 -n 6 --json")).at(0)["generated_ids"]);
  std::filesystem::remove(file);
}

TEST(CliKVCache, ForeignCorruptOrTruncatedCacheFilesAreRefused) {
  const auto file = temp_file("good.kvcache"), bad = temp_file("bad.kvcache");
  ASSERT_EQ(run(kGenerate + "--prompt-ids 5,6,7,8,9,10,11,12 -n 2 --save-cache " + file.string()).code, 0);
  std::string bytes;
  {
    std::ifstream in(file, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::string load = "--prompt-ids 5,6,7,8,9,10,11,12 -n 2 --load-cache " + bad.string();
  auto write_bad = [&](const std::string& b) { std::ofstream(bad, std::ios::binary) << b; };

  write_bad("not a cache at all");
  expect_input_error(run(kGenerate + load), "is not a kvlm KV cache file");
  write_bad(bytes.substr(0, bytes.size() / 2));
  expect_input_error(run(kGenerate + load), "is truncated");
  std::string flipped = bytes;
  flipped[flipped.size() - 5] ^= 0x40;  // one bit of one value
  write_bad(flipped);
  expect_input_error(run(kGenerate + load), "is corrupt");
  write_bad(bytes);
  expect_input_error(run(kGenerate + load + " --kv-cache paged"), "holds a contiguous cache, not paged");
  const std::string other = (test::data_dir() / "models" / "llama-gqa-tied").string();
  expect_input_error(run("generate -m " + other + " " + load), "was saved with another model");
  expect_input_error(run(kGenerate + "--prompt-ids 9,9 --load-cache " + file.string()), "not the start of this prompt");
  std::filesystem::remove(file);
  std::filesystem::remove(bad);
}

TEST(CliKVCache, InspectListsEveryVariantsBytes) {
  const Result r = run("inspect -m " + kModel + " --context 10 --json --kv-block 4 --kv-window 6 --kv-sinks 2");
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  const int per_token = 2 * 2 * 4 * 12 * 4;  // 2 (K,V) x layers x kv_heads x head_dim x 4 bytes
  std::map<std::string, size_t> bytes;
  for (const auto& row : j["kv_cache_variants"]) bytes[row["kind"]] = row["bytes"];
  EXPECT_EQ(bytes["contiguous"], 10u * per_token);
  EXPECT_EQ(bytes["paged"], 12u * per_token);  // 3 blocks of 4
  EXPECT_EQ(bytes["fp16"], 10u * per_token / 2 + 10u * 2 * 4 * 12 * 4);  // + one layer widened to fp32 for attention
  EXPECT_EQ(bytes["window"], 8u * per_token);  // 2 sinks + the last 6
  EXPECT_EQ(bytes.size(), 5u);
}

}  // namespace
}  // namespace kvlm
