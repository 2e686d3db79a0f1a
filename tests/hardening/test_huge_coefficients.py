"""Closed forms whose coefficients pass Python's 4,300-digit int->str limit print exactly
wherever symcnn prints an expression (``sc.show``, summaries, LaTeX, Markdown), and the
JSON documents, which write numbers of at most 4,300 digits, refuse them with one clean
line, as they refuse such a count alone. Found by a hostile-input hunt: a Conv2D with
``filters`` and ``kernel_size`` of ``2**4095`` over an ``H x H`` input has MACs with a
coefficient of about 6,000 digits, and every printer raised SymPy's raw ``ValueError``
("internal error" on the command line). The oracle is SymPy's own printing with Python's
limit lifted."""

from __future__ import annotations

import contextlib
import json
import sys

import pytest
import sympy

import symcnn as sc
from symcnn.render.exprs import display_form, show_latex

from .test_bounded_reads import run_cli

SPEC = {"symbols": "H", "input": ["H", "H", 3],
        "layers": [{"Conv2D": {"filters": "2**4095", "kernel_size": "2**4095"}}]}


@contextlib.contextmanager
def unlimited_digits():
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(old)


@pytest.fixture(scope="module")
def model():
    return sc.model_from_spec(SPEC)


def _coefficients(expr) -> list:
    with unlimited_digits():
        return [str(abs(c)) for c in sympy.Poly(expr, *sorted(expr.free_symbols, key=str)).coeffs()]


def _shown_integers(expr) -> list:
    """The digits of the integers of the display form (which factors the MACs into
    ``c*(H - k)**2``), written out by SymPy with Python's limit lifted."""
    with unlimited_digits():
        return [str(abs(i)) for i in display_form(expr).atoms(sympy.Integer) if abs(i) > 10**30]


def _digits_only(text: str) -> str:
    return "".join(text.split()).replace("{,}", "").replace(",", "")


def test_the_macs_have_a_coefficient_past_pythons_limit(model):
    assert max(len(c) for c in _coefficients(model.macs)) > sys.get_int_max_str_digits()


# Each test prints before it computes its oracle with Python's limit lifted: the display
# form is cached, and one computed without the limit would hide the printers' failure.

def test_show_prints_the_exact_closed_form(model):
    H = sc.symbols("H")
    texts = {model.macs: sc.show(model.macs),
             model.macs - 1: sc.show(model.macs - 1)}  # a sum the display does not factor
    with unlimited_digits():
        for expr, text in texts.items():
            assert sympy.expand(sympy.sympify(text, locals={"H": H})) == expr


def test_latex_markdown_and_the_summary_print_the_display_form(model):
    outputs = [show_latex(model.macs), model.to_markdown(columns=["layer", "macs"]),
               model.summary_text(columns=["layer", "macs"]),  # long numbers wrap
               model.to_latex(columns=["layer", "macs"])]
    integers = _shown_integers(model.macs)
    assert integers
    for text in outputs:
        for digits in integers:
            assert digits in _digits_only(text)


@pytest.mark.parametrize("argv", [["--format", "json"], ["--columns", "layer,macs"], []])
def test_the_command_line_prints_or_refuses_in_one_line(tmp_path, argv):
    path = tmp_path / "conv.json"
    path.write_text(json.dumps(SPEC))
    code, err = run_cli(["summary", str(path), *argv], seconds=30)
    if argv[:1] == ["--format"]:  # as for a count alone: JSON writes 4,300 digits at most
        digits = max(len(c) for c in _coefficients(sc.model_from_spec(SPEC).macs))
        assert code == 1 and err.strip() == (
            f"symcnn summary: error: JSON output: a closed form with a number of {digits:,} "
            f"digits; JSON output writes numbers of up to 4,300 digits (use --format text). "
            f"Received: a closed form over 1 symbol")
    else:
        assert code == 0 and err == ""


def test_a_sweep_of_such_a_form_is_exact_point_by_point_or_refused_cleanly(model, tmp_path):
    H = sc.symbols("H")
    at = 2**4095 + 7  # where the model is valid: H >= 2**4095
    swept = sc.sweep(model, "macs", H=[at, at + 1])
    assert swept["macs"].tolist() == [model.macs.xreplace({H: v}) for v in (at, at + 1)]
    with pytest.raises(sc.SolveError, match=r"evaluated point by point, which is limited to "
                                            r"2,000 points"):
        sc.sweep(model, "macs", H=range(at, at + 3000))
    path = tmp_path / "conv.json"
    path.write_text(json.dumps(SPEC))
    code, err = run_cli(["sweep", str(path), f"H=10000:10002", "--y", "macs"], seconds=30)
    assert code != 70 and "internal error" not in err and len(err.strip().splitlines()) == 1


def test_a_bound_error_message_never_fails_on_the_expression_it_names(model):
    H = sc.symbols("H")
    with pytest.raises(sc.ExpressionError, match="a closed form with a number of more than "
                                                 "4,300 digits at H=10000"):
        sc.sweep(model, "macs", H=[10000])
    assert H in model.macs.free_symbols
