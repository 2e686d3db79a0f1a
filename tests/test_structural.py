"""Structural fast paths (symcnn.structural and its users in arith, formulas and costs,
issue 16) against the general paths they skip: identical expressions (SymPy's ``==`` is
structural), and brute force over integer values of the symbols."""

import itertools

import pytest
import sympy
from hypothesis import given, settings, strategies as st
from sympy import Rational, ceiling, floor

from symcnn import arith, formulas, structural, symbols
from symcnn.arith import Infeasible, _as_fraction, ceil_div, floor_div, require_at_least
from symcnn.structural import (affine_floor, expanded, expanded_product, integer_valued,
                                is_expanded, lower_bound)
from tests.support import slow_paths as slow

H, W, n = symbols("H W n")
SYMBOLS = (H, W, n)
GRID = [dict(zip(SYMBOLS, v)) for v in itertools.product((1, 2, 3, 5, 8, 13), repeat=3)]

small = st.integers(-4, 4)
linear = st.builds(lambda a, b, c, k: a * H + b * W + c * n + k,
                   st.integers(0, 3), st.integers(0, 2), st.integers(0, 1), small)
rounding = st.builds(lambda kind, lin, d: kind(lin / d), st.sampled_from([floor, ceiling]),
                     linear, st.integers(1, 9))
canonical = st.builds(lambda lin, d, up: (ceil_div if up else floor_div)(lin, d),
                      linear, st.integers(1, 9), st.booleans())
atoms = st.one_of(st.sampled_from(SYMBOLS), st.integers(1, 20).map(sympy.Integer),
                  rounding, canonical)


def _combine(children):
    return st.one_of(
        st.builds(lambda x, k, c: k * x + c, children, st.integers(-3, 4), small),
        st.builds(lambda x, y: x * y, children, children),
        st.builds(lambda x, y: x + y, children, children),
        st.builds(lambda x: x**2, children),
        st.builds(lambda x, y: sympy.Mul(x, y + 1), children, children),  # unexpanded
        st.builds(lambda x, d: x / d, children, st.integers(2, 4)),
    )


sizes = st.recursive(atoms, _combine, max_leaves=5)


def values(expr):
    return [expr.xreplace({s: sympy.Integer(v) for s, v in point.items()}) for point in GRID]


# ----------------------------------------------------------------------------- the facts


@given(sizes)
def test_an_expression_shown_expanded_is_what_expand_returns(e):
    if is_expanded(e):
        assert sympy.expand(e) == e
    assert expanded(e) == sympy.expand(e)


def test_sizes_of_a_cnn_are_shown_expanded():
    for e in (H, ceiling(H / 32), 4 * ceiling(H / 4) * ceiling(W / 4) + 2, H**2 * W - 3,
              floor_div(H + 1, 4), ceil_div(H - 1, 2) + 1):
        assert is_expanded(e), e
    assert not is_expanded(sympy.Mul(H, W + 1)) and not is_expanded((H + 1)**2)


@given(sizes)
def test_an_expression_shown_integer_valued_is_integer_at_every_point(e):
    if integer_valued(e):
        assert e.is_integer is not False
        assert all(v.is_Integer for v in values(e))


@given(sizes)
def test_a_structural_lower_bound_holds_at_every_point(e):
    least = lower_bound(e)
    if least is not None:
        assert min(int(v) for v in values(e)) >= least


def test_lower_bounds_of_cnn_sizes_are_their_least_values():
    assert lower_bound(ceiling(H / 32)) == 1
    assert lower_bound(ceiling(H / 4) + 2) == 3
    assert lower_bound(2 * H * ceiling(W / 2) + H - 1) == 2
    assert lower_bound(floor(H / 2)) is None and lower_bound(H - W) is None
    assert lower_bound(ceiling((H - 3) / 2)) is None  # its argument may be negative


L = symbols("L")
powers = st.builds(lambda b, a, c, k, m: k * sympy.Integer(b)**(a * L + c) * H**m,
                   st.integers(1, 4), st.integers(0, 2), st.integers(-1, 2),
                   st.integers(-2, 3), st.integers(0, 1))


@given(st.lists(powers, min_size=1, max_size=3), small)
def test_a_lower_bound_through_powers_of_a_count_holds_at_every_point(terms, c):
    """``2**L`` is at least 2, ``2**(L - 1)`` at least 1, over positive integers ``L``."""
    e = sympy.Add(*terms) + c
    least = lower_bound(e)
    if least is not None:
        points = itertools.product(range(1, 8), range(1, 8))
        assert min(int(e.subs({L: l, H: h})) for l, h in points) >= least


def test_lower_bounds_of_powers_of_a_count_are_their_least_values():
    assert lower_bound(2**L) == 2 and lower_bound(2**(L - 1)) == 1
    assert lower_bound(3 * 4**(L + 1) - 5) == 43 and lower_bound(H * 2**L) == 2
    assert lower_bound(2**(-L)) is None and lower_bound(2**(L - 2)) is None
    assert lower_bound(H - 2**L) is None


def _outcome(fn):
    try:
        return fn()
    except Infeasible:
        return "infeasible"


@given(sizes, st.integers(-5, 12))
def test_require_at_least_gives_what_the_general_decision_gives(e, bound):
    fast = _outcome(lambda: require_at_least(e, bound))
    general = _outcome(lambda: arith._nonnegative(sympy.expand(e - bound)))
    assert fast == general


monomials = st.sampled_from([sympy.S.One, H, W, H * W, H**2, n * H])
fractions = st.lists(st.tuples(st.integers(-9, 9), st.integers(1, 12), monomials),
                     min_size=1, max_size=4)


@given(fractions)
def test_numerator_and_denominator_are_those_of_together(parts):
    arg = sympy.Add(*(Rational(p, q) * m for p, q, m in parts))
    y, a = _as_fraction(arg)
    y_general, a_general = sympy.fraction(sympy.together(arg))
    assert (sympy.expand(y), a) == (sympy.expand(y_general), a_general)  # as floor_div uses them


# ----------------------------------------------------------------------------- the users


@given(sizes, small, st.integers(1, 9))
def test_floor_and_ceiling_division_are_unchanged(e, c, d):
    num = sympy.expand(e + c)
    if not integer_valued(num) and num.is_integer is not True:
        return
    fast = floor_div(num, d)
    assert fast == slow.floor_div(num, d)
    assert ceil_div(num, d) == slow.ceil_div(num, d)
    assert values(fast) == [sympy.Integer(int(v) // d) for v in values(num)]


paddings = st.one_of(st.sampled_from(["valid", "same"]), st.integers(0, 3),
                     st.tuples(st.integers(0, 3), st.integers(0, 3)))


@given(sizes, st.integers(1, 7), st.integers(1, 4), paddings, st.integers(1, 3),
       st.booleans())
def test_window_formulas_are_unchanged(size, k, s, padding, dil, ceil_mode):
    if not integer_valued(sympy.expand(size)):
        return
    ceil_mode = ceil_mode and padding != "same"
    assert formulas.window_output_size(size, k, s, padding, dil, ceil_mode) == \
        slow.window_output_size(size, k, s, padding, dil, ceil_mode)
    assert formulas.window_requirement(size, k, padding, dil) == \
        slow.window_requirement(size, k, padding, dil)
    assert formulas.effective_kernel(k, dil) == slow.effective_kernel(k, dil)


@pytest.mark.parametrize("size", [H, ceiling(H / 2), ceil_div(H, 4) + 3, 17])
def test_window_output_sizes_match_brute_force(size):
    for k, s, p, d in itertools.product((1, 2, 3, 7), (1, 2, 3), (0, 1, 3), (1, 2)):
        out = formulas.window_output_size(size, k, s, p, d)
        for point in GRID:
            i = int(sympy.sympify(size).xreplace(point))
            span = i + 2 * p - d * (k - 1) - 1
            if span >= 0:
                assert int(out.xreplace(point)) == span // s + 1


@given(st.lists(st.one_of(sizes, st.integers(1, 64)), min_size=1, max_size=5),
       st.integers(1, 4))
def test_products_are_unchanged(factors, divisor):
    assert expanded_product(factors, divisor) == \
        slow.expanded_product(factors, divisor)


@given(st.sampled_from(SYMBOLS), st.sampled_from([None, floor, ceiling]), st.integers(2, 12),
       st.integers(-30, 30), st.integers(2, 12))
def test_one_rounded_symbol_plus_a_constant_divides_as_before(s, kind, a, c, d):
    num = (s if kind is None else kind(s / a)) + c
    assert floor_div(num, d) == slow.floor_div(num, d)
    assert ceil_div(num, d) == slow.ceil_div(num, d)
    assert affine_floor(num, d) is not None  # the direct path is the one tested


@given(st.sampled_from(SYMBOLS), st.sampled_from([None, floor, ceiling]), st.integers(2, 9),
       st.integers(-6, 6), st.integers(1, 7), st.integers(1, 4), st.integers(0, 3),
       st.integers(1, 2))
def test_windows_on_one_rounded_symbol_are_unchanged(s, kind, a, c, k, stride, p, dil):
    size = (s if kind is None else kind(s / a)) + c
    fast = formulas.window_output_size(size, k, stride, p, dil)
    assert fast == slow.window_output_size(size, k, stride, p, dil)
    assert formulas.window_requirement(size, k, p, dil) == \
        slow.window_requirement(size, k, p, dil)


@settings(max_examples=100)
@given(ints=st.lists(st.integers(-10**30, 10**30), max_size=12),
       symbolic=st.lists(st.integers(-5, 5), max_size=3))
def test_a_total_equals_sympys_expanded_sum_and_adds_integers_as_ints(ints, symbolic):
    values = [sympy.Integer(v) for v in ints] + [c * H * (H + 1) for c in symbolic]
    got = structural.total(values)
    assert got == sympy.expand(sympy.Add(*values))
    if not symbolic:
        assert got.is_Integer and int(got) == sum(ints)


# ------------------------------------------------------------ value ranges (upper bounds)

#: Far points as well as the grid's: an upper end must hold for every value of a symbol.
FAR = [dict(zip(SYMBOLS, v)) for v in itertools.product((1, 2, 7, 10**6), repeat=3)]

capped = st.recursive(
    st.one_of(atoms, st.integers(-20, 20).map(sympy.Integer)),
    lambda children: st.one_of(
        st.builds(lambda x, y: sympy.Min(x, y), children, children),
        st.builds(lambda x, y: sympy.Max(x, y), children, children),
        st.builds(lambda x, k, c: k * x + c, children, st.integers(-3, 3), small),
        st.builds(lambda x, y: x + y, children, children),
        st.builds(lambda x, y: x * y, children, children),
        st.builds(lambda x, d, up: (ceiling if up else floor)(x / d), children,
                  st.integers(1, 5), st.booleans()),
        st.builds(lambda x, d: sympy.Mod(x, d), children, st.integers(1, 5)),
        st.builds(lambda x, d, k: sympy.Mod(x / k, d), children, st.integers(1, 5),
                  st.integers(2, 4)),  # a rational dividend
        st.builds(lambda x: x**2, children),
    ), max_leaves=6)


@settings(max_examples=300)
@given(capped)
def test_a_structural_value_range_holds_at_every_point(e):
    lo, hi = structural.value_range(e)
    top = structural.upper_bound(e)
    assert (top is None) == (hi is None)
    for point in GRID + FAR:
        v = e.xreplace({s: sympy.Integer(x) for s, x in point.items()})
        assert lo is None or v >= lo, (e, point, v, lo)
        assert hi is None or v <= hi, (e, point, v, hi)
        assert top is None or v <= top


@pytest.mark.parametrize("expr, lo, hi", [
    (sympy.Min(n, 2) - 2, -1, 0),          # the size of the brief: never positive
    (3 - sympy.Max(n, 3), None, 0),
    (floor(sympy.Min(n, 3) / 4), 0, 0),
    (ceiling(sympy.Min(H, 8) / 4) + 1, 2, 3),
    (sympy.Min(n, 2) * sympy.Min(W, 5), 1, 10),
    (sympy.Mod(H, 7) - 7, -7, -1),
    (H - 2, -1, None),
    (2**n, None, None),                     # an exponent: not read
])
def test_value_ranges_of_capped_sizes_are_their_extreme_values(expr, lo, hi):
    got = structural.value_range(expr)
    assert got == (lo, hi)
    values = [expr.xreplace({s: sympy.Integer(v) for s, v in p.items()}) for p in GRID + FAR]
    assert lo is None or min(values) == lo  # tight here: the ends are reached
    assert hi is None or max(values) == hi


def test_a_remainder_of_a_fraction_may_come_closer_to_its_divisor_than_1():
    expr = sympy.Mod(H / 2, 3)                # 5/2 at H = 5: below 3, not at most 2
    assert structural.value_range(expr) == (0, 3) and structural.upper_bound(expr) == 3
    assert max(expr.subs(H, h) for h in range(1, 30)) == Rational(5, 2)


def test_a_condition_no_value_meets_is_refused_where_it_arises():
    """``Min(2, n) >= 3`` (a 3x3 convolution on a size of at most 2) was recorded as a
    constraint, and the model built."""
    import symcnn as sc
    n = symbols("n")
    with pytest.raises(sc.ShapeError, match=r"Conv2D layer 'conv2d' \(#0\) on input shape "
                                            r"\(Min\(2, n\), 8, 3\): kernel_size is larger"):
        sc.Sequential([sc.Input((sympy.Min(n, 2), 8, 3)), sc.Conv2D(4, 3)])
    ok = sc.Sequential([sc.Input((sympy.Min(n, 3), 8, 3)), sc.Conv2D(4, 3)])
    assert ok.constraints == [sympy.Min(3, n) >= 3]
    assert ok.subs(n=3).output_shape == (1, 6, 4)
