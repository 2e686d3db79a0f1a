"""Documentation that runs: every code block in docs/*.md and README.md is executed.

Conventions (documented in docs/writing-docs.md):

- ```python blocks run top to bottom, sharing one namespace per page; a block whose first
  line starts with ``>>>`` (or a ```pycon block) is a doctest and its output is compared.
- ```console blocks: each ``$ symcnn ...`` line is run and its output compared with the
  lines that follow it (up to the next ``$`` line). Other commands are not run.
- ``<!-- skip -->`` on the line before a fence skips that block; ``<!-- requires: torch -->``
  skips it when the module is not installed. Blocks in any other language (```text, ```bash,
  ```yaml, ...) are not run.

Pages run in a temporary directory holding a copy of ``examples/``, so commands may write
files. A last test builds the site with ``mkdocs build --strict``.
"""

from __future__ import annotations

import contextlib
import doctest
import importlib.util
import io
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs").rglob("*.md")) + \
    ([ROOT / "README.md"] if (ROOT / "README.md").exists() else [])
_FENCE = re.compile(r"^(`{3,})\s*([\w+-]*)")
_REQUIRES = re.compile(r"<!--\s*requires:\s*([\w., ]+?)\s*-->")


@dataclass
class Block:
    language: str
    code: str
    line: int        # 1-based line of the first code line
    marker: str      # the HTML comment before the fence, if any


def blocks(text: str) -> list:
    """The fenced code blocks of a Markdown page (top level only), with their markers."""
    out, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, language = m.group(1), m.group(2).lower()
        before = next((l.strip() for l in reversed(lines[:i]) if l.strip()), "")
        marker = before if before.startswith("<!--") else ""
        start = i + 1
        i = start
        while i < len(lines) and not lines[i].startswith(fence):
            i += 1
        out.append(Block(language, "\n".join(lines[start:i]), start + 1, marker))
        i += 1
    return out


def _skip_reason(block: Block) -> str | None:
    if "<!-- skip -->" in block.marker.replace("  ", " "):
        return "marked skip"
    m = _REQUIRES.search(block.marker)
    if m:
        missing = [name.strip() for name in m.group(1).split(",")
                   if importlib.util.find_spec(name.strip()) is None]
        if missing:
            return f"needs {', '.join(missing)}"
    return None


def _run_python(block: Block, page: pathlib.Path, namespace: dict) -> None:
    name = f"{page.name}:{block.line}"
    if block.language == "pycon" or block.code.lstrip().startswith(">>>"):
        parser = doctest.DocTestParser()
        test = parser.get_doctest(block.code, namespace, name, str(page), block.line - 1)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS
                                       | doctest.NORMALIZE_WHITESPACE)
        report = io.StringIO()
        runner.run(test, out=report.write, clear_globs=False)
        namespace.update(test.globs)  # DocTest works on a copy: share its names onwards
        assert runner.failures == 0, f"{name}: doctest failed\n{report.getvalue()}"
        return
    # the docs are this repository's own text; padding keeps the page's line numbers
    code = compile("\n" * (block.line - 1) + block.code, str(page), "exec")
    with contextlib.redirect_stdout(io.StringIO()):
        exec(code, namespace)


def _run_console(block: Block, page: pathlib.Path) -> None:
    from symcnn.cli import main

    commands, current = [], None
    for line in block.code.splitlines():
        if line.startswith("$ "):
            current = [line[2:], []]
            commands.append(current)
        elif current is not None:
            current[1].append(line)
    for command, expected in commands:
        argv = shlex.split(command)
        if argv[0] != "symcnn":
            continue
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err):
            code = main(argv[1:], out=out)
        got = (out.getvalue() + err.getvalue()).rstrip("\n").splitlines()
        want = "\n".join(expected).rstrip("\n").splitlines()
        assert [l.rstrip() for l in got] == [l.rstrip() for l in want], (
            f"{page.name}:{block.line}: `{command}` (exit {code}) printed:\n"
            + "\n".join(got))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_code_block_of_the_page_runs(page, tmp_path, monkeypatch):
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = {"__name__": "__docs__"}
    ran = 0
    for block in blocks(page.read_text(encoding="utf-8")):
        if block.language not in ("python", "py", "pycon", "console") or _skip_reason(block):
            continue
        if block.language == "console":
            _run_console(block, page)
        else:
            _run_python(block, page, namespace)
        ran += 1
    if ran == 0 and page.parent.name == "docs" and page.name not in ("api.md",):
        pytest.skip(f"{page.name} has no runnable block")


def test_blocks_parses_fences_markers_and_languages():
    text = ("intro\n<!-- skip -->\n```python\nboom()\n```\n\n```text\nnot run\n```\n"
            "<!-- requires: no_such_module_xyz -->\n```python\nimport no_such_module_xyz\n```\n"
            "````console\n$ symcnn --version\n```\n````\n")
    found = blocks(text)
    assert [(b.language, b.line) for b in found] == [("python", 4), ("text", 8),
                                                    ("python", 12), ("console", 15)]
    assert _skip_reason(found[0]) == "marked skip"
    assert _skip_reason(found[2]) == "needs no_such_module_xyz"
    assert found[3].code == "$ symcnn --version\n```"


def test_a_wrong_console_output_is_caught(tmp_path):
    page = tmp_path / "p.md"
    block = Block("console", "$ symcnn zoo textbook.free_width --subs n=1\nnot the output", 1, "")
    with pytest.raises(AssertionError, match="printed"):
        _run_console(block, page)


def test_the_readme_is_among_the_pages():
    if not (ROOT / "README.md").exists():
        pytest.skip("no README.md")
    assert ROOT / "README.md" in PAGES


def test_the_site_builds_without_warnings(tmp_path):
    missing = [m for m in ("mkdocs", "mkdocstrings", "mkdocstrings_handlers.python")
               if importlib.util.find_spec(m.split(".")[0]) is None
               or (m.endswith("python") and _missing(m))]
    if missing:
        pytest.skip(f"the docs extra is not installed ({', '.join(missing)}): "
                    f"pip install 'symcnn[docs]'")
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict",
                          "-f", str(ROOT / "mkdocs.yml"), "-d", str(tmp_path / "site")],
                         cwd=ROOT, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "MPLBACKEND": "Agg"})
    assert run.returncode == 0, run.stdout + run.stderr
    assert (tmp_path / "site" / "api" / "index.html").exists()


def _missing(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is None
    except ModuleNotFoundError:
        return True


def test_api_reference_fences_docstring_examples_as_code():
    pytest.importorskip("griffe")
    spec = importlib.util.spec_from_file_location(
        "griffe_doctest_blocks", ROOT / "scripts" / "griffe_doctest_blocks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = "Intro.\n\n>>> 1 + 1\n2\n\n```python\n>>> kept\n```\n    >>> x\n    1"
    assert module.fence_examples(text) == (
        "Intro.\n\n```pycon\n>>> 1 + 1\n2\n```\n\n```python\n>>> kept\n```\n"
        "    ```pycon\n    >>> x\n    1\n    ```")
