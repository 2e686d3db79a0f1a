#!/usr/bin/env bash
# The main job: the worked example with a free width n -> its table, closed form and the
# widest n under a 100,000-parameter budget. Sets up its own virtual environment (SymPy only).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bash "$here/scripts/setup-venv.sh" "$here/.venv" ""
exec "$here/.venv/bin/python" "$here/examples/d_free_width.py" "$@"
