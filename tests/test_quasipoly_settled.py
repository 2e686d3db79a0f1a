"""Relations holding roundings of a decaying power of the symbol (``ceiling(132/2**L)``, a
size fixed at 132 after ``L`` halvings), which ``relation_set`` refused ("the power 2**(-L)
is not a non-negative integer power") until the hunt of ``solve_budget(..., H=128)`` on a
``Repeat`` count. Each rounding of ``A + B*b**(-x)`` takes one value once ``b**x`` is large
enough; every answer is compared with the relation evaluated at each integer.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings, strategies as st

from symcnn import symbols
from symcnn.quasipoly import NotQuasiPolynomial, relation_set

L = symbols("L")
#: Far past the point where every rounding below has settled (|B| <= 10**4, b >= 2).
LAST = 60

rationals = st.builds(Fraction, st.integers(-400, 400), st.integers(1, 7))
relations = st.sampled_from([sympy.Le, sympy.Lt, sympy.Ge, sympy.Gt, sympy.Eq, sympy.Ne])


def brute(relation, lo: int) -> list:
    """The values from ``lo`` where the relation holds, each evaluated."""
    return [v for v in range(lo, LAST) if bool(relation.func(relation.lhs.xreplace({L: v}),
                                                             relation.rhs.xreplace({L: v})))]


@settings(max_examples=200, deadline=None)
@given(a=rationals, b=rationals.filter(lambda f: f != 0), base=st.sampled_from([2, 3, 10]),
       rounding=st.sampled_from([sympy.floor, sympy.ceiling]), relation=relations,
       bound=st.integers(-60, 60), slope=st.integers(-3, 3), lo=st.integers(1, 3))
def test_roundings_of_a_decaying_power_are_decided_as_brute_force(a, b, base, rounding,
                                                                   relation, bound, slope, lo):
    term = rounding(sympy.Rational(a.numerator, a.denominator)
                    + sympy.Rational(b.numerator, b.denominator) * sympy.Integer(base) ** -L)
    rel = relation(term + slope * L, bound, evaluate=False)
    found = relation_set([rel], L, lo)
    assert [v for v in range(lo, LAST) if v in found] == brute(rel, lo)
    if slope == 0:  # settled: from some point on, all or nothing
        assert found.is_bounded == (LAST - 1 not in brute(rel, lo))


def test_nested_and_squared_roundings_are_decided():
    """A Flatten head after L halvings of a map fixed at 132: ``ceiling(66/2**L)**2``."""
    size = sympy.ceiling(sympy.Integer(66) / 2**L)
    for rel in (sympy.Le(148*L + 12*size**2 - 48*size + 199, 1000),
                sympy.Ge(sympy.ceiling(sympy.ceiling(sympy.Integer(132) / 2**L) / 2**L), 2),
                sympy.Eq(sympy.floor(sympy.Integer(1000) / 3**L), 1)):
        found = relation_set([rel], L, 1)
        assert [v for v in range(1, LAST) if v in found] == brute(rel, 1)


def test_a_growing_power_in_a_rounding_is_still_refused_by_name():
    with pytest.raises(NotQuasiPolynomial, match=r"2\*\*L"):
        relation_set([sympy.Le(sympy.floor(2**L / 3), 10)], L, 1)


def test_a_rounding_settling_only_after_thousands_of_values_is_refused_by_name():
    """``ceiling(10**2000/2**L + 1/3)`` is constant only from ``L = 6645`` on: more values
    than ``MAX_SETTLING`` would be evaluated one by one."""
    late = sympy.ceiling(sympy.Integer(10)**2000 / 2**L + sympy.Rational(1, 3))
    with pytest.raises(NotQuasiPolynomial, match=r"a rounding of 2\*\*\(-L\) settles only "
                                                 r"after more than 4096 values of L"):
        relation_set([sympy.Le(late**2 + L, 50, evaluate=False)], L, 1)
    early = sympy.ceiling(sympy.Integer(10)**30 / 2**L + sympy.Rational(1, 3))
    rel = sympy.Le(early**2 + L, 150, evaluate=False)
    found = relation_set([rel], L, 1)
    assert [v for v in range(1, 200) if v in found] == [
        v for v in range(1, 200) if bool(rel.func(rel.lhs.xreplace({L: v}), 150))]
