"""Solving expressions that hold a sum over the symbol solved for.

``Solution.real == ()`` promises that no positive real root exists; SymPy's ``solve``
answers ``[]`` for ``Sum(t, (t, 1, L)) = 55`` although ``L = 10`` solves it. A sum over the
solved symbol with no closed form gives ``real=None`` and a ``real_note`` saying why; a sum
of a polynomial in its index is solved in its closed form (Faulhaber's formula, exact for
every count). Every answer is checked against the models built at each count, or the sum
evaluated term by term.
"""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc

H, L, n = sc.symbols("H L n")
t = sympy.Symbol("t")


def _strided(h, count):
    return sc.Sequential([sc.Input((h, 8)),
                          sc.Repeat(sc.Conv1D(8, 3, strides=2, padding="same"), count)])


def _term_by_term(function, count: int) -> int:
    return sum(function.xreplace({t: i}) for i in range(1, count + 1))


def test_a_repeat_sum_over_the_solved_count_has_real_none_not_no_root():
    m = _strided(H, L)
    target = _strided(64, 3).macs  # built with numbers: a root exists at L = 3
    s = sc.solve(m.macs, target, L, H=64)
    assert s.real is None
    assert "L is in the sum" in s.real_note and "no closed form" in s.real_note
    # the integers cannot be listed, and say so; they are not a wrong set
    assert s.integers is None and "Sum" in s.note
    assert [c for c in range(1, 12) if _strided(64, c).macs == target] == [3]


def test_a_sum_of_a_polynomial_is_solved_in_its_closed_form_exactly():
    s = sc.solve(sympy.Sum(t, (t, 1, L)), 55, L)
    roots = [c for c in range(1, 200) if _term_by_term(t, c) == 55]
    assert roots == [10]
    assert list(s.integers) == roots and s.real == (10,)


@settings(max_examples=30, deadline=None)
@given(coeffs=st.lists(st.integers(0, 9), min_size=1, max_size=4).filter(any),
       count=st.integers(1, 40), shift=st.integers(-1, 1))
def test_closed_polynomial_sums_answer_equations_and_budgets_as_brute_force(coeffs, count,
                                                                           shift):
    function = sum(c * t**k for k, c in enumerate(coeffs))
    expr = sympy.Sum(function, (t, 1, L))
    budget = _term_by_term(function, count) + shift
    values = {c: _term_by_term(function, c) for c in range(1, 60)}
    solution = sc.solve(expr, budget, L)
    assert {c for c in values if solution.integers.contains(c) == True} == \
        {c for c, v in values.items() if v == budget}
    within = sc.within_budget(expr, budget, L)
    assert {c for c in values if within.contains(c) == True} == \
        {c for c, v in values.items() if v <= budget}
    best = sc.solve_budget(expr, budget, L)
    below = [c for c, v in values.items() if v <= budget]
    assert best == (max(below) if below else None)


def test_solving_for_the_count_of_a_sum_says_what_is_true():
    """Not "fix the count by keyword": the count is the symbol solved for."""
    m = _strided(H, L)
    with pytest.raises(sc.SolveError) as err:
        sc.solve_budget(m.macs, 10**5, L, H=64)
    message = str(err.value)
    assert "counted by L, the symbol solved for" in message
    assert "no closed form in L" in message and "sc.sweep(expr, L=range(1, 20))" in message
    assert "fix the count" not in message
    with pytest.raises(sc.SolveError, match=r"counted by L, the symbol solved for"):
        m.solve_budget(L, macs=10**5, H=64)


def test_the_advice_works_solving_for_the_size_with_the_count_fixed():
    m = _strided(H, L)
    budget = 10**4
    a = sc.solve_budget(m.macs, budget, H, L=3)
    assert _strided(a, 3).macs <= budget < _strided(a + 1, 3).macs
