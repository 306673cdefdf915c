#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine for kvlm, builds it, and runs a first generation.
# What it is not: a package manager. It installs Debian's packages with apt-get (as root or via
# sudo) and the Python tools with pip; it downloads nothing else.
#
#   bash scripts/setup.sh            # install, build (build/release), fetch SmolLM2, generate
#   bash scripts/setup.sh --no-demo  # install and build only (CI)
set -euo pipefail
cd "$(dirname "$0")/.."

demo=1
[[ "${1:-}" == "--no-demo" ]] && demo=0

sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"

packages=(build-essential cmake pkg-config git unzip ccache
          libeigen3-dev libcli11-dev nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev
          libpcre2-dev libutf8proc-dev pybind11-dev python3 python3-pip python3-venv)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  echo "== installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Optional packages: where they cannot be installed, what needs them says it is skipped.
install_optional() {  # WHAT PACKAGE...
  local what=$1 p missing=()
  shift
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  echo "== installing ${missing[*]} (optional: $what)"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    echo "== could not install ${missing[*]}: $what will be skipped"
}
# The viewer's browser test (ctest -L browser): headless Chromium driven by Selenium, from Debian.
install_optional "the browser test" chromium chromium-driver python3-selenium
# clang with libFuzzer for scripts/fuzz.sh (scripts/test.sh runs it); without it the saved fuzz
# inputs are still replayed by ctest.
install_optional "scripts/fuzz.sh" clang libclang-rt-dev

# Python tools for the notebooks and their tests (not torch: that is only for making references).
echo "== pip install -r requirements.txt"
# Debian 12's own python3 refuses system-wide pip installs (PEP 668) unless told otherwise; these
# are a few plain packages, so we tell it. A pyenv or venv python ignores the variable.
PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install -q --root-user-action=ignore -r requirements.txt

# Chapter 07's CUDA backend is built where CMake finds nvcc (the CUDA toolkit, which this script
# does not install: NVIDIA's packages, or Debian's nvidia-cuda-toolkit).
if command -v nvcc >/dev/null 2>&1; then
  echo "== nvcc found: building chapter 07's CUDA backend too (sm_80, sm_90); its tests need a GPU to run"
else
  echo "== no nvcc: chapter 07's CUDA backend is not built (install the CUDA toolkit for it)"
fi
echo "== building (build/release)"
cmake --preset release >/dev/null
cmake --build --preset release

if ((demo)); then
  if bash scripts/fetch-models.sh; then
    model=$(ls models/*.gguf | head -n 1)
    echo "== ./build/release/kvlm generate -m $model -p \"What is the capital of France?\" --chat -n 40"
    ./build/release/kvlm generate -m "$model" -p "What is the capital of France?" --chat -n 40
  else
    echo "== SmolLM2 could not be fetched; generating with a tiny fixture from data/ instead"
    ./build/release/kvlm generate -m data/models/llama-mha --prompt-ids 1,17,42 -n 16
  fi
fi
