// Helpers shared by the kvlm subcommands: parsing id lists, finding the tokenizer beside a model.
// Not business logic: everything that computes lives in the library.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "kvlm/generate/decoder.hpp"
#include "kvlm/generate/sampler.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/tokenizer/tokenizer.hpp"

namespace kvlm::cli {

// "1,2,3" -> {1, 2, 3}; throws kvlm::Error naming the bad entry.
std::vector<int> parse_ids(const std::string& text);

// The tokenizer to use: -t if given, else the one beside the model (tokenizer.json / tokenizer.model
// in an HF folder, tokenizer.bin beside a llama2.c .bin, the GGUF itself); nullptr if none is found.
std::unique_ptr<Tokenizer> find_tokenizer(const std::filesystem::path& model, const std::string& tokenizer_flag);

// Prints the text of the generated ids as they come, decoding a short window rather than the whole
// sequence each time (vLLM's incremental detokenization): the text of ids[prefix, read) has been
// printed; decode(ids[prefix, end)) minus decode(ids[prefix, read)) is what the new ids add. The
// window starts at the tokens printed last time because a decoder treats the first token of its
// input specially (SentencePiece drops its leading space), and that must not be a token we print.
// A token may end inside a UTF-8 character (the decode then ends in U+FFFD); such a tail waits for
// the next token. With no tokenizer it prints nothing.
class TextStream {
 public:
  explicit TextStream(const Tokenizer* tok) : tok_(tok) {}
  void push(int id);
  // After the last token: prints what was held back (a character the generation left incomplete).
  void finish() { print_new_text(/*final=*/true); }

 private:
  void print_new_text(bool final);
  const Tokenizer* tok_;
  std::vector<int> ids_;
  size_t prefix_ = 0, read_ = 0;  // ids[prefix_, read_) were decoded last time and are printed
};

// The sampling flags generate and chat share (--temp, --top-k, --top-p, --min-p, --repeat-penalty,
// --repeat-last-n, -s/--seed), bound to `sampler`; and their check, a usage error (exit 2) that runs
// before anything is loaded.
void add_sampler_options(CLI::App* cmd, SamplerConfig& sampler);
void check_sampler_options(const std::string& command, const SamplerConfig& sampler);

// The loading flags of generate, logits, compare and perplexity, bound to `load`:
//   --check-tensors: a weight holding NaN or Inf is named, with its flat index, before anything runs (exit 1);
//   --dequantize:    Q8_0/Q4_0/Q4_1/Q5_0/Q4_K/Q6_K weights are widened to fp32 at load instead of multiplied as blocks.
void add_load_flags(CLI::App* cmd, LoadOptions& load);

// --device cpu|cuda (generate, logits): the flag, and the Decoder (generate/decoder.hpp) that runs
// the model there. "cuda" is chapter 07's cuda::Decoder where kvlm was built with CUDA and a GPU is
// present; otherwise one kvlm::Error sentence saying which is missing (exit 1).
void add_device_option(CLI::App* cmd, std::string& device);
std::unique_ptr<Decoder> make_decoder(const std::string& device, const Model& model);

// The context a command works in: -c N (0 = the model's max_position_embeddings). A value above
// the model's context is clamped to it, with a one-line note on stderr.
int context_size(int requested, int model_context);

// Applies --threads (0 = the default: $OMP_NUM_THREADS, else every CPU); above the machine's CPUs it
// is clamped, with a one-line note on stderr.
void set_threads(int threads);

// Where work is long (compare on a real model): one status line on stderr, rewritten in place, and
// only when stderr is a terminal, never into a pipe, a log or --json output. "" clears it.
void progress(const std::string& line);

}  // namespace kvlm::cli
