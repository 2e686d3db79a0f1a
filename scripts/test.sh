#!/usr/bin/env bash
# The whole test suite, including the cross-checks against real Keras 3 and PyTorch.
# Sets up its own virtual environment with every optional extra; extra args go to pytest.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bash "$here/scripts/setup-venv.sh" "$here/.venv-test" "test,torch,keras,plot,yaml,docs,bench"
cd "$here"
export KERAS_BACKEND=torch
# -n auto: one worker per core (pytest-xdist); worksteal balances the long cross-checks
exec "$here/.venv-test/bin/python" -m pytest -n auto --dist worksteal "$@"
