// Tests exercise 2 of chapter 02 (add_position_embeddings) against HF transformers' GPT-2: its
// hidden0 is wte[ids] + wpe[positions]. The token lookup here is the library's (exercise 1 is
// graded by its own test), so this test fails only for the position part.
#include <gtest/gtest.h>

#include "common/exercise_test.hpp"
#include "exercises.hpp"
#include "kvlm/error.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/verify/reference.hpp"

namespace kvlm::exercises {
namespace {

class PositionEmbeddings : public ::testing::Test {
 protected:
  Model model_ = load_model(test::model_dir("gpt2"));
  std::vector<ReferencePrompt> prompts_ = read_reference(test::reference_of("gpt2"));
};

// An fp32 sum of two fp32 numbers, as HF's: 1e-6 is rounding only.
constexpr float kSumTolerance = 1e-6f;

TEST_F(PositionEmbeddings, MatchHfFromPositionZero) {
  for (const ReferencePrompt& p : prompts_) {
    Matrix x = kvlm::embed_tokens(model_.weights.embed_tokens, p.input_ids);
    exercises::add_position_embeddings(x, model_.weights.embed_positions, 0);
    EXPECT_TRUE(test::matrices_near(x, p.hidden[0], kSumTolerance)) << p.name;
  }
}

// During generation with a cache, a chunk starts later: its rows are positions start_pos, ...
TEST_F(PositionEmbeddings, MatchHfForAChunkStartingLater) {
  const ReferencePrompt& p = prompts_.back();
  const int start = 3;
  const std::span<const int> tail = std::span<const int>(p.input_ids).subspan(start);
  Matrix x = kvlm::embed_tokens(model_.weights.embed_tokens, tail);
  exercises::add_position_embeddings(x, model_.weights.embed_positions, start);
  const Matrix expected = p.hidden[0].bottomRows(static_cast<Eigen::Index>(tail.size()));
  EXPECT_TRUE(test::matrices_near(x, expected, kSumTolerance));
}

TEST_F(PositionEmbeddings, RejectPositionsPastTheTable) {
  const int max_pos = static_cast<int>(model_.weights.embed_positions.rows());
  Matrix x = Matrix::Zero(2, model_.config.hidden_size);
  EXPECT_THROW(exercises::add_position_embeddings(x, model_.weights.embed_positions, max_pos - 1), kvlm::Error);
}

}  // namespace
}  // namespace kvlm::exercises
