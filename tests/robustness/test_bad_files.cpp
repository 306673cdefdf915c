// Bad model files: each one is refused with one clear sentence naming the file, tensor or field,
// never a crash. The files are made here from a good fixture, one defect each.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "kvlm/error.hpp"
#include "kvlm/generate/generate.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/io/safetensors.hpp"
#include "kvlm/printable.hpp"
#include "kvlm/tokenizer/tokenizer.hpp"
#include "kvlm/verify/finite.hpp"
#include "paths.hpp"

namespace kvlm {
namespace {

namespace fs = std::filesystem;

class BadFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    good_ = test::data_dir() / "models" / "llama-mha";
    dir_ = fs::temp_directory_path() / ("kvlm_bad_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    fs::copy_file(good_ / "config.json", dir_ / "config.json");
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string bytes_of(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  void write(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

  // Loading dir_ must throw kvlm::Error whose message contains `expected`.
  void expect_error(const std::string& expected, const fs::path& path = {}) {
    try {
      load_model(path.empty() ? dir_ : path);
      FAIL() << "loaded a bad file; expected an error containing: " << expected;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << "message: " << e.what();
    }
  }

  // A copy of the good weights with one tensor replaced (or dropped, when `replacement` is empty).
  void write_weights_with(const std::string& name, const Shape& shape, const std::vector<float>& replacement) {
    const SafetensorsFile good(good_ / "model.safetensors");
    SafetensorsWriter w;
    std::vector<Tensor> keep;
    for (const std::string& n : good.names()) {
      if (n == name) {
        if (!replacement.empty()) w.add(n, shape, replacement.data());
        continue;
      }
      keep.push_back(good.read(n));
      w.add(n, keep.back().shape, keep.back().data.data());
    }
    w.write(dir_ / "model.safetensors");
  }

  // A copy of the good weights with one value of tensor `name` (at `flat_index`) replaced.
  void write_weights_with_value(const std::string& name, int64_t flat_index, float value) {
    Tensor t = SafetensorsFile(good_ / "model.safetensors").read(name);
    t.data.data()[flat_index] = value;
    write_weights_with(name, t.shape, std::vector<float>(t.data.data(), t.data.data() + t.data.size()));
  }

  // Generates from dir_'s model as `kvlm generate` does (on_logits = finite_logits_check), with the
  // KV cache and without; returns the error ("" when there is none), which both loops must agree on.
  std::string generation_error(const std::vector<int>& prompt, int max_new_tokens) {
    const Model model = load_model(dir_);
    GenerationConfig config;
    config.max_new_tokens = max_new_tokens;
    config.stop_at_eos = false;
    config.on_logits = finite_logits_check(model);
    std::string errors[2];  // naive, cached
    for (int cached = 0; cached < 2; ++cached) try {
        cached ? generate_cached(model, prompt, config) : generate_naive(model, prompt, config);
      } catch (const Error& e) {
        errors[cached] = e.what();
      }
    EXPECT_EQ(errors[0], errors[1]);
    return errors[1];
  }

  // The kvlm binary run with `args` and -m dir_: its exit code, and stdout and stderr together.
  std::pair<int, std::string> kvlm(const std::string& args) {
    const std::string command = test::kvlm_binary().string() + " " + args + " -m " + dir_.string() + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    std::string output;
    char buffer[4096];
    for (size_t n; (n = fread(buffer, 1, sizeof(buffer), pipe)) > 0;) output.append(buffer, n);
    const int status = pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
  }
  void expect_cli_error(const std::string& args, const std::string& message) {
    const auto [code, output] = kvlm(args);
    EXPECT_EQ(code, 1) << args << ": " << output;
    EXPECT_EQ(output.rfind("kvlm: error: ", 0), 0u) << args << ": only the error, nothing before it: " << output;
    EXPECT_NE(output.find(message), std::string::npos) << args << ": " << output;
  }

  fs::path good_, dir_;
};

TEST_F(BadFiles, TruncatedSafetensors) {
  const std::string bytes = bytes_of(good_ / "model.safetensors");
  write(dir_ / "model.safetensors", bytes.substr(0, bytes.size() / 2));
  expect_error("outside the data section");
  write(dir_ / "model.safetensors", bytes.substr(0, 5));
  expect_error("is truncated or corrupt: the header length");
  write(dir_ / "model.safetensors", "");
  expect_error("is truncated or corrupt");
}

TEST_F(BadFiles, HeaderOutOfBounds) {
  std::string bytes = bytes_of(good_ / "model.safetensors");
  const uint64_t huge = 50'000'000;  // plausible length, but past the end of the file
  std::memcpy(bytes.data(), &huge, sizeof(huge));
  write(dir_ / "model.safetensors", bytes);
  expect_error("the JSON header needs bytes");
  const uint64_t absurd = ~uint64_t{0};
  std::memcpy(bytes.data(), &absurd, sizeof(absurd));
  write(dir_ / "model.safetensors", bytes);
  expect_error("header length");
}

TEST_F(BadFiles, CorruptHeaderJson) {
  std::string bytes = bytes_of(good_ / "model.safetensors");
  bytes[8] = '#';
  write(dir_ / "model.safetensors", bytes);
  expect_error("not valid JSON");
}

TEST_F(BadFiles, WrongDtype) {
  const SafetensorsFile good(good_ / "model.safetensors");
  SafetensorsWriter w;
  std::vector<Tensor> keep;
  for (const std::string& n : good.names()) {
    keep.push_back(good.read(n));
    if (n == "model.norm.weight") {
      std::vector<int64_t> ints(keep.back().data.size(), 1);
      w.add(n, keep.back().shape, ints.data());
    } else {
      w.add(n, keep.back().shape, keep.back().data.data());
    }
  }
  w.write(dir_ / "model.safetensors");
  expect_error("tensor 'model.norm.weight' has dtype I64, expected F32, F16 or BF16");
}

TEST_F(BadFiles, MissingTensor) {
  write_weights_with("model.layers.1.mlp.up_proj.weight", {}, {});
  expect_error("has no tensor 'model.layers.1.mlp.up_proj.weight'");
}

TEST_F(BadFiles, ShapeMismatch) {
  write_weights_with("model.layers.0.self_attn.k_proj.weight", {8, 48}, std::vector<float>(8 * 48, 0.5f));
  expect_error("tensor 'model.layers.0.self_attn.k_proj.weight' has shape [8, 48], expected [48, 48]");
}

TEST_F(BadFiles, ConfigProblems) {
  fs::copy_file(good_ / "model.safetensors", dir_ / "model.safetensors");
  nlohmann::json config = nlohmann::json::parse(bytes_of(good_ / "config.json"));
  auto with = [&](const std::string& key, const nlohmann::json& value) {
    nlohmann::json c = config;
    if (value.is_null()) c.erase(key);
    else c[key] = value;
    write(dir_ / "config.json", c.dump());
  };
  with("hidden_size", nullptr);
  expect_error("config.json has no \"hidden_size\"");
  with("model_type", "mamba");
  expect_error("model_type \"mamba\" is not supported");
  with("num_key_value_heads", 3);
  expect_error("is not a multiple of num_key_value_heads");
  with("vocab_size", "many");
  expect_error("field \"vocab_size\" is not a number");
  write(dir_ / "config.json", "{ not json");
  expect_error("is not valid JSON");
}

// What kvlm does not implement is refused by name, never run as a near miss.
TEST_F(BadFiles, UnsupportedFamiliesAreNamed) {
  fs::copy_file(good_ / "model.safetensors", dir_ / "model.safetensors");
  nlohmann::json config = nlohmann::json::parse(bytes_of(good_ / "config.json"));
  auto with = [&](const std::string& key, const nlohmann::json& value) {
    nlohmann::json c = config;
    c[key] = value;
    write(dir_ / "config.json", c.dump());
  };
  with("model_type", "qwen3_moe");
  expect_error("mixture-of-experts");
  with("model_type", "gemma3");
  expect_error("multimodal tower");
  with("model_type", "deepseek_v3");
  expect_error("multi-head latent attention (MLA)");
  with("rope_parameters", {{"rope_type", "longrope"}, {"rope_theta", 10000.0}});
  expect_error("RoPE scaling type \"longrope\" is not supported");
  with("rope_parameters", {{"rope_type", "llama3"}, {"rope_theta", 10000.0}, {"factor", 8.0}});
  expect_error("llama3 rope_scaling needs original_max_position_embeddings");
}

// Issue 14 regressions (fuzzing): numbers range-checked before any cast, checked arithmetic on
// dimensions, finite positive RoPE theta and eps.
TEST_F(BadFiles, Issue14ConfigNumbers) {
  fs::copy_file(good_ / "model.safetensors", dir_ / "model.safetensors");
  const nlohmann::json config = nlohmann::json::parse(bytes_of(good_ / "config.json"));
  auto with = [&](std::initializer_list<std::pair<const char*, nlohmann::json>> fields) {
    nlohmann::json c = config;
    for (const auto& [key, value] : fields) c[key] = value;
    write(dir_ / "config.json", c.dump());
  };
  with({{"hidden_size", 4.9e9}});  // was get<int> on an out-of-range number: undefined behaviour
  expect_error("config.json field \"hidden_size\" (4900000000.0) is outside the range of an int");
  with({{"num_attention_heads", 65536}, {"num_key_value_heads", 65536}, {"head_dim", 65536}});  // q_dim() overflowed
  expect_error("num_attention_heads x head_dim is absurdly large");
  for (const double theta : {0.0, -1.0, 1e300}) {
    with({{"rope_parameters", {{"rope_theta", theta}, {"rope_type", "default"}}}});
    expect_error("rope_theta must be finite and positive");
  }
  with({{"rms_norm_eps", 1e300}});  // overflows a float to inf
  expect_error("the norm epsilon must be finite and positive");
  write(dir_ / "config.json", R"({"model_type": "llama", "hidden_size": 1e999})");
  expect_error("is not valid JSON");
}

// Issue 14: a string field holding a number (or a number field holding a string) reached
// nlohmann's get<> and came out as a type_error; each is now refused by the field's name.
TEST_F(BadFiles, Issue14ConfigFieldsOfTheWrongType) {
  fs::copy_file(good_ / "model.safetensors", dir_ / "model.safetensors");
  const nlohmann::json config = nlohmann::json::parse(bytes_of(good_ / "config.json"));
  auto with = [&](const std::string& key, const nlohmann::json& value) {
    nlohmann::json c = config;
    c[key] = value;
    write(dir_ / "config.json", c.dump());
  };
  with("model_type", 7);
  expect_error("config.json field \"model_type\" is not a string");
  with("hidden_act", nlohmann::json::array({"silu"}));
  expect_error("config.json field \"hidden_act\" is not a string");
  with("rope_scaling", {{"rope_type", 3}});
  expect_error("config.json field \"rope_type\" is not a string");
  with("rope_parameters", {{"rope_theta", "big"}, {"rope_type", "default"}});  // was a raw value<float>()
  expect_error("config.json field \"rope_theta\" is not a number");
  with("tie_word_embeddings", 1);
  expect_error("config.json field \"tie_word_embeddings\" is not true or false");
  with("eos_token_id", nlohmann::json::array({2, "</s>"}));
  expect_error("config.json field \"eos_token_id\" is not a number or a list of numbers");
  with("bos_token_id", 2147483648.0);
  expect_error("config.json field \"bos_token_id\" (2147483648.0) is outside the range of an int");
}

TEST_F(BadFiles, Llama2cTruncatedOrNotACheckpoint) {
  const std::string bytes = bytes_of(good_ / "llama2c.bin");
  write(dir_ / "model.bin", bytes.substr(0, bytes.size() - 100));
  expect_error("is truncated: its header implies", dir_ / "model.bin");
  write(dir_ / "model.bin", bytes.substr(0, 10));
  expect_error("is truncated or corrupt: the llama2.c header", dir_ / "model.bin");
  write(dir_ / "model.bin", std::string(28, '\xff'));  // every header field -1
  expect_error("is not a llama2.c checkpoint", dir_ / "model.bin");
}

// Issue 14: a vocab_size of INT32_MIN was negated (signed overflow); a header describing a
// smaller model than the file, or trailing bytes, were silently accepted.
TEST_F(BadFiles, Issue14Llama2cHeaderMustDescribeTheWholeFile) {
  const std::string good = bytes_of(good_ / "llama2c.bin");
  auto with_field = [&](int index, int32_t value) {
    std::string bytes = good;
    std::memcpy(bytes.data() + index * sizeof(int32_t), &value, sizeof(value));
    return bytes;
  };
  constexpr int kLayers = 2, kVocab = 5;  // run.c's Config order: dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len
  write(dir_ / "model.bin", with_field(kVocab, std::numeric_limits<int32_t>::min()));
  expect_error("vocab_size -2147483648) is invalid", dir_ / "model.bin");
  write(dir_ / "model.bin", good + std::string(12, '\0'));
  expect_error("has 12 bytes after the weights: its header implies " + std::to_string(good.size()) +
                   " bytes but the file has " + std::to_string(good.size() + 12),
               dir_ / "model.bin");
  int32_t layers = 0;
  std::memcpy(&layers, good.data() + kLayers * sizeof(int32_t), sizeof(layers));
  ASSERT_GT(layers, 1);
  write(dir_ / "model.bin", with_field(kLayers, layers - 1));  // one layer fewer: the rest looked like trailing data
  expect_error("bytes after the weights: its header implies", dir_ / "model.bin");
}

// Issue 14: with num_hidden_layers smaller than the layers in the safetensors, the extra layers
// were silently ignored and a different model ran.
TEST_F(BadFiles, Issue14NumHiddenLayersMustCoverEveryLayerPresent) {
  fs::copy_file(good_ / "model.safetensors", dir_ / "model.safetensors");
  nlohmann::json config = nlohmann::json::parse(bytes_of(good_ / "config.json"));
  const int layers = config["num_hidden_layers"].get<int>();
  ASSERT_GT(layers, 1);
  config["num_hidden_layers"] = layers - 1;
  write(dir_ / "config.json", config.dump());
  expect_error("holds tensor 'model.layers." + std::to_string(layers - 1) + ".");
  expect_error("of layer " + std::to_string(layers - 1) + ", but the model has " + std::to_string(layers - 1) +
               " layers (num_hidden_layers in config.json");
}

// A safetensors file made from its JSON header text and `data_bytes` zero bytes of data.
std::string safetensors_bytes(const std::string& header, size_t data_bytes) {
  const uint64_t len = header.size();
  return std::string(reinterpret_cast<const char*>(&len), sizeof(len)) + header + std::string(data_bytes, '\0');
}

// Issue 14: the element count saturated, so [101]*10 + [0] passed as 0 elements and num_elements()
// then overflowed int64 (undefined behaviour) on the way to its final 0.
TEST_F(BadFiles, Issue14SafetensorsShapeOverflowBeforeAZeroDimension) {
  std::string shape = "[";
  for (int i = 0; i < 10; ++i) shape += "101, ";
  shape += "0]";
  write(dir_ / "model.safetensors", safetensors_bytes(R"({"t": {"dtype": "F32", "shape": )" + shape + R"(, "data_offsets": [0, 0]}})", 0));
  expect_error("tensor 't' has an absurd shape [101, 101, 101, 101, 101, 101, 101, 101, 101, 101, 0] (its element count overflows)");
  // 2^62 elements fit an int64, but not their bytes in a uint64: refused before that product.
  write(dir_ / "model.safetensors", safetensors_bytes(R"({"t": {"dtype": "F32", "shape": [4611686018427387904], "data_offsets": [0, 4]}})", 4));
  expect_error("tensor 't' holds 4 bytes but its shape [4611686018427387904] of F32 needs more than the file holds");
}

// Issue 14: two tensors could share bytes; a crafted header aliased one weight onto another.
TEST_F(BadFiles, Issue14SafetensorsOverlappingTensors) {
  write(dir_ / "model.safetensors",
        safetensors_bytes(R"({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},)"
                          R"( "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}})",
                          24));
  expect_error("tensors 'a' and 'b' overlap (bytes [0, 16) and [8, 24))");
}

// Issue 14: nlohmann::json silently kept the last of two equal keys, so a header naming a
// tensor twice loaded whichever came last.
TEST_F(BadFiles, Issue14SafetensorsDuplicateHeaderKeys) {
  write(dir_ / "model.safetensors",
        safetensors_bytes(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},)"
                          R"( "a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
                          8));
  expect_error("has a corrupt header: the key 'a' appears twice");
  write(dir_ / "model.safetensors",  // inside a tensor's entry too
        safetensors_bytes(R"({"a": {"dtype": "F32", "shape": [1], "shape": [2], "data_offsets": [0, 4]}})", 8));
  expect_error("has a corrupt header: the key 'shape' appears twice");
}

// Issue 14: reading a tensor with no elements passed memcpy a nullptr (UBSan: null pointer
// passed as argument declared nonnull), even for 0 bytes. It reads as an empty tensor.
TEST_F(BadFiles, Issue14SafetensorsEmptyTensorReadsWithoutNullMemcpy) {
  write(dir_ / "model.safetensors",
        safetensors_bytes(R"({"empty": {"dtype": "F32", "shape": [0, 4], "data_offsets": [0, 0]},)"
                          R"( "half": {"dtype": "F16", "shape": [0], "data_offsets": [0, 0]}})",
                          0));
  const SafetensorsFile file(dir_ / "model.safetensors");
  EXPECT_EQ(file.read("empty").data.size(), 0);
  EXPECT_EQ(file.read("half").data.size(), 0);
  SafetensorsWriter w;
  w.add("empty", {0, 4}, static_cast<const float*>(nullptr));
  w.write(dir_ / "written.safetensors");
  EXPECT_EQ(SafetensorsFile(dir_ / "written.safetensors").shape("empty"), (Shape{0, 4}));
}

// A tiny UTF-8 check of the test's own (not the library's), for error messages.
bool is_valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    const size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += len;
  }
  return true;
}

TEST(Printable, EscapesInvalidUtf8AndControlsAndCutsLongValues) {
  EXPECT_EQ(printable("model.norm.weight"), "model.norm.weight");
  EXPECT_EQ(printable("w\xff\n"), "w\\xff\\x0a");
  EXPECT_EQ(printable("caf\xc3\xa9 \xe2\x96\x81"), "caf\xc3\xa9 \xe2\x96\x81");  // valid UTF-8 is kept
  EXPECT_EQ(printable("\xc3"), "\\xc3");                                              // a cut-off character
  EXPECT_EQ(printable("\xc2\x85"), "\\xc2\\x85");                                    // U+0085, a C1 control
  EXPECT_EQ(printable(std::string(100, 'a'), 10), std::string(10, 'a') + "\xE2\x80\xA6");
  EXPECT_EQ(printable("ab\xe2\x96\x81", 4), "ab\xE2\x80\xA6");  // never cut inside a character
}

// Issue 14: names and strings from a file went into error messages byte for byte, so a name
// holding \xff made the message (and the CLI's stderr) invalid UTF-8. They are now escaped.
TEST_F(BadFiles, Issue14ErrorMessagesEscapeBytesFromFiles) {
  auto expect_escaped = [](const std::string& message, const std::string& expected) {
    EXPECT_TRUE(is_valid_utf8(message)) << message;
    EXPECT_NE(message.find(expected), std::string::npos) << message;
  };
  auto error_of = [](auto&& f) -> std::string {
    try {
      f();
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  };
  // safetensors: a tensor name with a raw \xff byte is not valid JSON; nlohmann's message quotes it.
  write(dir_ / "model.safetensors", safetensors_bytes("{\"w\xff\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 4));
  expect_escaped(error_of([&] { SafetensorsFile f(dir_ / "model.safetensors"); }), "\\xff");
  // ... and one spelled \u0007 in the JSON is a control character in the name.
  write(dir_ / "model.safetensors", safetensors_bytes(R"({"w\u0007": {"dtype": "X9", "shape": [1], "data_offsets": [0, 4]}})", 4));
  expect_escaped(error_of([&] { SafetensorsFile f(dir_ / "model.safetensors"); }), "tensor 'w\\x07' has unsupported dtype X9");
  // tokenizer.json: a raw \xff byte, and a control character in a type name.
  write(dir_ / "tokenizer.json", "{\"model\": {\"type\": \"BPE\xff\"}}");
  expect_escaped(error_of([&] { load_tokenizer(dir_ / "tokenizer.json"); }), "\\xff");
  write(dir_ / "tokenizer.json", R"({"model": {"type": "Uni\u001bgram", "vocab": []}})");
  expect_escaped(error_of([&] { load_tokenizer(dir_ / "tokenizer.json"); }), "model type \"Uni\\x1bgram\" is not supported");
  // GGUF: a metadata key name with \xff (GGUF strings are raw bytes), twice.
  auto str = [](const std::string& s) {
    const uint64_t n = s.size();
    return std::string(reinterpret_cast<const char*>(&n), 8) + s;
  };
  auto u32 = [](uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); };
  auto u64 = [](uint64_t v) { return std::string(reinterpret_cast<const char*>(&v), 8); };
  const std::string kv = str("key\xff") + u32(4) + u32(7);  // a uint32 value
  write(dir_ / "bad.gguf", "GGUF" + u32(3) + u64(0) + u64(2) + kv + kv);
  expect_escaped(error_of([&] { load_model(dir_ / "bad.gguf"); }), "metadata key 'key\\xff' appears twice");
}

// --check-tensors (LoadOptions::check_tensors): a weight holding NaN or Inf is named with the flat
// index of the value; without it the model loads, as the scan costs a pass over every weight.
TEST_F(BadFiles, CheckTensorsNamesTheFirstNonFiniteWeight) {
  const std::string name = "model.layers.1.mlp.up_proj.weight";
  const Tensor good = SafetensorsFile(good_ / "model.safetensors").read(name);
  for (const float bad : {std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::infinity()}) {
    Tensor t = good;
    t.data.data()[7] = bad;
    write_weights_with(name, t.shape, std::vector<float>(t.data.data(), t.data.data() + t.data.size()));
    EXPECT_NO_THROW(load_model(dir_));
    const std::string expected = "model.safetensors: tensor '" + name + "' holds " + (std::isnan(bad) ? "NaN" : "Inf") +
                                 " at flat index 7";
    try {
      load_model(dir_, {.check_tensors = true});
      ADD_FAILURE() << "loaded a weight holding " << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }
  // The CLI: generate, logits and compare take the flag; one sentence and exit 1.
  for (const std::string& args : std::vector<std::string>{"generate --prompt-ids 1 -n 1", "logits --prompt-ids 1",
                                                           "compare --reference " + (good_ / "reference.safetensors").string()}) {
    const std::string command = test::kvlm_binary().string() + " " + args + " -m " + dir_.string() + " --check-tensors 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    std::string output;
    char buffer[4096];
    for (size_t n; (n = fread(buffer, 1, sizeof(buffer), pipe)) > 0;) output.append(buffer, n);
    const int status = pclose(pipe);
    EXPECT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 1) << args << ": " << output;
    EXPECT_NE(output.find("kvlm: error: model.safetensors: tensor '" + name + "' holds Inf at flat index 7"), std::string::npos)
        << args << ": " << output;
  }
}

// Issue 14: non-finite numbers went unnoticed: one NaN in q_proj, and generate printed ids
// [0,0,0,0,0] with exit 0, logits printed nulls. Every step's logits are now checked
// (verify/finite.hpp); when they are not finite, the error names the first layer and position.
TEST_F(BadFiles, Issue14NanOrInfInAWeightStopsGenerateLogitsAndCompareNamingTheLayer) {
  for (const int layer : {0, 1}) {  // llama-mha has 2: the last one's output is the final norm's input
    const std::string where = layer == 0 ? "layer 0" : "layer 1 or the final norm";
    for (const float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
      SCOPED_TRACE(where + (std::isnan(bad) ? ", NaN" : ", Inf"));
      write_weights_with_value("model.layers." + std::to_string(layer) + ".self_attn.q_proj.weight", 7, bad);
      const std::string expected = "the logits are not finite: " + where +
                                   " first produced NaN or Inf, at position 0 (token id 1); "
                                   "check the weights with --check-tensors";
      EXPECT_EQ(generation_error({1, 2, 3}, 5), expected);
      for (const char* args : {"generate --prompt-ids 1,2,3 -n 5 --json", "generate --prompt-ids 1,2,3 -n 5 --no-cache",
                                      "logits --prompt-ids 1,2,3 --json"})
        expect_cli_error(args, expected);
      expect_cli_error("compare --reference " + (good_ / "reference.safetensors").string(), "the logits are not finite: " + where);
    }
  }
}

// A bad embedding row is read only by the ids that reach it: a prompt holding that id fails at its
// position, so does a generation that feeds it back, and other prompts run as before.
TEST_F(BadFiles, Issue14NanOrInfInAnEmbeddingRowFailsOnlyWhereThatIdIsFed) {
  const Model good = load_model(good_);
  GenerationConfig config;
  config.max_new_tokens = 1;
  const int id = generate_cached(good, std::vector<int>{1, 2, 3}, config).tokens[0];  // the next token after 1,2,3
  ASSERT_TRUE(id != 1 && id != 2 && id != 3) << id;
  const std::string ids = "1," + std::to_string(id) + ",3";
  const int64_t D = good.config.hidden_size;
  for (const float bad : {std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::infinity()}) {
    SCOPED_TRACE(std::isnan(bad) ? "NaN" : "Inf");
    write_weights_with_value("model.embed_tokens.weight", id * D + 5, bad);
    auto expected = [&](int position) {
      return "the logits are not finite: the embeddings first produced NaN or Inf, at position " +
             std::to_string(position) + " (token id " + std::to_string(id) + ")";
    };
    EXPECT_EQ(generation_error({1, 2, 3}, 1), "");                        // `id` is sampled, never fed
    EXPECT_EQ(generation_error({4, 5, 6}, 1), "");
    EXPECT_EQ(generation_error({1, 2, 3}, 2).find(expected(3)), 0u);     // fed back at position 3
    EXPECT_EQ(generation_error({1, id, 3}, 1).find(expected(1)), 0u);
    EXPECT_EQ(kvlm("logits --prompt-ids 1,2,3 --json").first, 0);
    EXPECT_EQ(kvlm("generate --prompt-ids 1,2,3 -n 1 --json").first, 0);
    expect_cli_error("generate --prompt-ids 1,2,3 -n 2", expected(3));
    expect_cli_error("generate --prompt-ids " + ids + " -n 1", expected(1));
    expect_cli_error("logits --prompt-ids " + ids, expected(1));
  }
}

// A final norm weight of zero with eps 0 would divide 0 by 0; the config check refuses eps <= 0 at
// load, with one clear sentence (exit 1). With the fixture's eps the zero weight gives logits of 0,
// which are finite: no error.
TEST_F(BadFiles, Issue14ZeroNormWeightWithEpsZeroIsRefusedAtLoad) {
  const Tensor norm = SafetensorsFile(good_ / "model.safetensors").read("model.norm.weight");
  write_weights_with("model.norm.weight", norm.shape, std::vector<float>(norm.data.size(), 0.0f));
  EXPECT_EQ(generation_error({1, 2, 3}, 2), "");
  nlohmann::json config = nlohmann::json::parse(bytes_of(good_ / "config.json"));
  config["rms_norm_eps"] = 0.0;
  write(dir_ / "config.json", config.dump());
  expect_error("the norm epsilon must be finite and positive");
  expect_cli_error("generate --prompt-ids 1,2,3 -n 5 --json", "the norm epsilon must be finite and positive");
  expect_cli_error("logits --prompt-ids 1,2,3", "the norm epsilon must be finite and positive");
}

// A shard named in model.safetensors.index.json is a file of the model's folder: a path there
// ("../x", "/etc/x") would make kvlm read outside it. Found reviewing the fuzzers' targets.
TEST_F(BadFiles, ShardNamesMustStayInTheModelFolder) {
  for (const char* shard : {"../model.safetensors", "/etc/passwd", "sub/model.safetensors", ".."}) {
    write(dir_ / "model.safetensors.index.json",
          nlohmann::json{{"weight_map", {{"model.embed_tokens.weight", shard}}}}.dump());
    expect_error("is not a file name in the model's folder");
  }
}

TEST_F(BadFiles, MissingFilesAndUnknownFormats) {
  expect_error("has neither model.safetensors nor model.safetensors.index.json");
  expect_error("does not exist", dir_ / "nope");
  write(dir_ / "weights.pt", "x");
  expect_error("cannot tell the format", dir_ / "weights.pt");
}

}  // namespace
}  // namespace kvlm
