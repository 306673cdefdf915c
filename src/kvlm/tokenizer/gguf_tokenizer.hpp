// load_gguf_tokenizer: the tokenizer stored in a GGUF's tokenizer.ggml.* metadata (gguf_tokenizer.cpp).
// Not a GGUF reader: io/gguf.hpp parses the file and gathers the data; this builds kvlm's classes from it.
#pragma once

#include <filesystem>
#include <memory>

#include "kvlm/tokenizer/tokenizer.hpp"

namespace kvlm {

// "gpt2" models become an HfTokenizer (byte-level BPE), "llama" ones a SentencePieceTokenizer.
std::unique_ptr<Tokenizer> load_gguf_tokenizer(const std::filesystem::path& path);

}  // namespace kvlm
