// Tests exercise 1 of chapter 07 (the RMSNorm kernel) against HF transformers, as chapter 04's
// exercise 1 is tested: every layer of a fixture is recomputed from HF's hidden state with the kernel
// in all three norms (before attention, before the MLP, the final norm), the rest of the layer on the
// CPU, and must give HF's next hidden state. Skips, saying so, where no GPU is present.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "common/exercise_test.hpp"
#include "common/reference_layer.hpp"
#include "exercises.hpp"
#include "gpu.hpp"
#include "kvlm/io/load.hpp"
#include "kvlm/verify/reference.hpp"

namespace kvlm::exercises {
namespace {

Matrix rms_norm_on_gpu(const MatrixRef& x, const Vector& weight, float eps) {
  const Matrix host = x;
  const auto dx = test::to_gpu(host), dw = test::to_gpu(weight);
  cuda::DeviceArray<float> dy(host.size());
  exercises::rms_norm(dx.data(), dw.data(), static_cast<int>(host.rows()), static_cast<int>(host.cols()), eps,
                      dy.data());
  return test::to_host(dy, host.rows(), host.cols());
}

void expect_hf_hidden_states(const std::string& fixture) {
  const Model m = load_model(test::model_dir(fixture));
  ASSERT_EQ(m.config.norm, NormKind::kRmsNorm);
  test::LayerParts parts;
  parts.norm = [](const ModelConfig& c, const MatrixRef& x, const Vector& weight, const Vector&) {
    return rms_norm_on_gpu(x, weight, c.norm_eps);
  };
  test::expect_layers_match_hf(m, fixture, parts);
}

TEST(RmsNormKernel, EveryLayerMatchesHfOnLlama) {
  KVLM_EXERCISE_REQUIRE_GPU();
  expect_hf_hidden_states("llama-mha");
}
TEST(RmsNormKernel, EveryLayerMatchesHfOnQwen2) {
  KVLM_EXERCISE_REQUIRE_GPU();
  expect_hf_hidden_states("qwen2-bf16");
}

// Rows longer than the block (1,000 values for 256 threads, not a multiple), against float64: the
// kernel's fp32 steps are the scale's rounding and two products, so within 4 u relative (u = 2^-24).
TEST(RmsNormKernel, RowsLongerThanTheBlockMatchFloat64) {
  KVLM_EXERCISE_REQUIRE_GPU();
  const int T = 5, D = 1000;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> uniform(-3.0f, 3.0f);
  Matrix x(T, D);
  Vector w(D);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = uniform(rng);
  for (Eigen::Index i = 0; i < w.size(); ++i) w(i) = uniform(rng);
  const Matrix y = rms_norm_on_gpu(x, w, 1e-5f);
  const double u = 1.0 / (1 << 24);
  for (int t = 0; t < T; ++t) {
    double mean_square = 0;
    for (int i = 0; i < D; ++i) mean_square += static_cast<double>(x(t, i)) * x(t, i) / D;
    for (int i = 0; i < D; ++i) {
      const double exact = x(t, i) / std::sqrt(mean_square + 1e-5) * w(i);
      ASSERT_NEAR(y(t, i), exact, 4 * u * std::abs(exact) + 1e-30) << "row " << t << " value " << i;
    }
  }
}

}  // namespace
}  // namespace kvlm::exercises
