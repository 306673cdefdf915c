// SentencePiece BPE encoding (sentencepiece's bpe_model.cc): a max-heap of adjacent pairs keyed
// by the score of their joined piece, ties to the leftmost; decoding as SentencePieceProcessor.
// Not the file readers (sentencepiece_files.cpp) and not training.
#include "kvlm/tokenizer/sentencepiece.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <queue>

#include "kvlm/error.hpp"
#include "kvlm/utf8.hpp"

namespace kvlm {

namespace {
constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // "▁" U+2581, SentencePiece's space
constexpr std::string_view kUnknownSurface = " \xE2\x81\x87 ";  // " ⁇ ", how sentencepiece shows unk
}  // namespace

SentencePieceTokenizer::SentencePieceTokenizer(SentencePieceConfig c)
    : pieces_(std::move(c.pieces)),
      scores_(std::move(c.scores)),
      types_(std::move(c.types)),
      add_dummy_prefix_(c.add_dummy_prefix),
      remove_extra_whitespaces_(c.remove_extra_whitespaces),
      byte_fallback_(c.byte_fallback),
      bos_id_(c.bos_id),
      eos_id_(c.eos_id),
      unk_id_(c.unk_id) {
  if (scores_.size() != pieces_.size() || types_.size() != pieces_.size())
    throw Error("SentencePiece vocabulary: " + std::to_string(pieces_.size()) + " pieces but " +
                std::to_string(scores_.size()) + " scores and " + std::to_string(types_.size()) + " types");
  const int n = static_cast<int>(pieces_.size());
  if (unk_id_ < 0 || unk_id_ >= n) throw Error("SentencePiece vocabulary: unk id " + std::to_string(unk_id_) + " is outside it");
  for (auto id : {bos_id_, eos_id_})
    if (id && (*id < 0 || *id >= n)) throw Error("SentencePiece vocabulary: BOS/EOS id " + std::to_string(*id) + " is outside it");
  std::fill(std::begin(byte_ids_), std::end(byte_ids_), -1);
  for (int id = 0; id < n; ++id) {
    all_ids_.emplace(pieces_[id], id);
    switch (types_[id]) {
      case PieceType::kNormal:
      case PieceType::kUnused:
        mergeable_.emplace(pieces_[id], id);
        break;
      case PieceType::kUserDefined:
        // A piece that is part of a character would split one and stall initial_symbols().
        if (pieces_[id].empty() || utf8::first_invalid_byte(pieces_[id]))
          throw Error("SentencePiece vocabulary: user-defined piece " + std::to_string(id) + " is not valid UTF-8 (or empty)");
        mergeable_.emplace(pieces_[id], id);
        user_defined_.push_back(pieces_[id]);
        break;
      case PieceType::kByte: {
        // Exactly "<0xNN>" with two hex digits: sscanf alone accepts "<0x  1>", whose decode then threw.
        const std::string& p = pieces_[id];
        unsigned value = 0;
        if (p.size() != 6 || p.compare(0, 3, "<0x") != 0 || p[5] != '>' || !std::isxdigit(static_cast<unsigned char>(p[3])) ||
            !std::isxdigit(static_cast<unsigned char>(p[4])) || std::sscanf(p.c_str(), "<0x%2X>", &value) != 1)
          throw Error("SentencePiece vocabulary: byte piece " + std::to_string(id) + " is not of the form <0xNN>");
        byte_ids_[value] = id;
        break;
      }
      default:
        break;
    }
  }
}

// Whitespace handling of sentencepiece's normalizer (with the identity rule set): optionally strip
// and collapse spaces, prepend the dummy "▁", and write every space as "▁".
std::string SentencePieceTokenizer::normalize(std::string_view text) const {
  std::string spaced(text);
  if (remove_extra_whitespaces_) {
    std::string collapsed;
    for (char ch : spaced) {
      if (ch == ' ' && (collapsed.empty() || collapsed.back() == ' ')) continue;
      collapsed += ch;
    }
    if (!collapsed.empty() && collapsed.back() == ' ') collapsed.pop_back();
    spaced = std::move(collapsed);
  }
  if (spaced.empty()) return {};
  std::string out;
  if (add_dummy_prefix_) out += kSpaceMark;
  for (char ch : spaced) {
    if (ch == ' ') out += kSpaceMark;
    else out += ch;
  }
  return out;
}

// One symbol per UTF-8 character, except user-defined pieces, which stay whole.
std::vector<std::string_view> SentencePieceTokenizer::initial_symbols(std::string_view s) const {
  std::vector<std::string_view> symbols;
  for (std::size_t pos = 0; pos < s.size();) {
    std::size_t len = 0;
    for (const std::string& u : user_defined_)
      if (u.size() > len && s.compare(pos, u.size(), u) == 0) len = u.size();
    if (len == 0) len = utf8::valid_sequence_length(s, pos);
    if (len == 0) len = 1;  // cannot happen on valid text; the loop must advance regardless
    symbols.push_back(s.substr(pos, len));
    pos += len;
  }
  return symbols;
}

std::vector<int> SentencePieceTokenizer::encode(std::string_view text, bool add_special_tokens) const {
  utf8::require_valid(text);
  const std::string normalized = normalize(text);

  struct Symbol {
    std::string_view piece;  // a view into `normalized`; empty once merged into its left neighbour
    int prev, next;
  };
  struct Pair {
    float score;
    int left, right;
    std::size_t size;  // bytes of the joined piece, to detect pairs made stale by other merges
    bool operator<(const Pair& o) const { return score != o.score ? score < o.score : left > o.left; }
  };

  const std::vector<std::string_view> initial = initial_symbols(normalized);
  const int n = static_cast<int>(initial.size());
  std::vector<Symbol> symbols(n);
  for (int i = 0; i < n; ++i) symbols[i] = {initial[i], i - 1, i + 1 < n ? i + 1 : -1};

  std::priority_queue<Pair> agenda;  // highest score on top, then leftmost
  auto add_pair = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const std::string_view joined(symbols[left].piece.data(), symbols[left].piece.size() + symbols[right].piece.size());
    const auto it = mergeable_.find(joined);
    if (it != mergeable_.end()) agenda.push({scores_[it->second], left, right, joined.size()});
  };
  for (int i = 0; i + 1 < n; ++i) add_pair(i, i + 1);

  while (!agenda.empty()) {
    const Pair top = agenda.top();
    agenda.pop();
    Symbol& left = symbols[top.left];
    Symbol& right = symbols[top.right];
    if (left.piece.empty() || right.piece.empty() || left.piece.size() + right.piece.size() != top.size) continue;
    left.piece = std::string_view(left.piece.data(), top.size);
    right.piece = {};
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = top.left;
    add_pair(left.prev, top.left);
    add_pair(top.left, left.next);
  }

  std::vector<int> ids;
  if (add_special_tokens && bos_id_) ids.push_back(*bos_id_);
  bool previous_was_unk = false;
  for (int i = 0; i >= 0 && i < n; i = symbols[i].next) {
    const std::string_view piece = symbols[i].piece;
    if (const auto it = all_ids_.find(piece); it != all_ids_.end() && types_[it->second] != PieceType::kUnknown) {
      ids.push_back(it->second);
      previous_was_unk = false;
    } else if (byte_fallback_) {
      for (unsigned char b : piece) ids.push_back(byte_ids_[b] >= 0 ? byte_ids_[b] : unk_id_);
    } else if (!previous_was_unk) {  // a run of unknown characters is one unk, as sentencepiece
      ids.push_back(unk_id_);
      previous_was_unk = true;
    }
  }
  return ids;
}

std::string SentencePieceTokenizer::token(int id) const {
  if (id < 0 || id >= vocab_size())
    throw Error("token id " + std::to_string(id) + " is not in the vocabulary (size " + std::to_string(vocab_size()) + ")");
  return pieces_[id];
}

std::optional<int> SentencePieceTokenizer::token_to_id(std::string_view token) const {
  const auto it = all_ids_.find(token);
  if (it == all_ids_.end()) return std::nullopt;
  return it->second;
}

// Bytes from byte pieces -> text; a byte that is not part of valid UTF-8 becomes one U+FFFD.
static void append_bytes_as_text(std::string& out, std::string_view bytes) {
  for (std::size_t pos = 0; pos < bytes.size();) {
    const int len = utf8::valid_sequence_length(bytes, pos);
    if (len > 0) {
      out.append(bytes.substr(pos, len));
      pos += len;
    } else {
      out.append(utf8::kReplacementChar);
      ++pos;
    }
  }
}

std::string SentencePieceTokenizer::decode(std::span<const int> ids) const {
  std::string text, pending_bytes;
  bool at_start = true;  // the dummy prefix "▁" of the first piece is not part of the text
  for (int id : ids) {
    const std::string piece = token(id);  // throws for an id outside the vocabulary
    const PieceType type = types_[id];
    if (type == PieceType::kByte) {  // "<0xNN>": checked by the constructor
      pending_bytes += static_cast<char>(std::stoi(piece.substr(3, 2), nullptr, 16));
      continue;
    }
    append_bytes_as_text(text, pending_bytes);
    if (!pending_bytes.empty()) at_start = false;
    pending_bytes.clear();
    if (type == PieceType::kControl) continue;
    std::string_view surface = type == PieceType::kUnknown ? kUnknownSurface : std::string_view(piece);
    if (at_start && add_dummy_prefix_ && surface.substr(0, kSpaceMark.size()) == kSpaceMark) surface.remove_prefix(kSpaceMark.size());
    for (std::size_t pos = 0; pos < surface.size();) {
      if (surface.compare(pos, kSpaceMark.size(), kSpaceMark) == 0) {
        text += ' ';
        pos += kSpaceMark.size();
      } else {
        text += surface[pos++];
      }
    }
    at_start = false;
  }
  append_bytes_as_text(text, pending_bytes);
  return text;
}

}  // namespace kvlm
