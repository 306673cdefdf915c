// The main() of kvlm's benchmarks that run the model: Google Benchmark's, after keep_freed_memory()
// (tensor.hpp), so that they allocate as kvlm's CLI does.
#pragma once

#include <benchmark/benchmark.h>

#include "kvlm/tensor.hpp"

namespace kvlm {

inline int run_benchmarks(int argc, char** argv) {
  keep_freed_memory();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace kvlm
