// What the chapter 07 exercise tests share: skipping, with one line saying so, where no GPU is
// present, and carrying an Eigen matrix to the GPU and back. Not a solution.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "kvlm/cuda/device.hpp"
#include "kvlm/tensor.hpp"

// scripts/check-exercises.sh reads "exercise: skipped" to report the exercise as not gradable here.
#define KVLM_EXERCISE_REQUIRE_GPU()                                                                 \
  do {                                                                                              \
    std::string why;                                                                                \
    if (!::kvlm::cuda::device_present(&why))                                                        \
      GTEST_SKIP() << "exercise: skipped: no GPU to run the kernel on (" << why                     \
                   << "); run this test on a machine with an NVIDIA GPU";                           \
  } while (0)

namespace kvlm::exercises::test {

inline cuda::DeviceArray<float> to_gpu(const Matrix& m) { return cuda::DeviceArray<float>(m.data(), m.size()); }
inline cuda::DeviceArray<float> to_gpu(const Vector& v) { return cuda::DeviceArray<float>(v.data(), v.size()); }
inline Matrix to_host(const cuda::DeviceArray<float>& a, Eigen::Index rows, Eigen::Index cols) {
  Matrix m(rows, cols);
  a.download(m.data(), m.size());
  return m;
}

}  // namespace kvlm::exercises::test
