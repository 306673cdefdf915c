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

// Every layer allocates its activations as new matrices and frees them: a few MB per layer at a
// 128-token prefill. By default glibc hands freed memory at the top of its heap back to the OS, and
// blocks over 128 KB are mapped afresh each time, so the next layer's matrices page-fault the same
// memory back in, zeroed by the kernel 4 KB at a time. This keeps freed memory in the process
// instead (glibc's mallopt; elsewhere it does nothing). Programs call it once at start (kvlm's CLI,
// the benchmarks): SmolLM2's 128-token prefill took 7% less time at one thread and 17% at two,
// where both threads fault at once (bench_generate, BM_Prefill).
void keep_freed_memory();

std::string shape_string(const Shape& shape);  // "[64, 192]"
int64_t num_elements(const Shape& shape);

}  // namespace kvlm
