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
  if (config.norm == NormKind::kLayerNorm) return layer_norm(x, weight, bias, config.norm_eps);
  if (config.norm_weight_offset != 0.0f)  // Gemma: x * (1 + w)
    return rms_norm(x, (weight.array() + config.norm_weight_offset).matrix(), config.norm_eps);
  return rms_norm(x, weight, config.norm_eps);
}

Matrix head_rms_norm(const ModelConfig& config, const MatrixRef& x, const Vector& weight) {
  const Eigen::Index hd = weight.size(), heads = x.cols() / hd;
  assert(heads * hd == x.cols());
  // View [T, heads*hd] as [T*heads, hd] (row-major: each row of the view is one head of one token).
  const Eigen::Map<const Matrix> per_head(x.data(), x.rows() * heads, hd);
  const Matrix y = norm(config, per_head, weight, Vector());
  return Eigen::Map<const Matrix>(y.data(), x.rows(), x.cols());
}

}  // namespace kvlm
