"""A formula's symbol primed apart from a model's symbol of its name takes its prime before
its subscript (``H'_in``, as a page writes it), not inside it (``H_{in'}``): one rule for the
derivations and the notation presets, in every printer."""

from __future__ import annotations

import sympy

import symcnn as sc
from symcnn.derivation import primed
from symcnn.render import notation

Hin = sc.symbols("H_in")


def _model():
    return sc.Sequential([sc.Input((Hin, 8, 3)), sc.Conv2D(4, 3), sc.Conv2D(4, 3)])


def test_the_prime_goes_before_the_subscript_and_is_one_rule():
    assert primed("H_in") == "H'_in" and primed(primed("H_in")) == "H''_in"
    assert primed("C") == "C'" and primed("N_1") == "N'_1"
    assert notation._primed is primed


def test_a_formulas_h_in_beside_the_models_h_in_reads_h_prime_in():
    m = _model()
    second = m.layers[1].derivation["H_out"]
    names = {s.name for s in second.formula.free_symbols}
    assert "H'_in" in names and "H_in'" not in names
    # the working is the formula with the values in: it evaluates to the value
    assert sympy.simplify(second.working.doit() - second.value) == 0
    assert m.layers[0].derivation["H_out"].formula.has(sympy.Symbol("H_in"))  # not primed


def test_latex_markdown_and_html_print_the_prime_before_the_subscript():
    m = _model()
    tex = m.to_latex(style="derivation")
    assert r"H'_{\mathrm{in}}" in tex and "in'" not in tex
    md = m.to_markdown(style="derivation")
    assert "H'_in" in md and "H_in'" not in md
    page = m.to_html(style="derivation")
    assert ('<msub><mrow><mi>H</mi><mo lspace="0" rspace="0">\u2032</mo></mrow>'
            '<mi>in</mi></msub>') in page
    assert "<mi>in'</mi>" not in page


def test_a_preset_names_the_primed_symbol_as_it_names_the_unprimed_one():
    """cs231n's input height is H_1, whatever the model calls its own height: ``H'_in``
    (primed apart from the model's ``H_in``) reads ``H_1`` there, as on the first layer."""
    tex = _model().to_latex(style="derivation", notation="cs231n")
    assert tex.count(r"\frac{H_{1} + 2 P - F}{S}") == 2 and "H'" not in tex
    H1 = sc.symbols("H_1")  # a model's own H_1: the formula's H_1 is primed in cs231n
    m = sc.Sequential([sc.Input((H1, 8, 3)), sc.Conv2D(4, 3), sc.Conv2D(4, 3)])
    assert r"\frac{H'_{1} + 2 P - F}{S}" in m.to_latex(style="derivation", notation="cs231n")
