"""What the solvers accept and what they say: non-real targets, steps given as Decimals, and
messages that name the real cause (two symbols of one name, a model's condition holding an
unfixed symbol).
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
import sympy

import symcnn as sc

H, k, n = sc.symbols("H k n")


# ----------------------------------------------------------------- non-real targets


@pytest.mark.parametrize("target", [sympy.I, 1 + 2j, 3 * sympy.I, sympy.sqrt(-4),
                                    np.complex128(1 + 1j), 100_000 + sympy.I])
def test_a_complex_target_is_refused_naming_the_argument_and_value(target):
    model = sc.zoo.textbook.free_width()
    with pytest.raises(sc.SolveError, match=r"solve: `target` must be real.*is complex\. "
                                            r"Received: target="):
        sc.solve(model.params, target, n)


@pytest.mark.parametrize("target, pattern", [
    (float("nan"), r"`target` must be finite"), (math.inf, r"`target` must be finite"),
    (sympy.nan, r"`target` must be a finite SymPy expression"),
    (sympy.zoo, r"`target` must be a finite SymPy expression"),
    ("100000", r"`target` must be a number or a SymPy expression"),
    (None, r"`target` must be a number or a SymPy expression"),
])
def test_other_targets_that_are_no_real_number_are_refused_by_name(target, pattern):
    with pytest.raises(sc.SolveError, match=pattern):
        sc.solve(sc.zoo.textbook.free_width().params, target, n)


def test_a_complex_expression_or_fixed_value_is_refused_too():
    with pytest.raises(sc.SolveError, match=r"`expr` must be real.*n \+ I is complex"):
        sc.solve_budget(n + sympy.I, 5, n)
    with pytest.raises(sc.SolveError, match=r"`H` must be real"):
        sc.solve_budget(n * H, 50, n, H=sympy.I)
    with pytest.raises(sc.SolveError, match=r"`params` must be real"):
        sc.zoo.textbook.free_width().solve_budget(params=1 + 1j)


def test_an_irrational_target_gives_the_real_roots_not_a_crash():
    s = sc.solve(2 * n**2, sympy.sqrt(2) * 8, n)  # n**2 = 4*sqrt(2): n = 2*2**(1/4)
    assert len(s.real) == 1 and sympy.simplify(2 * s.real[0] ** 2 - 8 * sympy.sqrt(2)) == 0
    assert not [v for v in range(1, 100) if 2 * v**2 == 8 * sympy.sqrt(2)]
    assert s.integers is None or s.integers == sympy.S.EmptySet


# --------------------------------------------------------------- a Decimal step


@pytest.mark.parametrize("step", [Decimal("0.05"), Decimal("0.25"), Decimal("1E-1")])
def test_a_decimal_step_is_its_exact_decimal_value(step):
    alpha = sc.multiplier("alpha")
    model = sc.Sequential([sc.Input((32, 32, 3)), sc.Conv2D(sympy.ceiling(64 * alpha), 3),
                           sc.GlobalAveragePooling2D(), sc.Dense(10)])
    budget = 20_000
    got = sc.solve_budget(model.params, budget, alpha, step=step)
    exact = Fraction(step)
    assert got == sc.solve_budget(model.params, budget, alpha, step=exact)
    grid = [j * exact for j in range(1, 200)]
    params = {a: model.subs(alpha=sympy.Rational(a.numerator, a.denominator)).params
              for a in grid}
    best = max(a for a in grid if all(params[b] <= budget for b in grid if b <= a))
    assert got == best


@pytest.mark.parametrize("step", [Decimal("-0.05"), Decimal("0"), Decimal("NaN"),
                                  Decimal("Infinity")])
def test_a_decimal_step_that_is_no_positive_number_is_refused_as_given(step):
    alpha = sc.multiplier("alpha")
    with pytest.raises(sc.SolveError, match=r"`step` must be a positive rational.*"
                                            r"Received: step=Decimal"):
        sc.solve_budget(100 * alpha, 50, alpha, step=step)


# ------------------------------------------------------------------------ messages


def test_two_symbols_of_one_name_are_named_as_two_different_symbols():
    plain = sympy.Symbol("n")
    expr = 2 * plain + sc.symbols("n")
    with pytest.raises(sc.SolveError) as err:
        sc.solve_budget(expr, 10, "n")
    message = str(err.value)
    assert "two different symbols named n" in message and "besides n" not in message
    assert "without assumptions" in message and "as sc.symbols makes" in message
    assert "sc.symbols('n')" in message
    s = sc.solve(expr, 9, "n")
    assert s.integers is None and "two different symbols named n" in s.note


def test_an_unfixed_symbol_in_a_models_condition_is_named_with_the_condition():
    m = sc.Sequential([sc.Input((H, H, 3)), sc.Conv2D(8, k), sc.GlobalAveragePooling2D(),
                       sc.Dense(10)])
    assert H not in m.params.free_symbols  # the budgeted expression does not show H
    conditions = [c for c in m.constraints if {H, k} <= c.free_symbols]
    assert conditions
    with pytest.raises(sc.SolveError) as err:
        m.solve_budget(params=5000, for_=k)
    message = str(err.value)
    assert "the expression still has" not in message
    assert "the model's condition" in message and "also depends on H" in message
    assert any(sc.render.exprs.show(c) in message for c in conditions)
    assert "H=224" in message
    # and fixing it as said answers, as the models built at each k say
    a = m.solve_budget(params=5000, for_=k, H=10)
    built = {}
    for kk in range(1, 20):
        try:
            built[kk] = sc.Sequential([sc.Input((10, 10, 3)), sc.Conv2D(8, kk),
                                       sc.GlobalAveragePooling2D(), sc.Dense(10)]).params
        except sc.ShapeError:
            pass
    assert a == max(kk for kk, p in built.items()
                    if all(built[j] <= 5000 for j in built if j <= kk))


def test_a_numpy_step_is_the_step_it_holds():
    """Budgets took NumPy numbers; a step did not (``np.int64(2)`` was "must be a positive
    rational number", ``np.float64(0.05)`` a SymPy ``TypeError``, as NumPy 2 prints
    ``np.float64(0.05)``)."""
    n = sc.symbols("n")
    free = 160 * n + 48320
    assert sc.solve_budget(free, 100_000, n, step=np.int64(2)) == \
        sc.solve_budget(free, 100_000, n, step=2)
    alpha = sc.multiplier("alpha")
    params = sc.zoo.mobilenet_v2(alpha=alpha).trainable_params
    assert sc.solve_budget(params, 3_000_000, alpha, step=np.float64(0.05)) == \
        sc.solve_budget(params, 3_000_000, alpha, step=Fraction(1, 20))


@pytest.mark.parametrize("budget", [complex(1e5, 0), np.complex128(1e5), complex(1e5, 2)])
def test_a_complex_budget_is_refused_as_complex(budget):
    """``complex(1e5, 0)`` was called "irrational" (SymPy read it as a float)."""
    n = sc.symbols("n")
    with pytest.raises(sc.SolveError, match=r"`budget` must be real: .*\(give a complex "
                                            r"number's real part\), and .* is complex\."):
        sc.solve_budget(160 * n, budget, n)
