"""Solving for a ``Repeat`` count with the input size fixed by keyword. Found by a hunt:

- ``m.solve_budget(params=10**9, for_=L, H=128)`` for a stride-2 stem and ``L`` valid
  stride-2 convolutions refused "ceiling(132/2**L) >= 5, the power 2**(-L) is not a
  non-negative integer power" (``sc.admissible(m, L, H=128)`` too), though
  ``m.subs(H=128).solve_budget(...)`` answers 5: the stored condition ``ceiling(2*ceiling(H/
  2)/2**L + 4/2**L) >= 5`` with ``H=128`` is a rounding of ``132/2**L``, which the rebuilt
  model states as ``131 >= 4*2**L``. A rounding of ``A + B*b**(-L)`` takes one value once
  ``b**L`` is large enough, so the counts before are evaluated one by one and the rest is
  solved as usual; a ``Flatten`` head's parameters (``64*ceiling(66/2**L)**2``, refused
  even after ``subs``) are solved alike.

Every answer is checked against brute force: the model built with numbers at each count.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

import symcnn as sc

H, L = sc.symbols("H L")

#: Counts tried by brute force: past the last admissible one for every input size tried
#: (a valid stride-2 window halves the size at least, and sizes stay below 512).
COUNTS = range(1, 12)


def build(size, count, stem_stride=2, stem_padding="same", stride=2, pool=False,
          flatten=False):
    """A stem, ``count`` valid strided windows (a convolution or a pooling), a head."""
    inner = (sc.MaxPooling2D(stride) if pool else sc.Conv2D(4, 3, strides=stride))
    return sc.Sequential([
        sc.Input((size, size, 4)),
        sc.Conv2D(4, 3, strides=stem_stride, padding=stem_padding),
        sc.Repeat(inner, count),
        sc.Flatten() if flatten else sc.GlobalAveragePooling2D(),
        sc.Dense(3),
    ])


def brute_force(size: int, budget: int, **layout):
    """``(answer, admissible)``: the counts that build, and the answer solve_budget owes
    (None when no admissible count is within budget, "gaps" when those within budget are
    not every admissible count up to the largest)."""
    admissible, within = [], []
    for count in COUNTS:
        try:
            model = build(size, count, **layout)
        except sc.ShapeError:
            continue
        admissible.append(count)
        if model.params <= budget:
            within.append(count)
    assert not admissible or admissible[-1] < COUNTS[-1], "COUNTS must pass the last one"
    if not within:
        return None, admissible
    if within != [c for c in admissible if c <= max(within)]:
        return "gaps", admissible
    return max(within), admissible


def test_the_hunted_model_answers_as_substituting_first():
    model = sc.Sequential([sc.Input((H, H, 16)),
                           sc.Conv2D(16, 3, strides=2, padding="same"),
                           sc.Repeat(sc.Conv2D(16, 3, strides=2), L),
                           sc.GlobalAveragePooling2D(), sc.Dense(4)])
    fixed = model.solve_budget(params=10**9, for_=L, H=128)
    assert fixed == model.subs(H=128).solve_budget(params=10**9, for_=L) == 5
    admissible = sc.admissible(model, L, H=128)
    assert list(admissible.values) == [1, 2, 3, 4, 5]
    built = []
    for count in COUNTS:  # brute force: depth 6 is refused
        try:
            sc.Sequential([sc.Input((128, 128, 16)),
                           sc.Conv2D(16, 3, strides=2, padding="same"),
                           sc.Repeat(sc.Conv2D(16, 3, strides=2), count),
                           sc.GlobalAveragePooling2D(), sc.Dense(4)])
        except sc.ShapeError:
            continue
        built.append(count)
    assert built == [1, 2, 3, 4, 5]


def test_a_flatten_head_whose_parameters_round_a_power_of_the_count_is_solved():
    """``64*ceiling(66/2**L)**2``: refused before, also after ``subs``."""
    model = build(H, L, flatten=True)
    for budget in (100, 1000, 10**5):  # none; L = 4, 5 only (the parameters dip); all
        expected, admissible = brute_force(128, budget, flatten=True)
        within = [c for c in admissible if build(128, c, flatten=True).params <= budget]
        for solve in (lambda: model.solve_budget(params=budget, for_=L, H=128),
                      lambda: model.subs(H=128).solve_budget(params=budget, for_=L)):
            if expected == "gaps":
                shown = rf"within budget are Range\({within[0]}, {within[-1] + 1}, 1\)"
                with pytest.raises(sc.SolveError, match=shown):
                    solve()
            else:
                assert solve() == expected
    assert list(sc.within_budget(model, 10**5, L, H=128)) == [
        c for c in brute_force(128, 10**9, flatten=True)[1]
        if build(128, c, flatten=True).params <= 10**5]


layouts = st.fixed_dictionaries({
    "stem_stride": st.sampled_from([1, 2]),
    "stem_padding": st.sampled_from(["valid", "same"]),
    "stride": st.sampled_from([2, 3]),
    "pool": st.booleans(),
    "flatten": st.booleans(),
})


@settings(max_examples=40, deadline=None)
@given(layout=layouts, size=st.integers(5, 300),
       budget=st.sampled_from([50, 200, 1000, 3000, 10**4, 10**6]))
def test_fixing_the_size_by_keyword_answers_as_brute_force(layout, size, budget):
    model = build(H, L, **layout)
    expected, admissible = brute_force(size, budget, **layout)
    assert [v for v in sc.admissible(model, L, H=size).values] == admissible
    if not admissible:  # the stem alone refuses the size
        with pytest.raises(sc.SolveError):
            model.solve_budget(params=budget, for_=L, H=size)
        return
    if expected == "gaps":
        with pytest.raises(sc.SolveError, match="does not grow"):
            model.solve_budget(params=budget, for_=L, H=size)
    else:
        assert model.solve_budget(params=budget, for_=L, H=size) == expected
    assert list(sc.within_budget(model, budget, L, H=size)) == [
        c for c in admissible if build(size, c, **layout).params <= budget]
