// Eigen aliases used everywhere, and Tensor: an fp32 array with a shape, as loaders hand it over.
// Not a tensor library: no broadcasting, no autograd; the model works on 2-D row-major matrices.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <vector>

namespace kvlm {

// Row-major, like PyTorch: a weight of shape (out, in) is stored row by row, exactly as HF saves it.
using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::VectorXf;
using RowVector = Eigen::RowVectorXf;
using MatrixRef = Eigen::Ref<const Matrix>;
using MatrixMap = Eigen::Map<const Matrix>;

using Shape = std::vector<int64_t>;

// A loaded tensor in fp32: `data` holds shape[0] rows of (product of the rest) values.
// A 1-D tensor of n values is one row of n.
struct Tensor {
  Shape shape;
  Matrix data;
};

std::string shape_string(const Shape& shape);  // "[64, 192]"
int64_t num_elements(const Shape& shape);

}  // namespace kvlm
