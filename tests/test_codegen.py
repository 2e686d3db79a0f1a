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


class _Tracked(int):
    """An int that records the largest magnitude any operation on it produced."""

    peak = 0

    def _wrap(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            _Tracked.peak = max(_Tracked.peak, abs(value))
            return _Tracked(value)
        return value

    def __add__(self, o): return self._wrap(int(self) + int(o))
    def __radd__(self, o): return self._wrap(int(o) + int(self))
    def __sub__(self, o): return self._wrap(int(self) - int(o))
    def __rsub__(self, o): return self._wrap(int(o) - int(self))
    def __mul__(self, o): return self._wrap(int(self) * int(o))
    def __rmul__(self, o): return self._wrap(int(o) * int(self))
    def __floordiv__(self, o): return self._wrap(int(self) // int(o))
    def __rfloordiv__(self, o): return self._wrap(int(o) // int(self))
    def __mod__(self, o): return self._wrap(int(self) % int(o))
    def __pow__(self, o): return self._wrap(int(self) ** int(o))
    def __neg__(self): return self._wrap(-int(self))


polynomials = st.builds(
    lambda cs, d: sum(sympy.Rational(c, d) * x**k for k, c in enumerate(cs)),
    st.lists(st.integers(-10**6, 10**6), min_size=3, max_size=7), st.integers(1, 12))


@settings(max_examples=150)
@given(expr=st.one_of(quasi_polynomials(x), polynomials), lo=st.integers(-50, 50),
       width=st.integers(0, 30))
def test_the_tracked_peak_bounds_every_intermediate_value(expr, lo, width):
    """The int64 decision rests on the peak: no partial product or sum may exceed it."""
    source, dens, peak = compiled((expr,), (x,), ((lo, lo + width),))
    f = build(source, vectorised=False)
    for v in range(lo, lo + width + 1):
        _Tracked.peak = 0
        f(_Tracked(v))
        assert _Tracked.peak <= peak


@settings(max_examples=150)
@given(expr=polynomials, points=st.lists(st.integers(-1000, 1000), min_size=1, max_size=8))
def test_polynomials_in_one_symbol_are_compiled_by_horners_scheme(expr, points):
    """No power operator (NumPy's integer power is slow): products in Horner's order, and
    the same exact values."""
    source, (den,), _ = compiled((expr,), (x,), ((-1000, 1000),))
    if sympy.Poly(expr, x).degree() >= 2:
        assert "**" not in source
    f = build(source, vectorised=False)
    for v in points:
        assert Fraction(f(v)[0], den) == value(expr, x, v)


def test_a_resnet_width_polynomial_reads_as_horner():
    w = sympy.Symbol("w", integer=True, positive=True)
    source, _, _ = compiled((969024 * w**2 + 1875968 * w,), (w,), ((1, 10**6),))
    assert "((969024*_s0 + 1875968)*_s0)" in source
