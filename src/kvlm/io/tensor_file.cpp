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

Tensor FiniteTensors::read(const std::string& name) const {
  Tensor t = file_.read(name);
  const float* values = t.data.data();  // row-major: the flat index is the index in HF's layout
  for (Eigen::Index i = 0; i < t.data.size(); ++i)
    if (!std::isfinite(values[i]))
      throw Error(describe() + ": tensor '" + printable(name) + "' holds " + (std::isnan(values[i]) ? "NaN" : "Inf") +
                  " at flat index " + std::to_string(i) + " (found by --check-tensors)");
  return t;
}

}  // namespace kvlm
