"""The LaTeX fragment of a report (``report.to_latex()``, ``symcnn check --format latex``)
compiles in a default ``article`` with the packages the docs name, and fits its text width:
it needs ``amsmath`` (its workings are ``align*``), which the docs left out, and in the
default width its columns ran 14-18 pt over ("quantity" into "claimed"). A long unreadable
entry is quoted short in its reason (``uses xxx...x`` printed 300 x's: 1,121 pt over)."""

from __future__ import annotations

import pathlib
import re
import shutil
import subprocess

import pytest

import symcnn as sc
from symcnn.zoo import textbook

ROOT = pathlib.Path(__file__).resolve().parents[2]
needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is needed")


def packages() -> list:
    """The packages docs/teaching.md says a fragment needs."""
    text = (ROOT / "docs" / "teaching.md").read_text()
    start = text.index("(`report.to_latex()`, `symcnn check --format latex`) needs")
    return re.findall(r"\\usepackage\{(\w+)\}", text[start:start + 400])


def reports() -> list:
    model = textbook.free_width()
    nasty = ["50% & more", "#1 \\input{/etc/passwd}", "\\end{document}", "x" * 300,
             "72**+", "}{", "y" * 300 + "+1", "0x" + "f" * 300]
    rows = [{"layer": i % 9, "params": s} for i, s in enumerate(nasty)]
    rows += [{"layer": "conv2D_9", "params": 3}, {"layer": "dense", "params": "480n"}]
    H, W, s = sc.symbols("H W s")
    strided = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(4, 5, strides=s, padding="same")])
    return [sc.check(model, rows),
            sc.check(model, (ROOT / "examples/claims/free_width_table.md").read_text()),
            sc.check(strided, [{"layer": 0, "output_shape": "(H//s + Min(1, H % s), -(-W//s), 4)"},
                               {"layer": 0, "output_shape": "((H + s - 1)//s, W//s, 4)"}]),
            sc.check(model, "| layer | params |\n|---|---|\n| conv2d | |\n")]


def test_a_long_unreadable_entry_is_quoted_short_in_its_reason():
    report = reports()[0]
    reasons = [m.claimed.reason for r in report.rows for m in r.marks
               if m.diagnosis == "unreadable"]
    assert len(reasons) == 8 and max(map(len, reasons)) < 300, max(map(len, reasons))
    assert all("x" * 61 not in r and "y" * 61 not in r and "f" * 61 not in r for r in reasons)
    assert max(len(line) for line in report.to_text().splitlines()) < 400
    model = textbook.free_width()
    name = "z" * 300
    mark = sc.check(model, [{"layer": 0, "params": f"{name} + 1"}]).rows[0].marks[0]
    reason = mark.claimed.reason
    assert reason.startswith("uses zzz") and name not in reason and len(reason) < 200


@needs_tex
def test_the_fragment_fits_a_default_article_with_the_documented_packages(tmp_path):
    assert packages() == ["amsmath", "booktabs", "longtable", "array"]
    body = "\n\\clearpage\n".join(r.to_latex() for r in reports())
    (tmp_path / "frag.tex").write_text(body)
    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\n" + "".join(f"\\usepackage{{{p}}}\n" for p in packages())
        + "\\begin{document}\n\\input{frag}\n\\end{document}\n")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                           "-no-shell-escape", "doc.tex"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    log = (tmp_path / "doc.log").read_text(errors="replace")
    assert done.returncode == 0, [line for line in log.splitlines() if line.startswith("!")]
    assert not re.findall(r"Overfull \\hbox.*", log)
