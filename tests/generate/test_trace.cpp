// The generation trace (`kvlm generate --trace`): its schema, and that what it records is what the
// loops and forward computed. Not a test of the viewer (tests/browser) or of the sampler's draws.
#include <gtest/gtest.h>

#include <algorithm>

#include <cmath>

#include "fixtures.hpp"
#include "kvlm/generate/trace.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/model/transformer.hpp"
#include "kvlm/verify/reference.hpp"

namespace kvlm {
namespace {

using nlohmann::json;
constexpr int kNewTokens = 6;

class Trace : public ::testing::TestWithParam<bool> {  // param: cached (chapter 06) or naive (chapter 05)
 protected:
  void SetUp() override {
    const auto dir = test::data_dir() / "models" / "llama-gqa-tied";
    model_ = load_model(dir);
    const ReferencePrompt p = read_reference(dir / "reference.safetensors").back();
    prompt_ = p.input_ids;
    hf_logits_ = p.logits;
  }
  // Runs the loop with a TraceWriter attached; returns the trace document.
  json run(GenerationConfig config, TraceOptions options = {}) {
    TraceWriter writer(model_, config, /*tokenizer=*/nullptr, options);
    writer.set_info("fixture", GetParam());
    writer.set_prompt("", prompt_);
    config.on_step = writer.observer();
    generation_ = GetParam() ? generate_cached(model_, prompt_, config) : generate_naive(model_, prompt_, config);
    return writer.json();
  }
  Model model_;
  std::vector<int> prompt_;
  Matrix hf_logits_;  // HF's float64 logits for prompt_, [T, V]
  Generation generation_;
};

GenerationConfig greedy() {
  GenerationConfig c;
  c.max_new_tokens = kNewTokens;
  c.stop_at_eos = false;  // the tests count kNewTokens steps
  return c;
}

TEST_P(Trace, SchemaAndOneStepPerToken) {
  const json t = run(greedy());
  EXPECT_EQ(t.at("format"), kTraceFormat);
  EXPECT_EQ(t.at("version"), kTraceVersion);
  EXPECT_EQ(t.at("cache"), GetParam() ? "kv" : "none");
  EXPECT_EQ(t.at("model").at("num_hidden_layers"), model_.config.num_hidden_layers);
  EXPECT_EQ(t.at("prompt").at("ids").get<std::vector<int>>(), prompt_);
  EXPECT_EQ(t.at("prompt").at("tokens").size(), prompt_.size());
  const json& steps = t.at("steps");
  ASSERT_EQ(steps.size(), generation_.tokens.size());
  const int T = static_cast<int>(prompt_.size());
  for (int i = 0; i < static_cast<int>(steps.size()); ++i) {
    const json& s = steps[i];
    EXPECT_EQ(s.at("step"), i);
    EXPECT_EQ(s.at("phase"), i == 0 ? "prefill" : "decode");
    EXPECT_EQ(s.at("token").at("id"), generation_.tokens[i]);
    EXPECT_GE(s.at("ms").get<double>(), 0.0);
    // Cached: the prompt, then one position per step. Naive: the whole sequence every step.
    EXPECT_EQ(s.at("start_pos"), GetParam() ? (i == 0 ? 0 : T + i - 1) : 0);
    EXPECT_EQ(s.at("n_positions"), GetParam() ? (i == 0 ? T : 1) : T + i);
    const int length = GetParam() ? T + i : 0;
    EXPECT_EQ(s.at("cache_length"), length);
    EXPECT_EQ(s.at("cache_bytes"), length * KVCache::bytes_per_token(model_.config));
    for (const char* key : {"top_before", "top_after"})
      for (const json& c : s.at(key)) EXPECT_TRUE(c.contains("id") && c.contains("text") && c.contains("prob"));
  }
}

// The prefill step's candidates against softmax(HF's float64 logits) at the prompt's last position.
// 1e-5: on this fixture kvlm's fp32 logits are within 4e-6 of HF's float64 run, and a softmax
// probability moves by at most half the largest logit difference (2e-6).
TEST_P(Trace, CandidatesAreHfsSoftmax) {
  const json t = run(greedy());
  // softmax of HF's last row, in double with a plain loop (GCC 12 warns, wrongly, inside Eigen's
  // AVX-512 double reductions and exp).
  const Eigen::RowVectorXf hf = hf_logits_.row(hf_logits_.rows() - 1);
  const double top = *std::max_element(hf.data(), hf.data() + hf.size());
  std::vector<double> p(hf.size());
  double sum = 0.0;
  for (size_t i = 0; i < p.size(); ++i) sum += p[i] = std::exp(static_cast<double>(hf[i]) - top);
  for (double& x : p) x /= sum;
  const json& before = t.at("steps")[0].at("top_before");
  ASSERT_EQ(before.size(), std::min<size_t>(SamplerView::kTop, p.size()));
  double previous = 1.0;
  for (const json& c : before) {
    const double prob = c.at("prob");
    EXPECT_NEAR(prob, p[c.at("id").get<int>()], 1e-5);
    EXPECT_LE(prob, previous);  // most likely first
    previous = prob;
  }
  const json& after = t.at("steps")[0].at("top_after");  // greedy: the argmax, certain
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].at("id"), generation_.tokens[0]);
  EXPECT_EQ(after[0].at("prob"), 1.0);
}

// With top-k 5 (< kTop) the whole filtered distribution is in top_after: it sums to 1.
TEST_P(Trace, FilteredProbabilitiesSumToOne) {
  GenerationConfig c = greedy();
  c.sampler = {.temperature = 0.8f, .top_k = 5, .top_p = 1.0f, .seed = 7};
  const json t = run(c);
  for (const json& s : t.at("steps")) {
    double sum = 0.0;
    for (const json& cand : s.at("top_after")) sum += cand.at("prob").get<double>();
    EXPECT_EQ(s.at("top_after").size(), 5u);
    EXPECT_NEAR(sum, 1.0, 1e-12);  // renormalized in double
    double before = 0.0;
    for (const json& cand : s.at("top_before")) before += cand.at("prob").get<double>();
    EXPECT_LE(before, 1.0 + 1e-12);
  }
}

// Each kept row is the last row of forward's full attention matrix over the whole sequence, which
// sums to 1 and is zero past the causal mask. 1e-4: the trace rounds to 4 decimals (5e-5) and the
// cached loop's sums differ from one full pass by ~1e-7.
TEST_P(Trace, AttentionIsTheNewestRowOfTheFullMatrix) {
  const json t = run(greedy());
  std::vector<int> sequence = prompt_;
  sequence.insert(sequence.end(), generation_.tokens.begin(), generation_.tokens.end() - 1);
  ForwardTrace full;
  full.keep_attention = true;
  forward(model_, sequence, 0, nullptr, &full);  // [layer][head] of [S, S]
  const auto layers = t.at("attention_layers").get<std::vector<int>>();
  const auto heads = t.at("attention_heads").get<std::vector<int>>();
  ASSERT_EQ(static_cast<int>(layers.size()), model_.config.num_hidden_layers);
  ASSERT_EQ(static_cast<int>(heads.size()), model_.config.num_attention_heads);
  for (const json& s : t.at("steps")) {
    const int pos = s.at("start_pos").get<int>() + s.at("n_positions").get<int>() - 1;  // the newest position
    for (size_t li = 0; li < layers.size(); ++li)
      for (size_t hi = 0; hi < heads.size(); ++hi) {
        const auto row = s.at("attention")[li][hi].get<std::vector<double>>();
        ASSERT_EQ(static_cast<int>(row.size()), pos + 1);  // positions 0..pos: nothing past the mask
        const Matrix& m = full.attention[layers[li]][heads[hi]];
        double sum = 0.0;
        for (int k = 0; k < pos + 1; ++k) {
          EXPECT_NEAR(row[k], m(pos, k), 1e-4) << "layer " << layers[li] << " head " << heads[hi] << " key " << k;
          sum += row[k];
        }
        EXPECT_NEAR(sum, 1.0, (pos + 1) * 5e-5 + 1e-6);
        EXPECT_NEAR(m.row(pos).sum(), 1.0, 1e-5);
        if (pos + 1 < m.cols()) {
          EXPECT_EQ(m.row(pos).tail(m.cols() - pos - 1).cwiseAbs().maxCoeff(), 0.0f);
        }
      }
  }
}

TEST_P(Trace, LimitsLayersAndHeads) {
  const json t = run(greedy(), {.max_layers = 2, .max_heads = 1});
  EXPECT_EQ(t.at("attention_layers").get<std::vector<int>>(), (std::vector<int>{0, model_.config.num_hidden_layers - 1}));
  EXPECT_EQ(t.at("attention_heads").get<std::vector<int>>(), std::vector<int>{0});
  for (const json& s : t.at("steps")) {
    ASSERT_EQ(s.at("attention").size(), 2u);
    EXPECT_EQ(s.at("attention")[0].size(), 1u);
  }
}

INSTANTIATE_TEST_SUITE_P(Loops, Trace, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "cached" : "naive"; });

}  // namespace
}  // namespace kvlm
