// Small helpers for Shape; see tensor.hpp.
#include "kvlm/tensor.hpp"

#include <limits>

#include "kvlm/error.hpp"

namespace kvlm {

std::string shape_string(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

int64_t num_elements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {  // checked: loaders call this on shapes read from files
    if (d < 0 || (d != 0 && n > std::numeric_limits<int64_t>::max() / d))
      throw Error("shape " + shape_string(shape) + " has a negative dimension or too many elements");
    n *= d;
  }
  return n;
}

}  // namespace kvlm
