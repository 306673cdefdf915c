// Corrupt and hostile GGUF files: each is refused with kvlm::Error and a clear sentence, never a crash.
// Not a fuzzer with coverage feedback: hand-built cases, every truncation point, and seeded byte flips.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

#include "kvlm/error.hpp"
#include "kvlm/io/gguf.hpp"
#include "kvlm/io/load.hpp"
#include "paths.hpp"

namespace kvlm::gguf {
namespace {

// Writes a GGUF byte by byte, so each test can break exactly one thing.
class Builder {
 public:
  Builder& u32(uint32_t v) { return raw(&v, 4); }
  Builder& u64(uint64_t v) { return raw(&v, 8); }
  Builder& str(const std::string& s) { u64(s.size()); return raw(s.data(), s.size()); }
  Builder& bytes(const std::string& s) { return raw(s.data(), s.size()); }
  Builder& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
    return bytes("GGUF").u32(version).u64(n_tensors).u64(n_kv);
  }
  Builder& kv_u32(const std::string& key, uint32_t v) { return str(key).u32(4).u32(v); }
  Builder& tensor(const std::string& name, std::vector<uint64_t> ne, uint32_t type, uint64_t offset) {
    str(name).u32(static_cast<uint32_t>(ne.size()));
    for (uint64_t d : ne) u64(d);
    return u32(type).u64(offset);
  }
  Builder& pad(size_t alignment = 32) {
    while (data_.size() % alignment) data_.push_back(0);
    return *this;
  }
  Builder& zeros(size_t n) { data_.resize(data_.size() + n); return *this; }
  const std::string& data() const { return data_; }

 private:
  Builder& raw(const void* p, size_t n) {
    data_.append(static_cast<const char*>(p), n);
    return *this;
  }
  std::string data_;
};

std::filesystem::path temp_file(const std::string& tag) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return std::filesystem::temp_directory_path() /
         ("kvlm_" + std::string(info->name()) + "_" + tag + "_" + std::to_string(::getpid()) + ".gguf");
}

std::filesystem::path write(const std::string& bytes, const std::string& tag = "case") {
  const auto path = temp_file(tag);
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Opens `bytes` as a GGUF and reads every tensor; returns the kvlm::Error message ("" if it
// opened). It then also tries open_gguf, whose errors (e.g. no architecture) are not the point here.
std::string open_error(const std::string& bytes) {
  const auto path = write(bytes);
  std::string message;
  try {
    GgufFile file(path);
    for (const TensorInfo& t : file.tensors()) file.read_fp32(t);
    try {
      open_gguf(path);  // the HF view and config must cope with whatever parsed (an Error is fine)
    } catch (const Error&) {
    }
  } catch (const Error& e) {
    message = e.what();
  }
  std::filesystem::remove(path);
  return message;
}

#define EXPECT_REFUSED(bytes, substring)                      \
  do {                                                        \
    const std::string msg = open_error(bytes);                \
    EXPECT_NE(msg.find(substring), std::string::npos)         \
        << "expected an error containing '" << (substring)    \
        << "', got '" << msg << "'";                          \
  } while (0)

// A valid one-tensor file: 32 F32 values.
std::string valid_file(uint32_t version = 3) {
  return Builder().header(1, 1, version).kv_u32("general.alignment", 32)
      .tensor("w", {32}, 0, 0).pad().zeros(32 * 4).data();
}

TEST(GgufCorrupt, ValidMinimalFileOpens) {
  EXPECT_EQ(open_error(valid_file(3)), "");
  EXPECT_EQ(open_error(valid_file(2)), "");  // version 2 has the same layout as 3
}

TEST(GgufCorrupt, BadMagic) { EXPECT_REFUSED("GGML" + valid_file().substr(4), "bad magic"); }

TEST(GgufCorrupt, UnsupportedVersion) {
  EXPECT_REFUSED(valid_file(1), "unsupported version 1");
  EXPECT_REFUSED(valid_file(4), "unsupported version 4");
  EXPECT_REFUSED(valid_file(0x03000000), "big-endian");
}

TEST(GgufCorrupt, TruncatedAtEveryByteOfARealFixture) {
  // Every proper prefix of a valid file must be refused (the data section included).
  const std::string full = read_all(test::data_dir() / "gguf" / "llama-tiny.q.gguf");
  ASSERT_GT(full.size(), 1000u);
  for (size_t n = 0; n < full.size(); n += (n < 4096 ? 1 : 97)) {
    const std::string msg = open_error(full.substr(0, n));
    ASSERT_FALSE(msg.empty()) << "a prefix of " << n << " bytes was accepted";
    ASSERT_TRUE(msg.find("truncated") != std::string::npos || msg.find("out of bounds") != std::string::npos ||
                msg.find("remain") != std::string::npos)
        << n << ": " << msg;
  }
}

TEST(GgufCorrupt, TensorDataOutOfBounds) {
  EXPECT_REFUSED(Builder().header(1, 0).tensor("w", {32}, 0, 1024).pad().zeros(128).data(), "out of bounds");
  EXPECT_REFUSED(Builder().header(1, 0).tensor("w", {32}, 0, 0).pad().zeros(100).data(), "out of bounds");
  // An offset near 2^64: offset + size must not wrap around.
  EXPECT_REFUSED(Builder().header(1, 0).tensor("w", {32}, 0, ~uint64_t{31}).pad().zeros(128).data(),
                 "out of bounds");
}

TEST(GgufCorrupt, UnknownAndUnsupportedTensorTypes) {
  EXPECT_REFUSED(Builder().header(1, 0).tensor("w", {32}, 99, 0).pad().zeros(128).data(),
                 "unknown tensor type 99");
  EXPECT_REFUSED(Builder().header(1, 0).tensor("w", {256}, 16, 0).pad().zeros(256).data(),
                 "type IQ2_XXS, which kvlm cannot read");
}

TEST(GgufCorrupt, AbsurdDimensions) {
  const uint64_t huge = uint64_t{1} << 40;
  EXPECT_REFUSED(Builder().header(1, 0).tensor("w", {huge, huge}, 0, 0).pad().data(), "absurd dimensions");
  EXPECT_REFUSED(Builder().header(1, 0).tensor("w", {~uint64_t{0}}, 0, 0).pad().data(), "");  // any error
  EXPECT_REFUSED(Builder().header(1, 0).tensor("w", {32, 0}, 0, 0).pad().data(), "dimension of 0");
  EXPECT_REFUSED(Builder().header(1, 0).tensor("w", {1, 1, 1, 1, 1}, 0, 0).pad().data(), "5 dimensions");
  EXPECT_REFUSED(Builder().header(1, 0).tensor("w", {33}, 8, 0).pad().zeros(64).data(), "not a multiple");
  // Q4_K (type 12) rows of 288 values: whole blocks of 32, but not of the K-quants' 256.
  EXPECT_REFUSED(Builder().header(1, 0).tensor("w", {288, 2}, 12, 0).pad().zeros(512).data(),
                 "not a multiple of Q4_K's block of 256");
}

TEST(GgufCorrupt, AbsurdCountsAndLengths) {
  EXPECT_REFUSED(Builder().header(uint64_t{1} << 60, 0).data(), "tensor count");
  EXPECT_REFUSED(Builder().header(0, uint64_t{1} << 60).data(), "metadata count");
  EXPECT_REFUSED(Builder().header(0, 1).u64(uint64_t{1} << 62).bytes("key").zeros(32).data(), "claims a string");
  // A string value whose length exceeds the file.
  EXPECT_REFUSED(Builder().header(0, 1).str("k").u32(8).u64(1000).bytes("short").data(), "claims a string");
  // An array of 2^40 uint32 in a 40-byte file.
  EXPECT_REFUSED(Builder().header(0, 1).str("k").u32(9).u32(4).u64(uint64_t{1} << 40).data(), "element count");
}

TEST(GgufCorrupt, BadMetadata) {
  EXPECT_REFUSED(Builder().header(0, 1).str("k").u32(77).u32(0).data(), "unknown value type 77");
  EXPECT_REFUSED(Builder().header(0, 1).str("k").u32(7).bytes("\x05").data(), "invalid value 5");
  EXPECT_REFUSED(Builder().header(0, 2).kv_u32("k", 1).kv_u32("k", 2).data(), "appears twice");
  EXPECT_REFUSED(Builder().header(0, 1).kv_u32("general.alignment", 24).data(), "power of two");
  Builder nested;  // arrays nested 100 deep
  nested.header(0, 1).str("k").u32(9);           // value type: array
  for (int i = 0; i < 100; ++i) nested.u32(9).u64(1);  // of one array, of one array, ...
  EXPECT_REFUSED(nested.data(), "nests arrays deeper");
}

TEST(GgufCorrupt, NestedArraysWithinLimitsParse) {
  // [[1, 2], [3]] as an array of arrays of uint8.
  const std::string bytes = Builder().header(0, 1).str("k").u32(9).u32(9).u64(2)
                                .u32(0).u64(2).bytes("\x01\x02").u32(0).u64(1).bytes("\x03").data();
  const auto path = write(bytes);
  const GgufFile file(path);
  const auto& outer = file.at("k").as_array();
  ASSERT_EQ(outer.size(), 2u);
  EXPECT_EQ(outer[0].as_array()[1].as_int(), 2);
  EXPECT_EQ(outer[1].as_array()[0].as_int(), 3);
  EXPECT_EQ(file.at("k").summary(), "[[1, 2], [3]]");
  std::filesystem::remove(path);
}

TEST(GgufCorrupt, Misaligned) {
  EXPECT_REFUSED(Builder().header(1, 0).tensor("w", {32}, 0, 4).pad().zeros(256).data(), "misaligned");
}

TEST(GgufCorrupt, DuplicateTensorName) {
  EXPECT_REFUSED(Builder().header(2, 0).tensor("w", {32}, 0, 0).tensor("w", {32}, 0, 128).pad().zeros(256).data(),
                 "appears twice");
}

// The kvlm::Error message of loading `bytes` as a model ("" if it loaded).
std::string load_error(const std::string& bytes) {
  const auto path = write(bytes);
  std::string message;
  try {
    load_model(path);
  } catch (const Error& e) {
    message = e.what();
  }
  std::filesystem::remove(path);
  return message;
}

// What kvlm cannot run is named in the error: the architecture, or the feature a supported
// architecture's file uses (Mixtral is 'llama' with experts; Phi-3 128k adds LongRoPE factors).
TEST(GgufModel, RefusesUnsupportedArchitecturesAndFeaturesByName) {
  const auto arch = [](const std::string& name) { return Builder().str("general.architecture").u32(8).str(name).data(); };
  const auto refused = [&](const std::string& bytes, const std::string& substring) {
    const std::string msg = load_error(bytes);
    EXPECT_NE(msg.find(substring), std::string::npos) << "expected '" << substring << "' in '" << msg << "'";
  };
  refused(Builder().header(0, 1).data() + arch("mamba"), "'mamba' model; kvlm reads the GGUF architectures");
  refused(Builder().header(0, 1).data() + arch("qwen2moe"), "mixture-of-experts");
  refused(Builder().header(0, 1).data() + arch("deepseek2"), "multi-head latent attention (MLA)");
  refused(Builder().header(0, 1).data() + arch("clip"), "multimodal");
  refused(Builder().header(0, 2).data() + arch("llama") + Builder().kv_u32("llama.expert_count", 8).data(),
          "mixture-of-experts model (llama.expert_count 8)");
  const std::string softcap = Builder().str("gemma3.final_logit_softcapping").u32(6).data() + std::string("\0\0\xf0\x41", 4);
  refused(Builder().header(0, 2).data() + arch("gemma3") + softcap, "soft-capping");
  std::string longrope = Builder().header(1, 1).data() + arch("phi3") +
                         Builder().tensor("rope_factors_long.weight", {32}, 0, 0).data();
  longrope.resize((longrope.size() + 31) / 32 * 32 + 128, '\0');
  refused(longrope, "LongRoPE");
}

// A copy of `bytes` with the uint32 metadata value of `key` set to `value`.
std::string with_u32(std::string bytes, const std::string& key, uint32_t value) {
  const size_t at = bytes.find(key);
  EXPECT_NE(at, std::string::npos) << key;
  uint32_t type = 0;
  std::memcpy(&type, bytes.data() + at + key.size(), 4);
  EXPECT_EQ(type, 4u) << key << " is not a uint32";
  std::memcpy(bytes.data() + at + key.size() + 4, &value, 4);
  return bytes;
}

// Issue 14: tensors of layers at or past block_count were silently ignored, so a file claiming
// one block ran a different (truncated) model than the one it holds.
TEST(GgufModel, Issue14BlockCountMustCoverEveryLayerPresent) {
  const std::string good = read_all(test::data_dir() / "gguf" / "llama-tiny.q.gguf");
  EXPECT_EQ(load_error(good), "");
  const std::string message = load_error(with_u32(good, "llama.block_count", 1));
  EXPECT_NE(message.find("holds tensor 'model.layers.1."), std::string::npos) << message;
  EXPECT_NE(message.find("of layer 1, but the model has 1 layers"), std::string::npos) << message;
}

// Issue 14: a uint32 eos/bos id of 2^32-1 became -1 ("no such token") through a cast to int;
// now every special id is checked against the vocabulary.
TEST(GgufModel, Issue14SpecialTokenIdsAreCheckedAgainstTheVocabulary) {
  const std::string good = read_all(test::data_dir() / "gguf" / "llama-tiny.q.gguf");
  for (const char* key : {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.bos_token_id"}) {
    const std::string message = load_error(with_u32(good, key, 0xFFFFFFFFu));
    EXPECT_NE(message.find("metadata '" + std::string(key) + "' is token id 4294967295, outside the vocabulary 0.."),
              std::string::npos)
        << message;
  }
  const auto path = write(with_u32(good, "tokenizer.ggml.eos_token_id", 0xFFFFFFFFu), "tokenizer");
  std::string message;
  try {
    read_tokenizer_data(GgufFile(path));
  } catch (const Error& e) {
    message = e.what();
  }
  std::filesystem::remove(path);
  EXPECT_NE(message.find("names the special token id 4294967295 (tokenizer.ggml.eos_token_id) but has only"),
            std::string::npos)
      << message;
}

// llama.cpp's token types are 0..6; a value outside them was cast to int32 as it came.
TEST(GgufCorrupt, TokenTypesOutsideLlamaCppsAreRefused) {
  const std::string bytes = Builder()
                                .header(0, 3)
                                .str("tokenizer.ggml.model").u32(8).str("gpt2")
                                .str("tokenizer.ggml.tokens").u32(9).u32(8).u64(1).str("a")
                                .str("tokenizer.ggml.token_type").u32(9).u32(5).u64(1).u32(99)
                                .data();
  const auto path = write(bytes);
  try {
    read_tokenizer_data(GgufFile(path));
    ADD_FAILURE() << "token type 99 was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a token type (0 to 6)"), std::string::npos) << e.what();
  }
  std::filesystem::remove(path);
}

TEST(GgufCorrupt, SeededByteFlipsNeverCrash) {
  // Flip random bytes in the header and metadata of a real fixture: open must either succeed or
  // throw kvlm::Error (ASan/UBSan builds catch the rest).
  const std::string full = read_all(test::data_dir() / "gguf" / "llama-tiny.q.gguf");
  std::mt19937 rng(42);
  const size_t header_bytes = 4096;
  for (int trial = 0; trial < 2000; ++trial) {
    std::string bytes = full;
    for (int k = 0; k < 3; ++k) bytes[rng() % header_bytes] = static_cast<char>(rng());
    open_error(bytes);  // returns normally either way
  }
}

}  // namespace
}  // namespace kvlm::gguf
