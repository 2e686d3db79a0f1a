"""docs/lecture-notes.md is generated from the code, is up to date, and its examples run."""

from __future__ import annotations

import doctest
import functools
import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "lecture-notes.md"


@functools.lru_cache(maxsize=None)
def generator():
    path = ROOT / "scripts" / "render_lecture_notes.py"
    spec = importlib.util.spec_from_file_location("render_lecture_notes", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_committed_lecture_notes_page_is_what_the_script_generates():
    assert PAGE.read_text(encoding="utf-8") == generator().render(), (
        "docs/lecture-notes.md is out of date: run "
        ".venv-test/bin/python scripts/render_lecture_notes.py")


def test_lecture_notes_examples_run():
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.DOTALL)
    test = doctest.DocTestParser().get_doctest("\n".join(blocks), {}, "docs/lecture-notes.md",
                                               str(PAGE), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted >= 8 and result.failed == 0


@pytest.mark.parametrize("name", sorted(generator().IMAGES))
def test_lecture_notes_images_exist_and_are_referenced(name):
    image = ROOT / "docs" / "img" / name
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"(img/{name})" in PAGE.read_text(encoding="utf-8")
