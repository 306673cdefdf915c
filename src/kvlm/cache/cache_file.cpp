// save_kv_cache / load_kv_cache; see cache_file.hpp.
#include "kvlm/cache/cache_file.hpp"

#include <array>
#include <cstring>
#include <fstream>
#include <sstream>

#include "kvlm/error.hpp"

namespace kvlm {

namespace {

constexpr std::array<char, 8> kMagic = {'K', 'V', 'L', 'M', 'K', 'V', 'C', '\0'};
constexpr uint32_t kVersion = 1;
constexpr uint32_t kMaxKindName = 64;  // a longer name is damage, not a kind

// FNV-1a, 64 bits.
uint64_t fnv1a(const void* data, size_t n, uint64_t h = 14695981039346656037ull) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

template <typename T>
void put(std::ostream& out, T x) {
  out.write(reinterpret_cast<const char*>(&x), sizeof(T));
}

template <typename T>
T get(std::istream& in, const std::string& file) {
  T x{};
  if (!in.read(reinterpret_cast<char*>(&x), sizeof(T))) throw Error("the KV cache file " + file + " is truncated");
  return x;
}

}  // namespace

uint64_t model_fingerprint(const Model& model) {
  const ModelConfig& c = model.config;
  const int numbers[] = {static_cast<int>(c.architecture), c.hidden_size, c.num_hidden_layers, c.num_attention_heads,
                         c.num_key_value_heads, c.head_dim, c.intermediate_size, c.vocab_size,
                         c.max_position_embeddings};
  uint64_t h = fnv1a(numbers, sizeof(numbers));
  h = fnv1a(&c.rope_theta, sizeof(c.rope_theta), h);
  const Matrix& e = model.weights.embed_tokens;  // [V, D]: up to 64 rows spread over the vocabulary
  for (Eigen::Index r = 0; r < e.rows(); r += std::max<Eigen::Index>(1, e.rows() / 64))
    h = fnv1a(e.row(r).data(), e.cols() * sizeof(float), h);
  const Vector& norm = model.weights.norm;
  return fnv1a(norm.data(), norm.size() * sizeof(float), h);
}

void save_kv_cache(const std::filesystem::path& path, const Model& model, const KVCache& cache,
                   std::span<const int> tokens) {
  if (static_cast<int>(tokens.size()) != cache.length())
    throw Error("save_kv_cache: " + std::to_string(tokens.size()) + " tokens for a cache of " +
                std::to_string(cache.length()) + " positions");
  std::ostringstream payload;
  cache.save_state(payload);
  const std::string bytes = payload.str();

  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error("cannot write the KV cache file " + path.string());
  out.write(kMagic.data(), kMagic.size());
  put<uint32_t>(out, kVersion);
  put<uint64_t>(out, model_fingerprint(model));
  const std::string kind = cache.kind();
  put<uint32_t>(out, static_cast<uint32_t>(kind.size()));
  out.write(kind.data(), static_cast<std::streamsize>(kind.size()));
  put<uint32_t>(out, static_cast<uint32_t>(tokens.size()));
  for (int t : tokens) put<int32_t>(out, t);
  put<uint64_t>(out, bytes.size());
  put<uint64_t>(out, fnv1a(bytes.data(), bytes.size()));
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw Error("cannot write the KV cache file " + path.string());
}

std::vector<int> load_kv_cache(const std::filesystem::path& path, const Model& model, KVCache& cache) {
  const std::string file = path.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open the KV cache file " + file);
  std::error_code ec;
  const uintmax_t file_size = std::filesystem::file_size(path, ec);

  std::array<char, 8> magic{};
  if (!in.read(magic.data(), magic.size()) || magic != kMagic) throw Error(file + " is not a kvlm KV cache file");
  if (const auto version = get<uint32_t>(in, file); version != kVersion)
    throw Error("the KV cache file " + file + " has version " + std::to_string(version) + "; this kvlm reads version " +
                std::to_string(kVersion));
  if (get<uint64_t>(in, file) != model_fingerprint(model))
    throw Error("the KV cache file " + file + " was saved with another model");
  const auto kind_size = get<uint32_t>(in, file);
  if (kind_size > kMaxKindName) throw Error("the KV cache file " + file + " is corrupt (its kind name)");
  std::string kind(kind_size, '\0');
  if (!in.read(kind.data(), kind_size)) throw Error("the KV cache file " + file + " is truncated");
  if (kind != cache.kind())
    throw Error("the KV cache file " + file + " holds a " + kind + " cache, not " + cache.kind() + " (--kv-cache " +
                kind + ")");
  const auto n_tokens = get<uint32_t>(in, file);
  if (n_tokens > file_size / sizeof(int32_t)) throw Error("the KV cache file " + file + " is truncated");
  std::vector<int> tokens(n_tokens);
  for (int& t : tokens) {
    t = get<int32_t>(in, file);
    if (t < 0 || t >= model.config.vocab_size) throw Error("the KV cache file " + file + " is corrupt (a token id)");
  }
  const auto payload_size = get<uint64_t>(in, file);
  const auto hash = get<uint64_t>(in, file);
  if (payload_size > file_size) throw Error("the KV cache file " + file + " is truncated");
  std::string bytes(payload_size, '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(payload_size)))
    throw Error("the KV cache file " + file + " is truncated");
  if (fnv1a(bytes.data(), bytes.size()) != hash) throw Error("the KV cache file " + file + " is corrupt (its hash)");

  std::istringstream payload(bytes);
  cache.load_state(payload, model.config);
  if (cache.length() != static_cast<int>(tokens.size()))
    throw Error("the KV cache file " + file + " is corrupt (" + std::to_string(cache.length()) + " positions for " +
                std::to_string(tokens.size()) + " tokens)");
  return tokens;
}

}  // namespace kvlm
