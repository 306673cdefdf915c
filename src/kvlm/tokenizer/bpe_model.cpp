// Merge-rank BPE: split a pre-token into characters, then repeatedly join the adjacent pair whose
// merge has the lowest rank (leftmost first on ties), with a heap: O(n log n), not O(n^2), per word.
// Not a regex or a normalizer: its input is one pre-token, already in the vocabulary's alphabet.
#include "kvlm/tokenizer/bpe_model.hpp"

#include <cstdio>
#include <queue>

#include "kvlm/error.hpp"
#include "kvlm/printable.hpp"
#include "kvlm/utf8.hpp"

namespace kvlm {

namespace {
constexpr std::size_t kCacheMaxEntries = 1 << 17;  // forget everything past this many words
constexpr std::size_t kCacheMaxWordBytes = 256;    // longer pre-tokens are not worth keeping
}  // namespace

BpeModel::BpeModel(BpeModelConfig config) : vocab_(std::move(config.vocab)) {
  ids_.reserve(vocab_.size());
  for (std::size_t id = 0; id < vocab_.size(); ++id)
    if (!vocab_[id].empty()) ids_.emplace(vocab_[id], static_cast<int>(id));

  merges_.reserve(config.merges.size());
  for (std::size_t rank = 0; rank < config.merges.size(); ++rank) {
    const auto& [left, right] = config.merges[rank];
    auto id_of = [&](const std::string& token) {
      const auto id = token_to_id(token);
      if (!id) throw Error("merges entry " + std::to_string(rank) + " uses \"" + printable(token) + "\", which is not in the vocabulary");
      return *id;
    };
    const int left_id = id_of(left), right_id = id_of(right), new_id = id_of(left + right);
    merges_.insert_or_assign(pair_key(left_id, right_id), Merge{static_cast<int>(rank), new_id});  // a later duplicate wins, as in HF
  }
  config.vocab.clear();
  config.merges.clear();
  flags_ = std::move(config);
  if (flags_.unk_token) {
    unk_id_ = token_to_id(*flags_.unk_token);
    if (!unk_id_) throw Error("the unknown token \"" + printable(*flags_.unk_token) + "\" is not in the vocabulary");
  }
}

std::optional<int> BpeModel::token_to_id(std::string_view token) const {
  const auto it = ids_.find(token);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

// One symbol per character; a character missing from the vocabulary becomes its byte tokens
// (byte_fallback), the unknown token (fused with a previous one if fuse_unk), or nothing.
std::vector<int> BpeModel::initial_symbols(std::string_view word) const {
  std::vector<int> symbols;
  symbols.reserve(word.size());
  bool previous_was_unk = false;
  for (std::size_t pos = 0; pos < word.size();) {
    int len = utf8::valid_sequence_length(word, pos);
    if (len == 0) len = 1;
    const std::string_view ch = word.substr(pos, len);
    pos += len;
    if (const auto id = token_to_id(ch)) {
      symbols.push_back(*id);
      previous_was_unk = false;
      continue;
    }
    if (flags_.byte_fallback) {
      std::vector<int> bytes;
      for (unsigned char b : ch) {
        char name[8];
        std::snprintf(name, sizeof(name), "<0x%02X>", b);
        if (const auto id = token_to_id(name)) bytes.push_back(*id);
      }
      if (bytes.size() == ch.size()) {  // only when every byte has its token
        symbols.insert(symbols.end(), bytes.begin(), bytes.end());
        previous_was_unk = false;
        continue;
      }
    }
    if (unk_id_) {
      if (!(flags_.fuse_unk && previous_was_unk)) symbols.push_back(*unk_id_);
      previous_was_unk = true;
    }
  }
  return symbols;
}

std::vector<int> BpeModel::merge_word(std::string_view word) const {
  // The symbols as a doubly linked list over an array: merging marks the right one dead.
  struct Symbol {
    int id;
    int prev, next;  // indices into `symbols`, -1 at the ends
    bool alive;
  };
  struct Candidate {
    int rank, pos, new_id;  // merge symbols[pos] with its next neighbour into new_id
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };

  const std::vector<int> ids = initial_symbols(word);
  const int n = static_cast<int>(ids.size());
  std::vector<Symbol> symbols(n);
  for (int i = 0; i < n; ++i) symbols[i] = {ids[i], i - 1, i + 1 < n ? i + 1 : -1, true};

  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;  // lowest rank on top
  auto push_pair = [&](int pos) {
    if (pos < 0 || symbols[pos].next < 0) return;
    const auto it = merges_.find(pair_key(symbols[pos].id, symbols[symbols[pos].next].id));
    if (it != merges_.end()) queue.push({it->second.rank, pos, it->second.new_id});
  };
  for (int i = 0; i + 1 < n; ++i) push_pair(i);

  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Symbol& left = symbols[top.pos];
    if (!left.alive || left.next < 0) continue;  // stale: this symbol was merged away
    const auto it = merges_.find(pair_key(left.id, symbols[left.next].id));
    if (it == merges_.end() || it->second.new_id != top.new_id) continue;  // stale: neighbours changed

    Symbol& right = symbols[left.next];
    left.id = top.new_id;
    right.alive = false;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = top.pos;
    push_pair(left.prev);
    push_pair(top.pos);
  }

  std::vector<int> out;
  for (int i = 0; i >= 0 && i < n; i = symbols[i].next) out.push_back(symbols[i].id);
  return out;
}

void BpeModel::encode(std::string_view pre_token, std::vector<int>& out) const {
  if (flags_.ignore_merges) {
    if (const auto id = token_to_id(pre_token)) {
      out.push_back(*id);
      return;
    }
  }
  const bool cacheable = pre_token.size() <= kCacheMaxWordBytes;
  if (cacheable) {
    std::lock_guard lock(cache_mutex_);
    if (const auto it = cache_.find(pre_token); it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int> ids = merge_word(pre_token);
  out.insert(out.end(), ids.begin(), ids.end());
  if (cacheable) {
    std::lock_guard lock(cache_mutex_);
    if (cache_.size() >= kCacheMaxEntries) cache_.clear();
    cache_.emplace(std::string(pre_token), std::move(ids));
  }
}

}  // namespace kvlm
