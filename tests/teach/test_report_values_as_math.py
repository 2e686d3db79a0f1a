"""The LaTeX report of ``sc.check`` sets claimed and expected values as math, as the model
tables in the same lecture notes set them (display forms, grouped numbers, each
``make_divisible`` call named once under the table), where it printed them as code cut
across lines (``27*make_`` / ``divisible(32*a, 8)``, a power's ``**`` with its 2 on the next
line); the expected working is set as the derivations set it."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

import symcnn as sc
from symcnn.render.latex import compile_pdf

a = sc.multiplier("a")
needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext")
                               is None, reason="pdflatex and pdftotext are needed")
CLAIMS = [{"layer": "stem", "params": "27*make_divisible(32*a, 8)"},
          {"layer": "stem_bn", "params": "27*make_divisible(32*a, 8) + 1"},
          {"layer": "block_0_depthwise", "output_shape": "(112, 112, make_divisible(32*a,8))"},
          {"layer": "block_1_expand", "params": "6*make_divisible(16*a, 8)**2"},
          {"layer": "block_1_depthwise", "output_shape": "(56.5, 56, 6*make_divisible(16*a, 8))",
           "params": "20*3*3"}]


def report():
    return sc.check(sc.zoo.mobilenet_v2((224, 224, 3), alpha=a), CLAIMS)


def cells(tex: str) -> dict:
    """``{(layer, quantity): (claimed, expected)}`` of the report's table."""
    out = {}
    for line in tex.split(r"\endlastfoot")[1].split(r"\end{longtable}")[0].splitlines():
        parts = line.removesuffix(r" \\").split(" & ")
        if len(parts) == 6:
            layer = re.sub(r"\\texttt\{|\}$", "", parts[0]).replace(r"\_\allowbreak{}", "_")
            out[layer, parts[1]] = (parts[2], parts[3])
    return out


def test_claimed_and_expected_values_are_math_in_the_tables_names():
    tex = report().to_latex()
    table = cells(tex)
    assert table["stem", "params"] == ("$27 c_{32}$", "$27 c_{32}$")
    assert table["stem_bn", "params"] == ("$27 c_{32} + 1$", "$4 c_{32}$")
    assert table["block_1_expand", "params"] == ("$6 c_{16}^{2}$", "$6 c_{16}^{2}$")
    claimed, expected = table["block_0_depthwise", "output shape"]
    assert claimed == expected == r"$(112,\allowbreak 112,\allowbreak c_{32})$"
    # a decimal and a product of numbers as the student typed them, not 113/2 or 180
    claimed, _ = table["block_1_depthwise", "output shape"]
    assert claimed.startswith(r"$(56.5,\allowbreak 56,")
    assert table["block_1_depthwise", "params"][0] == r"\texttt{20*\allowbreak{}3*\allowbreak{}3}"
    assert r"$c_{32} = \operatorname{make\_divisible}(32 a,\allowbreak 8)$" in tex
    assert "make\\_\\allowbreak" not in tex and "*\\allowbreak{}*" not in tex
    # the expected working as a derivation sets it
    assert r"\text{params} &= 4 C = 4 c_{32}" in tex


@needs_tex
def test_the_report_with_values_as_math_fits_the_page(tmp_path):
    pdf = compile_pdf(report().to_latex(standalone=True), tmp_path, "report")
    log = (tmp_path / "report.log").read_text(errors="replace")
    assert not re.findall(r"Overfull \\[hv]box.*", log)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "make_divisible(32a,8)" in re.sub(r"\s", "", text)
