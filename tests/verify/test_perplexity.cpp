// perplexity() (kvlm/verify/perplexity.hpp) against values computed here, independently: the
// negative log-likelihoods from HF transformers' float64 logits (each fixture's reference file), and
// KL divergence and top-1 agreement written out from two models' `forward` logits. Plus its errors.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "fixtures.hpp"
#include "kvlm/error.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/model/transformer.hpp"
#include "kvlm/verify/perplexity.hpp"
#include "kvlm/verify/reference.hpp"

namespace kvlm {
namespace {

using test::Fixture;

const std::filesystem::path kLlamaMha = test::data_dir() / "models" / "llama-mha";         // vocab 256, context 96
const std::filesystem::path kOther = test::data_dir() / "models" / "llama-gqa-tied";       // vocab 256, other weights

// log p(next | row), written out in double.
double log_prob(const Eigen::Ref<const RowVector>& row, int next) {
  const double max = row.maxCoeff();
  double sum = 0;
  for (Eigen::Index i = 0; i < row.size(); ++i) sum += std::exp(double(row(i)) - max);
  return double(row(next)) - max - std::log(sum);
}

std::vector<int> random_ids(int n, int vocab, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> id(0, vocab - 1);
  std::vector<int> ids(n);
  for (int& x : ids) x = id(rng);
  return ids;
}

PerplexityOptions windows_of(int ctx) {
  PerplexityOptions options;
  options.ctx = ctx;
  return options;
}

PerplexityOptions with_start_token(PerplexityOptions options, int id) {
  options.window_start_token = id;
  return options;
}

class PerplexityVsHF : public ::testing::TestWithParam<Fixture> {};

// A reference prompt of T tokens, twice: two windows of ctx = T, each run from position 0, so each
// window's logits are the reference's logits for that prompt. The expected perplexity uses HF's
// float64 logits only. Tolerance: kvlm's logits are within 1e-4 of them on every fixture
// (test_reference.cpp), so each log-probability (a logit minus a logsumexp) is within 2e-4, and so
// is their mean, the mean NLL. Measured: at most 2.0e-6. Scoring one position off moves it by O(1).
TEST_P(PerplexityVsHF, MatchesTheNllOfHFsFloat64Logits) {
  constexpr double kNllTolerance = 2e-4;
  const Model model = load_model(GetParam().model);
  const std::vector<ReferencePrompt> prompts = read_reference(GetParam().reference);
  const ReferencePrompt* longest = nullptr;
  for (const ReferencePrompt& p : prompts)
    if (p.logits.size() && (!longest || p.input_ids.size() > longest->input_ids.size())) longest = &p;
  if (!longest || longest->input_ids.size() < 3) GTEST_SKIP() << "no reference prompt with full logits and 3+ tokens";

  const int ctx = static_cast<int>(longest->input_ids.size());
  std::vector<int> ids = longest->input_ids;
  ids.insert(ids.end(), longest->input_ids.begin(), longest->input_ids.end());
  double nll = 0;
  int scored = 0;
  for (int t = ctx / 2; t + 1 < ctx; ++t, ++scored) nll -= log_prob(longest->logits.row(t), longest->input_ids[t + 1]);
  nll /= scored;

  const PerplexityReport r = perplexity(model, ids, windows_of(ctx));
  EXPECT_EQ(r.windows, 2);
  EXPECT_EQ(r.first_scored_position, ctx / 2);
  EXPECT_EQ(r.score.tokens_scored, 2 * scored);
  EXPECT_NEAR(r.score.mean_nll, nll, kNllTolerance) << longest->name << ", ctx " << ctx;
  EXPECT_NEAR(r.score.perplexity, std::exp(nll), kNllTolerance * std::exp(nll)) << "exp(mean NLL)";
  EXPECT_FALSE(r.vs_base);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, PerplexityVsHF, ::testing::ValuesIn(test::all_fixtures()),
                         [](const auto& info) { return info.param.name; });

TEST(Perplexity, AModelAgainstItselfHasNoDivergence) {
  const Model model = load_model(kLlamaMha);
  const std::vector<int> ids = random_ids(3 * 20 + 7, model.config.vocab_size, 1);
  const PerplexityReport r = perplexity(model, ids, windows_of(20), &model);
  ASSERT_TRUE(r.vs_base);
  EXPECT_EQ(r.vs_base->mean_kl, 0.0) << "identical logits: every term is p x (log p - log p) = 0";
  EXPECT_EQ(r.vs_base->top1_agreement, 1.0);
  EXPECT_EQ(r.vs_base->base.perplexity, r.score.perplexity);
  // The same weights read from llama2.c's file (Meta's interleaved RoPE): logits within 1e-4 of the
  // HF folder's, so each log p differs by at most 2e-4, and KL, to second order sum p (dlog p)^2 / 2,
  // stays below (2e-4)^2 / 2 = 2e-8. Measured: 1.6e-13.
  const Model llama2c = load_model(kLlamaMha / "llama2c.bin");
  const PerplexityReport f = perplexity(llama2c, ids, windows_of(20), &model);
  EXPECT_LE(std::abs(f.vs_base->mean_kl), 2e-8);
  EXPECT_EQ(f.vs_base->top1_agreement, 1.0);
}

// Against another model: KL and top-1 agreement written out here from both models' forward logits.
// 1e-9 relative: the same double sums in another order.
TEST(Perplexity, KlDivergenceAndTopOneAgreementAgainstAnotherModel) {
  const Model model = load_model(kLlamaMha), base = load_model(kOther);
  constexpr int kCtx = 16;
  const std::vector<int> ids = random_ids(2 * kCtx + 5, model.config.vocab_size, 2);  // a tail of 5 is dropped
  double kl = 0, same = 0, base_nll = 0;
  int n = 0;
  for (int w = 0; w < 2; ++w) {
    const std::span<const int> window(ids.data() + w * kCtx, kCtx);
    const Matrix lm = forward(model, window, 0, nullptr), lb = forward(base, window, 0, nullptr);
    for (int t = kCtx / 2; t + 1 < kCtx; ++t, ++n) {
      for (int i = 0; i < lm.cols(); ++i) {
        const double log_pb = log_prob(lb.row(t), i), log_pm = log_prob(lm.row(t), i);
        kl += std::exp(log_pb) * (log_pb - log_pm);
      }
      Eigen::Index am, ab;
      lm.row(t).maxCoeff(&am);
      lb.row(t).maxCoeff(&ab);
      same += am == ab;
      base_nll -= log_prob(lb.row(t), window[t + 1]);
    }
  }
  const PerplexityReport r = perplexity(model, ids, windows_of(kCtx), &base);
  ASSERT_TRUE(r.vs_base);
  EXPECT_EQ(r.score.tokens_scored, n);
  EXPECT_GT(r.vs_base->mean_kl, 0.0);
  EXPECT_NEAR(r.vs_base->mean_kl, kl / n, 1e-9 * kl / n);
  EXPECT_DOUBLE_EQ(r.vs_base->top1_agreement, same / n);
  EXPECT_NEAR(r.vs_base->base.mean_nll, base_nll / n, 1e-9 * base_nll / n);
}

// With a window start token (BOS), each window is scored as if its first id were that token.
TEST(Perplexity, WindowStartTokenReplacesEachWindowsFirstId) {
  const Model model = load_model(kLlamaMha);
  std::vector<int> ids = random_ids(2 * 12, model.config.vocab_size, 3);
  const PerplexityReport with_bos = perplexity(model, ids, with_start_token(windows_of(12), 1));
  ids[0] = ids[12] = 1;
  EXPECT_EQ(with_bos.score.mean_nll, perplexity(model, ids, windows_of(12)).score.mean_nll);
}

void expect_error(const std::function<void()>& f, const std::string& message) {
  try {
    f();
    ADD_FAILURE() << "no error; expected: " << message;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
  }
}

TEST(Perplexity, BadInputIsRefused) {
  const Model model = load_model(kLlamaMha);
  const std::vector<int> ids = random_ids(200, model.config.vocab_size, 4);
  expect_error([&] { perplexity(model, ids, windows_of(1)); }, "must hold at least 2 tokens, not 1");
  expect_error([&] { perplexity(model, ids, windows_of(97)); }, "97 tokens is longer than the model's context of 96");
  expect_error([&] { perplexity(model, std::span(ids).first(39), windows_of(20)); },
               "the text has 39 tokens; perplexity with a window (--ctx) of 20 needs at least 40");
  Model other_vocab = model;
  other_vocab.config.vocab_size = 300;  // checked before anything runs
  expect_error([&] { perplexity(model, ids, windows_of(20), &other_vocab); },
               "the base model's vocabulary has 300 tokens and the model's 256");
  Model short_context = model;
  short_context.config.max_position_embeddings = 10;
  expect_error([&] { perplexity(model, ids, windows_of(20), &short_context); }, "longer than the base model's context of 10");
}

}  // namespace
}  // namespace kvlm
