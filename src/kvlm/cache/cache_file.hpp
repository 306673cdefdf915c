// Saving a prompt's KV cache to a file and loading it back (`kvlm generate --save-cache F /
// --load-cache F`), as llama.cpp's prompt cache: a later run whose prompt starts with the saved
// tokens skips recomputing them. Not portable across models or cache kinds: the header names both,
// and a file from another model, another kind, or a damaged file is refused with one sentence.
//
// Layout (little-endian):
//   "KVLMKVC\0"  u32 version  u64 model fingerprint  u32 len + kind name  u32 n + n x i32 tokens
//   u64 payload bytes  u64 payload FNV-1a hash  payload (the cache's save_state)
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "kvlm/cache/kv_cache.hpp"
#include "kvlm/model/weights.hpp"

namespace kvlm {

// A hash of the model's architecture numbers and a sample of its weights (embedding rows, final norm):
// the same file loaded twice gives the same value, another model (or another quantization) another.
uint64_t model_fingerprint(const Model& model);

// Writes `cache` (which holds the keys and values of `tokens`, one position each) to `path`.
void save_kv_cache(const std::filesystem::path& path, const Model& model, const KVCache& cache,
                   std::span<const int> tokens);

// Fills the empty `cache` from `path` and returns the tokens it holds. Throws kvlm::Error when the
// file is not a kvlm KV cache, is from another model or cache kind, or is truncated or corrupt.
std::vector<int> load_kv_cache(const std::filesystem::path& path, const Model& model, KVCache& cache);

}  // namespace kvlm
