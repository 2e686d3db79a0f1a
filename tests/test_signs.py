"""The structural sign prover (symcnn.signs): sound for sizes (positive integers, at least 1)
and for multipliers (positive rationals, which may be below 1)."""

from __future__ import annotations

from fractions import Fraction

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc
from symcnn.signs import prove_nonnegative

ALPHA = sc.multiplier("alpha")
H = sc.symbols("H")


def test_a_multiplier_is_not_taken_to_be_at_least_one():
    """``alpha - 1 >= 0`` and ``floor(16*alpha) >= 1`` were 'proved' (a multiplier's least
    value was taken as 1, a size's), so ``Conv2D(floor(16*alpha))`` recorded no constraint."""
    assert not prove_nonnegative(ALPHA - 1)
    assert not prove_nonnegative(sympy.floor(16 * ALPHA) - 1)
    assert prove_nonnegative(ALPHA) and prove_nonnegative(sympy.floor(16 * ALPHA))
    assert prove_nonnegative(H - 1)  # a size is at least 1
    x = sc.Input((8, 8, 3))
    model = sc.Model(x, sc.Conv2D(sympy.floor(16 * ALPHA), 1)(x))
    (constraint,) = model.constraints  # floor(16*alpha) >= 1, in whichever equal form
    assert constraint.subs(ALPHA, sympy.Rational(1, 16)) is sympy.true
    assert constraint.subs(ALPHA, sympy.Rational(1, 17)) is sympy.false


@settings(max_examples=200, deadline=None)
@given(st.integers(-20, 20), st.integers(-20, 20), st.integers(1, 8), st.integers(-3, 3),
       st.sampled_from(["plain", "floor", "ceiling"]))
def test_what_is_proved_of_a_multiplier_holds_at_every_fraction(a, b, d, c, kind):
    """Sound against brute force over fractions in (0, 4]: a proof of ``expr >= 0`` never
    meets a value where it is negative."""
    inner = a * ALPHA + sympy.Rational(b, d)
    expr = {"plain": inner, "floor": sympy.floor(inner), "ceiling": sympy.ceiling(inner)}[kind] + c
    if not prove_nonnegative(sympy.expand(expr)):
        return
    for value in (Fraction(k, 64) for k in range(1, 257)):
        assert expr.subs(ALPHA, sympy.Rational(value.numerator, value.denominator)) >= 0, value
