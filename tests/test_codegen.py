"""Generated integer code: exact values, and bounds that really bound them."""

from fractions import Fraction

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symcnn.codegen import build, compile_expr, compiled
from tests.support.expressions import quasi_polynomials, value

x = sympy.Symbol("x", integer=True)


@settings(max_examples=150)
@given(expr=quasi_polynomials(x), points=st.lists(st.integers(-50, 200), min_size=1, max_size=8))
def test_compiled_code_equals_substitution_at_every_point(expr, points):
    f, den = compile_expr(expr, [x])
    for v in points:
        assert Fraction(f(v), den) == value(expr, x, v)


@settings(max_examples=150)
@given(expr=quasi_polynomials(x), lo=st.integers(-50, 50), width=st.integers(0, 60))
def test_the_tracked_peak_bounds_every_value_in_the_box(expr, lo, width):
    source, dens, peak = compiled((expr,), (x,), ((lo, lo + width),))
    f = build(source, vectorised=False)
    for v in range(lo, lo + width + 1):
        assert abs(f(v)[0]) <= peak


def test_repeated_subexpressions_are_computed_once():
    H = sympy.Symbol("H", integer=True, positive=True)
    shared = sympy.floor(H / 8 + sympy.Rational(1, 8))
    source, _, _ = compiled((80 * shared**2 - 240 * shared + 720 * H,), (H,), ((1, 100),))
    assert source.count("//8") == 1
