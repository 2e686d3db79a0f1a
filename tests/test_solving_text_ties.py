"""Ties given as text that name the symbol solved for. Found by a hunt:
``m.solve_budget(w, params=1e5, c1="w", c2="2*w", H=32, W=32)`` refused "unknown name 'w'
(declared symbols: H, W, c1, c2)" and ``sc.solve_budget(m.params, 1e5, "w", c1="w", ...)``
"no symbol named 'w' to solve for", though the same ties as SymPy expressions answer 61 and
the command line's ``--subs c1=w c2=2*w`` works. A multiplier named only by ties
(``a1=alpha``, ``alpha`` a ``sc.multiplier``) was solved as an integer symbol and refused
its grid.

Answers are compared with brute force: the model built with numbers at each width.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings, strategies as st

import symcnn as sc

H, W, w, c1, c2 = sc.symbols("H W w c1 c2")


def build(h, wv, a, b):
    return sc.Sequential([sc.Input((h, wv, 3)), sc.Conv2D(a, 3, strides=2),
                          sc.MaxPooling2D(2), sc.Conv2D(b, 3, padding="same"),
                          sc.Flatten(), sc.Dense(5)])


MODEL = build(H, W, c1, c2)


def brute_force(first, second, budget, last: int = 400):
    """The largest width ``w`` (ties ``c1 = first(w)``, ``c2 = second(w)``, integers) whose
    32x32 model is within budget, every smaller one too; None if none is."""
    fits = []
    for v in range(1, last):
        a, b = first(v), second(v)
        if a != int(a) or b != int(b) or a < 1 or b < 1:
            continue
        fits.append((v, build(32, 32, int(a), int(b)).params <= budget))
    within = [v for v, ok in fits if ok]
    assert all(ok for v, ok in fits if within and v <= max(within))
    return max(within) if within else None


def test_the_hunted_text_ties_answer_as_sympy_ties_and_brute_force():
    expected = brute_force(lambda v: v, lambda v: 2 * v, 10**5)
    assert expected == 61
    assert MODEL.solve_budget(w, params=1e5, c1="w", c2="2*w", H=32, W=32) == expected
    assert sc.solve_budget(MODEL.params, 1e5, "w", c1="w", c2="2*w", H=32, W=32) == expected
    assert sc.solve_budget(MODEL, 1e5, w, c1="w", c2="2*w", H=32, W=32) == expected
    assert MODEL.solve_budget(w, params=1e5, c1=w, c2=2 * w, H=32, W=32) == expected


@settings(max_examples=25, deadline=None)
@given(a=st.integers(1, 4), b=st.integers(0, 3), c=st.integers(1, 4), d=st.integers(1, 2),
       budget=st.sampled_from([2000, 30_000, 10**5]))
def test_text_ties_in_the_solved_symbol_answer_as_brute_force(a, b, c, d, budget):
    first, second = f"{a}*w + {b}", f"{c}*w/{d}"
    expected = brute_force(lambda v: a * v + b, lambda v: Fraction(c * v, d), budget)
    assert MODEL.solve_budget(w, params=budget, c1=first, c2=second, H=32, W=32) == expected
    assert sc.solve_budget(MODEL.params, budget, "w", c1=first, c2=second, H=32,
                           W=32) == expected


def test_a_name_no_expression_nor_tie_holds_is_still_refused():
    with pytest.raises(sc.SolveError, match="no symbol named 'q' to solve for"):
        sc.solve_budget(MODEL.params, 1e5, "q", c1="w", c2="2*w", H=32, W=32)
    with pytest.raises(sc.SolveError, match="unknown name 'q'"):  # a tie naming another one
        MODEL.solve_budget(w, params=1e5, c1="q", c2="2*w", H=32, W=32)


def test_a_multiplier_named_only_by_ties_stays_a_multiplier():
    a1, a2, alpha = sc.multiplier("a1"), sc.multiplier("a2"), sc.multiplier("alpha")
    expr = 100 * sympy.ceiling(8 * a1) * sympy.ceiling(8 * a2)
    grid = [Fraction(j, 8) for j in range(1, 40)]
    expected = max(g for g in grid if 100 * sympy.ceiling(8 * g)**2 <= 5000)
    for ties in ({"a1": alpha, "a2": alpha}, {"a1": "alpha", "a2": "alpha"}):
        assert sc.solve_budget(expr, 5000, alpha, step=Fraction(1, 8), **ties) == expected
