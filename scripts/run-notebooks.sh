#!/usr/bin/env bash
# run-notebooks.sh: what CI calls to execute every notebook (nbclient); fails if one raises.
# Not a build step: build the module first (cmake ... && cmake --build build/<dir>); see notebooks/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 scripts/run-notebooks.py "$@"
