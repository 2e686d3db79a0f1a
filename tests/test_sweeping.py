"""Sweeps equal exact per-point substitution, on every path (int64, Python ints, no NumPy)."""

from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc
import symcnn.sweeping as sweeping
from tests.support.expressions import quasi_polynomials, value

n, H, W = sc.symbols("n H W")
#: An integer of either sign: the arithmetic of every path over negative values and 0, which a
#: size symbol such as ``n`` does not take (a sweep refuses them for it).
z = sympy.Symbol("z", integer=True)


def exact(expr, **point):
    v = expr.xreplace({sc.symbols(k): sympy.Integer(p) for k, p in point.items()})
    return int(v) if v.is_Integer else Fraction(int(v.p), int(v.q))


grids = st.lists(st.integers(1, 60), min_size=1, max_size=12)


@settings(max_examples=150)
@given(expr=quasi_polynomials(n), ns=grids)
def test_sweep_equals_per_point_substitution(expr, ns):
    got = sc.sweep(expr, n=ns)
    assert [got[i] for i in range(len(ns))] == [value(expr, n, v) for v in ns]


@settings(max_examples=30)
@given(a=quasi_polynomials(n, depth=2), b=quasi_polynomials(H, depth=2), ns=grids, hs=grids,
       den=st.integers(1, 5))
def test_two_symbol_grids_are_laid_out_in_keyword_order(a, b, ns, hs, den):
    expr = a * b + sympy.Max(a, b) / den
    got = sc.sweep(expr, n=ns, H=hs)
    assert got.shape == (len(ns), len(hs))
    for i, vn in enumerate(ns):
        for j, vh in enumerate(hs):
            assert got[i, j] == exact(expr, n=vn, H=vh)


@settings(max_examples=40)
@given(expr=quasi_polynomials(n, depth=2), scale=st.integers(2**40, 2**70), ns=grids)
def test_counts_beyond_int64_stay_exact(expr, scale, ns):
    big = scale * expr**2 + 2**64 * n
    got = sc.sweep(big, n=ns)
    assert [int(v) for v in got] == [exact(big, n=v) for v in ns]


def test_int64_is_used_only_when_no_value_can_overflow():
    assert sc.sweep(n**3, n=[2**20]).dtype == np.int64  # 2**60 fits
    assert int(sc.sweep(n**3, n=[2**20])[0]) == 2**60
    big = sc.sweep(n**4, n=[2**20, 10**5])             # 2**80: Python ints
    assert big.dtype == object and list(big) == [2**80, 10**20]


def test_values_beyond_two_to_the_53_are_not_rounded():
    expr = 160 * n + 48320
    v = 2**53 + 1
    assert int(sc.sweep(expr, n=[v])[0]) == 160 * v + 48320 != int(float(160 * v + 48320))


def test_non_integer_values_come_back_as_fractions():
    got = sc.sweep(n / 3 + sympy.Rational(1, 2), n=[1, 3])
    assert list(got) == [Fraction(5, 6), Fraction(3, 2)]


def test_a_scalar_fixes_a_symbol_without_adding_an_axis():
    got = sc.sweep(n * sympy.ceiling(H / 32), n=range(1, 4), H=224)
    assert got.tolist() == [7, 14, 21]


def test_a_constant_expression_fills_the_grid():
    assert sc.sweep(sympy.Integer(5) + 0 * n, n=range(3)).tolist() == [5, 5, 5]


def test_numpy_arrays_and_ranges_are_accepted_as_axes():
    assert sc.sweep(2 * n, n=np.arange(1, 4)).tolist() == sc.sweep(2 * n, n=range(1, 4)).tolist()


def test_without_numpy_plain_nested_lists_are_returned(monkeypatch):
    monkeypatch.setattr(sweeping, "_numpy", lambda: None)
    expr = n * sympy.floor(H / 8 + sympy.Rational(1, 8)) + 2**70
    got = sc.sweep(expr, n=[1, 2], H=[31, 39, 40])
    assert got == [[exact(expr, n=a, H=b) for b in (31, 39, 40)] for a in (1, 2)]


def test_functions_outside_integer_code_fall_back_to_exact_substitution():
    expr = sympy.factorial(n) + n
    assert sc.sweep(expr, n=[3, 25]).tolist() == [9, sympy.factorial(25) + 25]


# ----------------------------------------------------------------------------- models


def test_a_model_sweep_gives_each_named_quantity():
    model = sc.zoo.textbook.free_width()
    s = sc.sweep(model, "params", "macs", n=range(322, 325))
    assert set(s) == {"params", "macs"} and s.axes == {"n": range(322, 325)}
    for i, v in enumerate(range(322, 325)):
        numeric = model.subs(n=v)
        assert s["params"][i] == numeric.params and s.macs[i] == numeric.macs


def test_points_that_break_the_model_are_masked_not_computed():
    model = sc.zoo.textbook.free_width(input_shape=("H", 31, 1))
    s = sc.sweep(model, H=[20, 31, 47], n=4)
    assert s.valid.tolist() == [False, True, True]
    assert s["params"].tolist() == [None, model.subs(H=31, n=4).params,
                                    model.subs(H=47, n=4).params]


def test_values_that_subs_refuses_are_masked_as_subs_refuses_them():
    model = sc.zoo.textbook.free_width(input_shape=("H", 31, 1))
    s = sc.sweep(model, "params", H=[31, 47], n=[0, -2, 3])
    for i, h in enumerate((31, 47)):
        for j, width in enumerate((0, -2, 3)):
            try:
                expected = model.subs(H=h, n=width).params
            except sc.SymcnnError:
                expected = None
            assert s.valid[i, j] == (expected is not None)
            assert s["params"].tolist()[i][j] == expected


@pytest.mark.parametrize("widths", [range(-3, 4), range(3, -4, -2), range(5, 0, -1),
                                    np.arange(-2, 3), (0, 2, -1)])
def test_a_size_symbol_below_1_is_masked_along_any_axis(widths):
    s = sc.sweep(sc.zoo.textbook.free_width(), n=widths)
    assert s.valid.tolist() == [int(v) >= 1 for v in widths]


def test_a_model_sweep_always_has_a_valid_mask():
    s = sc.sweep(sc.zoo.textbook.free_width(), n=[1, 2])
    assert s.valid.tolist() == [True, True] and s["params"].tolist() == [48480, 48640]


def test_a_sweep_needs_values_for_every_symbol():
    with pytest.raises(sc.SolveError, match=r"give values for n"):
        sc.sweep(n * H, H=[1, 2])


@pytest.mark.parametrize("call, pattern", [
    (lambda: sc.sweep(sc.zoo.textbook.free_width(), N=[1]), r"no symbol named 'N'"),
    (lambda: sc.sweep(n, n=[1.5]), r"Received: n=\[1.5\]"),
    (lambda: sc.sweep(n, n=[]), r"`n` is empty"),
    (lambda: sc.sweep(n, n="1:3"), r"must be an integer or an iterable"),
    (lambda: sc.sweep(sc.zoo.textbook.free_width(), "parms", n=[1]), r"'parms' is not a scalar"),
    (lambda: sc.sweep(n, "params", n=[1]), r"quantity names apply to a model"),
])
def test_bad_sweeps_say_what_is_wrong(call, pattern):
    with pytest.raises(sc.SolveError, match=pattern):
        call()


def test_terms_scaled_to_a_common_denominator_cannot_overflow_int64():
    expr = sympy.Max(2**61 * n, n / 3) + sympy.Rational(1, 3)
    got = sc.sweep(expr, n=[1, 2, 3])
    assert list(got) == [exact(expr, n=v) for v in (1, 2, 3)]


@settings(max_examples=100)
@given(a=st.integers(-10**6, 10**6), b=st.integers(-10**9, 10**9),
       start=st.integers(-500, 500), length=st.integers(1, 300), step=st.integers(-7, 7))
def test_an_affine_closed_form_over_a_range_is_written_as_a_range(a, b, start, length, step):
    """``a*n + b`` over ``range`` takes one ``arange``: the same exact values, a fresh
    writable int64 array, for any sign of the coefficient and of the step."""
    step = step or 1
    axis = range(start, start + length * step, step)
    got = sc.sweep(a * z + b, z=axis)
    assert got.tolist() == [a * v + b for v in axis]
    assert got.dtype == np.int64 and got.flags.writeable


def test_the_polynomial_range_path_runs_no_generated_code(monkeypatch):
    def no_code(*args, **kwargs):
        raise AssertionError("generated code was run for a polynomial closed form")

    monkeypatch.setattr(sweeping, "build", no_code)
    assert sc.sweep(160 * n + 48320, n=range(322, 325)).tolist() == [99840, 100000, 100160]
    assert sc.sweep(3 * n**2 - n, n=range(1, 4)).tolist() == [2, 10, 24]
    with pytest.raises(AssertionError, match="generated code"):
        sc.sweep(sympy.ceiling(n / 2), n=range(1, 4))
    with pytest.raises(AssertionError, match="generated code"):
        sc.sweep(n**2 / 2, n=range(1, 4))  # a rational coefficient: the general path


@settings(max_examples=100)
@given(coeffs=st.lists(st.integers(-10**4, 10**4), min_size=2, max_size=5),
       start=st.integers(-300, 300), length=st.integers(1, 200), step=st.integers(-5, 5))
def test_an_integer_polynomial_over_a_range_is_exact(coeffs, start, length, step):
    """Horner's scheme from one ``arange``, multiplied and added in place: the exact values,
    a fresh writable int64 array, for any signs, degree and step."""
    step = step or 1
    axis = range(start, start + length * step, step)
    expr = sum(c * z**k for k, c in enumerate(coeffs))
    got = sc.sweep(expr, z=axis)
    assert got.tolist() == [int(expr.subs(z, v)) for v in axis]
    assert got.flags.writeable and (got.dtype == np.int64 or got.dtype == object)


@settings(max_examples=150)
@given(c=st.tuples(st.integers(-10**9, 10**9), st.integers(-10**9, 10**9),
                   st.integers(-10**9, 10**9).filter(bool)),
       start=st.integers(-10**5, 10**5), length=st.integers(1, 300), step=st.integers(-900, 900))
def test_a_quadratic_over_a_range_is_the_running_sum_of_its_differences(c, start, length, step):
    """A quadratic is summed from its affine differences (one ``arange``, one ``cumsum``):
    exact for any signs and steps, also where the values come near the int64 limit (then
    the differences or the values may not fit, and the general path is taken)."""
    step = step or 1
    axis = range(start, start + length * step, step)
    expr = c[0] + c[1] * z + c[2] * z**2
    got = sc.sweep(expr, z=axis)
    assert got.tolist() == [c[0] + c[1] * v + c[2] * v * v for v in axis]
    assert got.flags.writeable


def test_a_quadratic_needs_no_grid_of_its_symbol(monkeypatch):
    """The differences need no array of the range's values (the other paths read one)."""
    monkeypatch.setattr(sweeping, "_array", None)
    assert sc.sweep(3 * n**2 - n + 7, n=range(10, 0, -3)).tolist() == [297, 147, 51, 9]


@settings(max_examples=100)
@given(terms=st.lists(st.tuples(st.integers(-10**6, 10**6), st.integers(0, 3),
                                st.sampled_from([1, 2, 4, 7])), min_size=1, max_size=5),
       h=st.integers(1, 500), start=st.integers(-300, 300), length=st.integers(1, 200),
       step=st.integers(-5, 5))
def test_a_polynomial_whose_coefficients_hold_fixed_symbols_is_exact(terms, h, start, length,
                                                                     step):
    """Coefficients such as ``ceiling(H/4)`` are read at the fixed ``H`` (no substitution):
    the values are those of the substituted closed form, for any degree, sign and step."""
    step = step or 1
    axis = range(start, start + length * step, step)
    expr = sum(c * sympy.ceiling(H / d) * z**k for c, k, d in terms)
    fixed = expr.xreplace({H: sympy.Integer(h)})  # a SymPy value even when expr is H
    got = sc.sweep(expr, z=axis, H=h)
    assert got.tolist() == [int(fixed.xreplace({z: v})) for v in axis]


def test_a_model_swept_by_width_at_a_fixed_size_needs_no_substitution(monkeypatch):
    """ResNet-18's MACs by width at 224x224: the coefficients are read off the closed form at
    H = W = 224, with neither SymPy's substitution nor generated code."""
    w = sc.symbols("w")
    model = sc.zoo.resnet18(("H", "W", 3), width=w)
    expected = model.macs.subs({s: 224 for s in model.free_symbols if s.name in ("H", "W")})
    monkeypatch.setattr(sweeping, "compiled", None)
    monkeypatch.setattr(sympy.Basic, "xreplace", None)
    got = sc.sweep(model, "macs", w=range(1, 65, 9), H=224, W=224)["macs"]
    assert got.tolist() == [int(expected.subs(w, v)) for v in range(1, 65, 9)]


def test_a_range_whose_end_lies_beyond_int64_takes_the_general_path():
    """``2**62 * n`` at ``n = 1`` fits int64, but ``arange``'s stop (``n = 2``) does not."""
    got = sc.sweep(2**62 * n + 5, n=range(1, 2))
    assert got.tolist() == [2**62 + 5] and got.dtype == np.int64


# --- values outside a symbol's domain, and points where an expression is undefined ----------


@pytest.mark.parametrize("axis, bad", [
    (range(-2, 3), -2), (range(3, -1, -1), 0), (np.arange(0, 3), 0), ((2, 0, 1), 0),
    ([5, -7], -7), (0, 0), (range(-5, -1), -5),
])
def test_a_size_symbol_swept_below_1_is_refused_naming_it_and_the_value(axis, bad):
    """``n`` (from ``sc.symbols``) is a positive integer: an expression in it has no
    meaning at 0 or below, as ``model.subs(n=0)`` refuses it (was: evaluated there silently)."""
    with pytest.raises(sc.SolveError) as err:
        sc.sweep(n**2 + 1, n=axis)
    message = str(err.value)
    assert message.startswith("sweep: n is a positive integer (as sc.symbols makes)")
    assert f"and {bad} is not one of them" in message
    assert message.endswith(f"Received: n={axis!r}")


@settings(max_examples=100)
@given(values=st.lists(st.integers(-5, 40), min_size=1, max_size=20),
       kind=st.sampled_from(["list", "tuple", "array"]))
def test_a_sweep_is_refused_exactly_when_a_value_lies_below_1(values, kind):
    axis = {"list": list, "tuple": tuple, "array": np.array}[kind](values)
    if all(v >= 1 for v in values):
        assert sc.sweep(3 * n + 1, n=axis).tolist() == [3 * v + 1 for v in values]
    else:  # the first value below 1 is named
        first = next(v for v in values if v < 1)
        with pytest.raises(sc.SolveError, match=rf"and {first} is not one of them"):
            sc.sweep(3 * n + 1, n=axis)


@settings(max_examples=100)
@given(start=st.integers(-20, 20), stop=st.integers(-20, 20), step=st.integers(-4, 4)
       .filter(bool))
def test_a_range_is_checked_by_its_ends_as_its_values_are(start, stop, step):
    axis = range(start, stop, step)
    if len(axis) == 0:
        return
    bad = [v for v in axis if v < 1]
    if not bad:
        assert sc.sweep(n + 2, n=axis).tolist() == [v + 2 for v in axis]
    else:
        with pytest.raises(sc.SolveError) as err:
            sc.sweep(n + 2, n=axis)
        assert f"and {min(bad)} is not one of them" in str(err.value)


def test_the_domain_follows_the_symbols_assumptions():
    k = sympy.Symbol("k", integer=True, nonnegative=True)
    assert sc.sweep(k + 1, k=range(0, 3)).tolist() == [1, 2, 3]
    with pytest.raises(sc.SolveError, match=r"its values are at least 0, and -1 is not"):
        sc.sweep(k + 1, k=[0, -1])
    e = sympy.Symbol("e", integer=True, positive=True, even=True)
    assert sc.sweep(e**2, e=range(2, 9, 2)).tolist() == [4, 16, 36, 64]
    with pytest.raises(sc.SolveError, match=r"at least 1, even, and 3 is not"):
        sc.sweep(e**2, e=range(2, 9))   # 2, 3, ...: the second value is odd
    with pytest.raises(sc.SolveError, match=r"at least 1, even, and 3 is not"):
        sc.sweep(e**2, e=np.array([2, 4, 3]))
    neg = sympy.Symbol("m", integer=True, negative=True)
    assert sc.sweep(neg**2, m=[-2, -1]).tolist() == [4, 1]
    with pytest.raises(sc.SolveError, match=r"at most -1, and 0 is not"):
        sc.sweep(neg**2, m=[-1, 0])
    # a dict of expressions is checked the same way; a name absent from them is not a symbol
    with pytest.raises(sc.SolveError, match=r"sweep: n is a positive integer"):
        sc.sweep({"a": n + 1, "b": 2 * n}, n=[0, 1])
    assert sc.sweep(z + 1, z=[-1], q=0).tolist() == [0]


def test_a_model_masks_values_below_1_rather_than_refusing_them():
    """The documented behaviour of a model's sweep: ``valid`` is False there."""
    s = sc.sweep(sc.zoo.textbook.free_width(), n=range(-1, 3))
    assert s.valid.tolist() == [False, False, True, True]


@pytest.mark.parametrize("expr, why", [
    (1 / (n - 3), "its value there is zoo, complex infinity"),
    (sympy.floor(10 / (n - 3)), "its value there is zoo"),
    ((n - 3)**-2 + n**10, "its value there is zoo"),
    (sympy.Mod(10, n - 3), "it takes a remainder modulo 0 there"),
])
def test_a_point_where_the_expression_is_undefined_is_named(expr, why):
    """Was SymPy's ``zoo`` in the array (or a bare ZeroDivisionError for ``Mod``)."""
    with pytest.raises(sc.SolveError) as err:
        sc.sweep(expr, n=range(1, 6))
    message = str(err.value)
    assert message.startswith(f"sweep: {expr} is undefined at n=3 ({why}")
    assert message.endswith("Received: n=3")
    with pytest.raises(sc.SolveError, match=r"is undefined at n=3, H=2 "):
        sc.sweep(expr * H, n=[2, 3], H=[2])


def test_an_expression_is_swept_where_it_is_defined():
    expr = H / (n - 3) + sympy.floor(10 / (n - 3))
    ns, hs = [1, 2, 4, 5, 9], [1, 7]
    got = sc.sweep(expr, n=ns, H=hs)
    for i, v in enumerate(ns):
        for j, h in enumerate(hs):
            assert got[i, j] == Fraction(h, v - 3) + (10 // (v - 3))
