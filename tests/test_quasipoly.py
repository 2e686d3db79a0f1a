"""The exact engine: sets of integers satisfying relations between quasi-polynomials."""

import random

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc
from symcnn.quasipoly import NotQuasiPolynomial, period, relation_set
from tests.support.expressions import quasi_polynomials, value

x = sympy.Symbol("x", integer=True)  # no positivity: the engine also decides x = 0
RELATIONS = [sympy.Le, sympy.Lt, sympy.Ge, sympy.Gt, sympy.Eq, sympy.Ne]


def holds(rel_type, expr, bound, v):
    return bool(rel_type(value(expr, x, v), bound))


@settings(max_examples=300)
@given(expr=quasi_polynomials(x), bound=st.integers(-60, 400), rel=st.sampled_from(RELATIONS),
       lo=st.integers(0, 6))
def test_relation_set_equals_brute_force_on_every_small_integer(expr, bound, rel, lo):
    relation = rel(expr, bound)
    if relation in (sympy.true, sympy.false):
        return
    s = relation_set([relation], x, lo)
    for v in range(0, 90):
        assert (v in s) == (v >= lo and holds(rel, expr, bound, v)), (relation, v)


@settings(max_examples=150)
@given(expr=quasi_polynomials(x), bound=st.integers(-60, 400), rel=st.sampled_from(RELATIONS))
def test_the_sympy_form_of_a_set_has_the_same_members(expr, bound, rel):
    relation = rel(expr, bound)
    if relation in (sympy.true, sympy.false):
        return
    s = relation_set([relation], x, 1)
    printed = s.to_sympy()
    for v in range(0, 120):
        assert (v in s) == bool(printed.contains(v)), (relation, printed, v)


@settings(max_examples=50)
@given(roots=st.lists(st.integers(-10**7, 10**7), min_size=1, max_size=4),
       lead=st.sampled_from([1, -1, 3, -7]), shift=st.integers(-3, 3))
def test_polynomials_with_far_roots_are_decided_exactly_around_each_root(roots, lead, shift):
    expr = sympy.expand(lead * sympy.Mul(*[(x - r) for r in roots])) + shift
    s = relation_set([expr <= 0], x, 0)
    probes = {0, 1, 2, 10**8} | {r + d for r in roots for d in range(-3, 4) if r + d >= 0}
    for v in probes:
        assert (v in s) == (value(expr, x, v) <= 0), (expr, v)


def test_a_floor_that_never_resolves_in_few_classes_is_refused_not_guessed():
    with pytest.raises(NotQuasiPolynomial):
        relation_set([sympy.floor(x / 4099) * sympy.floor(x / 4093) * sympy.floor(x / 11)
                      <= 10], x)


@pytest.mark.parametrize("expr", [sympy.sqrt(x), x * 2**x, 2**x + 3**x, 4**(x**2), sympy.log(x),
                                  x ** sympy.Rational(1, 2)])
def test_expressions_outside_the_language_are_named(expr):
    with pytest.raises(NotQuasiPolynomial) as info:
        relation_set([expr <= 10], x)
    assert info.value.reason


@settings(max_examples=300)
@given(base=st.integers(2, 5), sign=st.sampled_from([1, -1]), a=st.integers(-5000, 5000),
       b=st.integers(-40, 40), scale=st.integers(1, 7), rel=st.sampled_from(RELATIONS),
       lo=st.integers(0, 6))
def test_one_power_of_the_symbol_is_decided_exactly(base, sign, a, b, scale, rel, lo):
    """``a + b*base**x`` and ``a + b*base**(-x)`` (scaled by a rational): a Repeat's
    conditions ``H >= 2**L``, its MACs over shrinking maps. Monotone in ``x``, so decided
    exactly, compared here with every integer up to where the power outgrows ``a``."""
    expr = (a + b * base ** (sign * x)) / scale
    relation = rel(expr, 0)
    if relation in (sympy.true, sympy.false):
        return
    s = relation_set([relation], x, lo)
    for v in range(0, 40):
        exact = sympy.Rational(a) + b * sympy.Integer(base) ** (sign * v)
        assert (v in s) == (v >= lo and bool(rel(exact / scale, 0))), (relation, v)


def test_a_condition_on_halvings_is_a_range_of_counts():
    assert relation_set([sympy.Ge(64, 2**x)], x, 1).to_sympy() == sympy.Range(1, 7)
    assert relation_set([sympy.Le(1000 + 10 * 2**-x, 1003)], x).to_sympy() == \
        sympy.Range(2, sympy.oo)


def test_another_free_symbol_is_reported():
    with pytest.raises(NotQuasiPolynomial, match="H has no value"):
        relation_set([x + sc.symbols("H") <= 10], x)


def test_period_is_the_least_common_multiple_of_the_strides():
    assert period(sympy.ceiling(x / 2) + sympy.floor((x + 1) / 8) + sympy.ceiling(x / 3), x) == 24


def test_max_below_a_budget_means_every_argument_is():
    rnd = random.Random(0)
    for _ in range(30):
        a, b, c = (rnd.randint(1, 9) * x**rnd.randint(1, 2) + rnd.randint(0, 50) for _ in range(3))
        budget = rnd.randint(10, 900)
        s = relation_set([sympy.Max(a, b, c) <= budget], x, 1)
        for v in range(0, 60):
            expected = v >= 1 and max(value(e, x, v) for e in (a, b, c)) <= budget
            assert (v in s) == expected


@settings(max_examples=100)
@given(a=quasi_polynomials(x, depth=2), b=quasi_polynomials(x, depth=2),
       bound=st.integers(-40, 200), rel=st.sampled_from(RELATIONS),
       kind=st.sampled_from([sympy.Max, sympy.Min]), sign=st.sampled_from([1, -1, 2]))
def test_min_and_max_anywhere_are_split_into_exact_cases(a, b, bound, rel, kind, sign):
    expr = sign * kind(a, b) + a
    relation = rel(expr, bound)
    if relation in (sympy.true, sympy.false):
        return
    s = relation_set([relation], x, 1)
    for v in range(0, 50):
        assert (v in s) == (v >= 1 and holds(rel, expr, bound, v)), (relation, v)
