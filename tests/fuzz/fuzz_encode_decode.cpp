// Fuzzes encode and decode on real tokenizers: the fixtures in data/tokenizers and, when present,
// ../shared/tokenizers (GPT-2, Llama 2 in all three formats, Llama 3, Qwen3), loaded once.
// Input: byte 0 picks the tokenizer, byte 1 the mode (bit 0: decode instead of encode; bit 1:
// add_special_tokens); the rest is the text to encode, or ids to decode (3 bytes each, little
// endian, mapped to [-1, vocab_size] so both edges and just-outside ids occur).
// Bug: a crash or any exception but kvlm::Error, and, for encode, two properties:
//   - decode(encode(text)) never throws: encode only returns ids the tokenizer can decode;
//   - when text is valid UTF-8, decode(encode(text)) is valid UTF-8 too.
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_common.hpp"
#include "kvlm/tokenizer/tokenizer.hpp"

namespace {

struct Loaded {
  std::string name;
  std::unique_ptr<kvlm::Tokenizer> tokenizer;
};

std::vector<Loaded> load_all() {
  namespace fs = std::filesystem;
  const fs::path data = KVLM_DATA_DIR;
  const char* env = std::getenv("KVLM_SHARED_DIR");
  const fs::path shared = env ? fs::path(env) : fs::path(KVLM_SHARED_DIR_DEFAULT);
  std::vector<fs::path> paths = {
      data / "tokenizers/tiny_bpe/tokenizer.json", data / "tokenizers/tiny_llama2_style/tokenizer.json",
      data / "tokenizers/tiny_llama3_style/tokenizer.json", data / "tokenizers/tiny_sentencepiece/tokenizer.model"};
  // The big ones cost seconds to load under ASan; KVLM_FUZZ_TINY_ONLY=1 leaves them out.
  if (!std::getenv("KVLM_FUZZ_TINY_ONLY"))
    for (const char* rel : {"gpt2/tokenizer.json", "llama2/tokenizer.json", "llama2/tokenizer.model",
                            "llama2/tokenizer.bin", "llama3/tokenizer.json", "qwen3/tokenizer.json"})
      paths.push_back(shared / "tokenizers" / rel);
  std::vector<Loaded> out;
  for (const auto& p : paths) {
    if (!fs::exists(p)) continue;
    out.push_back({p.parent_path().filename().string() + "/" + p.filename().string(), kvlm::load_tokenizer(p)});
  }
  std::fprintf(stderr, "fuzz_encode_decode: %zu tokenizers loaded\n", out.size());
  return out;
}

// Independent of kvlm's own utf8.cpp on purpose: RFC 3629 (no overlongs, surrogates, > U+10FFFF).
bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    int n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
    for (int k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n;
  }
  return true;
}

[[noreturn]] void fail(const std::string& what, const Loaded& t) {
  std::fprintf(stderr, "fuzz_encode_decode: %s (tokenizer %s)\n", what.c_str(), t.name.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<Loaded> tokenizers = load_all();
  if (size < 2 || tokenizers.empty()) return 0;
  const Loaded& t = tokenizers[data[0] % tokenizers.size()];
  const bool decode_mode = data[1] & 1, special = data[1] & 2;
  const uint8_t* rest = data + 2;
  const size_t n = size - 2;

  if (decode_mode) {
    const int64_t span = int64_t{t.tokenizer->vocab_size()} + 2;
    std::vector<int> ids;
    for (size_t i = 0; i + 3 <= n; i += 3) {
      const int64_t v = rest[i] | (rest[i + 1] << 8) | (rest[i + 2] << 16);
      ids.push_back(static_cast<int>(v % span - 1));
    }
    kvlm::fuzz::allow_kvlm_error([&] { (void)t.tokenizer->decode(ids); });
    return 0;
  }

  const std::string_view text(reinterpret_cast<const char*>(rest), n);
  std::vector<int> ids;
  try {
    ids = t.tokenizer->encode(text, special);
  } catch (const kvlm::Error&) {
    return 0;  // e.g. text that is not UTF-8, refused
  }
  std::string decoded;
  try {
    decoded = t.tokenizer->decode(ids);
  } catch (const kvlm::Error& e) {
    fail(std::string("decode refused what encode returned: ") + e.what(), t);
  }
  if (valid_utf8(text) && !valid_utf8(decoded)) fail("decode(encode(valid UTF-8)) is not valid UTF-8", t);
  return 0;
}
