"""Budgets and targets given as tensors, floats inside expressions, and ``solve`` for a symbol
the expression lacks. Found by a hunt:

- ``sc.solve_budget(160*n, torch.tensor(100000), n)`` refused "100000.000000000 is
  irrational", and ``sc.solve(160*n, torch.tensor(1600), n)`` answered with a Float and no
  integer solutions; NumPy scalars worked. A tensor holding one number is that number.
- ``sc.solve(0.1*n**2, 10, n)`` answered ``10.0000000000000`` where ``solve_budget``
  refuses the float: both now take a float that is exactly the decimal it prints (``0.5``)
  and refuse one that is not (``0.1``), saying to write ``sympy.Rational(1, 10)``.
- ``sc.solve(160*n + 48320, 10**5, w)`` (``w`` absent, ``n`` free) returned
  ``Solution(w: integers=None, real=())``; it is refused as ``solve_budget`` refuses it.

Answers are compared with brute force over the integers.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from hypothesis import given, settings, strategies as st

import symcnn as sc

torch = pytest.importorskip("torch")

n, w = sc.symbols("n w")


def largest(f, budget, last: int = 10**4):
    """The largest ``n`` with ``f(n) <= budget`` (``f`` increasing), None if none."""
    fits = [v for v in range(1, last) if f(v) <= budget]
    return max(fits) if fits else None


@settings(max_examples=60, deadline=None)
@given(budget=st.integers(0, 10**6), width=st.integers(1, 500))
def test_a_tensor_budget_is_its_number(budget, width):
    expected = largest(lambda v: width * v, budget, budget // width + 2)
    for given_ in (torch.tensor(budget), torch.tensor([budget]), np.array(budget),
                   torch.tensor(float(budget), dtype=torch.float64)):
        assert sc.solve_budget(width * n, given_, n) == expected


def test_a_tensor_target_gives_the_integer_solutions():
    solution = sc.solve(160 * n, torch.tensor(1600), n)
    assert solution.integers == sympy.FiniteSet(*[v for v in range(1, 100) if 160 * v == 1600])
    assert solution.real == (10,) and solution.real[0].is_Integer
    assert sc.solve(160 * n, np.array(1600), n).integers == solution.integers


def test_a_tensor_of_several_numbers_is_refused_by_its_shape():
    with pytest.raises(sc.SolveError, match=r"`budget` must be one number.*shape \(2,\) "
                                            r"holds 2"):
        sc.solve_budget(160 * n, torch.tensor([100, 200]), n)
    with pytest.raises(sc.SolveError, match=r"`target` must be one number"):
        sc.solve(160 * n, np.array([1600, 3200]), n)


def test_a_model_budget_may_be_a_tensor():
    model = sc.zoo.textbook.free_width()
    expected = largest(lambda v: model.subs(n=v).params, 100_000, 400)
    assert model.solve_budget(params=torch.tensor(100_000)) == expected == 323


@pytest.mark.parametrize("coefficient", [0.5, 0.25, 2.0])
def test_a_float_that_is_its_decimal_is_taken_exactly(coefficient):
    exact = sympy.Rational(str(coefficient))
    expected = largest(lambda v: exact * v**2, 10, 100)
    assert sc.solve_budget(coefficient * n**2, 10, n) == expected
    assert list(sc.within_budget(coefficient * n**2, 10, n)) == list(range(1, expected + 1))
    target = exact * 4**2
    solution = sc.solve(coefficient * n**2, target, n)
    assert solution.integers == sympy.FiniteSet(*[v for v in range(1, 100)
                                                  if exact * v**2 == target])
    assert solution.real == (4,)


def test_a_float_that_is_not_its_decimal_is_refused_by_solve_as_by_solve_budget():
    for call in (lambda: sc.solve(0.1 * n**2, 10, n),
                 lambda: sc.solve_budget(0.1 * n**2, 10, n),
                 lambda: sc.within_budget(0.1 * n**2, 10, n)):
        with pytest.raises(sc.SolveError, match=r"0\.1.* not exactly the decimal it prints.*"
                                                r"sympy\.Rational\(1, 10\).*"
                                                r"sympy\.Rational\(\"1/10\"\)"):
            call()
    exact = sc.solve(sympy.Rational(1, 10) * n**2, 10, n)  # as the hint says
    assert exact.integers == sympy.FiniteSet(*[v for v in range(1, 100) if v**2 == 100])


def test_a_float_inside_a_models_count_names_the_exact_spelling():
    model = sc.Sequential([sc.Input((32, 32, 3)), sc.Conv2D(sympy.ceiling(0.7 * n), 3),
                           sc.Flatten(), sc.Dense(2)])
    with pytest.raises(sc.SolveError, match=r"0\.7.* floating-point number, not an exact one "
                                            r"\(write it exactly, as sympy\.Rational\(7, 10\)"):
        model.solve_budget(params=10**5)


def test_solve_for_a_symbol_the_expression_lacks_is_refused_as_solve_budget_refuses_it():
    with pytest.raises(sc.SolveError, match=r"still has the free symbol\(s\) n"):
        sc.solve_budget(160 * n + 48320, 10**5, w)
    with pytest.raises(sc.SolveError, match=r"does not depend on w and still has the free "
                                            r"symbol\(s\) n; solve for one of them"):
        sc.solve(160 * n + 48320, 10**5, w)
    # without another symbol, every value solves a true equation and none a false one
    assert sc.solve(sympy.Integer(5), 5, w).integers == sympy.Range(1, sympy.oo)
    assert sc.solve(sympy.Integer(5), 4, w).integers == sympy.EmptySet
