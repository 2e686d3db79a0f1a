"""Hypothesis strategies for the expressions symcnn solves and sweeps.

``quasi_polynomials(x)`` draws expressions in one symbol built the way layer formulas are:
integer polynomials, floors and ceilings of them over small positive denominators (nested
too), remainders, products and sums. ``growing(x)`` draws ones that never decrease in ``x``
(non-negative combinations of non-decreasing pieces), the kind a parameter count is.
"""

from __future__ import annotations

import sympy
from hypothesis import strategies as st


def linear(x):
    return st.builds(lambda a, b: a * x + b, st.integers(-6, 6), st.integers(-12, 12))


def quasi_polynomials(x, depth: int = 3):
    base = st.one_of(st.integers(-20, 20).map(sympy.Integer), st.just(x), linear(x))

    def extend(children):
        den = st.integers(1, 7)
        return st.one_of(
            st.builds(lambda a, b: a + b, children, children),
            st.builds(lambda a, b: a * b, children, children),
            st.builds(lambda a, d: sympy.floor(a / d), children, den),
            st.builds(lambda a, d, r: sympy.ceiling(a / d + sympy.Rational(r, d + 1)),
                      children, den, st.integers(0, 4)),
            st.builds(lambda a, d: sympy.Mod(a, d), children, den),
            st.builds(lambda a, k: a**k, children, st.integers(0, 3)),
        )

    return st.recursive(base, extend, max_leaves=6 if depth >= 3 else 3)


def growing(x):
    """Non-decreasing in ``x`` over the positive integers, and growing without bound."""
    piece = st.one_of(
        st.builds(lambda a, b: a * x + b, st.integers(1, 50), st.integers(0, 50)),
        st.builds(lambda a, d, b: a * sympy.floor((x + b) / d), st.integers(1, 40),
                  st.integers(2, 9), st.integers(0, 8)),
        st.builds(lambda a, d, b: a * sympy.ceiling((x + b) / d), st.integers(1, 40),
                  st.integers(2, 9), st.integers(0, 8)),
        st.builds(lambda a, k: a * x**k, st.integers(1, 9), st.integers(1, 3)),
        st.builds(lambda a, d: a * sympy.floor(x / d) ** 2, st.integers(1, 30), st.integers(2, 5)),
    )
    return st.builds(lambda ps, c: sympy.Add(*ps) + c, st.lists(piece, min_size=1, max_size=4),
                     st.integers(0, 5000))


def value(expr, x, v: int):
    """Exact value of ``expr`` at ``x = v`` by SymPy substitution (the brute-force oracle)."""
    return expr.xreplace({x: sympy.Integer(v)})
