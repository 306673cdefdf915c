// Small helpers for Shape; see tensor.hpp.
#include "kvlm/tensor.hpp"

#include <limits>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "kvlm/error.hpp"

namespace kvlm {

void keep_freed_memory() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest: only weight-sized blocks are mapped
  mallopt(M_TRIM_THRESHOLD, 1 << 30);   // give memory back only when 1 GB is free at the heap's top
#endif
}

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
