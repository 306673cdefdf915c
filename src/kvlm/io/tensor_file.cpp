// read_checked: the one place where a tensor's shape is compared with what the config implies.
#include "kvlm/io/tensor_file.hpp"

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

}  // namespace kvlm
