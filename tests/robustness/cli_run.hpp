// Running the real kvlm binary from a test: its exit code, stdout and stderr (test_cli*.cpp).
// Not a test: the helpers the CLI tests share.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "paths.hpp"

namespace kvlm {

struct Result {
  int code;
  std::string out, err;
};

inline Result run(const std::string& args) {
  // One file per process: ctest runs tests in parallel processes.
  const auto err_path = std::filesystem::temp_directory_path() / ("kvlm_cli_stderr_" + std::to_string(getpid()) + ".txt");
  const std::string cmd = test::kvlm_binary().string() + " " + args + " 2>" + err_path.string();
  Result r{};
  FILE* pipe = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(err_path);
  r.err.assign(std::istreambuf_iterator<char>(in), {});
  return r;
}

inline const std::string kModel = (test::data_dir() / "models" / "llama-mha").string();  // context 96, vocab 256

inline void expect_input_error(const Result& r, const std::string& message) {
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one sentence, one line: " << r.err;
}

}  // namespace kvlm
