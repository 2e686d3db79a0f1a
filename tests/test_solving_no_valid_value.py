"""``None`` from ``solve_budget`` when the values within budget break the model's conditions,
and how to tell that from a budget too small for any value. Found by a hunt:
``sc.zoo.mobilenet_v3_small((96, 96, 3), alpha=alpha).solve_budget(alpha, macs=939801,
step=Fraction(1, 100))`` returns a bare ``None`` (the budget is met only below the model's
``alpha > 10/81``), which the command line explains ("No valid alpha fits: ...") and which
Python users could not tell apart: ``sc.within_budget`` took no ``step`` ("no symbol named
'step' to fix").

``None`` stays the answer (no admissible value fits, as ``symcnn solve`` exits 5 and as
tests/zoo/test_mobilenet_v3.py states), documented as such; ``sc.within_budget`` of the bare
quantity, which carries no conditions, now also answers on a grid and shows the values the
budget alone admits. Every set is compared with the closed form evaluated at each value and
with the models built at each value.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy

import symcnn as sc

alpha = sc.multiplier("alpha")
STEP = Fraction(1, 16)
GRID = [STEP * j for j in range(1, 100)]  # past 4.25: 30*34 + 2 > 1000


def rounded(value):
    """A dense head on ``floor(8*alpha)`` filters: ``floor(8*alpha) >= 1`` is a condition."""
    return sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(sympy.floor(8 * value), 3),
                          sc.GlobalAveragePooling2D(), sc.Dense(2)])


def built(value):
    """The model built at ``value``, None where it cannot be (no filter)."""
    try:
        return rounded(sympy.Rational(value.numerator, value.denominator))
    except sc.SymcnnError:
        return None


def test_none_when_only_values_outside_the_conditions_fit_and_within_budget_says_which():
    model = rounded(alpha)
    assert [str(c) for c in model.constraints] == ["floor(8*alpha) >= 1"]
    bare = [g for g in GRID if model.params.xreplace({alpha: g}) <= 10]
    valid = [g for g in GRID if built(g) is not None and built(g).params <= 10]
    assert bare == [Fraction(1, 16)] and valid == []  # the budget alone admits 1/16 only
    assert model.solve_budget(alpha, params=10, step=STEP) is None
    assert sc.within_budget(model.params, 10, alpha, step=STEP) == sympy.FiniteSet(*bare)
    assert sc.within_budget(model, 10, alpha, step="1/16") == sympy.EmptySet
    # a budget too small for any value: the bare quantity says so too
    assert model.solve_budget(alpha, params=1, step=STEP) is None
    assert sc.within_budget(model.params, 1, alpha, step=STEP) == sympy.EmptySet


def test_within_budget_on_a_grid_lists_the_grid_values_as_brute_force():
    model = rounded(alpha)
    models = {g: built(g) for g in GRID}
    for budget in (40, 300, 1000):
        expected = [g for g, m in models.items() if m is not None and m.params <= budget]
        got = sc.within_budget(model, budget, alpha, step=STEP)
        assert sorted(got) == expected
        top = model.solve_budget(alpha, params=budget, step=STEP)
        assert top == max(expected)


def test_within_budget_on_a_grid_that_never_ends_is_an_image_set():
    found = sc.within_budget(1000 - 10 * alpha, 500, alpha, step="0.5")
    assert isinstance(found, sympy.ImageSet)
    grid = [Fraction(j, 2) for j in range(1, 400)]
    assert [g for g in grid if g in found] == [g for g in grid if 1000 - 10 * g <= 500]


def test_within_budget_refuses_a_step_for_an_integer_symbol_by_name():
    n = sc.symbols("n")
    with pytest.raises(sc.SolveError, match="n is an integer symbol, so a grid of "
                                            "fractional steps"):
        sc.within_budget(10 * n, 50, n, step="0.05")
    assert sc.within_budget(10 * n, 50, n, step=2) == sympy.FiniteSet(2, 4)


@pytest.mark.slow
def test_the_hunted_mobilenet_v3_budget_is_met_only_below_its_condition():
    model = sc.zoo.mobilenet_v3_small((96, 96, 3), alpha=alpha)
    assert [str(c) for c in model.constraints] == ["alpha > 10/81"]
    assert model.solve_budget(alpha, macs=939801, step=Fraction(1, 100)) is None
    bare = sc.within_budget(model.macs, 939801, alpha, step=Fraction(1, 100))
    grid = [Fraction(j, 100) for j in range(1, 30)]
    assert sorted(bare) == [g for g in grid if model.macs.xreplace({alpha: g}) <= 939801]
    assert max(bare) < Fraction(10, 81)
