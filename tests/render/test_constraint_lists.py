"""The constraints a model lists ("Valid for", ``model.constraints``) say each thing once.

- A bound on an expression that a stronger bound on the same expression implies is not
  listed: ``H - K >= 0``, ``H - K >= 4``, ``H - K >= 12`` list ``H - K >= 12`` (in the place of
  the first). Sides that differ by a constant are the same expression (``H >= K + 12``).
- The list accepts exactly the inputs whose every size is positive (brute force).
- Each constraint is shown in display form, each rounding over one denominator, and an
  inequality with symbols on both sides as a difference where that is shorter.
"""

from __future__ import annotations

import sympy

import symcnn as sc
from symcnn.arith import ConstraintSet
from symcnn.render.exprs import show

H, W, K, K_1, K_2, S, P, a = sc.symbols("H W K K_1 K_2 S P a")
alpha = sc.multiplier("alpha")


def strided_model():
    return sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(8, K, strides=2),
                          sc.MaxPooling2D(3, strides=2), sc.Conv2D(8, 3)])


def test_weaker_bounds_on_the_same_difference_are_not_listed():
    model = strided_model()
    assert model.constraints == [sympy.Ge(H - K, 12), sympy.Ge(W - K, 12)]
    assert model.summary_text().splitlines()[-1] == "Constraints: H - K >= 12, W - K >= 12"
    assert "Valid for `H - K >= 12`, `W - K >= 12`." in model.to_markdown(math=False)


def _sizes(h, k):
    """Brute force: the heights of the strided model's rows, windows counted."""
    first = len(range(0, h - k + 1, 2))
    second = len(range(0, first - 3 + 1, 2))
    return [first, second, len(range(0, second - 3 + 1))]


def test_the_list_accepts_exactly_the_inputs_of_positive_sizes():
    model = strided_model()
    for h in range(1, 40):
        for k in range(1, 8):
            values = {H: h, W: h, K: k}
            listed = all(bool(c.xreplace(values)) for c in model.constraints)
            assert listed == (min(_sizes(h, k)) >= 1), (h, k)


def test_the_stronger_bound_takes_the_place_of_the_first():
    cs = ConstraintSet([H - K >= 0, W >= 2, H - K >= 12, H >= K + 20, H - K >= 4])
    assert cs.as_list() == [W >= 2, H >= K + 20]


def test_bounds_from_above_and_strict_bounds_mean_their_integer_bound():
    cs = ConstraintSet([H - K <= 10, H - K < 6, H - K <= 7, H - K > 2, H - K >= 3])
    assert cs.as_list() == [H - K < 6, H - K > 2]  # <= 5 and >= 3, as written


def test_bounds_that_are_not_on_one_expression_are_all_kept():
    kept = [H - K >= 0, H - 2 * K >= 4, sympy.Eq(sympy.Mod(H, 2), 0), 2 * alpha - 1 > 0,
            2 * alpha - 1 > sympy.Rational(1, 2), H - K_1 * S >= 3]
    assert ConstraintSet(kept).as_list() == kept  # a strict bound on a rational is no bound
    # on an integer one: 2*alpha - 1 > 0 does not become >= 1


def test_a_layer_lists_its_own_constraints_merged_too():
    model = strided_model()
    assert model.layers[0].constraints == [sympy.Ge(H - K, 0), sympy.Ge(W - K, 0)]
    assert all(len(layer.constraints) == 2 for layer in model.layers)


def long_model():
    return sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(4, K_1, strides=S, padding=P),
                          sc.Conv2D(4, K_2), sc.MaxPooling2D(3, strides=2),
                          sc.Conv2D(8, (3, 5), strides=(2, 3))])


def test_a_constraint_on_nested_roundings_is_shown_over_one_denominator():
    model = long_model()
    stored = model.constraints[-2]
    assert str(stored) == "floor(K_2/2 + floor(H/S - K_1/S + 2*P/S)/2 + 1/2) >= K_2 + 3"
    shown = show(stored)
    assert shown == "floor((floor((H - K_1 + 2*P)/S) - K_2 + 1)/2) >= 3"
    read = sympy.sympify(shown, locals={str(s): s for s in (H, K_1, K_2, S, P)})
    for h in range(1, 60, 7):
        for k1 in range(1, 4):
            for k2 in range(1, 4):
                for s in range(1, 4):
                    values = {H: h, K_1: k1, K_2: k2, S: s, P: 1}
                    assert bool(read.xreplace(values)) == bool(stored.xreplace(values))
    assert "Valid for" in model.to_markdown(math=False) and f"`{shown}`" in model.to_markdown(
        math=False)


def test_a_relation_with_a_number_on_the_right_is_shown_as_stored():
    assert show(W * sympy.floor(H / 8 + sympy.Rational(1, 2)) >= 2) == "W*floor((H + 4)/8) >= 2"
    assert show(H >= 2**K) == "H >= 2**K"  # the difference H - 2**K >= 0 is no shorter
