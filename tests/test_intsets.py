"""Integer sets: algebra and printing agree with Python sets on a window of integers."""

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symcnn.intsets import IntegerSet

WINDOW = range(0, 150)


@st.composite
def integer_sets(draw):
    modulus = draw(st.integers(1, 6))
    runs = {}
    for r in range(modulus):
        for _ in range(draw(st.integers(0, 3))):
            a = draw(st.integers(0, 20))
            b = draw(st.one_of(st.none(), st.integers(a - 1, a + 10)))
            runs.setdefault(r, []).append((a, b))
    return IntegerSet(modulus, runs)


def members(s):
    return {v for v in WINDOW if v in s}


def naive_members(s):
    out = set()
    for r, rs in s.runs.items():
        for a, b in rs:
            y = a
            while (b is None or y <= b) and s.modulus * y + r < WINDOW.stop:
                out.add(s.modulus * y + r)
                y += 1
    return out


@given(integer_sets(), integer_sets())
def test_intersection_union_and_difference_match_python_sets(a, b):
    assert members(a.intersection(b)) == members(a) & members(b)
    assert members(a.union(b)) == members(a) | members(b)
    assert members(a.difference(b)) == members(a) - members(b)
    assert members(a.complement()) == set(WINDOW) - members(a)


@given(integer_sets())
def test_membership_matches_the_runs_it_was_built_from(s):
    assert members(s) == naive_members(s)


@given(integer_sets(), st.integers(1, 4))
def test_lifting_to_a_multiple_modulus_keeps_the_set(s, k):
    assert members(s.lifted(s.modulus * k)) == members(s)


@settings(max_examples=60)
@given(integer_sets())
def test_the_printed_sympy_set_has_exactly_the_members(s):
    printed = s.to_sympy()
    assert {v for v in WINDOW if printed.contains(v) == sympy.true} == members(s)


@given(integer_sets())
def test_min_max_and_count_agree_with_the_members(s):
    if s.is_empty:
        assert s.min() is None and s.max() is None
        return
    assert s.min() == min(members(s) | {10**9}) or s.min() >= WINDOW.stop
    if s.is_bounded:
        assert s.max() == max(s) and s.count() == len(list(s))
    else:
        assert s.max() is None and s.count() is None


def test_equality_is_set_equality_whatever_the_modulus():
    assert IntegerSet(2, {0: [(0, None)], 1: [(0, None)]}) == IntegerSet.interval(0)
    assert IntegerSet(3, {1: [(0, 2)]}) != IntegerSet.interval(1, 7)
