// Bad input never crashes and always explains itself: invalid UTF-8 text, ids outside the
// vocabulary, truncated or corrupt tokenizer files, and the CLI's exit codes for them.
// Not correctness on good input: the golden and fixture tests do that.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "kvlm/error.hpp"
#include "kvlm/tokenizer/sentencepiece.hpp"
#include "kvlm/tokenizer/tokenizer.hpp"
#include "kvlm/utf8.hpp"
#include "paths.hpp"

namespace {

namespace fs = std::filesystem;

fs::path fixtures() { return kvlm::test::data_dir() / "tokenizers"; }

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A scratch file named `name` holding `bytes`, removed when the test ends.
struct ScratchFile {
  fs::path dir, path;
  ScratchFile(const std::string& name, const std::string& bytes) {
    dir = fs::temp_directory_path() / ("kvlm_bad_input_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir);
    path = dir / name;
    std::ofstream(path, std::ios::binary) << bytes;
  }
  ~ScratchFile() { fs::remove_all(dir); }
};

// The message of the kvlm::Error that f throws; fails the test if it throws nothing or something else.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const kvlm::Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw a non-kvlm exception: " << e.what();
    return {};
  }
  ADD_FAILURE() << "did not throw";
  return {};
}

// Issue 14, foreign exception: sscanf("<0x%2X>") accepted the byte piece "<0x  1>", then decode's
// std::stoi threw std::invalid_argument ("kvlm: internal error"). The constructor now refuses it.
TEST(SentencePieceBytePiece, MalformedHexIsRefusedWhenLoaded) {
  using kvlm::PieceType;
  kvlm::SentencePieceConfig config;
  config.pieces = {"<unk>", "<0x  1>", "a"};
  config.types = {PieceType::kUnknown, PieceType::kByte, PieceType::kNormal};
  config.scores = {0, 0, 0};
  const std::string message = error_of([&] { kvlm::SentencePieceTokenizer tokenizer(config); });
  EXPECT_NE(message.find("byte piece 1 is not of the form <0xNN>"), std::string::npos) << "got: " << message;
}

class EveryKind : public ::testing::TestWithParam<const char*> {};
INSTANTIATE_TEST_SUITE_P(Data, EveryKind,
                         ::testing::Values("tiny_bpe", "tiny_llama3_style", "tiny_llama2_style", "tiny_sentencepiece"));

// HF's Python API cannot even receive invalid UTF-8 (a str is always valid), so there is no
// reference behavior to copy: we refuse such text with the offset of the first bad byte.
TEST_P(EveryKind, InvalidUtf8IsRefusedWithItsOffset) {
  const auto tokenizer = kvlm::load_tokenizer(fixtures() / GetParam());
  const struct {
    std::string text;
    int bad_byte;
  } cases[] = {
      {"abc\xff", 3},             // a byte that never occurs in UTF-8
      {"ok \xc3", 3},             // a sequence cut short at the end
      {"\xc0\xaf", 0},            // overlong encoding of '/'
      {"x\xed\xa0\x80y", 1},      // a UTF-16 surrogate
      {"\xf4\x90\x80\x80", 0},    // above U+10FFFF
      {"caf\xc3\xa9\x80", 5},     // a stray continuation byte after valid text
  };
  for (const auto& c : cases) {
    const std::string message = error_of([&] { tokenizer->encode(c.text, true); });
    EXPECT_EQ(message, "text is not valid UTF-8 at byte " + std::to_string(c.bad_byte));
  }
}

TEST_P(EveryKind, UnknownIdsAreRefusedByDecodeAndToken) {
  const auto tokenizer = kvlm::load_tokenizer(fixtures() / GetParam());
  for (int bad : {-1, tokenizer->vocab_size(), 1 << 30}) {
    const std::vector<int> ids = {3, bad};
    EXPECT_NE(error_of([&] { tokenizer->decode(ids); }).find("token id " + std::to_string(bad) + " is not in the vocabulary"),
              std::string::npos);
    EXPECT_NE(error_of([&] { tokenizer->token(bad); }).find("is not in the vocabulary"), std::string::npos);
  }
}

TEST(CorruptFiles, TokenizerJson) {
  const std::string good = read_bytes(fixtures() / "tiny_bpe" / "tokenizer.json");
  const struct {
    std::string bytes, expected;
  } cases[] = {
      {good.substr(0, good.size() / 2), "is not valid JSON"},
      {"[1, 2, 3]", "the top level is not an object"},
      {R"({"model": {"type": "Unigram", "vocab": []}})", "model type \"Unigram\" is not supported"},
      {R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b", "ab"]}})",
       "merges entry 1 is not a pair of tokens"},
      {R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": [["a", "b"]]}})",
       "merges entry 0 uses \"ab\", which is not in the vocabulary"},
      {R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": {"type": "Whitespace"}})",
       "pre_tokenizer type \"Whitespace\" is not supported"},
      {R"({"model": {"type": "BPE", "vocab": {"a": "zero"}, "merges": []}})", "has the wrong type"},
      {R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(unclosed"}, "behavior": "Isolated"}})",
       "does not compile"},
  };
  for (const auto& c : cases) {
    const ScratchFile file("tokenizer.json", c.bytes);
    const std::string message = error_of([&] { kvlm::load_tokenizer(file.path); });
    EXPECT_NE(message.find(c.expected), std::string::npos) << "got: " << message;
  }
}

// Issue 14 regressions, found by fuzzing: each names the defect it guards against.

// Heap out-of-bounds read: a token ending in a cut-off UTF-8 sequence (GGUF token text is raw
// bytes) made decode read past the string. The view below ends after the lead byte of "€".
TEST(Issue14, Utf8DecodeStopsAtACutOffSequence) {
  const std::string euro = "\xE2\x82\xAC";
  int len = 0;
  const char32_t cp = kvlm::utf8::decode(std::string_view(euro.data(), 1), 0, &len);
  EXPECT_EQ(len, 1);
  EXPECT_EQ(cp, 0xE2u);  // the byte itself, as for any byte that does not start a valid character
}

// Endless loop: a USER_DEFINED piece that is part of a UTF-8 character (the lone byte \xE2, the
// first byte of "▁") stopped the encoder's position from advancing. Such a piece is refused.
TEST(Issue14, SentencePieceUserDefinedPieceMustBeUtf8) {
  kvlm::SentencePieceConfig c;
  c.pieces = {"<unk>", "\xE2", "a", "b"};
  c.scores = {0, 0, -1, -2};
  c.types = {kvlm::PieceType::kUnknown, kvlm::PieceType::kUserDefined, kvlm::PieceType::kNormal, kvlm::PieceType::kNormal};
  const std::string message = error_of([&] { kvlm::SentencePieceTokenizer t(c); });
  EXPECT_NE(message.find("piece 1 is not valid UTF-8"), std::string::npos) << message;
  EXPECT_FALSE(kvlm::utf8::first_invalid_byte(message)) << "the error sentence itself must be valid UTF-8";
}

TEST(Issue14, TokenizerJsonLimitsAndForeignExceptions) {
  std::string deep = R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "normalizer": )";
  const int depth = 50000;  // a 1.9 MB file of this shape overflowed the stack of `kvlm tokenize`
  for (int i = 0; i < depth; ++i) deep += R"({"type": "Sequence", "normalizers": [)";
  deep += R"({"type": "NFC"})";
  for (int i = 0; i < depth; ++i) deep += "]}";
  deep += "}";
  std::string replaces = R"({"model": {"type": "BPE", "vocab": {"o": 0}, "merges": []}, "normalizer": {"type": "Sequence", "normalizers": [)";
  for (int i = 0; i < 8; ++i)  // each turns "o" into 16 "o"s: 16^8 = 4e9 bytes from one character
    replaces += std::string(i ? "," : "") + R"({"type": "Replace", "pattern": {"String": "o"}, "content": "oooooooooooooooo"})";
  replaces += "]}}";
  const struct {
    std::string bytes, expected;
  } cases[] = {
      {deep, "nested deeper than"},
      {R"({"model": {"type": "BPE", "vocab": {"a": 1e999}, "merges": []}})", "is not valid JSON"},
      {R"({"model": {"type": "BPE", "vocab": {"a": 2147483647}, "merges": []}})", "id 2147483647 is outside 0..0"},
      {R"({"model": {"type": "BPE", "vocab": {"a": 1e30}, "merges": []}})", "is outside 0..0"},
      {R"({"model": {"type": "BPE", "vocab": {"a": 100000000}, "merges": []}})", "id 100000000 is outside 0..0"},
      {R"({"model": {"type": "BPE", "vocab": {"a": -1}, "merges": []}})", "id -1 is outside 0..0"},
  };
  for (const auto& c : cases) {
    const ScratchFile file("tokenizer.json", c.bytes);
    const std::string message = error_of([&] { kvlm::load_tokenizer(file.path); });
    EXPECT_NE(message.find(c.expected), std::string::npos) << "got: " << message.substr(0, 300);
  }
  const ScratchFile file("tokenizer.json", replaces);
  const auto tokenizer = kvlm::load_tokenizer(file.path);
  EXPECT_NE(error_of([&] { tokenizer->encode("o", false); }).find("normalized text would exceed"), std::string::npos);
}

// Issue 14: added_tokens ids were read with a raw get<int>; INT_MAX made vocab_size_ = id + 1
// overflow and a later resize throw std::length_error (vector::_M_default_append). An added token
// names a vocabulary entry or extends the vocabulary by one, so its id is checked against that.
TEST(Issue14, AddedTokenIdsAreCheckedAgainstTheVocabulary) {
  const std::string model = R"("model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": []})";
  const struct {
    std::string added, expected;
  } cases[] = {
      {R"([{"id": 2147483647, "content": "<x>"}])", "added_tokens id 2147483647 is outside 0..2"},
      {R"([{"id": 100000000, "content": "<x>"}])", "added_tokens id 100000000 is outside 0..2"},
      {R"([{"id": 4294967298, "content": "<x>"}])", "added_tokens id 4294967298 is outside 0..2"},
      {R"([{"id": -1, "content": "<x>"}])", "added_tokens id -1 is outside 0..2"},
      {R"([{"id": 2.5, "content": "<x>"}])", "added_tokens id 2.5 is outside 0..2"},
      {R"([{"id": "2", "content": "<x>"}])", "added_tokens id has the wrong type (not a number)"},
  };
  for (const auto& c : cases) {
    const ScratchFile file("tokenizer.json", "{" + model + R"(, "added_tokens": )" + c.added + "}");
    const std::string message = error_of([&] { kvlm::load_tokenizer(file.path); });
    EXPECT_NE(message.find(c.expected), std::string::npos) << "got: " << message;
  }
  // The post-processor's ids: a raw get<std::vector<int>> before, now checked the same way.
  const ScratchFile post("tokenizer.json", "{" + model + R"(, "post_processor": {"type": "TemplateProcessing",
      "single": [{"SpecialToken": {"id": "<s>"}}, {"Sequence": {"id": "A"}}],
      "special_tokens": {"<s>": {"ids": [4294967296]}}}})");
  const std::string message = error_of([&] { kvlm::load_tokenizer(post.path); });
  EXPECT_NE(message.find("post_processor id 4294967296 is outside 0..1"), std::string::npos) << "got: " << message;
  // The next id after the vocabulary still extends it.
  const ScratchFile ok("tokenizer.json", "{" + model + R"(, "added_tokens": [{"id": 2, "content": "<x>"}]})");
  EXPECT_EQ(kvlm::load_tokenizer(ok.path)->vocab_size(), 3);
}

TEST(CorruptFiles, SentencePieceModel) {
  const std::string good = read_bytes(fixtures() / "tiny_sentencepiece" / "tokenizer.model");
  for (std::size_t cut : {good.size() - 1, good.size() / 2, std::size_t{3}}) {
    const ScratchFile file("tokenizer.model", good.substr(0, cut));
    const std::string message = error_of([&] { kvlm::load_tokenizer(file.path); });
    EXPECT_NE(message.find("tokenizer.model is corrupt or truncated"), std::string::npos) << "cut at " << cut << ": " << message;
  }
  const ScratchFile garbage("tokenizer.model", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff");
  EXPECT_NE(error_of([&] { kvlm::load_tokenizer(garbage.path); }).find("corrupt or truncated"), std::string::npos);
  const ScratchFile empty("tokenizer.model", "");
  EXPECT_NE(error_of([&] { kvlm::load_tokenizer(empty.path); }).find("holds no pieces"), std::string::npos);
}

// tokenizer.bin: int32 max_token_length, then per token float score, int32 length, bytes.
std::string llama2c_bin(int max_len, const std::vector<std::pair<float, std::string>>& tokens) {
  std::string out(reinterpret_cast<const char*>(&max_len), 4);
  for (const auto& [score, text] : tokens) {
    const int len = static_cast<int>(text.size());
    out.append(reinterpret_cast<const char*>(&score), 4).append(reinterpret_cast<const char*>(&len), 4).append(text);
  }
  return out;
}

TEST(CorruptFiles, Llama2cTokenizerBin) {
  const std::string good = llama2c_bin(8, {{0, "<unk>"}, {0, "\n<s>\n"}, {0, "\n</s>\n"}, {-1, "a"}, {-2, " a"}});
  {
    const ScratchFile file("tokenizer.bin", good);
    const auto tokenizer = kvlm::load_tokenizer(file.path);
    EXPECT_EQ(tokenizer->vocab_size(), 5);
    EXPECT_EQ(tokenizer->token(4), "\xE2\x96\x81" "a");  // " a" read back as "▁a"
  }
  const struct {
    std::string bytes, expected;
  } cases[] = {
      {good.substr(0, good.size() - 1), "tokenizer.bin is truncated inside token 4"},
      {good.substr(0, good.size() - 3), "tokenizer.bin is truncated inside the header of token 4"},
      {std::string("\x02\x00", 2), "tokenizer.bin is truncated: max_token_length runs past the end"},
      {llama2c_bin(-5, {}), "max_token_length -5 is not plausible"},
      {llama2c_bin(2, {{0, "<unk>"}}), "token 0 has length 5, outside 0..2"},
      {llama2c_bin(8, {{0, "<unk>"}}), "holds fewer than 3 tokens"},
  };
  for (const auto& c : cases) {
    const ScratchFile file("tokenizer.bin", c.bytes);
    const std::string message = error_of([&] { kvlm::load_tokenizer(file.path); });
    EXPECT_NE(message.find(c.expected), std::string::npos) << "got: " << message;
  }
}

TEST(CorruptFiles, MissingFileOrFolder) {
  EXPECT_NE(error_of([] { kvlm::load_tokenizer("/nonexistent/tokenizer.json"); }).find("does not exist"), std::string::npos);
  const ScratchFile file("notes.txt", "hello");
  EXPECT_NE(error_of([&] { kvlm::load_tokenizer(file.dir); }).find("no tokenizer.json, tokenizer.model or tokenizer.bin"),
            std::string::npos);
  EXPECT_NE(error_of([&] { kvlm::load_tokenizer(file.path); }).find("cannot tell the tokenizer format"), std::string::npos);
}

// The CLI: one sentence on stderr and exit code 1 for bad input; the documented JSON on success.
struct CliRun {
  int exit_code;
  std::string output;  // stdout and stderr together
};
CliRun run_cli(const std::string& args) {
  const std::string command = kvlm::test::kvlm_binary().string() + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string output;
  char buffer[4096];
  for (std::size_t n; (n = fread(buffer, 1, sizeof(buffer), pipe)) > 0;) output.append(buffer, n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

TEST(Cli, TokenizeJsonAndErrors) {
  const std::string tok = (fixtures() / "tiny_llama2_style").string();
  const CliRun ok = run_cli("tokenize -t " + tok + " --text 'Hello world' --add-special --json");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_EQ(ok.output.rfind("{\"ids\":[1,", 0), 0u) << ok.output;  // BOS first with --add-special
  EXPECT_NE(ok.output.find("\"text\":\"<s> Hello world\""), std::string::npos) << ok.output;

  const CliRun decode = run_cli("tokenize -t " + tok + " --ids 1,999999 --json");
  EXPECT_EQ(decode.exit_code, 1);
  EXPECT_NE(decode.output.find("kvlm: error: token id 999999 is not in the vocabulary"), std::string::npos) << decode.output;

  const CliRun bad_ids = run_cli("tokenize -t " + tok + " --ids 1,two");
  EXPECT_EQ(bad_ids.exit_code, 1);
  EXPECT_NE(bad_ids.output.find("\"two\" in the id list is not an integer"), std::string::npos) << bad_ids.output;

  const CliRun bad_text = run_cli("tokenize -t " + tok + " --text \"$(printf 'caf\\377')\"");
  EXPECT_EQ(bad_text.exit_code, 1);
  EXPECT_NE(bad_text.output.find("text is not valid UTF-8 at byte 3"), std::string::npos) << bad_text.output;

  EXPECT_EQ(run_cli("tokenize -t " + tok).exit_code, 2);  // neither --text nor --ids: bad usage
}

}  // namespace
