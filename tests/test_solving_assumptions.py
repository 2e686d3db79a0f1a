"""The SymPy assumptions of the symbol solved for are honoured or refused, never ignored.

The solvers answer over the positive integers (from 0 for a symbol declared non-negative).
A symbol declared even or odd is answered over the integers of its parity; one whose
assumptions exclude those values (negative, zero, prime, non-integer, ...) is refused with
a message naming the symbol and its assumptions. Answers are checked by brute force over
the values the symbol can take, which SymPy's own assumptions decide (``x.is_even`` of the
value substituted, ``sympy.isprime``).
"""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc


def _can_take(symbol, value: int) -> bool:
    """Whether ``symbol`` may equal ``value`` under its assumptions (SymPy decides)."""
    v = sympy.Integer(value)
    checks = {"even": v.is_even, "odd": v.is_odd, "positive": v.is_positive,
              "nonnegative": v.is_nonnegative}
    return all(checks[key] for key in checks if getattr(symbol, f"is_{key}") is True)


def _brute_largest(expr, budget, x, values):
    """The largest a with every value of x up to a within budget (None: not even one)."""
    best = None
    for v in values:
        if expr.xreplace({x: v}) > budget:
            break
        best = v
    return best


PARITY = [dict(even=True, positive=True), dict(odd=True, positive=True),
          dict(even=True, nonnegative=True), dict(odd=True), dict(even=True)]


@pytest.mark.parametrize("assumptions", PARITY, ids=lambda a: ",".join(sorted(a)))
@settings(max_examples=25, deadline=None)
@given(power=st.integers(1, 3), budget=st.integers(0, 1000))
def test_a_symbol_declared_even_or_odd_is_answered_over_its_parity(assumptions, power,
                                                                    budget):
    x = sympy.Symbol("x", **assumptions)
    expr = x**power + x
    lo = 0 if x.is_nonnegative and not x.is_positive else 1
    top = budget + 3  # expr >= x: every value past the budget is over it
    values = [v for v in range(lo, top) if _can_take(x, v)]
    assert sc.solve_budget(expr, budget, x) == _brute_largest(expr, budget, x, values)
    within = sc.within_budget(expr, budget, x)
    assert within == sympy.S.EmptySet or within.sup < top
    assert [v for v in range(0, top) if within.contains(v) == True] == \
        [v for v in values if expr.xreplace({x: v}) <= budget]
    taken = [v for v in range(lo, 200) if _can_take(x, v)]
    target = expr.xreplace({x: taken[3]})
    solved = sc.solve(expr, target, x).integers
    assert [v for v in range(0, 200) if solved.contains(v) == True] == \
        [v for v in taken if expr.xreplace({x: v}) == target]
    halves = sympy.floor(x / 2) + power  # two solutions a parity tells apart
    solved = sc.solve(halves, power + 3, x).integers
    assert [v for v in range(0, 200) if solved.contains(v) == True] == \
        [v for v in taken if halves.xreplace({x: v}) == power + 3]


def test_the_reported_parity_cases_take_the_values_of_their_parity():
    xe = sympy.Symbol("x", even=True, positive=True)
    xo = sympy.Symbol("x", odd=True, positive=True)
    assert sc.solve_budget(xe**2, 50, xe) == _brute_largest(
        xe**2, 50, xe, [v for v in range(1, 100) if v % 2 == 0])
    assert sc.solve_budget(xo, 50, xo) == _brute_largest(
        xo, 50, xo, [v for v in range(1, 100) if v % 2 == 1])


@pytest.mark.parametrize("assumptions, why", [
    (dict(prime=True), "it is prime"),
    (dict(composite=True), "it is composite"),
    (dict(integer=True, negative=True), "it takes no positive value"),
    (dict(integer=True, nonpositive=True), "it takes no positive value"),
    (dict(zero=True), "it takes no positive value"),
    (dict(extended_negative=True), "it takes no positive value"),
    (dict(positive=False), "it takes no positive value"),
    (dict(noninteger=True), "it takes no integer value"),
    (dict(irrational=True), "it takes no integer value"),
    (dict(imaginary=True), "it takes no integer value"),
    (dict(infinite=True), "it takes no integer value"),
    (dict(commutative=False), "it is not commutative"),
])
def test_assumptions_the_solvers_cannot_honour_are_refused_naming_them(assumptions, why):
    x = sympy.Symbol("x", **assumptions)
    shown = ", ".join(f"{k}={v}" for k, v in sorted(assumptions.items()))
    pattern = rf"cannot solve for x, a symbol with {shown}: {why},.*sc\.symbols\('x'\)"
    for call in (lambda: sc.solve_budget(x + 1, 50, x),
                 lambda: sc.within_budget(x + 1, 50, x),
                 lambda: sc.solve(x**2, 4, x)):
        with pytest.raises(sc.SolveError, match=pattern):
            call()


def test_the_reported_cases_would_have_been_answered_with_values_the_symbol_cannot_take():
    """What the refusals prevent: the positive-integer answers are values the symbol cannot
    take (a prime symbol is never 50, a negative one never 2)."""
    xp = sympy.Symbol("x", prime=True)
    assert not sympy.isprime(50)
    assert _brute_largest(xp, 50, xp, [v for v in range(1, 100) if sympy.isprime(v)]) == 47
    with pytest.raises(sc.SolveError, match="it is prime"):
        sc.solve_budget(xp, 50, xp)
    xneg = sympy.Symbol("x", integer=True, negative=True)
    assert xneg.is_positive is False
    with pytest.raises(sc.SolveError, match="takes no positive value"):
        sc.within_budget(-xneg, 50, xneg)
    with pytest.raises(sc.SolveError, match="takes no positive value"):
        sc.solve(xneg**2, 4, xneg)


def test_a_grid_step_for_a_symbol_of_one_parity_is_refused():
    xe = sympy.Symbol("x", even=True, positive=True)
    with pytest.raises(sc.SolveError, match=r"a grid of steps does not keep to its parity"):
        sc.solve_budget(xe, 50, xe, step=3)


def test_symbols_symcnn_makes_still_solve():
    """sc.symbols, sc.multiplier, Repeat counts (strings and symbols), the index of a sum,
    and SymPy's own integer symbols, each answered as the models built at each value."""
    H, L, w = sc.symbols("H L w")
    deep = sc.Sequential([sc.Input((64, 64, 3)), sc.Repeat(sc.Conv2D(16, 3), L)])
    a = deep.solve_budget(params=40_000, for_=L)
    built = [sc.Sequential([sc.Input((64, 64, 3)), sc.Repeat(sc.Conv2D(16, 3), c)]).params
             for c in (a, a + 1)]
    assert built[0] <= 40_000 < built[1]
    by_name = sc.Sequential([sc.Input((64, 64, 3)), sc.Repeat(sc.Conv2D(16, 3), "L")])
    assert by_name.solve_budget(params=40_000, for_="L") == a
    strided = sc.Sequential([sc.Input((H, 8)),
                             sc.Repeat(sc.Conv1D(8, 3, strides=2, padding="same"), L)])
    h = sc.solve_budget(strided.macs, 10**4, H, L=2)  # the sum's index t is a dummy
    assert sc.Sequential([sc.Input((h, 8)), sc.Repeat(sc.Conv1D(8, 3, strides=2,
                                                                padding="same"), 2)]).macs \
        <= 10**4
    alpha = sc.multiplier("alpha")
    got = sc.solve_budget(100 * alpha, 50, alpha, step=Fraction(1, 4))
    assert got == Fraction(1, 2)
    plain = sympy.Symbol("w", integer=True)
    zero_up = sympy.Symbol("w", integer=True, nonnegative=True)
    assert sc.solve_budget(plain**2, 50, plain) == 7
    assert sc.within_budget(zero_up**2, 50, zero_up) == sympy.Range(0, 8)
    assert sc.solve_budget(w * 3, 50, w) == 16
