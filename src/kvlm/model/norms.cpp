// RMSNorm and LayerNorm; see norms.hpp. Statistics are accumulated in double: HF computes them in
// fp32 over D values, and double keeps our error well below the 1e-4 logit tolerance.
#include "kvlm/model/norms.hpp"

#include <cassert>
#include <cmath>

namespace kvlm {

Matrix rms_norm(const MatrixRef& x, const Vector& weight, float eps) {
  assert(weight.size() == x.cols());
  Matrix y(x.rows(), x.cols());
  for (Eigen::Index t = 0; t < x.rows(); ++t) {
    const double mean_square = x.row(t).cast<double>().squaredNorm() / static_cast<double>(x.cols());
    const float scale = static_cast<float>(1.0 / std::sqrt(mean_square + eps));
    y.row(t) = (x.row(t) * scale).cwiseProduct(weight.transpose());
  }
  return y;
}

Matrix layer_norm(const MatrixRef& x, const Vector& weight, const Vector& bias, float eps) {
  assert(weight.size() == x.cols() && bias.size() == x.cols());
  Matrix y(x.rows(), x.cols());
  for (Eigen::Index t = 0; t < x.rows(); ++t) {
    const Eigen::RowVectorXd row = x.row(t).cast<double>();
    const double mean = row.mean();
    const double variance = (row.array() - mean).square().mean();
    const Eigen::RowVectorXd normalized = (row.array() - mean) / std::sqrt(variance + eps);
    y.row(t) = normalized.cast<float>().cwiseProduct(weight.transpose()) + bias.transpose();
  }
  return y;
}

Matrix norm(const ModelConfig& config, const MatrixRef& x, const Vector& weight, const Vector& bias) {
  return config.norm == NormKind::kRmsNorm ? rms_norm(x, weight, config.norm_eps)
                                           : layer_norm(x, weight, bias, config.norm_eps);
}

}  // namespace kvlm
