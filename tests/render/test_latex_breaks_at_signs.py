"""Where LaTeX breaks a long formula: between the terms of a sum, never inside a short
parenthesised group (``\\bigl(10 C`` on one line, ``+ 10\\bigr)`` on the next), and inside a
product only where a sum cannot break, with a ``\\cdot`` at the end of the line (ViT's
``768 ⌊H/16⌋`` above ``⌊W/16⌋ + 768`` read as a sum of two terms)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

import symcnn as sc
from symcnn.render.latex import compile_pdf
from symcnn.render.latex_long import TIMES_BREAK, TIMES_PENALTY, breakable, pack, plain

from .test_latex_fits import overflows

needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext")
                               is None, reason="pdflatex and pdftotext are needed")


def nested_model():
    """A Repeat of a block and the block once more (hunter's t9.py)."""
    H, W, C, L = sc.symbols("H W C L")
    inner = sc.Sequential([sc.Input((H, W, C)), sc.Conv2D(C, 3, padding="same", name="c1"),
                           sc.BatchNormalization(name="bn")], name="inner_block")
    x = sc.Input((H, W, C))
    y = sc.Repeat(inner, L, name="rep")(x)
    out = sc.Dense(10)(sc.GlobalAveragePooling2D()(inner(y)))
    return sc.Model(x, out, name="nested")


def _totals(tex: str) -> list:
    block = tex.split(r"\paragraph{Totals}")[1].split(r"\end{align*}")[0]
    return block.split("\\\\\n")


def test_a_short_group_in_the_totals_stays_on_one_line():
    rows = _totals(nested_model().to_latex(style="derivation"))
    assert any(r"\bigl(10 C + 10\bigr)" in row for row in rows)
    for row in rows:
        assert row.count(r"\bigl(") == row.count(r"\bigr)"), row


def test_a_group_longer_than_a_line_still_breaks_between_its_terms():
    terms = [r"\bigl(" + "x_{1}"] + [f"+ x_{{{i}}}" for i in range(2, 40)]
    terms[-1] += r"\bigr)"
    lines = pack(["a"] + [f"+ {t}" if i == 0 else t for i, t in enumerate(terms)])
    assert len(lines) > 1 and all(len(plain(line)) <= 62 + 8 for line in lines)
    assert "".join(lines).count(r"\bigl(") == "".join(lines).count(r"\bigr)") == 1


@needs_tex
def test_the_nested_models_derivation_compiles_without_overflow(tmp_path):
    tex = nested_model().to_latex(style="derivation", standalone=True)
    compile_pdf(tex, tmp_path, "nested")
    log = (tmp_path / "nested.log").read_text(errors="replace")
    assert "Overfull \\hbox" not in log


def test_vits_pos_embedding_row_breaks_a_product_only_with_a_visible_dot():
    tex = sc.zoo.vit_b_16(input_shape=("H", "W", 3)).to_latex(standalone=True)
    row = next(line for line in tex.splitlines() if line.startswith(r"\texttt{pos\_"))
    between = r"\right\rfloor " + TIMES_BREAK + r" \left\lfloor"
    assert row.count(between) == 3  # shape, working, value
    assert r"\rfloor \allowbreak" not in row  # no silent break inside a product
    # the table makes a product break dearer than a sum's (3,000)
    assert r"\binoppenalty=3000" + TIMES_PENALTY.strip() in tex


def test_a_sign_before_a_parenthesis_gets_no_second_dot():
    assert breakable(r"16 \cdot \left(a + 1\right)") == r"16 \cdot \left(a + 1\right)"
    assert breakable(r"w \left(a + 1\right)") == r"w " + TIMES_BREAK + r" \left(a + 1\right)"


def _lines_in_a_column(tmp_path, math: str, fits: str) -> list:
    """The PDF's lines of ``math`` set as the long table sets a cell, in a column as wide as
    ``fits`` (math) and a little more."""
    doc = "\n".join([
        r"\documentclass{article}", r"\usepackage{amsmath}", r"\usepackage{array}",
        r"\pagestyle{empty}", r"\begin{document}", r"\newlength\col\settowidth\col{" + fits + "}",
        r"\addtolength\col{2pt}",
        r"\begingroup\relpenalty=0\binoppenalty=3000" + TIMES_PENALTY.strip(),
        r"\noindent\begin{tabular}{@{}>{\raggedright\arraybackslash}p{\col}@{}}",
        "$" + math + r"$ \\", r"\end{tabular}\endgroup", r"\end{document}"])
    pdf = compile_pdf(doc, tmp_path, "cell")
    log = (tmp_path / "cell.log").read_text(errors="replace")
    assert max(overflows(log), default=0) == 0
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return [re.sub(r"\s+", "", line) for line in text.splitlines() if line.strip()]


@needs_tex
def test_tex_breaks_a_sum_at_its_sign_before_it_breaks_a_product(tmp_path):
    math = breakable(r"w \left(a - 1\right) \left(b - 1\right) + 768")
    lines = _lines_in_a_column(tmp_path, math, r"$w(a - 1)(b - 1) + 7$")
    assert lines == ["w(a\u22121)(b\u22121)+", "768"]


@needs_tex
def test_a_product_that_must_break_ends_its_line_with_a_dot(tmp_path):
    math = breakable(r"w \left(a - 1\right) \left(b - 1\right) \left(c - 1\right)")
    lines = _lines_in_a_column(tmp_path, math, r"$w(a - 1)(b - 1)\cdot$")
    assert len(lines) == 2 and lines[0].endswith(")\u00b7")  # the dot ends the first line
    assert "".join(lines).replace("\u00b7", "") == "w(a\u22121)(b\u22121)(c\u22121)"
