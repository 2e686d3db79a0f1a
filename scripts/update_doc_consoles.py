"""Rewrite the output under each `$ symcnn ...` line of ```console blocks in Markdown pages.

    python scripts/update_doc_consoles.py docs/cli.md docs/guide.md ...

Runs every command from a copy of examples/ (as tests/test_docs.py does) and writes the
printed lines back under it, so the pages show exactly what the command prints. Review the
diff before committing: the test then keeps the page and the program in step.
"""

from __future__ import annotations

import contextlib
import io
import os
import pathlib
import shlex
import shutil
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run(command: str) -> list:
    from symcnn.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        main(shlex.split(command)[1:], out=out)
    return (out.getvalue() + err.getvalue()).rstrip("\n").splitlines()


def update(text: str) -> str:
    lines, out, i = text.splitlines(), [], 0
    in_console = False
    while i < len(lines):
        line = lines[i]
        if line.startswith("```console"):
            before = next((l.strip() for l in reversed(out) if l.strip()), "")
            in_console = before != "<!-- skip -->"
        elif in_console and line.startswith("```"):
            in_console = False
        elif in_console and line.startswith("$ symcnn"):
            out.append(line)
            out.extend(run(line[2:]))
            i += 1
            while i < len(lines) and not lines[i].startswith(("$ ", "```")):
                i += 1
            continue
        out.append(line)
        i += 1
    return "\n".join(out) + "\n"


def main(paths) -> None:
    pages = [pathlib.Path(p).resolve() for p in paths]
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(ROOT / "examples", pathlib.Path(tmp) / "examples")
        os.chdir(tmp)
        os.environ.setdefault("MPLBACKEND", "Agg")
        for page in pages:
            new = update(page.read_text(encoding="utf-8"))
            if new != page.read_text(encoding="utf-8"):
                page.write_text(new, encoding="utf-8")
                print(f"updated {page.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
