"""Sweeping a sum over the repetitions of a ``Repeat``: exact integers, as the per-point
builds give, never unevaluated ``Sum`` objects.

The MACs (and activation elements) of ``L`` strided ``same`` convolutions have no closed
form in ``L``: they are ``Sum(..., (t, 1, L))``. A sweep writes the sum out at each count and
evaluates it like any other closed form. Every value is checked against the model built with
the count as a number, layer by layer (``Repeat(block, 3)`` is written out repetition by
repetition), and against ``model.subs``.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import symcnn as sc
import symcnn.sweeping as sweeping

H, L, n = sc.symbols("H L n")


def _strided(h, count):
    return sc.Sequential([sc.Input((h, 8)),
                          sc.Repeat(sc.Conv1D(8, 3, strides=2, padding="same"), count)])


def _built(quantity, h, count):
    """The quantity of the model built with numbers (None where symcnn refuses it)."""
    try:
        return getattr(_strided(h, count), quantity)
    except sc.ShapeError:
        return None


@pytest.mark.parametrize("quantity", ["macs", "activation_elements"])
def test_a_model_sweep_over_a_repeat_count_equals_the_models_built_at_each_point(quantity):
    m = _strided(H, L)
    assert getattr(m, quantity).has(sympy.Sum)  # the case: no closed form in L
    hs, ls = [1, 2, 16, 17, 63, 64, 100], [1, 2, 3, 5]
    s = sc.sweep(m, quantity, H=hs, L=ls)
    got = s[quantity]
    assert got.dtype.kind == "i"  # exact integers, as other sweeps give
    for i, h in enumerate(hs):
        for j, count in enumerate(ls):
            expected = _built(quantity, h, count)
            assert expected == getattr(m.subs(H=h, L=count), quantity)
            assert bool(s.valid[i, j]) and int(got[i, j]) == expected


def test_a_sum_whose_count_is_fixed_is_written_out_and_compiled():
    m = _strided(H, L)
    hs = list(range(1, 200))
    for count in (1, 2, 3, 7):
        got = sc.sweep(m.macs, H=hs, L=count)
        assert got.dtype == np.int64
        assert got.tolist() == [_built("macs", h, count) for h in hs]


def test_a_swept_count_and_a_long_size_axis_are_evaluated_per_count_not_per_point():
    """More points than are evaluated one by one with SymPy (MAX_SLOW_POINTS): the sum is
    written out once per count, and each is compiled over the sizes."""
    m = _strided(H, L)
    hs = range(1, 1500)
    assert len(hs) * 3 > sweeping.MAX_SLOW_POINTS
    s = sc.sweep(m, "macs", H=hs, L=[1, 2, 3])
    for h in (1, 2, 3, 511, 512, 513, 1499):
        for j, count in enumerate((1, 2, 3)):
            assert int(s["macs"][h - 1, j]) == _built("macs", h, count)


def test_axes_keep_their_keyword_order_when_the_count_comes_first():
    m = _strided(H, L)
    s = sc.sweep(m, "macs", L=[1, 4], H=[5, 40, 41])
    assert s["macs"].tolist() == [[_built("macs", h, count) for h in (5, 40, 41)]
                                  for count in (1, 4)]


def test_a_sum_beside_an_exponent_and_another_symbol_equals_sympy_at_every_point():
    t = sympy.Symbol("t", integer=True, positive=True)
    expr = sympy.Sum(sympy.ceiling(H / 2**t) * t, (t, 1, L)) + n * 2**L
    got = sc.sweep(expr, H=[3, 30], L=[1, 2, 4], n=[1, 5])
    for i, h in enumerate((3, 30)):
        for j, count in enumerate((1, 2, 4)):
            for k, width in enumerate((1, 5)):
                exact = expr.xreplace({H: h, L: count, n: width}).doit()
                assert got[i, j, k] == exact and isinstance(exact, sympy.Integer)


def test_a_count_below_one_is_refused_naming_the_count():
    """A Repeat's count is a positive integer: the closed forms mean nothing at 0 (was:
    SymPy's value of the empty or reversed sum, returned without comment)."""
    t = sympy.Symbol("t")
    expr = sympy.Sum(t**2 + H, (t, 1, L))
    with pytest.raises(sc.SolveError, match=r"sweep: L is a positive integer .* and 0 is not "
                                            r"one of them.* Received: L=\[0, 1, 2\]"):
        sc.sweep(expr, H=[5], L=[0, 1, 2])


def test_counts_of_an_integer_symbol_below_one_take_sympys_value_of_the_sum():
    """A symbol declared integer only takes any integer, and a sum's value there is
    SymPy's (an empty sum is 0, a reversed one the negated sum between)."""
    t, k = sympy.Symbol("t"), sympy.Symbol("k", integer=True)
    expr = sympy.Sum(t**2 + H, (t, 1, k))
    counts = [-3, -1, 0, 1, 2]
    got = sc.sweep(expr, H=[5], k=counts)
    assert got.tolist() == [[expr.xreplace({H: 5, k: c}).doit() for c in counts]]


def test_values_beyond_int64_come_back_as_exact_python_ints():
    m = _strided(H, L)
    big = 2**70
    got = sc.sweep(m.macs, H=[big, big + 1], L=[1, 2])
    assert got.dtype == object
    for i, h in enumerate((big, big + 1)):
        for j, count in enumerate((1, 2)):
            assert type(got[i, j]) is int
            assert got[i, j] == m.macs.xreplace({H: h, L: count}).doit()


def test_without_numpy_the_sum_is_swept_into_nested_lists(monkeypatch):
    m = _strided(H, L)
    monkeypatch.setattr(sweeping, "_numpy", lambda: None)
    got = sc.sweep(m.macs, H=[16, 17], L=[1, 2])
    assert got == [[_built("macs", h, count) for count in (1, 2)] for h in (16, 17)]


def test_a_count_left_without_values_is_named():
    with pytest.raises(sc.SolveError, match=r"give values for L"):
        sc.sweep(_strided(H, L).macs, H=[16, 17])


def test_a_sum_longer_than_what_is_written_out_is_refused_with_its_length():
    too_many = sc.solving.MAX_SUM_TERMS + 1
    with pytest.raises(sc.SolveError, match=rf"has {too_many:,} terms, more than the "
                                            rf"{sc.solving.MAX_SUM_TERMS:,} written out.*"
                                            rf"L={too_many}"):
        sc.sweep(_strided(H, L).macs, H=[16], L=[2, too_many])


def test_too_many_counts_are_refused_before_any_work():
    with pytest.raises(sc.SolveError, match=r"once per value of L \(counts of a sum.s terms or "
                                            r"exponents\), which is limited"):
        sc.sweep(_strided(H, L).macs, H=[16], L=range(1, sweeping.MAX_SLOW_POINTS + 2))
