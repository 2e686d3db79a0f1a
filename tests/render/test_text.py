"""Plain-text derivations and the summary's switchable ``working`` column."""

from __future__ import annotations

import pytest

import symcnn as sc
from symcnn.zoo import textbook


def test_working_column_is_off_by_default_and_switched_on_by_columns():
    model = textbook.cifar()
    assert "3*3*3*64 + 64" not in model.summary_text()
    table = model.summary_text(columns=["layer", "output_shape", "working"])
    assert "Param # (working)" in table
    row = "conv2d (Conv2D)" + " " * 36 + "(32, 32, 64)   3*3*3*64 + 64 = 1,792"
    assert row in table.splitlines()


def test_working_column_of_a_free_width_layer_is_the_closed_form():
    table = textbook.free_width().summary_text(columns=["layer", "working"])
    assert "dense (Dense)                   160*n" in table.splitlines()


def test_unknown_column_lists_working_among_the_choices():
    with pytest.raises(sc.SymcnnError, match="working"):
        textbook.cifar().summary_text(columns=["layer", "workings"])


def test_str_of_a_derivation_shows_formula_working_and_value_per_line():
    text = str(textbook.cifar().get_layer("conv2d").derivation)
    assert text.splitlines() == [
        "conv2d (Conv2D): input (32, 32, 3), output (32, 32, 64)",
        "  H_out = ceiling(H_in/S_h) = ceiling(32/1) = 32",
        "  W_out = ceiling(W_in/S_w) = ceiling(32/1) = 32",
        "  C_out = F = 64",
        "  params = C_in*K_h*K_w*F + F = 3*3*3*64 + 64 = 1,792",
        "  note: With padding='same' the output is ceiling(input/stride), as Keras computes it.",
    ]
