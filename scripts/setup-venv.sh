#!/usr/bin/env bash
# Create (or reuse) a virtual environment and install symcnn into it.
#   scripts/setup-venv.sh VENV_DIR [EXTRAS]      e.g. scripts/setup-venv.sh .venv-test test,keras,torch,plot
# torch is installed first and pinned (a CPU build): an unpinned torch would pull CUDA packages.
set -euo pipefail
venv="${1:?usage: setup-venv.sh VENV_DIR [EXTRAS]}"
extras="${2:-}"
here="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)
if [[ ",$extras," == *",torch,"* ]]; then
  "${pip[@]}" "torch==2.13.0"
fi
if [ -n "$extras" ]; then
  "${pip[@]}" -e "$here[$extras]"
else
  "${pip[@]}" -e "$here"
fi
if [[ ",$extras," == *",torch,"* && ",$extras," == *",test,"* ]]; then
  bash "$here/scripts/install-torchvision-reference.sh" "$venv"   # a test reference only
fi
