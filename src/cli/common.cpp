// Helpers for the subcommands; see common.hpp.
#include "cli/common.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <unistd.h>

#include "kvlm/error.hpp"
#include "kvlm/io/gguf.hpp"
#include "kvlm/threads.hpp"
#if KVLM_HAS_CUDA
#include "kvlm/cuda/decoder.hpp"
#include "kvlm/cuda/device.hpp"
#endif

namespace kvlm::cli {

std::vector<int> parse_ids(const std::string& text) {
  std::vector<int> ids;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string item = text.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    int value = 0;
    const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (item.empty() || ec != std::errc() || ptr != item.data() + item.size())
      throw Error("\"" + item + "\" in the id list is not an integer (expected e.g. 1,2,3)");
    ids.push_back(value);
    start = end + 1;
  }
  return ids;
}

std::unique_ptr<Tokenizer> find_tokenizer(const std::filesystem::path& model, const std::string& flag) {
  namespace fs = std::filesystem;
  if (!flag.empty()) {
    // llama.cpp users type -t 2 for two threads: in kvlm, -t names the tokenizer.
    if (!fs::exists(flag) && flag.find_first_not_of("0123456789") == std::string::npos)
      throw Error("tokenizer file " + flag + " does not exist (-t names the tokenizer in kvlm; threads are --threads " +
                  flag + ")");
    return load_tokenizer(flag);
  }
  std::vector<fs::path> candidates;
  if (fs::is_directory(model)) {
    candidates = {model / "tokenizer.json", model / "tokenizer.model"};
  } else if (model.extension() == ".gguf") {
    // A GGUF without a vocabulary (tokenizer.ggml.model "no_vocab", as kvlm quantize writes a folder
    // that has no tokenizer.json) is a model without a tokenizer, like that folder.
    const gguf::GgufFile file(model);
    const gguf::Value* vocab = file.find("tokenizer.ggml.model");
    if (!vocab || vocab->as_string() != "no_vocab") candidates = {model};
  } else {
    candidates = {model.parent_path() / "tokenizer.bin", model.parent_path() / "tokenizer.model",
                  model.parent_path() / "tokenizer.json"};
  }
  for (const fs::path& c : candidates)
    if (fs::exists(c)) return load_tokenizer(c);
  return nullptr;
}

void TextStream::push(int id) {
  ids_.push_back(id);
  print_new_text(/*final=*/false);
}

void TextStream::print_new_text(bool final) {
  if (!tok_ || read_ == ids_.size()) return;
  const std::span<const int> ids(ids_);
  const std::string printed = tok_->decode(ids.subspan(prefix_, read_ - prefix_));
  const std::string text = tok_->decode(ids.subspan(prefix_));
  static const std::string kReplacement = "\xEF\xBF\xBD";
  if (!final && text.ends_with(kReplacement)) return;
  if (text.size() <= printed.size() || !text.starts_with(printed)) return;
  std::fwrite(text.data() + printed.size(), 1, text.size() - printed.size(), stdout);
  std::fflush(stdout);
  prefix_ = read_;
  read_ = ids_.size();
}

void add_load_flags(CLI::App* cmd, LoadOptions& load) {
  cmd->add_flag("--check-tensors", load.check_tensors, "scan every weight at load; name the first NaN or Inf and exit 1");
  cmd->add_flag("--dequantize", load.dequantize,
                "widen Q8_0/Q4_0/Q4_1/Q5_0/Q4_K/Q6_K weights to fp32 at load (the exact fp32 path) "
                "instead of computing on the blocks");
}

void add_sampler_options(CLI::App* cmd, SamplerConfig& s) {
  cmd->add_option("--temp", s.temperature, "temperature; 0 = greedy")->capture_default_str();
  cmd->add_option("--top-k", s.top_k, "sample from the k most likely tokens (0 = all)")->capture_default_str();
  cmd->add_option("--top-p", s.top_p, "sample from the smallest set reaching probability p")->capture_default_str();
  cmd->add_option("--min-p", s.min_p, "drop tokens below min-p x the top probability (0 = off)")->capture_default_str();
  cmd->add_option("--repeat-penalty", s.repeat_penalty, "penalize recently seen tokens (1 = off)")->capture_default_str();
  cmd->add_option("--repeat-last-n", s.repeat_last_n, "tokens the penalty looks back at (-1 = all, 0 = off)")
      ->capture_default_str();
  cmd->add_option("-s,--seed", s.seed, "random seed for sampling")->capture_default_str();
}

void check_sampler_options(const std::string& command, const SamplerConfig& sampler) {
  try {
    validate(sampler);
  } catch (const Error& e) {
    throw CLI::ValidationError(command, e.what());
  }
}

void add_device_option(CLI::App* cmd, std::string& device) {
  cmd->add_option("--device", device, "cpu, or cuda: chapter 07's GPU forward, where built and a GPU is present")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
}

std::unique_ptr<Decoder> make_decoder(const std::string& device, const Model& model) {
  if (device != "cuda") return std::make_unique<CpuDecoder>(model);
#if KVLM_HAS_CUDA
  std::string why;
  if (!cuda::device_present(&why)) throw Error("--device cuda: " + why);
  return std::make_unique<cuda::Decoder>(model);
#else
  throw Error("--device cuda: this kvlm was built without CUDA (install the CUDA toolkit and build again)");
#endif
}

int context_size(int requested, int model_context) {
  if (requested <= 0) return model_context;
  if (requested > model_context)
    std::fprintf(stderr, "[kvlm] -c %d is more than the model's context of %d tokens: using %d\n", requested,
                 model_context, model_context);
  return std::min(requested, model_context);
}

void set_threads(int threads) {
  if (threads < 0) throw Error("--threads must be >= 0");
  const int used = set_num_threads(threads);
  if (threads > used)
    std::fprintf(stderr, "[kvlm] --threads %d is more than this machine's %d CPUs: using %d\n", threads,
                 hardware_threads(), used);
}

void progress(const std::string& line) {
  static const bool terminal = isatty(STDERR_FILENO) != 0;
  if (!terminal) return;
  std::fprintf(stderr, "\r\033[K%s", line.c_str());  // back to the line's start, erase it, write
  std::fflush(stderr);
}

}  // namespace kvlm::cli
