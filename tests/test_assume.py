"""The readability option assume_divisible: exact under the assumption, and never silent."""

from __future__ import annotations

import re

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc
from symcnn.assume import AssumeDivisible
from symcnn.derivation import derive
from symcnn.zoo import textbook

from .support.random_models import D, H, W, at, random_models

#: The statement of the assumption, in text or LaTeX.
STATED = re.compile(r"divisible by \$?32")
#: The last feature map's height without the assumption, in text or LaTeX.
LAST_MAP = re.compile(r"floor\(\(H \+ 20\)/32\)|\\left\\lfloor\{\\frac\{H \+ 20\}\{32\}\}")


def test_assume_divisible_turns_ceiling_into_an_exact_quotient():
    assume = AssumeDivisible({H: 32})
    assert assume(sc.arith.ceil_div(H, 32)) == H / 32
    assert assume(sc.arith.floor_div(H - 3, 2) + 1) == H / 2 - 1


def test_assume_divisible_keeps_what_the_assumption_does_not_decide():
    assert AssumeDivisible({H: 32})(sc.arith.floor_div(H, 64)) == sympy.floor(H / 64)
    assert AssumeDivisible({H: 32})(sc.arith.ceil_div(H, 3)) == sympy.ceiling(H / 3)


@settings(max_examples=40)
@given(random_models(symbolic=True, max_layers=5), st.sampled_from([2, 4, 8, 32]))
def test_values_under_the_assumption_are_exact_for_every_multiple(model, divisor):
    symbols = sorted(model.free_symbols, key=lambda s: s.name)
    assume = {s: divisor for s in symbols}
    multiples = [m for m in range(1, 40)
                 if all(bool(c.xreplace({s: divisor * m for s in symbols}))
                        for c in model.constraints)][:3]
    for record in model.layers:
        plain, assumed = record.derivation, derive(record, assume_divisible=assume)
        for exact, rewritten in zip(plain.steps, assumed.steps):
            for m in multiples:
                point = {s: sympy.Integer(divisor * m) for s in symbols}
                assert at(rewritten.value, point) == at(exact.value, point), (record, exact)
                assert at(rewritten.evaluate(), point) == at(exact.value, point)


def _cifar():
    return textbook.cifar((H, W, 3))


@pytest.mark.parametrize("render", [
    lambda m, a: m.to_latex(assume_divisible=a),
    lambda m, a: m.to_latex(style="derivation", assume_divisible=a),
    lambda m, a: m.to_markdown(assume_divisible=a),
    lambda m, a: m.to_markdown(style="derivation", assume_divisible=a),
    lambda m, a: m.to_markdown(math=True, assume_divisible=a),
    lambda m, a: str(derive(m.layers[-5], assume_divisible=a)),
], ids=["latex-table", "latex-derivation", "markdown", "markdown-derivation", "markdown-math",
        "derive"])
def test_every_output_that_the_assumption_changes_states_it(render):
    plain = render(_cifar(), None)
    assumed = render(_cifar(), {"H": 32, "W": 32})
    assert STATED.search(assumed) and not STATED.search(plain)
    assert LAST_MAP.search(plain) and not LAST_MAP.search(assumed)


def test_an_assumption_that_changes_nothing_is_not_claimed():
    model = textbook.cifar((H, W, 3))
    # D is not a symbol of this model: naming it is a user mistake, reported.
    with pytest.raises(sc.SymbolError, match="D"):
        model.to_latex(assume_divisible={"D": 2})
    numeric = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(4, 1)])
    assert "divisible" not in numeric.to_latex(assume_divisible={H: 4})


def test_assumption_statement_names_each_symbol_and_divisor():
    tex = _cifar().to_latex(assume_divisible={H: 32, W: 32})
    assert "Assuming $H$ and $W$ are divisible by $32$" in tex
    md = _cifar().to_markdown(assume_divisible={H: 32, W: 16})
    assert "H divisible by 32" in md and "W divisible by 16" in md


@pytest.mark.parametrize("bad", [{"H": 0}, {"H": 2.5}, {"H": True}, ["H", 32], {1: 2}])
def test_bad_assumptions_are_clear_errors(bad):
    with pytest.raises(sc.SymbolError, match="Received: assume_divisible="):
        _cifar().to_latex(assume_divisible=bad)


def test_three_dimensional_symbols_are_supported():
    m = sc.Sequential([sc.Input((D, H, W, 1)), sc.MaxPooling3D(2)])
    d = derive(m.layers[0], assume_divisible={D: 2, H: 2, W: 2})
    assert [s.value for s in d.shape_steps] == [D / 2, H / 2, W / 2]
