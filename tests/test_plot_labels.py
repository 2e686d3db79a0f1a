"""sc.plot's legend writes budgets as numbers are written (100,000.5, 1e300), says when no
value fits, and keeps a linear scale with a clear warning for a panel with no positive
value under logy."""

from __future__ import annotations

import warnings
from fractions import Fraction

import pytest
import sympy

import symcnn as sc

pytest.importorskip("matplotlib")


def _legend(fig):
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def test_budgets_are_written_as_numbers():
    model = sc.zoo.textbook.free_width()
    budget = Fraction(200001, 2)
    best = sc.solve_budget(model.params, budget, "n")
    assert _legend(sc.plot(model, n=range(1, 400), budget=budget)) == [
        f"free_width (n = {best})", "budget 100,000.5"]
    huge = _legend(sc.plot(model, n=range(1, 40), budget=10**300))
    assert huge[1] == "budget 1e300" and len(huge[0]) < 40


def test_a_budget_no_value_fits_is_said():
    model = sc.zoo.textbook.free_width()
    least = model.subs(n=1).params
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = sc.plot(model, n=range(1, 40), budget=100)
    assert _legend(fig)[0] == "free_width (no n fits the budget)"
    assert [str(w.message) for w in caught] == [
        f"plot: no n fits the params budget 100 for free_width: even n = 1 gives "
        f"{int(least):,}"]


def test_logy_on_zeros_keeps_a_linear_scale_and_says_why():
    n = sc.symbols("n")
    zero = sympy.Integer(0) * n
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = sc.plot(zero, n=range(1, 5), logy=True)
    assert fig.axes[0].get_yscale() == "linear"
    assert [str(w.message) for w in caught] == [
        "plot: the value has no positive value over the plotted n (it is 0 throughout), so "
        "its panel keeps a linear scale (logy)"]
    assert sc.plot(3 * n, n=range(1, 5), logy=True).axes[0].get_yscale() == "log"
