// Helpers shared by the kvlm subcommands: parsing id lists, finding the tokenizer beside a model.
// Not business logic: everything that computes lives in the library.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "kvlm/tokenizer/tokenizer.hpp"

namespace kvlm::cli {

// "1,2,3" -> {1, 2, 3}; throws kvlm::Error naming the bad entry.
std::vector<int> parse_ids(const std::string& text);

// The tokenizer to use: -t if given, else the one beside the model (tokenizer.json / tokenizer.model
// in an HF folder, tokenizer.bin beside a llama2.c .bin, the GGUF itself); nullptr if none is found.
std::unique_ptr<Tokenizer> find_tokenizer(const std::filesystem::path& model, const std::string& tokenizer_flag);

// Applies --threads (0 = the default: $OMP_NUM_THREADS, else every CPU); above the machine's CPUs it
// is clamped, with a one-line note on stderr.
void set_threads(int threads);

}  // namespace kvlm::cli
