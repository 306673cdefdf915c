#!/usr/bin/env bash
# Chapter 07's checks on a machine with an NVIDIA GPU, in one go: the CUDA tests (every op against
# float64 beside its CPU twin, the plain and fast kernels, the CUDA forward against HF's references
# and the chapter 06 equivalences, SmolLM2's greedy paths where the model came along), chapter 07's
# two exercise tests on the library's kernels, compute-sanitizer's memcheck and racecheck, then
# bench_cuda (CPU vs GPU plain vs GPU fast, cached vs naive; JSON into OUT_DIR).
#
# The GPU machines lent to this project have nvcc, CMake and compute-sanitizer but not Debian's -dev
# packages (Eigen, GoogleTest, PCRE2, utf8proc), so the test binaries are built on a CPU machine with
# the CUDA toolkit, for sm_90 (H100/H200) and for x86-64-v3 (AVX2, FMA: any recent x86 CPU, where
# -march=native might not run, while the CPU side of bench_cuda stays fair), and travel with the
# shared libraries they need and a copy of ../shared/models (which is not in the repository):
#
#   bash scripts/gpu-check.sh prepare      # on the CPU machine: fills build/gpu/carry (git-ignored)
#   bash scripts/gpu-check.sh run OUT_DIR  # on the GPU machine, from the repository root
#
# SmolLM2 (models/, 98 MB) is more than one call to the device tool may carry (64 MiB with the tree):
# `prepare` also splits it into build/gpu/smollm2/part-aa, -ab, -ac (33 MB or less each). Carry one
# part per call (command `true`), then build/gpu/carry with `run`, back to back while the machine
# stays warm (ignored files stay there between calls); `run` joins the parts. With the 17 MB tree a
# part's call is 50 MB and the last one 38 MB. Without all three, test_smollm2_cuda skips, saying so.
#
# On a machine that has both a GPU and the Debian packages, the plain build runs the same tests:
# `ctest --test-dir build/release -L cuda`.
set -euo pipefail
cd "$(dirname "$0")/.."
carry=build/gpu/carry
tests=(test_ops test_cuda_forward test_smollm2_cuda)
exercises=(ch07_ex_rms_norm_kernel ch07_ex_causal_softmax_kernel)  # built on the library's kernels
programs=("${tests[@]}" "${exercises[@]}" bench_cuda)
model=SmolLM2-135M-Instruct.Q4_1.gguf
model_bytes=98362432

case "${1:-}" in
  prepare)
    cmake -S . -B build/gpu -DCMAKE_BUILD_TYPE=Release -DKVLM_NATIVE=OFF -DCMAKE_CXX_FLAGS=-march=x86-64-v3 \
          -DKVLM_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 -DKVLM_BUILD_BENCHMARKS=ON -DKVLM_BUILD_PYTHON=OFF \
          -DKVLM_EXERCISE_SOLUTIONS=ON >/dev/null
    cmake --build build/gpu --target "${programs[@]}" -j2
    rm -rf "$carry" && mkdir -p "$carry/lib"
    for t in "${tests[@]}"; do cp "build/gpu/tests/$t" "$carry/"; done
    for t in "${exercises[@]}"; do cp "build/gpu/chapters/$t" "$carry/"; done
    cp build/gpu/benchmarks/bench_cuda "$carry/"
    # The shared libraries from Debian's packages that the GPU machine's image does not have.
    for t in "${programs[@]}"; do
      ldd "$carry/$t" | awk '/pcre2|utf8proc|gtest|gmock|benchmark/ {print $3}' | xargs -r -I{} cp -L {} "$carry/lib/"
    done
    if [[ -d ../shared/models ]]; then mkdir -p "$carry/shared" && cp -r ../shared/models "$carry/shared/"; fi
    du -sh "$carry"
    if [[ -f models/$model ]]; then
      rm -rf build/gpu/smollm2 && mkdir -p build/gpu/smollm2 && split -b 33M "models/$model" build/gpu/smollm2/part-
      du -sh build/gpu/smollm2/*
    fi
    ;;
  run)
    out=${2:?usage: scripts/gpu-check.sh run OUT_DIR}
    mkdir -p "$out"
    export LD_LIBRARY_PATH="$PWD/$carry/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export KVLM_DATA_DIR="$PWD/data" KVLM_SHARED_DIR="$PWD/$carry/shared" OMP_NUM_THREADS=4
    if [[ ! -f models/$model ]] && [[ $(cat build/gpu/smollm2/part-* 2>/dev/null | wc -c) -eq $model_bytes ]]; then
      mkdir -p models && cat build/gpu/smollm2/part-* >"models/$model"
    fi
    export KVLM_MODELS_DIR="$PWD/models"
    { nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "no nvidia-smi"; } |
      tee "$out/gpu.txt"
    status=0
    for t in "${tests[@]}" "${exercises[@]}"; do
      "$carry/$t" --gtest_output="json:$out/$t.json" >"$out/$t.log" 2>&1 || status=1
      echo "== $t: $(grep -E '^\[  (PASSED|FAILED|SKIPPED) *\] [0-9]+ test' "$out/$t.log" | tr '\n' ' ')"
    done
    # The sanitizers on every op, and on the forward for one fixture (racecheck is slow).
    if command -v compute-sanitizer >/dev/null; then
      for tool in memcheck racecheck; do
        compute-sanitizer --tool "$tool" --error-exitcode 9 "$carry/test_ops" --gtest_filter='*cuda:CudaKernels.*' \
          >"$out/sanitizer-$tool-ops.log" 2>&1 || status=1
        compute-sanitizer --tool "$tool" --error-exitcode 9 "$carry/test_cuda_forward" \
          --gtest_filter='*own_llama_gqa_tied_*' >"$out/sanitizer-$tool-forward.log" 2>&1 || status=1
        echo "== compute-sanitizer $tool: $(tail -n 1 "$out/sanitizer-$tool-ops.log") / $(tail -n 1 "$out/sanitizer-$tool-forward.log")"
      done
    else
      echo "== compute-sanitizer not found"
      status=1
    fi
    "$carry/bench_cuda" --benchmark_out="$out/bench_cuda.json" --benchmark_out_format=json >"$out/bench_cuda.log" 2>&1 ||
      status=1
    grep -E '^BM_' "$out/bench_cuda.log"
    exit $status
    ;;
  *)
    sed -n '2,24p' "$0"
    exit 2
    ;;
esac
