// Tests exercise 1 of chapter 05 (argmax) against HF transformers: HF's own logits give HF's first
// greedy token, and a naive greedy loop with the exercise's argmax follows HF's greedy paths.
#include <gtest/gtest.h>

#include "common/exercise_test.hpp"
#include "exercises.hpp"
#include "greedy_reference.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/model/transformer.hpp"

namespace kvlm::exercises {
namespace {

int argmax_of_last_row(const Matrix& logits) {
  const Eigen::RowVectorXf last = logits.row(logits.rows() - 1);
  return exercises::argmax({last.data(), static_cast<size_t>(last.size())});
}

TEST(Argmax, TiesGoToTheLowestIdAsTorchArgmax) {
  const std::vector<float> tie = {0.0f, 2.0f, 2.0f, -1.0f};
  EXPECT_EQ(exercises::argmax(tie), 1);
  const std::vector<float> negative = {-3.0f, -1.0f, -2.0f};
  EXPECT_EQ(exercises::argmax(negative), 1);
}

TEST(Argmax, HfLogitsGiveHfFirstGreedyToken) {
  for (const char* fixture : {"llama-mha", "qwen2-bf16", "gpt2"})
    for (const ReferencePrompt& p : read_reference(test::reference_of(fixture)))
      EXPECT_EQ(argmax_of_last_row(p.logits), p.greedy.at(0)) << fixture << " " << p.name;
}

TEST(Argmax, GreedyLoopFollowsHfGreedyPaths) {
  for (const char* fixture : {"llama-gqa-tied", "gpt2"}) {
    const Model m = load_model(test::model_dir(fixture));
    for (const ReferencePrompt& p : read_reference(test::reference_of(fixture))) {
      const std::vector<int> expected = test::trusted_greedy(p);
      std::vector<int> sequence = p.input_ids, got;
      for (size_t i = 0; i < expected.size(); ++i) {
        got.push_back(argmax_of_last_row(forward(m, sequence, 0, nullptr)));
        sequence.push_back(got.back());
      }
      EXPECT_EQ(got, expected) << fixture << " " << p.name;
    }
  }
}

}  // namespace
}  // namespace kvlm::exercises
