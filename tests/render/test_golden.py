"""Golden files pin the text, Markdown, LaTeX and HTML of every worked example.

To regenerate them after an intended change, run

    SYMCNN_UPDATE_GOLDEN=1 .venv-test/bin/python -m pytest tests/render/test_golden.py

and review the diff of tests/golden/ before committing it.
"""

from __future__ import annotations

import os
import pathlib

import pytest

from .worked import RENDERINGS, examples

GOLDEN = pathlib.Path(__file__).resolve().parent.parent / "golden"
UPDATE = bool(os.environ.get("SYMCNN_UPDATE_GOLDEN"))

CASES = [(stem, suffix) for stem in examples() for suffix in RENDERINGS]


@pytest.mark.parametrize("stem, suffix", CASES, ids=[f"{s}{x}" for s, x in CASES])
def test_rendering_matches_its_golden_file(stem, suffix):
    rendered = RENDERINGS[suffix](examples()[stem])
    path = GOLDEN / f"{stem}{suffix}"
    if UPDATE:
        path.write_text(rendered, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with SYMCNN_UPDATE_GOLDEN=1 to create it"
    assert rendered == path.read_text(encoding="utf-8"), (
        f"{path.name} differs; if the change is intended, regenerate with "
        f"SYMCNN_UPDATE_GOLDEN=1 and review the diff")


def test_every_golden_file_belongs_to_a_case():
    expected = {f"{stem}{suffix}" for stem, suffix in CASES}
    present = {p.name for p in GOLDEN.iterdir() if p.name != "README.md"}
    assert present == expected
