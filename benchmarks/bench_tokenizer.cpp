// Encode throughput (MB/s of UTF-8 text) of each tokenizer, and load time of the big vocabularies.
// Not a comparison by itself: bench_tokenizer_hf.py times HF tokenizers / sentencepiece on the
// same lines and prints the ratio. The text: data/tokenizers/train.txt repeated, each copy
// prefixed "[rep N]\n" (~2 MB of English, code, and six scripts), encoded line by line (each line
// keeps its "\n"), as prompts are: one huge string would only measure the longest-word case.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "kvlm/tokenizer/tokenizer.hpp"

namespace {

namespace fs = std::filesystem;

constexpr int kRepetitions = 100;  // copies of train.txt in the benchmark text

fs::path shared_dir() {
  if (const char* env = std::getenv("KVLM_SHARED_DIR")) return env;
  return KVLM_SHARED_DIR_DEFAULT;
}

const std::vector<std::string>& bench_lines() {
  static const std::vector<std::string> lines = [] {
    std::ifstream in(fs::path(KVLM_DATA_DIR) / "tokenizers" / "train.txt", std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    std::string out;
    for (int rep = 0; rep < kRepetitions; ++rep) out += "[rep " + std::to_string(rep) + "]\n" + s.str();
    std::vector<std::string> result;
    for (std::size_t start = 0; start < out.size();) {
      const std::size_t newline = out.find('\n', start);
      const std::size_t end = newline == std::string::npos ? out.size() : newline + 1;
      result.push_back(out.substr(start, end - start));
      start = end;
    }
    return result;
  }();
  return lines;
}

void BM_Encode(benchmark::State& state, fs::path path) {
  if (!fs::exists(path)) {
    state.SkipWithError(("not found: " + path.string()).c_str());
    return;
  }
  const auto tokenizer = kvlm::load_tokenizer(path);
  const std::vector<std::string>& lines = bench_lines();
  std::size_t bytes = 0, tokens = 0;
  for (const std::string& line : lines) bytes += line.size();
  for (auto _ : state) {
    tokens = 0;
    for (const std::string& line : lines) {
      const std::vector<int> ids = tokenizer->encode(line, false);
      tokens += ids.size();
      benchmark::DoNotOptimize(ids.data());
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["tokens"] = static_cast<double>(tokens);
  state.counters["bytes_per_token"] = static_cast<double>(bytes) / static_cast<double>(tokens);
}

void BM_Load(benchmark::State& state, fs::path path) {
  if (!fs::exists(path)) {
    state.SkipWithError(("not found: " + path.string()).c_str());
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(kvlm::load_tokenizer(path));
}

const fs::path kShared = shared_dir() / "tokenizers";
const fs::path kData = fs::path(KVLM_DATA_DIR) / "tokenizers";

BENCHMARK_CAPTURE(BM_Encode, gpt2, kShared / "gpt2/tokenizer.json")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, llama3, kShared / "llama3/tokenizer.json")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, qwen3, kShared / "qwen3/tokenizer.json")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, llama2_json, kShared / "llama2/tokenizer.json")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, llama2_sentencepiece, kShared / "llama2/tokenizer.model")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, tiny_bpe, kData / "tiny_bpe/tokenizer.json")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Load, llama3, kShared / "llama3/tokenizer.json")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Load, qwen3, kShared / "qwen3/tokenizer.json")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Load, llama2_sentencepiece, kShared / "llama2/tokenizer.model")->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
