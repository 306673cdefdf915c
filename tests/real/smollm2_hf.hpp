// What the SmolLM2 tests on either device check against HF's run on the same weights (data/smollm2):
// its top-10 logits at every prompt position, and its 64-token greedy paths. Not a loader: the tests
// load the model and the references themselves.
#pragma once

#include <gtest/gtest.h>

#include <vector>

#include "kvlm/generate/decoder.hpp"
#include "kvlm/generate/generate.hpp"
#include "kvlm/verify/reference.hpp"

namespace kvlm::test {

// logits [T, V] of p's prompt: HF's top-10 values within `tolerance`, and HF's top-1 as its argmax.
inline void expect_topk_logits_near_hf(const Matrix& logits, const ReferencePrompt& p, float tolerance) {
  for (size_t t = 0; t < p.topk_ids.size(); ++t) {
    for (size_t j = 0; j < p.topk_ids[t].size(); ++j)
      EXPECT_NEAR(logits(t, p.topk_ids[t][j]), p.topk_values(t, j), tolerance) << p.name << " position " << t;
    Eigen::Index best;
    logits.row(t).maxCoeff(&best);
    EXPECT_EQ(best, p.topk_ids[t][0]) << p.name << " position " << t;
  }
}

// HF's greedy continuation of each prompt, token for token, through chapter 06's loop on the
// decoder's device, run its full length past any EOS.
inline void expect_greedy_matches_hf(const Decoder& decoder, const std::vector<ReferencePrompt>& prompts) {
  for (const ReferencePrompt& p : prompts) {
    GenerationConfig config;
    config.max_new_tokens = static_cast<int>(p.greedy.size());
    config.stop_at_eos = false;  // HF's greedy references run their full length, past any EOS
    ASSERT_GE(config.max_new_tokens, 64);
    EXPECT_EQ(generate_cached(decoder, p.input_ids, config).tokens, p.greedy) << p.name;
  }
}

}  // namespace kvlm::test
