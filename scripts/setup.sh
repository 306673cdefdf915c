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

# The viewer's browser test (ctest -L browser): headless Chromium driven by Selenium, from Debian.
# Optional: where they cannot be installed the test skips, and everything else still runs.
browser=(chromium chromium-driver python3-selenium)
missing=()
for p in "${browser[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  echo "== installing ${missing[*]} (optional: the browser test)"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    echo "== could not install ${missing[*]}: the browser test will be skipped"
fi

# clang with libFuzzer for scripts/fuzz.sh (scripts/test.sh runs it). Optional: without them the
# fuzzing step says it is skipped, and the saved fuzz inputs are still replayed by ctest.
fuzz=(clang libclang-rt-dev)
missing=()
for p in "${fuzz[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  echo "== installing ${missing[*]} (optional: scripts/fuzz.sh)"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    echo "== could not install ${missing[*]}: scripts/fuzz.sh will be skipped"
fi

# Python tools for the notebooks and their tests (not torch: that is only for making references).
echo "== pip install -r requirements.txt"
# Debian 12's own python3 refuses system-wide pip installs (PEP 668) unless told otherwise; these
# are a few plain packages, so we tell it. A pyenv or venv python ignores the variable.
PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install -q --root-user-action=ignore -r requirements.txt

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
