"""Specification of the canonical floor/ceiling arithmetic (symcnn.arith)."""

import math

import pytest
import sympy
from hypothesis import assume, given, strategies as st

import symcnn as sc
from symcnn import symbols
from symcnn.arith import (ConstraintSet, Infeasible, ceil_div, decide_equal, divisible,
                          floor_div, require_at_least)

H, W = symbols("H W")
ints = st.integers(-40, 40)
positive = st.integers(1, 9)


def value(expr, h, w=1):
    result = sympy.sympify(expr).subs({H: h, W: w})
    assert result.is_Integer, f"{expr} at H={h} gave {result}"
    return int(result)


def test_stride_one_gives_a_plain_linear_form():
    assert floor_div(H - 3, 1) == H - 3


def test_minus_one_over_two_plus_one_is_ceiling_of_half():
    assert floor_div(H - 1, 2) + 1 == sympy.ceiling(H / 2)


def test_five_halvings_collapse_to_one_ceiling_of_h_over_32():
    x = H
    for _ in range(5):
        x = floor_div(x + 2 - 3, 2) + 1  # 3x3 stride-2 convolution with padding 1
    assert x == sympy.ceiling(H / 32)
    assert len(x.atoms(sympy.ceiling) | x.atoms(sympy.floor)) == 1


def test_common_factor_of_numerator_and_divisor_is_cancelled():
    assert floor_div(2 * H + 1, 4) == sympy.floor(H / 2)


@given(a=ints, b=ints, c=positive, d=positive, h=st.integers(1, 300))
def test_floor_div_of_linear_form_equals_integer_floor_division(a, b, c, d, h):
    assume(a != 0)
    expr = floor_div(a * H + b, c)
    assert value(expr, h) == (a * h + b) // c
    nested = floor_div(expr + b, d)
    assert value(nested, h) == ((a * h + b) // c + b) // d


@given(ops=st.lists(st.tuples(st.sampled_from(["floor", "ceil"]), ints, positive), min_size=1,
                    max_size=6), h=st.integers(1, 500))
def test_chains_of_roundings_equal_step_by_step_integer_arithmetic(ops, h):
    expr, exact = H, h
    for kind, shift, d in ops:
        if kind == "floor":
            expr, exact = floor_div(expr + shift, d), (exact + shift) // d
        else:
            expr, exact = ceil_div(expr + shift, d), -(-(exact + shift) // d)
    assert value(expr, h) == exact


@given(ops=st.lists(st.tuples(st.sampled_from(["floor", "ceil"]), ints, positive), min_size=1,
                    max_size=5))
def test_chains_of_roundings_with_coefficient_one_stay_a_single_rounding(ops):
    expr = H
    for kind, shift, d in ops:
        expr = floor_div(expr + shift, d) if kind == "floor" else ceil_div(expr + shift, d)
    assert len(expr.atoms(sympy.floor) | expr.atoms(sympy.ceiling)) <= 1


def assert_decided_soundly(expr, bound, h):
    """``require_at_least(expr, bound)`` agrees with ``expr >= bound`` at ``H = h``: refused
    only where it fails, no condition only where it holds, else a condition that tells."""
    try:
        relation = require_at_least(expr, bound)
    except Infeasible:
        assert value(expr, h) < bound
        return
    holds = value(expr, h) >= bound
    if relation is None:
        assert holds
    else:
        assert bool(relation.subs(H, h)) == holds


@given(shift=ints, d=positive, bound=st.integers(-5, 20), h=st.integers(1, 200))
def test_require_at_least_is_sound_for_every_admissible_value(shift, d, bound, h):
    expr = floor_div(H + shift, d) + 1
    assert_decided_soundly(expr, bound, h)


def test_require_at_least_gives_a_readable_lower_bound():
    assert require_at_least(H - 3, 1) == sympy.Ge(H, 4)
    assert require_at_least(sympy.ceiling(H / 2) - 1, 1) == sympy.Ge(H, 3)


@given(shift=ints, d=positive, k=st.integers(-3, 3), bound=st.integers(-5, 20),
       h=st.integers(1, 200))
def test_require_at_least_decides_a_size_minus_one_rounding_soundly(shift, d, k, bound, h):
    """``k*H - floor((H + shift)/d)`` (a slice from a computed start to the end) is decided
    as ``ceiling(...)``: H - floor(H/2) - 1 >= 0 was kept as a condition, always true."""
    expr = k * H - floor_div(H + shift, d)
    assert_decided_soundly(expr, bound, h)


L, s = symbols("L s")


@given(kind=st.sampled_from([sympy.floor, sympy.ceiling]), scale=st.integers(1, 3),
       shift=ints, base=st.sampled_from(["power", "stride"]), offset=ints,
       bound=st.integers(-5, 20), h=st.integers(1, 200), n=st.integers(1, 6))
def test_a_rounding_over_a_symbolic_divisor_is_decided_exactly(kind, scale, shift, base, offset,
                                                                bound, h, n):
    """``floor((a*H + b)/2**L)`` and ``ceiling(.../s)``, a Repeat of strided layers and a
    stride symbol: the condition is stated on the sizes (``H >= 2**L``), and holds exactly
    where the rounding is at least the bound, for every integer value of the symbols."""
    divisor = 2**L if base == "power" else s
    expr = kind((scale * H + shift) / divisor) + offset
    point = {H: h, L: n, s: n}
    holds = int(expr.subs(point)) >= bound
    try:
        relation = require_at_least(expr, bound)
    except Infeasible:
        assert not holds
        return
    if relation is None:
        assert holds
    else:
        assert bool(relation.subs(point)) == holds
        assert not relation.has(sympy.floor, sympy.ceiling)


def test_a_rounding_over_a_symbolic_power_reads_as_a_bound_on_the_size():
    """Was ``floor(2*H/2**L) - 2 >= 0``: the input of the last of L halvings is 2 or more."""
    assert require_at_least(sympy.floor(2 * H / 2**L), 2) == sympy.Ge(H, 2**L)
    assert require_at_least(sympy.floor((H - 3) / s) + 1, 1) == sympy.Ge(H, 3)


@given(a=st.integers(-9, 9).filter(bool), c=st.integers(-60, 60), bound=st.integers(-20, 60))
def test_a_line_in_one_symbol_is_decided_as_the_general_rule_decides_it(a, c, bound):
    """The shortcut for ``a*H + c`` (every size of a chain of valid convolutions) gives the
    same relation, or the same refusal, as the general decision of ``a*H + c - bound >= 0``."""
    from symcnn.arith import _nonnegative

    def decided(f):
        try:
            return f()
        except Infeasible:
            return "never"

    shortcut = decided(lambda: require_at_least(a * H + c, bound))
    general = decided(lambda: _nonnegative(sympy.expand(a * H + c - bound)))
    assert shortcut == general and str(shortcut) == str(general)


def test_a_rounding_subtracted_from_a_size_is_decided():
    assert require_at_least(H - floor_div(H, 2), 1) is None
    assert require_at_least(H - floor_div(H, 2), 5) == sympy.Ge(H, 9)
    assert require_at_least(W - ceil_div(H, 3), 0) is not None


def test_require_at_least_refuses_what_can_never_hold():
    with pytest.raises(Infeasible):
        require_at_least(sympy.Integer(3), 5)
    with pytest.raises(Infeasible):
        require_at_least(-H, 1)


def test_require_at_least_drops_what_always_holds():
    assert require_at_least(H + W, 2) is None
    assert require_at_least(H * W + 3, 4) is None


def test_decide_equal_knows_equal_forms_and_refuses_to_guess():
    assert decide_equal(floor_div(H + 1, 2), ceil_div(H, 2)) is True
    assert decide_equal(H + 1, H) is False
    assert decide_equal(H, W) is None


@given(k=st.integers(1, 6), d=st.integers(1, 6), n=st.integers(1, 50))
def test_divisible_is_sound(k, d, n):
    verdict = divisible(k * H, d)
    if verdict is True:
        assert (k * n) % d == 0
    elif verdict is not False:
        assert bool(verdict.subs(H, n)) == ((k * n) % d == 0)


def test_constraint_set_keeps_the_strongest_bound_and_catches_contradictions():
    cs = ConstraintSet([H >= 3, H >= 7, W <= 10, W <= 8])
    assert cs.as_list() == [H >= 7, W <= 8]
    with pytest.raises(Infeasible):
        cs.add(sympy.Le(H, 5))


@pytest.mark.parametrize("relations, kept", [
    ([H > 5, H < 9], [H > 5, H < 9]), ([H >= 3, H > 5, H >= 6], [H > 5]),
    ([H >= 7, H > 5], [H >= 7]), ([H < 4, H <= 3], [H < 4])])
def test_a_strict_bound_on_an_integer_size_counts_as_the_bound_it_means(relations, kept):
    """``H > 5`` is ``H >= 6`` when merged (the first of equal bounds is kept, as written)."""
    assert ConstraintSet(relations).as_list() == kept


def test_a_bound_another_condition_implies_is_not_listed():
    """``H >= 2**L`` (``L`` a positive integer) already says ``H >= 2``; ``H >= 3`` says more."""
    L = sc.symbols("L")
    assert ConstraintSet([H >= 2, H >= 2**L]).as_list() == [H >= 2**L]
    assert ConstraintSet([H > 1, 2**L <= H]).as_list() == [2**L <= H]
    assert ConstraintSet([H >= 3, H >= 2**L]).as_list() == [H >= 3, H >= 2**L]
    assert ConstraintSet([H >= 3, H > 2**L]).as_list() == [H > 2**L]
    assert ConstraintSet([H >= 2, H - 1 >= 2**L]).as_list() == [H >= 2, H - 1 >= 2**L]


def test_a_stack_of_poolings_states_only_the_condition_of_its_last_pooling():
    L = sc.symbols("L")
    pooled = sc.Sequential([sc.Input((H, W, 8)), sc.Repeat(sc.MaxPooling2D(2), L)])
    assert pooled.constraints == [H >= 2**L, W >= 2**L]


@pytest.mark.parametrize("relations", [[H >= 5, H < 5], [H > 5, H < 6], [H >= 10**10, H < 3]])
def test_strict_bounds_that_contradict_are_caught(relations):
    """They were kept side by side ("Constraints: H >= 10000000000, H < 3")."""
    with pytest.raises(Infeasible):
        ConstraintSet(relations)
    x = sc.Input((H, H, 3))
    with pytest.raises(sc.ShapeError, match="no input size is valid"):
        sc.Model(x, sc.Conv2D(4, 3)(x), constraints=relations)
