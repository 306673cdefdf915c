#!/usr/bin/env bash
# check-pip-install.sh: `pip install .` into a fresh virtual environment, then `import kvlm` there
# and generate with it: the Python package as a user gets it. Not the notebooks' module (that is
# the build folder's, see notebooks/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf build/venv
python3 -m venv build/venv
# CXX=c++: the compiler CMake picks for build/release, so ccache hands the wheel the library it compiled
# (scikit-build-core otherwise takes Python's g++, a different path to ccache).
CXX="${CXX:-c++}" build/venv/bin/pip install -q --disable-pip-version-check .
(cd /tmp && "$OLDPWD/build/venv/bin/python" - "$OLDPWD/data/models/llama-mha" <<'PY'
import sys
import kvlm
model = kvlm.load_model(sys.argv[1])
out = kvlm.generate(model, [1, 17, 42], max_new_tokens=5)
assert len(out.tokens) <= 5, out.tokens
print(f"check-pip-install: kvlm {kvlm.__version__} from {kvlm.__file__}: generated {list(out.tokens)}")
PY
)
