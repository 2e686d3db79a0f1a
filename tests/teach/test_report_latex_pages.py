"""The LaTeX report of ``sc.check`` shows every mark: its table breaks across pages (a
``tabular`` cannot, and about 100 of ResNet-18's 136 marks were cut off the page, an
Overfull \\vbox), its header repeats on each page, and a wide cell wraps in its column
(``28*make_divisible(32*a, 8)``, one word to TeX, ran over the next column)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

import symcnn as sc
from symcnn.render.latex import compile_pdf

needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext")
                               is None, reason="pdflatex and pdftotext are needed")


def compiled(report, folder, name: str) -> tuple:
    """``(pages of text, overfull boxes in the log)`` of the standalone report."""
    pdf = compile_pdf(report.to_latex(standalone=True), folder, name)
    log = (folder / f"{name}.log").read_text(errors="replace")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return [p for p in text.split("\f") if p.strip()], re.findall(r"Overfull \\[hv]box.*", log)


def verdicts(report) -> dict:
    """How many marks of each kind, counted on the report's own marks."""
    marks = [m for r in report.rows for m in r.marks]
    return {"right": sum(m.ok for m in marks), "wrong": sum(not m.credited for m in marks)}


@needs_tex
def test_every_mark_of_resnet18_s_own_table_is_in_the_pdf(tmp_path):
    model = sc.zoo.resnet18((224, 224, 3))
    report = sc.check(model, model.to_markdown())
    pages, overfull = compiled(report, tmp_path, "resnet18")
    assert not overfull, overfull
    assert verdicts(report)["right"] == len(report.rows) * 2 > 100
    text = "\n".join(pages)
    assert len(re.findall(r"\bright\b", text)) == verdicts(report)["right"]
    assert len(pages) >= 3 and all("expected" in p and "diagnosis" in p for p in pages)
    assert "(continued)" in pages[1]
    assert all(r.layer.replace("_", "") in re.sub(r"[_\s]", "", text) for r in report.rows)


@needs_tex
def test_wide_closed_forms_wrap_in_their_columns(tmp_path):
    H, W = sc.symbols("H W")
    a = sc.multiplier("a")
    width = sc.zoo.make_divisible(32 * a, 8)
    model = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(width, 3, strides=2, padding="same"),
                           sc.Conv2D(sc.symbols("n"), 5, strides=3), sc.Flatten(),
                           sc.Dense(10, name="a_long_layer_name_without_a_break_in_sight")])
    claims = [{"layer": 0, "params": "28*make_divisible(32*a,8)",
               "output_shape": "(floor((H-1)/2)+1,floor((W-1)/2)+1,make_divisible(32*a,8))"},
              {"layer": 1, "params": "5*5*make_divisible(32*a,8)*n"},
              {"layer": 3, "params": "10*n*(floor((H+3)/6)-1)*(floor((W+3)/6)-1)+10+1"},
              {"layer": 3, "params": "1" * 60}]
    report = sc.check(model, claims)
    _, overfull = compiled(report, tmp_path, "wide")
    assert not overfull, overfull
    assert verdicts(report) == {"right": 2, "wrong": 3}
    _, overfull = compiled(sc.check(model, model.to_markdown()), tmp_path, "own")
    assert not overfull, overfull


def test_a_latex_fragment_is_a_longtable_and_says_what_it_needs():
    report = sc.check(sc.Sequential([sc.Input((160,)), sc.Dense(10)]),
                      [{"layer": 0, "params": 1610}])
    fragment, document = report.to_latex(), report.to_latex(standalone=True)
    assert r"\begin{longtable}" in fragment and r"\begin{tabular}" not in fragment
    assert r"\endhead" in fragment and "(continued)" in fragment
    assert all(rf"\usepackage{{{p}}}" in document for p in ("longtable", "array", "booktabs"))
