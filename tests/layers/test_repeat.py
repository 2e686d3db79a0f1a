"""Repeat: a shape-keeping block applied a symbolic number of times."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import symcnn as sc


def residual_block(channels=16, filters=None):
    x = sc.Input(("H", "W", channels))
    y = sc.Conv2D(filters or channels, 3, padding="same", use_bias=False)(x)
    y = sc.BatchNormalization()(y)
    return sc.Model(x, sc.Add()([x, y]) if filters in (None, channels) else y, name="block")


def chain(times: int, channels=16):
    """The same network with the block's layers written out ``times`` times."""
    x = inputs = sc.Input(("H", "W", channels))
    for _ in range(times):
        y = sc.Conv2D(channels, 3, padding="same", use_bias=False)(x)
        x = sc.Add()([x, sc.BatchNormalization()(y)])
    return sc.Model(inputs, x)


@given(times=st.integers(1, 6))
def test_repeating_counts_like_the_block_written_out(times):
    n = sc.symbols("n")
    repeated = sc.Sequential([sc.Input(("H", "W", 16)), sc.Repeat(residual_block(), n)])
    written = chain(times)
    assert repeated.subs(n=times).trainable_params == written.trainable_params
    assert repeated.subs(n=times).non_trainable_params == written.non_trainable_params
    assert repeated.trainable_params.subs(n, times) == written.trainable_params
    assert repeated.output_shape == written.output_shape


def test_zero_repetitions_are_the_identity():
    model = sc.Sequential([sc.Input(("H", "W", 16)), sc.Repeat(residual_block(), 0)])
    assert model.params == chain(0).params == 0
    assert model.output_shape == model.input_shape


def test_a_block_that_changes_the_channels_is_repeated_as_written_out():
    repeated = sc.Sequential([sc.Input(("H", "W", 16)), sc.Repeat(residual_block(16, 32), 2)])
    x = inputs = sc.Input(("H", "W", 16))
    for _ in range(2):
        x = sc.BatchNormalization()(sc.Conv2D(32, 3, padding="same", use_bias=False)(x))
    written = sc.Model(inputs, x)
    assert repeated.params == written.params and repeated.output_shape == written.output_shape


def test_times_must_be_a_non_negative_integer_and_block_a_model():
    with pytest.raises(sc.LayerArgumentError, match=r"Received: times=-1"):
        sc.Repeat(residual_block(), -1)
    with pytest.raises(sc.LayerArgumentError, match=r"`block` must be a layer with one input"):
        sc.Repeat(sc.Add(), 2)


def test_the_block_is_checked_on_the_input_it_receives():
    block = residual_block(16)
    model = sc.Sequential([sc.Input((9, 7, 16)), sc.Repeat(block, "n")])
    assert model.output_shape == (9, 7, 16)
    with pytest.raises(sc.ShapeError):
        sc.Sequential([sc.Input((9, 7, 8)), sc.Repeat(block, 2)])
