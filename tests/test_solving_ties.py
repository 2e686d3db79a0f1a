"""A value fixed as an expression in the solved symbol (a tie, ``W=H - 40``, ``c1=w - 3``)
must stay a value its symbol takes: the answers of ``solve_budget`` and ``within_budget``
hold only where the tied size is a positive integer, as ``admissible`` and ``model.subs``
require. Found by a hunt: ``m.solve_budget(for_=H, macs=100, W=H - 40)`` answered 40, where
``W = 0`` and no model exists; brute force over the models built says no H fits.
"""

from __future__ import annotations

import sympy
from hypothesis import given, strategies as st

import symcnn as sc

H, W, w = sc.symbols("H W w")


def pooled():
    return sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(8, 1), sc.GlobalAveragePooling2D(),
                          sc.Dense(10)])


def buildable_within(model, budget: int, shift: int, top: int) -> list:
    """The H in 1..top where the model with W = H - shift builds and its MACs are within
    budget: brute force, one substitution per value."""
    values = []
    for h in range(1, top + 1):
        if h - shift < 1:
            continue  # no model: W would not be a size
        if model.subs(H=h, W=h - shift).macs <= budget:
            values.append(h)
    return values


@given(shift=st.integers(0, 60), budget=st.integers(1, 40_000))
def test_solving_with_a_tie_answers_only_where_the_tied_size_is_a_size(shift, budget):
    model = pooled()
    values = buildable_within(model, budget, shift, shift + 200)
    found = model.solve_budget(for_=H, macs=budget, W=H - shift)
    # the answer: the largest a with every admissible value up to a within budget
    admissible = [h for h in range(1, shift + 201) if h - shift >= 1]
    expected = None
    for h in admissible:
        if h not in values:
            break
        expected = h
    assert found == expected
    assert found == model.subs(W=H - shift).solve_budget(for_=H, macs=budget)
    within = sc.within_budget(model.macs, budget, H, W=H - shift)
    assert [h for h in range(1, shift + 201) if h in within] == values


def test_a_width_tie_that_may_be_zero_is_kept_a_size():
    c1, c2 = sc.symbols("c1 c2")
    free = sc.Sequential([sc.Input((8, 8, 1)), sc.Conv2D(c1, 3), sc.Conv2D(c2, 3),
                          sc.Flatten(), sc.Dense(2)])
    found = free.solve_budget(params=100, for_=w, c1=w - 3, c2=2 * w)
    brute = [v for v in range(4, 50)
             if free.subs(c1=v - 3, c2=2 * v).params <= 100]
    assert found == (max(brute) if brute and brute == list(range(4, max(brute) + 1)) else None)
    assert sc.solve_budget(free.params, 100, w, c1=w - 3, c2=2 * w) == found


def test_a_tie_its_structure_proves_a_size_adds_no_condition():
    from symcnn.solving import _tie_conditions

    assert _tie_conditions({W: 2 * H}) == [] and _tie_conditions({W: H + 3}) == []
    assert _tie_conditions({W: H - 40}) == [sympy.Ge(H - 40, 1, evaluate=False)]
    alpha, beta = sc.multiplier("alpha"), sc.multiplier("beta")
    assert _tie_conditions({alpha: beta - sympy.Rational(1, 2)}) == \
        [sympy.Gt(beta - sympy.Rational(1, 2), 0, evaluate=False)]
