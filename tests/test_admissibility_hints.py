"""What ``sc.admissible`` suggests when another symbol shares a condition: a small value for
a repetition count (``L=3``), an image size (``H=224``, or ``W=H`` for square inputs) for a
size, and no square-input tie between a size and a count. Each suggestion is then followed
and its answer checked against the models built at each value.
"""

from __future__ import annotations

import pytest

import symcnn as sc

H, W, L = sc.symbols("H W L")


def _halvings(h, count):
    return sc.Sequential([sc.Input((h, 8)), sc.Repeat(sc.MaxPooling1D(2), count)])


def _shifts(h, count):
    return sc.Sequential([sc.Input((h, 8)), sc.Repeat(sc.Conv1D(8, 3), count)])


def _accepted(make, sizes, count):
    accepted = []
    for h in sizes:
        try:
            make(h, count)
        except sc.ShapeError:
            continue
        accepted.append(h)
    return accepted


@pytest.mark.parametrize("make", [_halvings, _shifts])
def test_a_repeat_count_beside_the_size_solved_for_is_suggested_small(make):
    with pytest.raises(sc.SolveError) as err:
        sc.admissible(make(H, L), H)
    message = str(err.value)
    assert "L=3" in message and "L=224" not in message and "L=H" not in message
    a = sc.admissible(make(H, L), H, L=3)  # the suggestion, followed
    assert [h for h in range(1, 60) if h in a] == _accepted(make, range(1, 60), 3)


@pytest.mark.parametrize("make", [_halvings, _shifts])
def test_a_size_beside_the_count_solved_for_is_suggested_as_a_size_without_a_tie(make):
    with pytest.raises(sc.SolveError) as err:
        sc.admissible(make(H, L), L)
    message = str(err.value)
    assert "H=224" in message and "H=L" not in message and "square" not in message


def test_following_the_size_suggestion_gives_the_counts_the_models_accept():
    a = sc.admissible(_shifts(H, L), L, H=224)
    counts = [c for c in range(1, 200) if _accepted(_shifts, [224], c)]
    assert [c for c in range(1, 200) if c in a] == counts


def test_two_sizes_still_suggest_square_inputs():
    x = sc.Input((H, W, 3))
    y = sc.Conv2D(8, 3)(x)
    m = sc.Model(x, sc.Add()([y, sc.Permute((2, 1, 3))(y)]))  # needs H - 2 == W - 2
    with pytest.raises(sc.SolveError, match=r"e\.g\. W=224, or W=H for square inputs"):
        sc.admissible(m, H)
    a = sc.admissible(m, H, W=H)
    square = []
    for h in range(1, 40):
        try:
            xi = sc.Input((h, h, 3))
            yi = sc.Conv2D(8, 3)(xi)
            sc.Model(xi, sc.Add()([yi, sc.Permute((2, 1, 3))(yi)]))
        except sc.ShapeError:
            continue
        square.append(h)
    assert [h for h in range(1, 40) if h in a] == square
