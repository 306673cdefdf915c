// load_gguf_tokenizer: the tokenizer stored in a GGUF's tokenizer.ggml.* metadata (gguf_tokenizer.cpp).
// Not a GGUF reader: io/gguf.hpp parses the file and gathers the data; this builds kvlm's classes from it.
#pragma once

#include <filesystem>
#include <memory>

#include "kvlm/io/gguf.hpp"
#include "kvlm/tokenizer/tokenizer.hpp"

namespace kvlm {

// "gpt2" models become an HfTokenizer (byte-level BPE), "llama" ones a SentencePieceTokenizer.
std::unique_ptr<Tokenizer> load_gguf_tokenizer(const std::filesystem::path& path);

// The way in, for kvlm quantize (io/gguf_from_hf.cpp): a byte-level BPE tokenizer.json (GPT-2, Llama 3,
// Qwen2, SmolLM2) as the tokenizer.ggml.* data load_gguf_tokenizer rebuilds it from. Ids without a token
// up to vocab_size (the embedding's rows) become "[PADn]", as llama.cpp's converter writes them;
// tokenizer.ggml.pre names the llama.cpp pre-tokenizer that cuts a probe text as tokenizer.json does
// (the converter hashes a probe's ids instead). Special-token ids are left to the caller (config.json).
// Throws kvlm::Error for what the GGUF vocabulary cannot carry: SentencePiece-style BPE (byte fallback),
// a normalizer other than NFC (dropped, as llama.cpp's converter drops it), a pre-tokenizer llama.cpp
// has no name for, more tokens than vocab_size.
gguf::GgufTokenizerData gguf_tokenizer_data(const std::filesystem::path& tokenizer_json, int vocab_size);

}  // namespace kvlm
