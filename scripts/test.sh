#!/usr/bin/env bash
# Runs every kvlm test: the GoogleTest suites and chapter demos (ctest), the chapters' exercises
# against their solutions and their skeletons, the Python module's tests and every notebook.
# Not a setup script: on a fresh machine run scripts/setup.sh first (.ci/run does both).
set -euo pipefail
cd "$(dirname "$0")/.."

cmake --preset release >/dev/null
cmake --build --preset release

# Everything but the exercises, which fail by design until a student fills them in.
ctest --test-dir build/release -j2 --output-on-failure -LE exercises
# ctest shows "***Skipped" without GoogleTest's reason: say why (e.g. no ../shared beside the clone).
python3 scripts/ctest-skips.py build/release

# The exercises: each must pass against the library's implementation and fail as a skeleton; the
# ones a student has written are listed as solved or not yet.
bash scripts/check-exercises.sh

# Every notebook, executed with nbclient on the build's Python module; a cell that raises fails.
bash scripts/run-notebooks.sh

# Every command the README, docs/ and the chapters show, run exactly as written from the root.
python3 scripts/check-doc-commands.py

# kvlm as a dependency: the C++ package (find_package(kvlm), examples/) and the Python one (pip).
bash scripts/check-install.sh
bash scripts/check-pip-install.sh

# Bad input under AddressSanitizer and UBSan: every malformed model, GGUF or tokenizer file and
# every bad command line must end in an error sentence, never a memory error. Built in the fuzz
# preset's tree (clang, ASan + UBSan, -O1), the one sanitizer build: the harnesses below reuse it.
# Then fuzzing: the libFuzzer harnesses (tests/fuzz), 30 s each, two at a time (one per core):
# about 2 minutes (CI has 30 minutes in all; longer runs: bash scripts/fuzz.sh 600). A new crash is
# saved under tests/fuzz/regressions/ and fails the step; the saved ones are fed first, so one that
# crashes again fails it too. Both need clang with libFuzzer, which scripts/setup.sh installs;
# without it they say they are skipped (ctest -L fuzz still replays the saved inputs).
if bash scripts/fuzz.sh --probe; then
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz --target test_robustness test_gguf_corrupt test_tokenizer_bad_input kvlm_cli
  for t in tests/test_robustness tests/io/test_gguf_corrupt tests/tokenizer/test_tokenizer_bad_input; do
    OMP_NUM_THREADS=1 "build/fuzz/$t" --gtest_brief=1
  done
  FUZZ_JOBS=2 bash scripts/fuzz.sh 30
else
  echo "test.sh: the bad-input suites under ASan + UBSan and the fuzzing were skipped (no clang with libFuzzer)"
fi
