// The two files that carry a SentencePiece vocabulary: Meta's tokenizer.model (protobuf) and
// llama2.c's tokenizer.bin. Each becomes a SentencePieceConfig.
// Not the algorithm (sentencepiece.cpp); only the fields it needs are read, the rest skipped.
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>

#include "kvlm/error.hpp"
#include "kvlm/printable.hpp"
#include "kvlm/tokenizer/protobuf_reader.hpp"
#include "kvlm/tokenizer/sentencepiece.hpp"

namespace kvlm {

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + path.string());
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Field numbers from sentencepiece_model.proto.
namespace field {
constexpr std::uint32_t kModelPieces = 1, kModelTrainerSpec = 2, kModelNormalizerSpec = 3;
constexpr std::uint32_t kPiecePiece = 1, kPieceScore = 2, kPieceType = 3;
constexpr std::uint32_t kTrainerModelType = 3, kTrainerByteFallback = 35, kTrainerUnkId = 40,
                        kTrainerBosId = 41, kTrainerEosId = 42;
constexpr std::uint32_t kNormalizerName = 1, kNormalizerCharsmap = 2, kNormalizerAddDummyPrefix = 3,
                        kNormalizerRemoveExtraWhitespaces = 4;
}  // namespace field
constexpr std::uint64_t kModelTypeBpe = 2;

void read_piece(std::string_view bytes, const std::string& what, SentencePieceConfig& c) {
  ProtobufReader r(bytes, what);
  std::string piece;
  float score = 0.0f;
  auto type = PieceType::kNormal;  // the proto's default
  while (!r.done()) {
    ProtobufReader::WireType wt;
    const auto number = r.next_field(&wt);
    if (number == field::kPiecePiece && wt == ProtobufReader::kLengthDelimited) piece = r.length_delimited();
    else if (number == field::kPieceScore && wt == ProtobufReader::kFixed32) score = r.fixed32_float();
    else if (number == field::kPieceType && wt == ProtobufReader::kVarint) {
      const auto t = r.varint();
      if (t < 1 || t > 6) r.fail("a piece type " + std::to_string(t));
      type = static_cast<PieceType>(t);
    } else r.skip(wt);
  }
  c.pieces.push_back(std::move(piece));
  c.scores.push_back(score);
  c.types.push_back(type);
}

}  // namespace

SentencePieceConfig read_sentencepiece_model(const std::filesystem::path& path) {
  const std::string data = read_file(path);
  const std::string what = path.filename().string();
  SentencePieceConfig c;
  c.remove_extra_whitespaces = true;  // the proto's defaults, which the file may override
  c.byte_fallback = false;
  int64_t bos = 1, eos = 2, unk = 0;
  std::uint64_t model_type = 1;  // UNIGRAM is the proto's default
  std::string normalizer_name, charsmap;

  ProtobufReader r(data, what);
  while (!r.done()) {
    ProtobufReader::WireType wt;
    const auto number = r.next_field(&wt);
    if (number == field::kModelPieces && wt == ProtobufReader::kLengthDelimited) {
      read_piece(r.length_delimited(), what, c);
    } else if (number == field::kModelTrainerSpec && wt == ProtobufReader::kLengthDelimited) {
      ProtobufReader t(r.length_delimited(), what);
      while (!t.done()) {
        ProtobufReader::WireType twt;
        const auto n = t.next_field(&twt);
        if (twt != ProtobufReader::kVarint) t.skip(twt);
        else if (n == field::kTrainerModelType) model_type = t.varint();
        else if (n == field::kTrainerByteFallback) c.byte_fallback = t.varint() != 0;
        else if (n == field::kTrainerUnkId) unk = static_cast<int32_t>(t.varint());
        else if (n == field::kTrainerBosId) bos = static_cast<int32_t>(t.varint());
        else if (n == field::kTrainerEosId) eos = static_cast<int32_t>(t.varint());
        else t.skip(twt);
      }
    } else if (number == field::kModelNormalizerSpec && wt == ProtobufReader::kLengthDelimited) {
      ProtobufReader n(r.length_delimited(), what);
      while (!n.done()) {
        ProtobufReader::WireType nwt;
        const auto k = n.next_field(&nwt);
        if (k == field::kNormalizerName && nwt == ProtobufReader::kLengthDelimited) normalizer_name = n.length_delimited();
        else if (k == field::kNormalizerCharsmap && nwt == ProtobufReader::kLengthDelimited) charsmap = n.length_delimited();
        else if (k == field::kNormalizerAddDummyPrefix && nwt == ProtobufReader::kVarint) c.add_dummy_prefix = n.varint() != 0;
        else if (k == field::kNormalizerRemoveExtraWhitespaces && nwt == ProtobufReader::kVarint) c.remove_extra_whitespaces = n.varint() != 0;
        else n.skip(nwt);
      }
    } else {
      r.skip(wt);
    }
  }
  if (c.pieces.empty()) throw Error(what + " holds no pieces (is it a SentencePiece model?)");
  if (model_type != kModelTypeBpe)
    throw Error(what + " is a " + (model_type == 1 ? std::string("Unigram") : "non-BPE") + " SentencePiece model; only BPE is supported");
  if (!charsmap.empty() && normalizer_name != "identity")
    throw Error(what + " uses the normalization rules \"" + printable(normalizer_name) + "\"; only identity is supported");
  const auto n = static_cast<int64_t>(c.pieces.size());
  if (bos >= 0 && bos < n) c.bos_id = static_cast<int>(bos);
  if (eos >= 0 && eos < n) c.eos_id = static_cast<int>(eos);
  c.unk_id = static_cast<int>(unk);
  return c;
}

SentencePieceConfig read_llama2c_tokenizer_bin(const std::filesystem::path& path) {
  const std::string data = read_file(path);
  const std::string what = path.filename().string();
  std::size_t pos = 0;
  auto take = [&](std::size_t n, const char* field_name) {
    if (n > data.size() - pos)
      throw Error(what + " is truncated: " + field_name + " runs past the end");
    const std::string_view out(data.data() + pos, n);
    pos += n;
    return out;
  };
  auto read_i32 = [&](const char* name) {
    int32_t v;
    std::memcpy(&v, take(4, name).data(), 4);
    return v;
  };

  const int32_t max_token_length = read_i32("max_token_length");
  if (max_token_length <= 0 || max_token_length > 1024)
    throw Error(what + ": max_token_length " + std::to_string(max_token_length) + " is not plausible (is it a llama2.c tokenizer.bin?)");
  SentencePieceConfig c;
  c.byte_fallback = true;
  c.remove_extra_whitespaces = false;
  while (pos < data.size()) {
    const std::size_t id = c.pieces.size();
    if (data.size() - pos < 8) throw Error(what + " is truncated inside the header of token " + std::to_string(id));
    float score;
    std::memcpy(&score, take(4, "score").data(), 4);
    const int32_t len = read_i32("length");
    if (len < 0 || len > max_token_length)
      throw Error(what + ": token " + std::to_string(id) + " has length " + std::to_string(len) + ", outside 0.." + std::to_string(max_token_length));
    if (static_cast<std::size_t>(len) > data.size() - pos) throw Error(what + " is truncated inside token " + std::to_string(id));
    std::string piece(take(len, "bytes"));
    // Undo llama2.c's export: " " was "▁", and BOS/EOS were wrapped in newlines.
    if (piece == "\n<s>\n" || piece == "\n</s>\n") piece = piece.substr(1, piece.size() - 2);
    std::string restored;
    for (char ch : piece) restored += ch == ' ' ? std::string("\xE2\x96\x81") : std::string(1, ch);
    PieceType type = PieceType::kNormal;
    if (id == 0) type = PieceType::kUnknown;
    else if (id == 1 || id == 2) type = PieceType::kControl;
    else if (restored.size() == 6 && restored.rfind("<0x", 0) == 0 && restored[5] == '>') type = PieceType::kByte;
    c.pieces.push_back(std::move(restored));
    c.scores.push_back(score);
    c.types.push_back(type);
  }
  if (c.pieces.size() < 3) throw Error(what + " holds fewer than 3 tokens");
  c.bos_id = 1;
  c.eos_id = 2;
  c.unk_id = 0;
  return c;
}

}  // namespace kvlm
