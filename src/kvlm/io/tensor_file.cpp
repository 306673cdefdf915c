// read_checked: the one place where a tensor's shape is compared with what the config implies.
#include "kvlm/io/tensor_file.hpp"

#include <cmath>

#include "kvlm/error.hpp"
#include "kvlm/printable.hpp"

namespace kvlm {

Tensor read_checked(const TensorFile& file, const std::string& name, const Shape& expected) {
  if (!file.contains(name)) throw Error(file.describe() + " has no tensor '" + printable(name) + "'");
  const Shape actual = file.shape(name);
  if (actual != expected)
    throw Error(file.describe() + ": tensor '" + printable(name) + "' has shape " + shape_string(actual) + ", expected " +
                shape_string(expected));
  return file.read(name);
}

namespace {

void check_finite(const TensorFile& file, const std::string& name, const float* values, Eigen::Index n) {
  for (Eigen::Index i = 0; i < n; ++i)  // row-major: the flat index is the index in HF's layout
    if (!std::isfinite(values[i]))
      throw Error(file.describe() + ": tensor '" + printable(name) + "' holds " + (std::isnan(values[i]) ? "NaN" : "Inf") +
                  " at flat index " + std::to_string(i) + " (found by --check-tensors)");
}

}  // namespace

Tensor FiniteTensors::read(const std::string& name) const {
  Tensor t = file_.read(name);
  check_finite(*this, name, t.data.data(), t.data.size());
  return t;
}

std::optional<QuantizedMatrix> FiniteTensors::read_blocks(const std::string& name) const {
  std::optional<QuantizedMatrix> blocks = file_.read_blocks(name);
  if (blocks) {  // a NaN or Inf scale makes its whole block so: widen the tensor once to find it
    std::vector<float> values(static_cast<size_t>(blocks->rows * blocks->cols));
    dequantize_rows(*blocks, 0, blocks->rows, values.data());
    check_finite(*this, name, values.data(), static_cast<Eigen::Index>(values.size()));
  }
  return blocks;
}

}  // namespace kvlm
