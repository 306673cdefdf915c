// The KV cache variants the chapter 06 equivalence suite runs on (tests/generate/test_equivalence.cpp,
// tests/model/test_reference.cpp): every exact variant must give what the contiguous fp32 cache gives.
// Adding a variant to the suite is one line in exact_cache_variants(). Not the lossy variants' tests
// (fp16, int8, a window shorter than the text), which state their own error bounds.
#pragma once

#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "fixtures.hpp"
#include "kvlm/cache/make_kv_cache.hpp"

namespace kvlm::test {

struct CacheVariant {
  std::string name;        // gtest-friendly
  KVCacheOptions options;  // what make_kv_cache gets
};

inline std::vector<CacheVariant> exact_cache_variants() {
  return {
      {"contiguous", {.kind = "contiguous"}},
      {"paged_block1", {.kind = "paged", .block = 1}},
      {"paged_block16", {.kind = "paged", .block = 16}},
      {"paged_block4096", {.kind = "paged", .block = 4096}},  // larger than every fixture's prompt
      {"window_longer_than_the_text", {.kind = "window", .window = 1 << 12, .sinks = 4}},  // exact: nothing leaves
  };
}

inline void PrintTo(const CacheVariant& v, std::ostream* os) { *os << v.name; }

// (fixture x variant) parameters and their test names, e.g. own_llama_mha__paged_block16.
using FixtureAndCache = std::tuple<Fixture, CacheVariant>;
inline auto fixtures_and_caches() {
  return ::testing::Combine(::testing::ValuesIn(all_fixtures()), ::testing::ValuesIn(exact_cache_variants()));
}
inline std::string fixture_and_cache_name(const ::testing::TestParamInfo<FixtureAndCache>& info) {
  return std::get<0>(info.param).name + "__" + std::get<1>(info.param).name;
}

}  // namespace kvlm::test
