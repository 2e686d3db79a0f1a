#!/usr/bin/env bash
# Install torchvision 0.28 next to a test venv as a *reference only*: tests compare symcnn's
# imports of its classifiers with the real modules; symcnn never depends on it.
#   scripts/install-torchvision-reference.sh VENV_DIR
# There is no CPU wheel of torchvision with compiled ops for torch 2.13 here: the wheel's C++
# ops do not load. Its model definitions are plain Python, so the wheel is installed without
# its dependencies (never another torch) into VENV_DIR/reference/torchvision-0.28, outside
# site-packages: other packages that try `import torchvision` (ptflops) keep seeing none.
# tests/support/torchvision_ref.py puts that directory on sys.path and stubs
# torch.library.register_fake (which only registers the compiled ops) while importing it.
set -euo pipefail
venv="${1:?usage: install-torchvision-reference.sh VENV_DIR}"
version="0.28.0"
target="$venv/reference/torchvision-0.28"
if [ -f "$target/torchvision-$version.dist-info/METADATA" ]; then
  exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
pip=("$venv/bin/python" -m pip --disable-pip-version-check)
"${pip[@]}" download --quiet --no-deps "torchvision==$version" -d "$tmp"
rm -rf "$target"
"${pip[@]}" install --quiet --no-deps --target "$target" "$tmp"/torchvision-*.whl
