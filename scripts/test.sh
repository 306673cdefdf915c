#!/usr/bin/env bash
# Runs every kvlm test: the GoogleTest suites (ctest), the chapters' exercises against their
# solutions and skeletons, the Python module's tests and every notebook.
# Not a setup script: run scripts/setup.sh (or .ci/run) first on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

cmake --preset release >/dev/null
cmake --build --preset release
ctest --test-dir build/release -j2 --output-on-failure
