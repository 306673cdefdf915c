// Helpers shared by the exercise tests: where the fixtures are, and a matrix comparison that
// fails (never crashes) when a student's result has the wrong shape.
// Not a solution: every test compares against HF transformers' goldens in data/, not against kvlm.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "kvlm/tensor.hpp"

namespace kvlm::exercises::test {

inline std::filesystem::path data_dir() { return KVLM_DATA_DIR; }
inline std::filesystem::path model_dir(const std::string& name) { return data_dir() / "models" / name; }
inline std::filesystem::path reference_of(const std::string& name) { return model_dir(name) / "reference.safetensors"; }

// fp32 against HF's float64 run, on values up to ~10: the library's own tests use the same 1e-4.
constexpr float kTolerance = 1e-4f;

// Checks shape first (so a wrong shape is a failure, not an out-of-bounds read), then every entry.
inline ::testing::AssertionResult matrices_near(const Matrix& actual, const Matrix& expected, float tolerance) {
  if (actual.rows() != expected.rows() || actual.cols() != expected.cols())
    return ::testing::AssertionFailure() << "shape [" << actual.rows() << ", " << actual.cols() << "], expected ["
                                         << expected.rows() << ", " << expected.cols() << "]";
  for (Eigen::Index r = 0; r < actual.rows(); ++r)
    for (Eigen::Index c = 0; c < actual.cols(); ++c)
      if (!(std::abs(actual(r, c) - expected(r, c)) <= tolerance))  // NaN fails too
        return ::testing::AssertionFailure() << "entry (" << r << ", " << c << ") is " << actual(r, c)
                                             << ", expected " << expected(r, c) << " (tolerance " << tolerance << ")";
  return ::testing::AssertionSuccess();
}

}  // namespace kvlm::exercises::test
