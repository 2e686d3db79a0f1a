"""Specification of the core layers (Dense, element-wise layers): parameter formulas and
derivations."""

from __future__ import annotations

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
