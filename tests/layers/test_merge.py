"""Specification of the merge layers (Add, Concatenate, ...): shape checks, recorded
equalities, and the derivation of a concatenation."""

from __future__ import annotations

import pytest
import sympy

import symcnn as sc

H, W, n = sc.symbols("H W n")


def test_add_of_shapes_that_may_differ_records_the_equality_as_a_constraint():
    x = sc.Input((H, 8))
    y = sc.Conv1D(8, 2, strides=2, padding="same")(x)
    z = sc.UpSampling1D(2)(y)
    m = sc.Model(x, sc.Add()([x, z]))
    assert m.constraints == [sympy.Eq(H, 2 * sympy.ceiling(H / 2))]


def test_add_of_shapes_that_never_match_is_an_error_naming_the_layer():
    x = sc.Input((8, 8, 4))
    y = sc.Conv2D(4, 3)(x)
    with pytest.raises(sc.ShapeError, match=r"Add layer on input shape .*axis 0 differs"):
        sc.Add()([x, y])


def test_concatenate_sums_the_axis_and_checks_the_others():
    x = sc.Input((H, W, 3))
    y = sc.Conv2D(5, 3, padding="same")(x)
    assert sc.Concatenate()([x, y]).shape == (H, W, 8)
    assert sc.Concatenate(axis=1)([x, x]).shape == (2 * H, W, 3)
    with pytest.raises(sc.ShapeError, match="axis 2 differs"):
        sc.Concatenate(axis=1)([x, y])


def test_concatenate_adds_the_sizes_along_its_axis():
    x = sc.Input((H, W, 64))
    m = sc.Model(x, sc.Concatenate()([x, sc.Conv2D(32, 1)(x)]))
    d = m.layers[-1].derivation
    assert str(d["C_out"].working) == "64 + 32" and d["C_out"].value == 96
