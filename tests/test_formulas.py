"""Specification of the pure shape and parameter formulas against brute-force counts."""

import pytest
import sympy
from hypothesis import assume, given, strategies as st

from symcnn import formulas, symbols

H = symbols("H")
sizes = st.integers(1, 64)
small = st.integers(1, 7)


def brute_valid(i, k, s, left, right, d):
    """Count window starts in the padded input (every tap inside)."""
    extent = d * (k - 1) + 1
    return sum(1 for start in range(0, i + left + right, s) if start + extent <= i + left + right)


def brute_same(i, s):
    """'same' keeps one output per stride step that starts inside the input."""
    return sum(1 for position in range(0, i, s))


def brute_ceil_mode(i, k, s, p, d):
    """PyTorch ceil_mode: the last window may run past the end, but must start before the
    right padding."""
    extent = d * (k - 1) + 1
    return sum(1 for start in range(0, i + 2 * p + s, s)
               if start + extent <= i + 2 * p + s - 1 and start < i + p)


@given(i=sizes, k=small, s=small, left=st.integers(0, 4), right=st.integers(0, 4), d=st.integers(1, 4))
def test_valid_and_explicit_padding_equal_the_number_of_window_positions(i, k, s, left, right, d):
    assume(i + left + right >= d * (k - 1) + 1)
    padding = (left, right)
    assert formulas.window_output_size(i, k, s, padding, d) == brute_valid(i, k, s, left, right, d)
    symbolic = formulas.window_output_size(H, k, s, padding, d)
    assert symbolic.subs(H, i) == brute_valid(i, k, s, left, right, d)


@given(i=sizes, k=small, s=small, d=st.integers(1, 3))
def test_same_padding_is_ceiling_of_i_over_s(i, k, s, d):
    assert formulas.window_output_size(i, k, s, "same", d) == brute_same(i, s)
    expected = sympy.ceiling(H / s) if s > 1 else H
    assert formulas.window_output_size(H, k, s, "same", d) == expected


@given(i=sizes, k=small, s=small, d=st.integers(1, 3))
def test_causal_padding_keeps_the_length_over_the_stride(i, k, s, d):
    left, right = formulas.padding_amounts("causal", k, d)
    expected = brute_valid(i, k, s, int(left), int(right), d)
    assert formulas.window_output_size(i, k, s, "causal", d) == expected


@given(i=sizes, k=small, s=small, p=st.integers(0, 3), d=st.integers(1, 3))
def test_ceil_mode_counts_windows_that_start_before_the_right_padding(i, k, s, p, d):
    assume(i + 2 * p >= d * (k - 1) + 1)
    expected = brute_ceil_mode(i, k, s, p, d)
    assert formulas.window_output_size(i, k, s, p, d, ceil_mode=True) == expected
    assert formulas.window_output_size(H, k, s, p, d, ceil_mode=True).subs(H, i) == expected


@given(i=st.integers(1, 30), k=small, s=small, p=st.integers(0, 3), op=st.integers(0, 3),
       d=st.integers(1, 3))
def test_transposed_convolution_size_is_the_extent_of_the_scattered_output(i, k, s, p, op, d):
    full = max(j * s + d * m for j in range(i) for m in range(k)) + 1
    expected = full - 2 * p + op
    assert formulas.conv_transpose_output_size(i, k, s, p, op, d) == expected
    assert formulas.conv_transpose_output_size(H, k, s, p, op, d).subs(H, i) == expected


def test_keras_transposed_convolution_without_output_padding():
    assert formulas.keras_conv_transpose_output_size(H, 3, 2, "same") == 2 * H
    assert formulas.keras_conv_transpose_output_size(H, 3, 2, "valid") == 2 * H + 1
    assert formulas.keras_conv_transpose_output_size(H, 2, 3, "valid") == 3 * H


def test_worked_example_a_working_floors_seven_thirds():
    assert formulas.window_output_size(9, 2, 3) == 3  # floor(7/3) + 1


def test_parameter_formulas_follow_keras_counting():
    assert formulas.conv_params(3, (3, 3), 64) == 3 * 3 * 3 * 64 + 64
    assert formulas.conv_params(96, (5, 5), 256, groups=2, use_bias=False) == 5 * 5 * 48 * 128 * 2
    assert formulas.depthwise_conv_params(32, (3, 3), 2) == 32 * 9 * 2 + 64
    assert formulas.separable_conv_params(32, (3, 3), 64, use_bias=False) == 32 * 9 + 32 * 64
    assert formulas.dense_params(512, 50) == 25650
    assert formulas.batch_norm_params(64) == (128, 128)
    assert formulas.batch_norm_params(64, center=False) == (64, 128)
