"""Width and depth multipliers: make_divisible, round_repeats, as_multiplier."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

import symcnn as sc
from symcnn.zoo.scaling import as_multiplier, make_divisible, round_repeats


def torchvision_make_divisible(v, divisor=8):
    """torchvision's ``_make_divisible`` as it is written (float arithmetic)."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def exact_make_divisible(v: Fraction, divisor: int) -> int:
    """The same rule on an exact rational, by brute force over multiples of the divisor."""
    nearest = max(m for m in range(0, int(v) + 2 * divisor, divisor) if m <= v + Fraction(divisor, 2))
    n = max(divisor, nearest)
    return n + divisor if n < Fraction(9, 10) * v else n


@given(c=st.integers(1, 2000), alpha=st.floats(0.01, 4.0, allow_nan=False))
def test_float_multiplier_rounds_as_torchvision_does(c, alpha):
    assert make_divisible(c * as_multiplier(alpha, "alpha", "t"), 8) == \
        torchvision_make_divisible(c * alpha)


@given(v=st.fractions(Fraction(1, 100), 3000, max_denominator=100),
       divisor=st.sampled_from([1, 2, 4, 8, 16]))
def test_rational_multiplier_rounds_exactly(v, divisor):
    value = make_divisible(sympy.Rational(v.numerator, v.denominator), divisor)
    assert value == exact_make_divisible(v, divisor)
    assert value % divisor == 0 and value >= divisor


def test_ties_follow_float_arithmetic_for_floats_and_exact_arithmetic_for_rationals():
    # 400*0.29 is 115.99999999999999 in floating point but exactly 116 as a fraction.
    assert make_divisible(400 * as_multiplier(0.29, "alpha", "t"), 8) == 112
    assert make_divisible(400 * as_multiplier(Fraction(29, 100), "alpha", "t"), 8) == 120


def test_symbolic_width_stays_an_integer_valued_function_until_substituted():
    alpha = as_multiplier("alpha", "alpha", "t")
    width = make_divisible(96 * alpha, 8)
    assert width.is_integer and width.is_positive
    assert width.subs(alpha, sympy.Rational(1, 2)) == 48
    assert width.subs(alpha, 0.35) == torchvision_make_divisible(96 * 0.35)


@given(k=st.integers(1, 12), c=st.integers(1, 500), alpha=st.floats(0.05, 3.0))
def test_a_multiple_of_a_rounded_width_rounds_to_itself(k, c, alpha):
    a = as_multiplier("a", "a", "t")
    symbolic = make_divisible(k * make_divisible(c * a, 8), 8)
    assert symbolic == k * make_divisible(c * a, 8)
    value = make_divisible(c * as_multiplier(alpha, "a", "t"), 8)
    assert make_divisible(k * value, 8) == k * value


@given(n=st.integers(1, 40), depth=st.floats(0.05, 4.0))
def test_round_repeats_is_torchvision_ceil_of_the_float_product(n, depth):
    assert round_repeats(n, as_multiplier(depth, "d", "t")) == math.ceil(n * depth)


@pytest.mark.parametrize("bad", [0, -1.5, "1x", None, True, [1], sympy.Symbol("z", negative=True)])
def test_multipliers_must_be_positive(bad):
    with pytest.raises(sc.LayerArgumentError, match=r"`alpha` must be a positive number.*Received: alpha="):
        sc.zoo.mobilenet_v2(alpha=bad)
