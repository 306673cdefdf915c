// matmul_transposed: y = x W^T, every fp32 product of linear(): prefill, where x has many rows (the
// prompt's positions), and decode, where it has one.
//
// The readable version is one Eigen line, `y = x * w.transpose()`, and linear.cpp used it until
// chapter 08. Eigen first copies both operands into its own panel layout ("packing"), because its
// kernel multiplies a column of one by a row of the other. Here both operands already store the
// reduction dimension contiguously (x's rows and nn.Linear's weight rows are both `in` values long),
// so the kernel can run on them in place: each output is the dot product of a row of x and a row of
// W, and a tile of RM rows of x by RN rows of W keeps RM x RN of those dot products in registers,
// loading RM + RN vectors for RM x RN fused multiply-adds (llamafile's tinyBLAS does the same).
// Measured on SmolLM2-135M (bench_generate, vs_llama_cpp.py): a 128-token prefill spent about a
// fifth of Eigen's GEMM time packing; decode at one thread, which reads each weight once, went from
// ~63 to ~70 tok/s, with 6 rows of W streaming side by side.
//
// Not a BLAS: no alpha/beta, no transposes other than this one, fp32 only. Without AVX2 + FMA, or
// when `in` is not a whole number of SIMD vectors, it runs Eigen's product (the readable twin), and
// the tests hold the kernel to that product.
#pragma once

#include "kvlm/tensor.hpp"

namespace kvlm {

// y[t, r] = sum_k x[t, k] * w[r, k] for t < T, r < N, k < K. Row-major, each with its own row stride
// (ld*, in floats), so that a slice of W's rows writes a slice of y's columns.
struct MatmulArgs {
  const float* x;
  Eigen::Index ldx;
  const float* w;
  Eigen::Index ldw;
  float* y;
  Eigen::Index ldy;
  Eigen::Index T, N, K;
};
void matmul_transposed(const MatmulArgs& a);

// The same product by Eigen (`x * w^T`): the readable twin, and what matmul_transposed runs when
// its kernel does not apply.
void matmul_transposed_eigen(const MatmulArgs& a);

}  // namespace kvlm
