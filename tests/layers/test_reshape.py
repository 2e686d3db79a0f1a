"""Specification of the reshaping layers (Flatten, Reshape, Permute, padding, cropping,
upsampling)."""

from __future__ import annotations

from hypothesis import given, strategies as st

import symcnn as sc
from symcnn.zoo import textbook

H, W, n = sc.symbols("H W n")


def _only(model):
    (record,) = model.layers
    return record.derivation


def test_flatten_multiplies_the_input_sizes():
    d = textbook.free_width().layers[-2].derivation
    assert str(d["N_out"].working) == "2*1*80" and d["N_out"].value == 160


@given(i=st.integers(1, 40), left=st.integers(0, 4), right=st.integers(0, 4))
def test_zero_padding_and_cropping_move_every_position_by_the_amount_before(i, left, right):
    pad = sc.ZeroPadding1D((left, right))
    assert sc.Sequential([sc.Input((i, 2)), pad]).output_shape == (i + left + right, 2)
    (window, _) = pad.window_for((i, 2))
    assert all(window.bounds(o, i) == (o - left, o - left) for o in range(i + left + right))
    if left + right < i:
        crop = sc.Cropping1D((left, right))
        assert sc.Sequential([sc.Input((i, 2)), crop]).output_shape == (i - left - right, 2)
        (window, _) = crop.window_for((i, 2))
        assert all(window.bounds(o, i) == (o + left, o + left) for o in range(i - left - right))


@given(i=st.integers(1, 30), f=st.integers(1, 5))
def test_upsampling_repeats_each_position_size_times(i, f):
    up = sc.UpSampling1D(f)
    assert sc.Sequential([sc.Input((i, 3)), up]).output_shape == (i * f, 3)
    (window, _) = up.window_for((i, 3))
    source = [o for o in range(i) for _ in range(f)]  # the input position each output repeats
    assert all(window.bounds(o, i) == (source[o], source[o]) for o in range(i * f))


def test_reshape_and_permute_are_not_windows():
    assert sc.Reshape((-1,)).window_for((4, 4, 2)) is None
    assert sc.Permute((2, 1, 3)).window_for((4, 4, 2)) is None
