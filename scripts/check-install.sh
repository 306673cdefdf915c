#!/usr/bin/env bash
# check-install.sh: kvlm as a dependency. Installs build/release into build/install, builds
# examples/ against it with find_package(kvlm) (an outside project's view), and runs the example.
# Not a packaging step: nothing is installed outside build/.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --install build/release --prefix build/install >/dev/null
cmake -S examples -B build/examples -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$PWD/build/install" >/dev/null
cmake --build build/examples -j2 >/dev/null
model=models/SmolLM2-135M-Instruct.Q4_1.gguf
if [[ -f $model ]]; then
  build/examples/generate "$model" "The capital of France is"
else
  echo "check-install: built examples/generate; $model not found (scripts/fetch-models.sh), so not run"
fi
