#!/usr/bin/env bash
# Chapter 07's checks on a machine with an NVIDIA GPU, in one go: the CUDA tests (every op against
# float64 beside its CPU twin, the CUDA forward against HF's references and the chapter 06
# equivalences), then compute-sanitizer's memcheck and racecheck on them.
#
# The GPU machines lent to this project have nvcc, CMake and compute-sanitizer but not Debian's -dev
# packages (Eigen, GoogleTest, PCRE2, utf8proc), so the test binaries are built on a CPU machine with
# the CUDA toolkit, portable (no -march=native) and for sm_90 (H100/H200), and travel with the shared
# libraries they need and a copy of ../shared/models (which is not in the repository):
#
#   bash scripts/gpu-check.sh prepare      # on the CPU machine: fills build/gpu/carry (git-ignored)
#   bash scripts/gpu-check.sh run OUT_DIR  # on the GPU machine, from the repository root
#
# On a machine that has both a GPU and the Debian packages, the plain build runs the same tests:
# `ctest --test-dir build/release -L cuda`.
set -euo pipefail
cd "$(dirname "$0")/.."
carry=build/gpu/carry
tests=(test_ops test_cuda_forward)

case "${1:-}" in
  prepare)
    cmake -S . -B build/gpu -DCMAKE_BUILD_TYPE=Release -DKVLM_NATIVE=OFF -DKVLM_CUDA=ON \
          -DCMAKE_CUDA_ARCHITECTURES=90 -DKVLM_BUILD_BENCHMARKS=OFF -DKVLM_BUILD_PYTHON=OFF >/dev/null
    cmake --build build/gpu --target "${tests[@]}" -j2
    rm -rf "$carry" && mkdir -p "$carry/lib"
    for t in "${tests[@]}"; do cp "build/gpu/tests/$t" "$carry/"; done
    # The shared libraries from Debian's packages that the GPU machine's image does not have.
    for t in "${tests[@]}"; do
      ldd "$carry/$t" | awk '/pcre2|utf8proc|gtest|gmock/ {print $3}' | xargs -r -I{} cp -L {} "$carry/lib/"
    done
    if [[ -d ../shared/models ]]; then mkdir -p "$carry/shared" && cp -r ../shared/models "$carry/shared/"; fi
    du -sh "$carry"
    ;;
  run)
    out=${2:?usage: scripts/gpu-check.sh run OUT_DIR}
    mkdir -p "$out"
    export LD_LIBRARY_PATH="$PWD/$carry/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export KVLM_DATA_DIR="$PWD/data" KVLM_SHARED_DIR="$PWD/$carry/shared" OMP_NUM_THREADS=4
    { nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "no nvidia-smi"; } |
      tee "$out/gpu.txt"
    status=0
    for t in "${tests[@]}"; do
      "$carry/$t" --gtest_output="json:$out/$t.json" >"$out/$t.log" 2>&1 || status=1
      echo "== $t: $(grep -E '^\[  (PASSED|FAILED|SKIPPED) *\] [0-9]+ test' "$out/$t.log" | tr '\n' ' ')"
    done
    # The sanitizers on every op, and on the forward for one fixture (racecheck is slow).
    command -v compute-sanitizer >/dev/null || { echo "== compute-sanitizer not found"; exit 1; }
    for tool in memcheck racecheck; do
      compute-sanitizer --tool "$tool" --error-exitcode 9 "$carry/test_ops" --gtest_filter='*cuda' \
        >"$out/sanitizer-$tool-ops.log" 2>&1 || status=1
      compute-sanitizer --tool "$tool" --error-exitcode 9 "$carry/test_cuda_forward" \
        --gtest_filter='*own_llama_gqa_tied' >"$out/sanitizer-$tool-forward.log" 2>&1 || status=1
      echo "== compute-sanitizer $tool: $(tail -n 1 "$out/sanitizer-$tool-ops.log") / $(tail -n 1 "$out/sanitizer-$tool-forward.log")"
    done
    exit $status
    ;;
  *)
    sed -n '2,16p' "$0"
    exit 2
    ;;
esac
