"""Budget solving where the model's conditions, not the budget, bound the symbol, and on grids
whose roundings or powers settle late. Found by a hunt:

- ``head.solve_budget(params=10, for_=L)`` for ``L`` halvings of a 64x64 map before a
  global pooling (10 parameters whatever ``L``) refused with "does not depend on L, so every
  value or none is within the budget", though only ``L <= 6`` builds: the answer is 6, as
  brute force over the models built says. A quantity without the symbol is within its
  budget for every value or none; the admissible values decide the rest.
- ``solve_budget(Max(a, 2*a - 10**10), 3*10**10, a, step=1)`` refused with a message naming
  the internal grid index ``_k`` (the ``Max`` was resolved at ``a = 10**9``, before its
  crossing); without ``step`` it answers ``2*10**10``.
- ``halving.solve_budget(params=10**6, for_=L, step=2)`` refused "the power 2**(2*n) is not
  a non-negative integer power": on the grid ``L = 2*k`` the condition ``64 >= 2**L`` is
  ``64 >= 4**k``, decided as on the integers.

Every answer is checked against brute force: ``model.subs`` and a build at each value, the
quantity compared with the budget.
"""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given, strategies as st

import symcnn as sc

L, a = sc.symbols("L a")


def pooled_head(size: int, channels: int = 4):
    """``L`` 2x2 poolings of a ``size`` x ``size`` map, a global pooling and a dense layer:
    parameters that do not depend on ``L``, which only ``size >= 2**L`` bounds."""
    return sc.Sequential([sc.Input((size, size, channels)), sc.Repeat(sc.MaxPooling2D(2), L),
                          sc.GlobalAveragePooling2D(), sc.Dense(2)])


def halving(size: int):
    """The halving blocks of docs/solving.md: parameters grow with ``L``, the size bounds it."""
    x = sc.Input(("H", "W", 8))
    block = sc.Model(x, sc.MaxPooling2D(2)(sc.Conv2D(8, 3, padding="same")(x)))
    return sc.Sequential([sc.Input((size, size, 8)), sc.Repeat(block, L)])


def brute_force(model, budget: int, grid: list):
    """The answer solve_budget owes, by building the model at each grid value: the largest
    value within budget such that every admissible (buildable) grid value up to it is within
    budget too, None when none is; "gaps" otherwise. ``grid`` must reach past every
    admissible value."""
    admissible, within = [], []
    for v in grid:
        try:
            built = model.subs(L=v)
        except sc.ShapeError:
            continue
        admissible.append(v)
        if built.params <= budget:
            within.append(v)
    assert not admissible or admissible[-1] < grid[-1], "the grid must pass the last one"
    if not within:
        return None
    top = within[-1]
    return top if [v for v in admissible if v <= top] == within else "gaps"


def grid_of(step: int, size: int) -> list:
    """Grid values ``step, 2*step, ...`` past ``log2(size) + 1``, where no halving builds."""
    return [step * j for j in range(1, (size.bit_length() + 1) // step + 3)]


@given(size=st.integers(2, 600), channels=st.integers(1, 9), slack=st.integers(-3, 3))
def test_a_quantity_without_the_symbol_is_answered_by_the_largest_value_the_model_admits(
        size, channels, slack):
    head = pooled_head(size, channels)
    budget = int(head.params) + slack  # within budget (slack >= 0) or over it for every L
    expected = brute_force(head, budget, grid_of(1, size))
    assert head.solve_budget(params=budget, for_=L) == expected
    assert head.solve_budget(params=budget, for_=L, step=1) == expected


@given(size=st.integers(2, 600), step=st.integers(1, 4), slack=st.integers(-3, 3))
def test_on_a_grid_a_quantity_without_the_symbol_is_answered_by_the_admitted_grid(
        size, step, slack):
    head = pooled_head(size)
    budget = int(head.params) + slack
    assert head.solve_budget(params=budget, for_=L, step=step) == \
        brute_force(head, budget, grid_of(step, size))


def test_the_set_within_budget_is_every_admissible_value_or_none():
    head = pooled_head(64)
    params = int(head.params)
    buildable = [v for v in range(1, 10) if _builds(head, v)]
    within = sc.within_budget(head, params, L)
    assert [v for v in range(1, 10) if within.contains(v) == sympy.true] == buildable
    assert sc.within_budget(head, params - 1, L) == sympy.EmptySet


def _builds(model, value: int) -> bool:
    try:
        model.subs(L=value)
    except sc.ShapeError:
        return False
    return True


def test_without_a_bound_on_the_symbol_a_constant_within_budget_is_refused_saying_why():
    """Activations keep the shape: every depth builds, so no largest one answers."""
    model = sc.Sequential([sc.Input((8, 8, 3)), sc.Repeat(sc.ReLU(), L), sc.Flatten(),
                           sc.Dense(2)])
    params = int(model.params)
    assert all(model.subs(L=v).params == params for v in (1, 50, 10**4))
    for step in (None, 3):
        with pytest.raises(sc.SolveError, match=r"does not depend on L and is within the "
                                                r"budget.* L takes arbitrarily large"):
            model.solve_budget(params=params, for_=L, step=step)
        assert model.solve_budget(params=params - 1, for_=L, step=step) is None
    with pytest.raises(sc.SolveError, match="does not depend on n and is within the budget"):
        sc.solve_budget(sympy.Integer(5), 10, "n")
    assert sc.solve_budget(sympy.Integer(50), 10, "n") is None


@given(size=st.integers(2, 600), step=st.integers(1, 4),
       budget=st.integers(0, 12_000))
def test_halvings_on_a_grid_get_the_brute_force_answer(size, step, budget):
    model = halving(size)
    expected = brute_force(model, budget, grid_of(step, size))
    assert model.solve_budget(params=budget, for_=L, step=step) == expected
    if step == 1:
        assert model.solve_budget(params=budget, for_=L) == expected


def _largest_on_grid_by_scan(expr, budget, step, top):
    """Brute force: the largest ``k*step <= top`` with every grid value up to it within
    budget and the next one over it, None when the first is over."""
    last = None
    for k in range(1, top // step + 1):
        if expr.xreplace({a: k * step}) > budget:
            return last
        last = k * step
    raise AssertionError("the scan must pass the answer")


@given(cross=st.integers(1, 300), budget=st.integers(1, 1200), step=st.integers(1, 5))
def test_a_max_crossing_over_is_solved_on_a_grid_as_on_the_integers(cross, budget, step):
    expr = sympy.Max(a, 2 * a - cross)
    expected = _largest_on_grid_by_scan(expr, budget, step, 2 * budget + 2 * step)
    assert sc.solve_budget(expr, budget, a, step=step) == expected
    if step == 1:
        assert sc.solve_budget(expr, budget, a) == expected


@given(exponent=st.integers(9, 14), factor=st.integers(2, 4), step=st.integers(1, 3))
def test_a_max_crossing_over_far_out_is_solved_on_a_grid(exponent, factor, step):
    """The crossing lies past any value one could scan to; the answer is checked at its
    edges: the expression does not decrease, within budget at the answer, over it one step
    on."""
    cross = 10**exponent
    expr, budget = sympy.Max(a, 2 * a - cross), factor * cross
    found = sc.solve_budget(expr, budget, a, step=step)
    assert found % step == 0
    assert expr.xreplace({a: found}) <= budget < expr.xreplace({a: found + step})
    if step == 1:
        assert sc.solve_budget(expr, budget, a) == found


@pytest.mark.parametrize("expr", [sympy.log(a) + a, 2**a - a, sympy.floor(2**a / 3)])
@pytest.mark.parametrize("step", [1, 2])
def test_a_grid_refusal_names_the_grid_index_never_the_internal_one(expr, step):
    with pytest.raises(sc.SolveError, match=r"on the grid a = (2\*)?n \(n = 1, 2, ...\)") \
            as err:
        sc.solve_budget(expr, 1000, a, step=step)
    assert "_k" not in str(err.value)


def test_a_late_settling_rounding_names_the_grid_index_as_the_user_reads_it():
    from symcnn.zoo.scaling import make_divisible
    m = sc.multiplier("m")
    with pytest.raises(sc.SolveError, match=r"on the grid m = n/2 \(n = 1, 2, \.\.\.\): "
                                            r"60 - n/2 >= 0 fails") as err:
        sc.solve_budget(make_divisible(100 - m, 8), 10**5, m, step=sympy.Rational(1, 2))
    assert "_k" not in str(err.value)
