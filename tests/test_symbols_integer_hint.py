"""The hint given for a size that is not an integer for every value of its symbol. Found by a
hunt: ``subs(W="(H+1)/3")`` said "write H over a new symbol: H = 3*k makes it k + 1/3",
still not an integer (``(H+2)/4``: "H = 4*k makes it k + 1/2"); the constant was ignored.
The hint must be a substitution that works (``H = 3*k - 1`` makes it ``k``), or say that no
value does. Each hint is checked by substituting it and against the integers ``H`` where
the size is an integer, found one by one.
"""

from __future__ import annotations

import math
import re

import pytest
import sympy
from hypothesis import given, settings, strategies as st

import symcnn as sc

H = sc.symbols("H")
k = sympy.Symbol("k", integer=True, positive=True)


def hint_of(text: str) -> str:
    """The message of ``subs(W=text)`` on a model with input ``(H, W, 3)``."""
    model = sc.Sequential([sc.Input(("H", "W", 3)), sc.Conv2D(8, 3)])
    with pytest.raises(sc.SymcnnError) as err:
        model.subs(W=text)
    return str(err.value)


def integral_at(value, count: int) -> list:
    return [h for h in range(1, count + 1) if value.xreplace({H: h}).is_integer]


@pytest.mark.parametrize("text, written, size", [
    ("(H+1)/3", "3*k - 1", "k"),
    ("(H+2)/4", "4*k - 2", "k"),
    ("H/2", "2*k", "k"),
    ("(2*H+1)/3", "3*k - 2", "2*k - 1"),
])
def test_the_hunted_ties_get_a_substitution_that_works(text, written, size):
    assert f"H = {written} makes it {size}." in hint_of(text)


def test_a_size_that_is_an_integer_for_no_value_says_so():
    assert "It is an integer for no value of H." in hint_of("(2*H+1)/4")
    assert integral_at(sympy.sympify("(2*H+1)/4", locals={"H": H}), 100) == []


@settings(max_examples=150, deadline=None)
@given(a=st.integers(1, 12), b=st.integers(-20, 20), d=st.integers(2, 12))
def test_the_hint_for_a_linear_tie_is_an_integer_polynomial_reaching_every_such_size(a, b, d):
    value = (a * H + b) / sympy.Integer(d)
    if value.is_integer:  # d divides a and b: an integer size, no hint
        return
    text = f"({a}*H + {b})/{d}"
    message = hint_of(text)
    sizes = integral_at(value, 4 * d)
    if not sizes:
        assert "It is an integer for no value of H." in message
        assert b % math.gcd(a, d) != 0  # the congruence a*H = -b (mod d) has no solution
        return
    found = re.search(r"H = (.+?) makes it (.+?)\. Received", message)
    assert found, message
    written = sympy.sympify(found.group(1), locals={"k": k})
    size = sympy.sympify(found.group(2), locals={"k": k})
    assert sympy.expand(value.xreplace({H: written}) - size) == 0  # what it says it makes
    poly = sympy.Poly(size, k)
    assert poly.domain.is_ZZ and size.is_integer  # a size SymPy knows to be an integer
    reached = sorted(int(written.xreplace({k: j})) for j in range(1, 5))
    assert reached[0] >= 1 and reached[0] == sizes[0]  # from the first such H, k = 1, 2, ...
    assert set(reached) <= set(sizes) and written.xreplace({k: 1}) > 0
