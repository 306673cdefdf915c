// BPE training, the textbook loop: words with counts, count adjacent pairs, merge the best pair
// everywhere, repeat. Tokens are ints while training; strings only for ties and for the output.
// Not incremental pair counting (the fast way): recounting keeps each step obvious.
#include "kvlm/tokenizer/bpe_trainer.hpp"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "kvlm/error.hpp"
#include "kvlm/tokenizer/added_tokens.hpp"
#include "kvlm/tokenizer/byte_level.hpp"
#include "kvlm/tokenizer/pre_tokenizer.hpp"
#include "kvlm/utf8.hpp"

namespace kvlm {

namespace {

struct Word {
  std::vector<int> symbols;  // token ids, one per byte at first
  long count = 0;            // how often this pre-token occurs in the text
};

std::uint64_t key(int a, int b) { return (static_cast<std::uint64_t>(a) << 32) | static_cast<std::uint32_t>(b); }

// Pre-tokens of the text (GPT-2 regex + byte alphabet), counted; words are byte-token id lists.
std::vector<Word> count_words(std::string_view text, const std::vector<std::string>& special_tokens) {
  std::vector<AddedToken> specials;
  for (std::size_t i = 0; i < special_tokens.size(); ++i) specials.push_back({special_tokens[i], static_cast<int>(i)});
  PreTokenizerStep byte_level_step;
  byte_level_step.kind = PreTokenizerStep::Kind::kByteLevel;
  const PreTokenizer pre_tokenizer({byte_level_step});

  std::map<std::string, long> counts;  // ordered: the word list, hence training, is deterministic
  for (const Segment& segment : AddedTokenMatcher(specials).split(text)) {
    if (segment.added_id >= 0) continue;
    for (const std::string& pre_token : pre_tokenizer.split(segment.text)) ++counts[pre_token];
  }
  std::vector<Word> words;
  for (const auto& [pre_token, count] : counts) {
    Word w;
    w.count = count;
    for (std::size_t pos = 0; pos < pre_token.size();) {  // each character stands for one byte
      int len;
      w.symbols.push_back(*byte_level::byte_of_char(utf8::decode(pre_token, pos, &len)));
      pos += len;
    }
    words.push_back(std::move(w));
  }
  return words;
}

// Replaces every non-overlapping (left, right), left to right, by `merged` in one word.
void apply_merge(Word& w, int left, int right, int merged) {
  std::vector<int> out;
  out.reserve(w.symbols.size());
  for (std::size_t i = 0; i < w.symbols.size(); ++i) {
    if (i + 1 < w.symbols.size() && w.symbols[i] == left && w.symbols[i + 1] == right) {
      out.push_back(merged);
      ++i;
    } else {
      out.push_back(w.symbols[i]);
    }
  }
  w.symbols = std::move(out);
}

}  // namespace

TrainedBpe train_byte_level_bpe(std::string_view text, int num_merges, std::vector<std::string> special_tokens) {
  utf8::require_valid(text, "training text");
  if (num_merges < 0) throw Error("the number of merges must not be negative");
  TrainedBpe bpe;
  bpe.special_tokens = std::move(special_tokens);
  for (int b = 0; b < 256; ++b) bpe.vocab.push_back(byte_level::char_of_byte(static_cast<unsigned char>(b)));
  std::unordered_map<std::string, int> id_of;
  for (int id = 0; id < 256; ++id) id_of[bpe.vocab[id]] = id;

  std::vector<Word> words = count_words(text, bpe.special_tokens);
  for (int step = 0; step < num_merges; ++step) {
    std::unordered_map<std::uint64_t, long> pair_counts;
    for (const Word& w : words)
      for (std::size_t i = 0; i + 1 < w.symbols.size(); ++i) pair_counts[key(w.symbols[i], w.symbols[i + 1])] += w.count;

    // The best pair: highest count; on a tie the smaller (left, right) strings.
    int best_left = -1, best_right = -1;
    long best_count = 0;
    for (const auto& [k, count] : pair_counts) {
      const int l = static_cast<int>(k >> 32), r = static_cast<int>(k & 0xFFFFFFFF);
      const bool better = count > best_count ||
                          (count == best_count && std::tie(bpe.vocab[l], bpe.vocab[r]) <
                                                      std::tie(bpe.vocab[best_left], bpe.vocab[best_right]));
      if (better) best_left = l, best_right = r, best_count = count;
    }
    if (best_count == 0) break;  // every word is a single token: nothing left to merge

    const std::string merged = bpe.vocab[best_left] + bpe.vocab[best_right];
    auto [it, is_new] = id_of.emplace(merged, static_cast<int>(bpe.vocab.size()));
    if (is_new) bpe.vocab.push_back(merged);  // two different pairs can spell the same token
    bpe.merges.emplace_back(bpe.vocab[best_left], bpe.vocab[best_right]);
    for (Word& w : words) apply_merge(w, best_left, best_right, it->second);
  }
  return bpe;
}

std::string to_tokenizer_json(const TrainedBpe& bpe) {
  using nlohmann::ordered_json;
  const auto byte_level = [](const char* type) {
    return ordered_json{{"type", type}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}};
  };
  ordered_json added = ordered_json::array();
  for (std::size_t i = 0; i < bpe.special_tokens.size(); ++i)
    added.push_back({{"id", bpe.vocab.size() + i}, {"content", bpe.special_tokens[i]}, {"single_word", false},
                     {"lstrip", false}, {"rstrip", false}, {"normalized", false}, {"special", true}});
  ordered_json vocab = ordered_json::object();
  for (std::size_t id = 0; id < bpe.vocab.size(); ++id) vocab[bpe.vocab[id]] = id;
  for (std::size_t i = 0; i < bpe.special_tokens.size(); ++i) vocab[bpe.special_tokens[i]] = bpe.vocab.size() + i;
  ordered_json merges = ordered_json::array();
  for (const auto& [left, right] : bpe.merges) merges.push_back({left, right});

  const ordered_json j = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", added},
      {"normalizer", nullptr},
      {"pre_tokenizer", byte_level("ByteLevel")},
      {"post_processor", byte_level("ByteLevel")},
      {"decoder", byte_level("ByteLevel")},
      {"model",
       {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr}, {"fuse_unk", false}, {"byte_fallback", false}, {"ignore_merges", false},
        {"vocab", vocab}, {"merges", merges}}}};
  return j.dump(1) + "\n";
}

void save_tokenizer_json(const TrainedBpe& bpe, const std::filesystem::path& path) {
  std::ofstream out(path, std::ios::binary);
  out << to_tokenizer_json(bpe);
  if (!out) {
    const std::filesystem::path folder = std::filesystem::absolute(path).parent_path();
    throw Error("cannot write " + path.string() + ": " +
                (std::filesystem::is_directory(folder) ? std::strerror(errno) : "the folder " + folder.string() + " does not exist"));
  }
}

}  // namespace kvlm
