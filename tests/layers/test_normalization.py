"""Specification of the normalization layers: Keras' counting (moving statistics are
non-trainable) and the derivations that show it."""

from __future__ import annotations

import symcnn as sc
from symcnn.zoo import textbook
from symcnn import formulas

H, W, n = sc.symbols("H W n")


def _record(input_shape, layer):
    return sc.Sequential([sc.Input(input_shape), layer]).layers[0]


def _only(model):
    (record,) = model.layers
    return record.derivation


def test_batch_norm_parameters_follow_keras_counting():
    assert formulas.batch_norm_params(64) == (128, 128)
    assert formulas.batch_norm_params(64, center=False) == (64, 128)


def test_batch_norm_counts_four_per_channel_of_which_two_non_trainable():
    d = textbook.cifar().get_layer("batch_normalization").derivation
    assert str(d.params.formula) == "4*C" and d.params.value == 256
    assert str(d["non_trainable"].working) == "2*64" and d["non_trainable"].value == 128


def test_frozen_layer_derives_its_non_trainable_count():
    record = _record((8, 8, 3), sc.Conv2D(4, 3, trainable=False))
    d = record.derivation
    assert d["non_trainable"].value == record.non_trainable_params == d.params.value == 112
