"""Ties that are integers for some values only (``W=H/2``), and fixed values, steps and
budgets given as text, in ``admissible``, ``solve_budget``, ``within_budget`` and ``solve``.

Found by a hunt: ``sc.admissible(model, H, W=H/2).redundant`` compared each ``h`` with
``h - 1``, where ``W`` is no integer, and said no size is redundant (building the network
at ``H = 22`` and ``24`` gives the same feature maps); ``solve_budget`` refused ``W=H/2``
that ``admissible`` accepts; ``W="H"``, ``step="0.05"`` and a ``TrainingMemory`` among
several budgets were refused. Every answer here is checked against the networks built (or
substituted) at each value.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc

from .test_admissibility import layer_specs as admissibility_layer_specs
from .test_admissibility import make_layer

H, W = sc.symbols("H W")
TOP = 120  # brute force over 1..TOP

TIES = {
    "H/2": (H / 2, lambda h: Fraction(h, 2)),
    "H/3": (H / 3, lambda h: Fraction(h, 3)),
    "2*H/3": (2 * H / 3, lambda h: Fraction(2 * h, 3)),
    "H - 4": (H - 4, lambda h: Fraction(h - 4)),
    "2*H": (2 * H, lambda h: Fraction(2 * h)),
    "H": (H, lambda h: Fraction(h)),
}

#: test_admissibility's layers without its padding (a tie's parity is the input's).
layer_specs = admissibility_layer_specs.filter(lambda spec: spec[0] != "pad")


def tied_width(tie: str, h: int) -> int | None:
    """The width tied to ``h``, or None where it is not a positive integer (no model)."""
    w = TIES[tie][1](h)
    return int(w) if w.denominator == 1 and w >= 1 else None


def deepest_shapes(build, hs) -> dict:
    """``{h: shape}`` of the deepest layer output whose shape changes with ``h``, for the
    values ``h`` where ``build(h)`` gives a network (brute force, one network per value)."""
    shapes = {}
    for h in hs:
        try:
            model = build(h)
        except (sc.ShapeError, sc.LayerArgumentError):
            continue
        if model is not None:
            shapes[h] = [tuple(t.shape) for node in model.nodes for t in node.outputs]
    if not shapes:
        return {}
    rows = list(shapes.values())
    varying = [i for i in range(len(rows[0])) if len({tuple(r[i]) for r in rows}) > 1]
    last = varying[-1] if varying else 0
    return {h: row[last] for h, row in shapes.items()}


def redundant_by_building(shapes: dict) -> set:
    """The values whose deepest maps equal those at the admissible value before them."""
    ordered = sorted(shapes)
    return {h for before, h in zip(ordered, ordered[1:]) if shapes[h] == shapes[before]}


def contains(sympy_set, h) -> bool:
    return sympy_set.contains(h) == sympy.true


def check_admissible(found, shapes: dict, top: int) -> None:
    for h in range(1, top + 1):
        assert (h in found) == (h in shapes), h
    assert found.smallest == (min(shapes) if shapes else None)
    redundant = redundant_by_building(shapes)
    for h in range(1, top + 1):
        assert contains(found.redundant, h) == (h in redundant), h
        assert contains(found.distinct, h) == (h in shapes and h not in redundant), h


@settings(max_examples=40, deadline=None)
@given(specs=st.lists(layer_specs, min_size=1, max_size=4), tie=st.sampled_from(sorted(TIES)))
def test_admissible_sizes_with_a_tie_are_those_the_network_is_built_at(specs, tie):
    symbolic = sc.Sequential([sc.Input((H, W, 3)), *(make_layer(s) for s in specs)])

    def build(h):
        w = tied_width(tie, h)
        return None if w is None else sc.Sequential(
            [sc.Input((h, w, 3)), *(make_layer(s) for s in specs)])

    # the last values' predecessor lies below TOP: compare only where it was built too
    shapes = deepest_shapes(build, range(1, TOP + 1))
    check_admissible(sc.admissible(symbolic, H, W=TIES[tie][0]), shapes, TOP - 6)


def test_the_hunt_example_redundant_halved_widths():
    cnn = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(8, 3), sc.MaxPooling2D(2),
                         sc.Conv2D(8, 3), sc.MaxPooling2D(2)])
    shapes = deepest_shapes(lambda h: None if h % 2 else cnn.subs(H=h, W=h // 2),
                            range(1, TOP + 1))
    found = sc.admissible(cnn, H, W=H / 2)
    check_admissible(found, shapes, TOP - 2)
    assert contains(found.redundant, 24)  # (4, 1, 8) at H = 22 and at H = 24


def test_a_vit_with_halved_width_has_one_distinct_height_in_16():
    vit = sc.zoo.vit(16, 768, 2, 12, 3072, input_shape=(H, W, 3))
    shapes = deepest_shapes(lambda h: None if h % 2 else vit.subs(H=h, W=h // 2),
                            range(1, 200))
    found = sc.admissible(vit, H, W=H / 2)
    check_admissible(found, shapes, 190)
    assert found.distinct == sc.admissible(vit, H, W="H/2").distinct


def test_a_model_condition_of_evenness_compares_with_the_even_value_before():
    # Reshape((-1, 16)) of an (H, 8) map needs H even; a pooling then floors H/2 by 2
    x = sc.Input((H, 8))
    y = sc.MaxPooling1D(2)(sc.Reshape((-1, 16))(x))
    found = sc.admissible(sc.Model(x, y), H)

    def build(h):
        x = sc.Input((h, 8))
        return sc.Model(x, sc.MaxPooling1D(2)(sc.Reshape((-1, 16))(x)))

    check_admissible(found, deepest_shapes(build, range(1, TOP + 1)), TOP - 2)


def test_admissible_reads_a_tie_given_as_text():
    model = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(4, 3, strides=2), sc.Flatten(),
                           sc.Dense(2)])
    for text, expr in (("H", H), ("H/2", H / 2), ("H - 4", H - 4), ("12", 12)):
        a, b = sc.admissible(model, "H", W=text), sc.admissible(model, H, W=expr)
        assert (a.values, a.redundant, a.constraints) == (b.values, b.redundant, b.constraints)
    with pytest.raises(sc.SolveError, match=r"value fixed for W does not read"):
        sc.admissible(model, H, W="__import__('os')")
    with pytest.raises(sc.SolveError, match=r"value fixed for W does not read"):
        sc.admissible(model, H, W="Q + 1")


# ----------------------------------------------------------------------- budgets


def built_within(build, values, budget) -> tuple:
    """``(admitted, within)``: the values ``build(v)`` builds a model at (brute force; a
    refused size raises) and those whose MACs are within ``budget``."""
    admitted, within = [], set()
    for v in values:
        try:
            built = build(v)
        except (sc.ShapeError, sc.LayerArgumentError):
            continue
        admitted.append(v)
        if built.macs <= budget:
            within.add(v)
    return admitted, within


def largest_by_building(admitted: list, within: set):
    """The largest ``a`` with every admitted value up to ``a`` within budget (brute force)."""
    best = None
    for h in admitted:
        if h not in within:
            break
        best = h
    return best


@settings(max_examples=25, deadline=None)
@given(tie=st.sampled_from(["H/2", "H/3", "2*H/3"]), budget=st.integers(10**5, 3 * 10**6))
def test_solving_with_a_halved_tie_keeps_to_integer_widths(tie, budget):
    cnn = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(8, 3), sc.MaxPooling2D(2),
                         sc.Conv2D(8, 3), sc.MaxPooling2D(2)])
    tied = [h for h in range(1, 400) if tied_width(tie, h) is not None]
    admitted, within = built_within(lambda h: cnn.subs(H=h, W=tied_width(tie, h)), tied,
                                    budget)
    assert admitted and max(within) < 380  # the answer lies well inside the range
    expected = largest_by_building(admitted, within)
    value = TIES[tie][0]
    assert cnn.solve_budget(H, macs=budget, W=value) == expected
    assert cnn.solve_budget("H", macs=budget, W=tie) == expected
    assert sc.solve_budget({cnn.macs: budget}, H, W=value) <= max(within)
    # the expression alone: no model conditions, but W must be a positive integer
    expr_within = sc.within_budget(cnn.macs, budget, H, W=value)
    for h in range(1, 400):
        w = tied_width(tie, h)
        assert contains(expr_within, h) == (
            w is not None and cnn.macs.subs({H: h, W: w}) <= budget), h


def test_a_vit_with_halved_width_within_a_mac_budget():
    vit = sc.zoo.vit(16, 768, 2, 12, 3072, input_shape=(H, W, 3))
    admitted, within = built_within(lambda h: vit.subs(H=h, W=h // 2), range(2, 400, 2),
                                    3 * 10**9)
    expected = largest_by_building(admitted, within)
    assert expected is not None and expected < 390
    assert vit.solve_budget(H, macs=3e9, W=H / 2) == expected
    assert vit.solve_budget(H, macs=3e9, W="H/2") == expected
    # on a grid of steps 3: H = 3k, and even for W = H/2
    on_grid = [h for h in admitted if h % 3 == 0]
    assert vit.solve_budget(H, macs=3e9, W=H / 2, step=3) == largest_by_building(on_grid,
                                                                                 within)


def test_solve_keeps_to_values_where_the_tie_is_an_integer():
    expr = sympy.floor(H / 2) * W
    found = sc.solve(expr, 100, H, W=H / 2)
    brute = {h for h in range(1, 200) if h % 2 == 0 and expr.subs({H: h, W: h // 2}) == 100}
    assert {h for h in range(1, 200) if contains(found.integers, h)} == brute
    shifted = sc.solve(H * W, 150, H, W="H - 5")
    brute = {h for h in range(6, 200) if h * (h - 5) == 150}
    assert {h for h in range(1, 200) if contains(shifted.integers, h)} == brute


def test_a_tie_that_is_never_an_integer_is_refused():
    with pytest.raises(sc.SolveError, match="value fixed for it is not one"):
        sc.solve_budget(H * W, 100, H, W=H + sympy.Rational(1, 2))


def test_a_text_tie_is_read_safely():
    model = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(8, 3), sc.GlobalAveragePooling2D()])
    expected = max(h for h in range(3, 300) if model.subs(H=h, W=h).macs <= 5 * 10**6)
    assert model.solve_budget("H", macs=5e6, W="H") == expected
    assert sc.solve_budget(model.macs, 5e6, "H", W="H") == expected
    with pytest.raises(sc.SolveError, match="value fixed for W does not read"):
        model.solve_budget("H", macs=5e6, W="__import__('os').getcwd()")


# ------------------------------------------------------------------ steps, budgets


def test_a_step_given_as_text_is_read_exactly():
    alpha = sc.multiplier("alpha")
    net = sc.Sequential([
        sc.Input((32, 32, 3)),
        sc.Conv2D(sympy.ceiling(64 * alpha), 3, padding="same"), sc.MaxPooling2D(2),
        sc.Conv2D(sympy.ceiling(128 * alpha), 3, padding="same"),
        sc.GlobalAveragePooling2D(), sc.Dense(10)])
    budget = 60_000
    within = [k for k in range(1, 61)
              if net.subs(alpha=Fraction(k, 20)).params <= budget]
    k = max(within)
    assert within == list(range(1, k + 1))
    for step in ("0.05", "1/20"):
        assert sc.solve_budget(net.params, budget, alpha, step=step) == Fraction(k, 20)
        assert net.solve_budget(alpha, params=budget, step=step) == Fraction(k, 20)
    with pytest.raises(sc.SolveError, match="`step` must be a positive number"):
        sc.solve_budget(net.params, budget, alpha, step="-0.05")


@pytest.mark.parametrize("call", [
    lambda m, n: m.solve_budget(n, params="25M"),
    lambda m, n: sc.solve_budget(m.params, "1MiB", n),
    lambda m, n: sc.within_budget(m.params, "25M", n),
])
def test_a_budget_with_a_unit_says_it_is_a_command_line_form(call):
    n = sc.symbols("n")
    model = sc.zoo.textbook.free_width()
    with pytest.raises(sc.SolveError, match=r"command line.*25e6, 2\*\*20"):
        call(model, n)


def test_a_training_memory_among_several_budgets_keeps_its_model_conditions():
    model = sc.Sequential([sc.Input((H, H, 3)), sc.Conv2D(16, 3), sc.MaxPooling2D(2),
                           sc.Conv2D(32, 3), sc.Flatten(), sc.Dense(10)])
    mem = model.training_memory(optimizer="adam")
    admitted, rows = [], {}
    for h in range(1, 200):
        try:
            built = model.subs(H=h)
        except (sc.ShapeError, sc.LayerArgumentError):
            continue
        admitted.append(h)
        rows[h] = (mem.subs(B=8, H=h).total, built.params)
    for mem_budget, param_budget in ((40 * 2**20, 10**9), (10**12, 200_000)):
        within = {h for h, (m, p) in rows.items() if m <= mem_budget and p <= param_budget}
        expected = largest_by_building(admitted, within)
        assert expected is not None and expected < 190
        found = sc.solve_budget({mem: mem_budget, model.params: param_budget}, "H", B=8)
        assert found == expected
        alone = sc.solve_budget(mem, mem_budget, "H", B=8)
        assert found == min(alone, sc.solve_budget(model.params, param_budget, H))


def test_a_size_tied_to_half_a_width_keeps_to_even_widths():
    # solve_budget(macs, w, H=w/2) once answered an odd w, 3848860305/4 MACs: no model
    w = sc.symbols("w")
    net = sc.Sequential([sc.Input((H, H, 3)), sc.Conv2D(w, 3, padding="same"),
                         sc.MaxPooling2D(2), sc.Conv2D(2 * w, 3, padding="same"),
                         sc.GlobalAveragePooling2D(), sc.Dense(10)])
    admitted, within = built_within(lambda v: net.subs(w=v, H=v // 2), range(2, 400, 2),
                                    10**9)
    expected = largest_by_building(admitted, within)
    assert expected is not None and expected < 390
    assert sc.solve_budget(net.macs, 10**9, w, H=w / 2) == expected
    assert net.solve_budget(macs=10**9, for_=w, H=w / 2) == expected


@st.composite
def integer_sets(draw):
    """Unions of progressions with gaps of any length (longer than their modulus too)."""
    from symcnn.intsets import IntegerSet

    m = draw(st.sampled_from([1, 2, 3, 4, 6]))
    runs = {}
    for r in range(m):
        start, rs = draw(st.integers(0, 10)), []
        for _ in range(draw(st.integers(0, 3))):
            a = start + draw(st.integers(0, 8))
            b = a + draw(st.integers(0, 6))
            rs.append((a, b))
            start = b + 2
        if draw(st.booleans()):
            rs.append((start + draw(st.integers(0, 5)), None))
        runs[r] = rs
    return IntegerSet(m, runs).intersection(IntegerSet.interval(1))


@settings(max_examples=150, deadline=None)
@given(values=integer_sets(), d=st.sampled_from([2, 3, 5, 8, 64]), shift=st.integers(0, 3))
def test_each_value_is_compared_with_the_admissible_value_before_it(values, d, shift):
    from symcnn.admissibility import _redundant

    sizes = [sympy.floor(H / d), sympy.floor((H + shift) / 4)]
    found = _redundant(values, sizes, H, 1)
    listed = [h for h in range(1, 200) if h in values]
    brute = {h for before, h in zip(listed, listed[1:])
             if all(u.subs(H, before) == u.subs(H, h) for u in sizes)}
    assert {h for h in range(1, 180) if h in found} == {h for h in brute if h < 180}
