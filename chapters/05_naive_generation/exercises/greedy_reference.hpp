// HF's greedy continuations (p{i}.greedy in a fixture's reference.safetensors), with how far they
// can be trusted in fp32: up to the first step whose top-1/top-2 margin is below 1e-3.
// Not a generator: the tests produce the tokens, this only says what HF produced.
#pragma once

#include <algorithm>
#include <vector>

#include "kvlm/verify/reference.hpp"

namespace kvlm::exercises::test {

constexpr int kGreedySteps = 12;

// The first n tokens of HF's greedy path, cut before a near tie (Tolerance::greedy_margin).
inline std::vector<int> trusted_greedy(const ReferencePrompt& p, int n = kGreedySteps) {
  const float margin = Tolerance{}.greedy_margin;
  std::vector<int> out;
  for (int i = 0; i < std::min<int>(n, static_cast<int>(p.greedy.size())); ++i) {
    if (i < static_cast<int>(p.greedy_margin.size()) && p.greedy_margin[i] < margin) break;
    out.push_back(p.greedy[i]);
  }
  return out;
}

}  // namespace kvlm::exercises::test
