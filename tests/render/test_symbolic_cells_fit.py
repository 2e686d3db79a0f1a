"""A long LaTeX table of a model whose kernels, strides and padding are symbols fits its
columns: a rounding of a rounding (a strided convolution after a pooling layer) is written
on one level and breaks after its signs, where a stack of fractions was one unbreakable box
(146 pt past its cell; the docs promise no box overflows by more than 5 pt), products break
between their factors, the spaces around a sign never shrink away (LeNet-5's ``f6`` read
``·84+84 =``), and the notes under a table are set ragged right (a justified note of math
had wide gaps: an underfull line)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

import symcnn as sc
from symcnn.render.latex import compile_pdf
from symcnn.render.latex_long import breakable, unnest_fractions

needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext")
                               is None, reason="pdflatex and pdftotext are needed")


def symbolic_windows():
    """The lecture's model: every window argument of its first layers a symbol."""
    H, W, n, w = sc.symbols("H W n w")
    K1, K2, F1, F2, S, P = sc.symbols("K_1 K_2 F_1 F_2 S P")
    return sc.Sequential([sc.Input((H, W, "C")), sc.Conv2D(F1, K1, strides=S, padding=P),
                          sc.Conv2D(F2, K2), sc.BatchNormalization(),
                          sc.MaxPooling2D(3, strides=2), sc.Conv2D(w, (3, 5), strides=(2, 3)),
                          sc.Flatten(), sc.Dense(n), sc.Dense(10)])


def compiled(tex: str, folder, name: str) -> tuple:
    """``(text, overfull amounts in pt, underfull boxes)`` of a standalone document."""
    pdf = compile_pdf(tex, folder, name)
    log = (folder / f"{name}.log").read_text(errors="replace")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    overfull = [float(x) for x in re.findall(r"Overfull \\[hv]box \(([\d.]+)pt", log)]
    return text, overfull, re.findall(r"Underfull \\hbox.*", log)


def fractions_in_fractions(tex: str) -> list:
    r"""The ``\frac`` whose numerator holds another ``\frac`` (a stack three lines high)."""
    out = []
    for at in [m.start() for m in re.finditer(r"\\frac\{", tex)]:
        depth, i = 0, at + 5
        while i < len(tex):
            depth += {"{": 1, "}": -1}.get(tex[i], 0)
            if depth == 0:
                break
            i += 1
        if r"\frac" in tex[at + 6:i]:
            out.append(tex[at:i + 1])
    return out


def test_a_rounding_of_a_rounding_is_written_on_one_level():
    nested = (r"\left\lfloor{\frac{\left\lfloor{\frac{\left\lfloor{\frac{H - K}{S}}\right\rfloor"
              r" - 2}{2}}\right\rfloor + 1}{2}}\right\rfloor - 1")
    flat = unnest_fractions(nested)
    assert r"\frac" not in flat and r"\left" not in flat
    assert flat.startswith(r"\bigl\lfloor \bigl(\bigl\lfloor \bigl(\lfloor (H -")
    assert flat.endswith(r"+ 1\bigr)/2 \bigr\rfloor - 1")
    # one fraction stays a fraction; a product in a denominator is parenthesised
    assert unnest_fractions(r"\left\lfloor{\frac{H}{2}}\right\rfloor") == \
        r"\left\lfloor{\frac{H}{2}}\right\rfloor"
    assert r"/(2 S)" in unnest_fractions(r"\frac{\frac{H}{2} + 1}{2 S}")


def test_a_product_of_roundings_on_one_level_may_break_between_its_factors():
    tex = breakable(r"w \left(\left\lfloor{\frac{\left\lfloor{\frac{H}{2}}\right\rfloor + 1}"
                    r"{2}}\right\rfloor - 1\right) \left(\left\lfloor{\frac{\left\lfloor{"
                    r"\frac{W}{2}}\right\rfloor + 1}{3}}\right\rfloor - 1\right)")
    factors = tex.split(r"\discretionary")
    assert len(factors) == 3, tex  # after w and between the two parentheses
    # never between an opening bracket and what it opens
    assert not re.search(r"\\(?:bigl|left)?\\?l(?:floor|ceil) \\discretionary", tex)


def test_the_table_of_a_model_with_symbolic_windows_has_no_stacked_fractions():
    tex = symbolic_windows().to_latex(standalone=True)
    body = tex.split(r"\endlastfoot")[1].split(r"\bottomrule")[0]
    assert not fractions_in_fractions(body), fractions_in_fractions(body)[:2]


@needs_tex
def test_the_table_of_a_model_with_symbolic_windows_fits_its_columns(tmp_path):
    model = symbolic_windows()
    text, overfull, _ = compiled(model.to_latex(standalone=True), tmp_path, "table")
    assert max(overfull, default=0) <= 5, overfull
    assert "Total params" in text and "Non-trainable params" in text
    _, overfull, _ = compiled(model.to_latex(style="derivation", standalone=True),
                              tmp_path, "derivation")
    assert max(overfull, default=0) <= 5, overfull


@needs_tex
def test_a_sign_keeps_its_spaces_in_a_long_table(tmp_path):
    text, overfull, _ = compiled(sc.zoo.lenet5().to_latex(standalone=True), tmp_path, "lenet")
    assert not overfull, overfull
    cramped = re.findall(r"\S*(?:\d[+\u00b7]|[+\u00b7]\d)\S*", text)  # 84+84, ·84
    assert not cramped, cramped


@needs_tex
def test_the_notes_under_a_long_table_are_ragged_right(tmp_path):
    model = sc.zoo.mobilenet_v2(alpha=sc.multiplier("a"))
    text, overfull, underfull = compiled(model.to_latex(standalone=True), tmp_path, "mnv2")
    assert not overfull and not underfull, (overfull, underfull)
    assert "nearest multiple" in text
