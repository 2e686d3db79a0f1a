"""In every rendering of every worked example, the per-layer parameters add up to the totals.

Each rendering is parsed back (values after the last ``=`` of each parameters cell or
``params`` line), so the test checks what a reader sees, not the model's own numbers.
"""

from __future__ import annotations

import re

import pytest
import sympy
from sympy.parsing.sympy_parser import (implicit_multiplication_application, parse_expr,
                                        standard_transformations)

from .worked import SUMMARY_COLUMNS, examples

TRANSFORMS = standard_transformations + (implicit_multiplication_application,)


#: The worked examples' symbols, so that a parsed ``n`` is the model's ``n``.
SYMBOLS = {s.name: s for m in examples().values() for s in m.free_symbols}


def value(text: str) -> sympy.Expr:
    """A rendered value as SymPy: ``1{,}792``, ``1,792``, ``$160 n + 48{,}320$``, `160*n`."""
    text = text.rsplit("=", 1)[-1].rsplit(": ", 1)[-1]
    for old, new in (("{,}", ""), (",", ""), ("$", ""), ("`", ""), ("*", " * "),
                     (r"\cdot", "*"), ("\\", "")):
        text = text.replace(old, new)
    return parse_expr(text.strip(), local_dict=dict(SYMBOLS), transformations=TRANSFORMS)


def from_summary(model):
    table = model.summary_text(columns=SUMMARY_COLUMNS)
    lines = table.splitlines()
    start = lines.index(next(l for l in lines if l.startswith("---"))) + 1
    end = max(i for i, l in enumerate(lines) if l.startswith("==="))
    layers = [value(re.split(r"\s{2,}", l)[-1]) for l in lines[start:end]
              if "(InputLayer)" not in l]
    totals = {k: value(l.split(": ", 1)[1]) for l in lines[end:] for k in ("Total", "Trainable")
              if l.startswith(f"{k} params")}
    return layers, totals


def from_markdown(model, math=False):
    rows = [l.split(" | ") for l in model.to_markdown(math=math).splitlines()
            if l.startswith("| ")][1:]
    layers = [value(r[-1].rstrip(" |")) for r in rows if not r[0].startswith("| **")
              and "InputLayer" not in r]
    totals = {k: value(r[-1].rstrip(" |")) for r in rows for k in ("Total", "Trainable")
              if r[0] == f"| **{k} params**"}
    return layers, totals


def from_latex_table(model):
    rows = [l[:-3].split(" & ") for l in model.to_latex().splitlines() if l.endswith(r" \\")]
    layers = [value(r[-1]) for r in rows[1:] if r[0].startswith(r"\texttt")
              and r[1] != "InputLayer"]
    totals = {k: value(r[-1]) for r in rows for k in ("Total", "Trainable")
              if r[0] == rf"\multicolumn{{3}}{{@{{}}l}}{{{k} params}}"}
    return layers, totals


def _last_of_step(lines, i):
    """The last ``= value`` of the step starting at line ``i`` (it may continue a line)."""
    text = lines[i]
    while text.endswith(r" \\") and i + 1 < len(lines) and lines[i + 1].startswith("  &"):
        i += 1
        text = lines[i]
    return value(text.removesuffix(r" \\"))


def from_latex_derivation(model):
    lines = model.to_latex(style="derivation").splitlines()
    layers = [_last_of_step(lines, i) for i, l in enumerate(lines)
              if l.startswith(r"\text{params} &=")]
    layers += [sympy.Integer(0) for l in lines
               if l.endswith("no parameters.") or l.endswith(r"no parameters.\par}")]
    totals = {k: _last_of_step(lines, i) for i, l in enumerate(lines)
              for k in ("Total", "Trainable") if l.startswith(rf"\text{{{k} params}} &=")}
    return layers, totals


def from_markdown_derivation(model):
    lines = model.to_markdown(style="derivation").splitlines()
    layers = [value(l) for l in lines if l.startswith("params = ")]
    layers += [sympy.Integer(0) for l in lines
               if l.endswith("no parameters.") or l.endswith(r"no parameters.\par}")]
    totals = {k: value(l) for l in lines for k in ("Total", "Trainable")
              if l.startswith(f"- {k} params: ")}
    return layers, totals


PARSERS = {
    "summary": from_summary, "markdown": from_markdown,
    "markdown-math": lambda m: from_markdown(m, math=True),
    "latex-table": from_latex_table, "latex-derivation": from_latex_derivation,
    "markdown-derivation": from_markdown_derivation,
}


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize("stem", examples())
def test_per_layer_parameters_add_up_to_the_total(stem, parser):
    model = examples()[stem]
    layers, totals = PARSERS[parser](model)
    # one parameter count per real layer (a functional model's InputLayers have none)
    assert len(layers) == len([r for r in model.layers if r.type != "InputLayer"])
    assert sympy.expand(sum(layers) - totals["Total"]) == 0
    assert sympy.expand(totals["Total"] - model.params) == 0
    assert sympy.expand(totals["Trainable"] - model.trainable_params) == 0
