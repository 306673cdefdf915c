// Copies between kvlm's row-major Eigen matrices and numpy arrays, for the Python module.
// Not zero-copy on purpose: every array handed to Python owns its data, so nothing dangles when a model
// or cache is freed while a notebook still holds its arrays.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstring>
#include <vector>

#include "kvlm/error.hpp"
#include "kvlm/tensor.hpp"

namespace kvlm::python {

namespace py = pybind11;

// A C-contiguous float32 array, converting (copying) whatever numpy array the caller passes.
using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

// Matrix [rows, cols] -> numpy float32 [rows, cols].
inline py::array_t<float> to_numpy(const Matrix& m) {
  py::array_t<float> out({m.rows(), m.cols()});
  if (m.size()) std::memcpy(out.mutable_data(), m.data(), sizeof(float) * m.size());
  return out;
}

// Several matrices of one shape -> numpy float32 [n, rows, cols] (e.g. the heads of one layer).
inline py::array_t<float> stack_to_numpy(const std::vector<Matrix>& ms) {
  const py::ssize_t rows = ms.empty() ? 0 : ms[0].rows(), cols = ms.empty() ? 0 : ms[0].cols();
  py::array_t<float> out({static_cast<py::ssize_t>(ms.size()), rows, cols});
  float* dst = out.mutable_data();
  for (const Matrix& m : ms) {
    if (m.rows() != rows || m.cols() != cols) throw Error("cannot stack matrices of different shapes");
    std::memcpy(dst, m.data(), sizeof(float) * m.size());
    dst += m.size();
  }
  return out;
}

// numpy [rows, cols] (any float dtype) -> Matrix [rows, cols].
inline Matrix to_matrix(const FloatArray& a) {
  if (a.ndim() != 2) throw Error("expected a 2-D array, got " + std::to_string(a.ndim()) + " dimensions");
  Matrix m(a.shape(0), a.shape(1));
  if (m.size()) std::memcpy(m.data(), a.data(), sizeof(float) * m.size());
  return m;
}

}  // namespace kvlm::python
