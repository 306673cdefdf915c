// A byte-level BPE trainer: count the pre-tokens of a text, then repeatedly turn the most frequent
// adjacent pair into a new token. Saves an HF tokenizer.json that HF `tokenizers` loads.
// Not fast on gigabytes (each merge recounts all pairs) and not HF's trainer (ties differ): a lesson.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kvlm {

struct TrainedBpe {
  std::vector<std::string> vocab;                           // id -> token: 256 bytes, then merges
  std::vector<std::pair<std::string, std::string>> merges;  // in the order they were learned
  std::vector<std::string> special_tokens;                  // ids after the vocabulary
};

// Learns up to `num_merges` merges (fewer if no pair occurs twice... or at all). Deterministic:
// the most frequent pair wins; among equally frequent pairs, the smallest (left, right) by bytes.
// The text is cut as GPT-2 does (its regex, then bytes to GPT-2's alphabet); special tokens in it
// are skipped.
TrainedBpe train_byte_level_bpe(std::string_view text, int num_merges,
                                std::vector<std::string> special_tokens = {"<|endoftext|>"});

// The tokenizer.json text for a trained BPE (GPT-2 layout: ByteLevel pre-tokenizer and decoder).
std::string to_tokenizer_json(const TrainedBpe& bpe);

// Writes to_tokenizer_json(bpe) to `path`; throws kvlm::Error if the file cannot be written.
void save_tokenizer_json(const TrainedBpe& bpe, const std::filesystem::path& path);

}  // namespace kvlm
