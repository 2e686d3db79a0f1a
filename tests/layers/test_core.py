"""Specification of the core layers (Dense, element-wise layers): parameter formulas and
derivations."""

from __future__ import annotations

import pytest

import symcnn as sc
from symcnn.zoo import textbook
from symcnn import formulas

H, W, n = sc.symbols("H W n")


def _only(model):
    (record,) = model.layers
    return record.derivation


def test_dense_parameters_follow_keras_counting():
    assert formulas.dense_params(512, 50) == 25650


def test_dense_with_free_width_gives_a_closed_form():
    d = textbook.free_width().layers[-1].derivation
    assert str(d.params.working) == "160*n" and d.params.value == 160 * n
    assert d["N_out"].value == n


@pytest.mark.parametrize("build, message", [
    (lambda: sc.BatchNormalization(momentum="x"), r"`momentum` must be a number\. Received: momentum='x'"),
    (lambda: sc.Dense(3, dtype=7), r"`dtype` must be a dtype name.*Received: dtype=7"),
    (lambda: sc.UpSampling2D(interpolation=5), r"`interpolation` must be a name"),
    (lambda: sc.Dropout(0.1, noise_shape="x"), r"`noise_shape` must be a tuple"),
    (lambda: sc.Dropout(0.1, seed=1.5), r"`seed` must be an int or None"),
    (lambda: sc.Softmax(axis="x"), r"`axis` must be an int or a list of ints"),
])
def test_arguments_that_change_no_count_are_still_checked(build, message):
    """They were kept whatever they were (Keras refuses them when it builds the layer)."""
    with pytest.raises(sc.LayerArgumentError, match=message):
        build()


def test_a_softmax_axis_the_input_lacks_is_an_error_and_the_batch_axis_is_allowed():
    with pytest.raises(sc.ShapeError, match=r"`axis` 99 is out of range for an input of rank 2"):
        sc.Sequential([sc.Input((4, 5)), sc.Softmax(axis=99)])
    assert sc.Sequential([sc.Input((4, 5)), sc.Softmax(axis=0)]).output_shape == (4, 5)
