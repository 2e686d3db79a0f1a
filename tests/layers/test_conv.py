"""Specification of the convolution family (Conv, DepthwiseConv, SeparableConv,
ConvTranspose): output sizes and windows against brute-force counts of window positions,
parameter and MAC formulas, and the derivations that show them."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from hypothesis import assume, given, strategies as st

import symcnn as sc
from symcnn.zoo import textbook
from symcnn import formulas, symbols

from ..conftest import require

H, W = symbols("H W")
sizes = st.integers(1, 64)
small = st.integers(1, 7)


def _only(model):
    (record,) = model.layers
    return record.derivation


def _record(input_shape, layer):
    return sc.Sequential([sc.Input(input_shape), layer]).layers[0]


# ------------------------------------------------------------------ output sizes and windows


def brute_valid(i, k, s, left, right, d):
    """Count window starts in the padded input (every tap inside)."""
    extent = d * (k - 1) + 1
    return sum(1 for start in range(0, i + left + right, s) if start + extent <= i + left + right)


def brute_same(i, s):
    """'same' keeps one output per stride step that starts inside the input."""
    return sum(1 for position in range(0, i, s))


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


@given(i=sizes, k=small, s=small, d=st.integers(1, 3))
def test_same_padding_splits_as_keras_with_the_odd_element_after(i, k, s, d):
    extent = d * (k - 1) + 1
    total = max((-(-i // s) - 1) * s + extent - i, 0)
    before, after = formulas.same_padding(i, k, s, d)
    assert (before, after) == (total // 2, total - total // 2)
    assert formulas.window_output_size(i + before + after, k, s, 0, d) == -(-i // s)
    symbolic = formulas.same_padding(H, k, s, d)
    assert tuple(p.subs(H, i) for p in symbolic) == (before, after)
    assert formulas.same_padding_before(i, k, s, d) == before
    assert formulas.same_padding_before(H, k, s, d) == symbolic[0]


@given(i=sizes, k=small, s=small, p=st.integers(0, 3), d=st.integers(1, 3))
def test_a_convolution_window_reads_the_positions_its_formula_says(i, k, s, p, d):
    layer = sc.Conv1D(1, k, strides=s, padding=p, dilation_rate=d)
    assume(i + 2 * p >= d * (k - 1) + 1)
    (window, _) = layer.window_for((i, 1))
    out = formulas.window_output_size(i, k, s, p, d)
    for o in range(int(out)):
        taps = [s * o - p + d * m for m in range(k)]
        assert window.bounds(o, i) == (taps[0], taps[-1])


# ------------------------------------------------------------------ parameters and MACs


def test_convolution_parameter_formulas_follow_keras_counting():
    assert formulas.conv_params(3, (3, 3), 64) == 3 * 3 * 3 * 64 + 64
    assert formulas.conv_params(96, (5, 5), 256, groups=2, use_bias=False) == 5 * 5 * 48 * 128 * 2
    assert formulas.depthwise_conv_params(32, (3, 3), 2) == 32 * 9 * 2 + 64
    assert formulas.separable_conv_params(32, (3, 3), 64, use_bias=False) == 32 * 9 + 32 * 64


def brute_force_conv_macs(size, kernel, stride, pad, dilation, c_in, filters, groups):
    """Count the multiplications of a 1D convolution by walking every window position."""
    count = 0
    position = -pad
    while position + dilation * (kernel - 1) <= size - 1 + pad:
        count += kernel * (c_in // groups) * filters
        position += stride
    return count


@given(st.integers(1, 30), st.integers(1, 5), st.integers(1, 4), st.integers(0, 3),
       st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.sampled_from([1, 2]))
def test_conv_macs_are_one_per_weight_per_window_position(size, k, s, p, d, c, f, g):
    c_in, filters = c * g, f * g
    layer = sc.Conv1D(filters, k, strides=s, padding=p, dilation_rate=d, groups=g,
                      data_format="channels_first")
    try:
        model = sc.Sequential([sc.Input((c_in, size)), layer])
    except sc.ShapeError:
        assert brute_force_conv_macs(size, k, s, p, d, c_in, filters, g) == 0
        return
    assert model.macs == brute_force_conv_macs(size, k, s, p, d, c_in, filters, g)


# ------------------------------------------------------------------ derivations


def test_conv_output_size_shows_formula_working_and_value_of_the_textbook():
    d = _only(sc.Sequential([sc.Input((9, 9, 3)), sc.Conv2D(2, (3, 2), strides=(1, 3),
                                                              use_bias=False)]))
    step = d["W_out"]
    assert str(step.formula) == "floor((W_in + 2*P_w - K_w)/S_w) + 1"
    assert str(step.working) == "floor((9 + 2*0 - 2)/3) + 1"
    assert step.value == 3
    assert step.evaluate() == 3


def test_conv_params_working_is_unevaluated_product_plus_bias():
    d = textbook.cifar().get_layer("conv2d").derivation
    assert str(d.params.formula) == "C_in*K_h*K_w*F + F"
    assert str(d.params.working) == "3*3*3*64 + 64"
    assert d.params.value == 1792


def test_no_bias_drops_the_bias_term_from_the_formula():
    d = textbook.free_width().layers[0].derivation
    assert str(d.params.formula) == "C_in*K_h*K_w*F"


def test_same_padding_is_ceiling_of_input_over_stride():
    d = _only(sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(8, 3, strides=2, padding="same")]))
    assert str(d["H_out"].formula) == "ceiling(H_in/S_h)"
    assert d["H_out"].value == sympy.ceiling(H / 2)
    assert any("same" in note for note in d.notes)


def test_dilation_other_than_one_shows_the_dilated_extent():
    d = _only(sc.Sequential([sc.Input((20, 20, 3)), sc.Conv2D(4, 3, dilation_rate=2)]))
    assert str(d["H_out"].formula) == "floor((H_in + 2*P_h - D_h*(K_h - 1) - 1)/S_h) + 1"
    assert str(d["H_out"].working) == "floor((20 + 2*0 - 2*(3 - 1) - 1)/1) + 1"
    assert d["H_out"].value == 16


def test_asymmetric_padding_names_each_side():
    d = _only(sc.Sequential([sc.Input((10, 10, 1)), sc.ZeroPadding2D(((1, 2), (0, 3)))]))
    assert str(d["H_out"].formula) == "H_in + P_top + P_bottom"
    assert str(d["W_out"].working) == "10 + 0 + 3"
    assert d["W_out"].value == 13


def test_grouped_conv_divides_input_channels_by_groups():
    d = textbook.alexnet_two_tower_convs().layers[-1].derivation
    assert str(d.params.formula) == "(C_in/G)*K_h*K_w*F + F"
    assert d.params.evaluate() == 5 * 5 * 48 * 256 + 256 == d.params.value


def test_transposed_conv_keras_sizes():
    same = _record((H, W, 16), sc.Conv2DTranspose(8, 3, strides=2, padding="same")).derivation
    valid = _record((4, 4, 16), sc.Conv2DTranspose(8, 3, strides=2)).derivation
    assert str(same["H_out"].formula) == "H_in*S_h" and same["H_out"].value == 2 * H
    assert str(valid["H_out"].formula) == "H_in*S_h + max(K_h - S_h, 0)"
    assert valid["H_out"].value == 9 == valid["H_out"].evaluate()


@pytest.mark.parametrize("length", [1, 2, 7, 10])
@pytest.mark.parametrize("kwargs", [{}, {"strides": 2}, {"dilation_rate": 2}])
def test_causal_padding_works_channels_first_as_in_keras_3(length, kwargs):
    """Keras 2 allowed causal padding only channels last; Keras 3 pads the time axis of
    either layout. symcnn refused ``Conv1D(padding="causal", data_format="channels_first")``
    (found by a hunt); it now has Keras' shape and count, and its PyTorch export computes
    what Keras computes with the same weights."""
    keras = require("keras")
    torch = require("torch")
    x = keras.Input((3, length))
    reference = keras.Model(x, keras.layers.Conv1D(4, 3, padding="causal",
                                                   data_format="channels_first", **kwargs)(x))
    m = sc.Sequential([sc.Input((3, length)), sc.Conv1D(4, 3, padding="causal",
                                                         data_format="channels_first",
                                                         **kwargs)])
    assert m.output_shape == tuple(reference.output.shape[1:])
    assert m.params == reference.count_params()
    assert sc.from_keras(reference).output_shape == m.output_shape
    exported = m.to_torch()
    kernel, bias = (w.numpy() for w in reference.weights)
    weight, = [p for n, p in exported.named_parameters() if n.endswith("weight")]
    shift, = [p for n, p in exported.named_parameters() if n.endswith("bias")]
    with torch.no_grad():
        weight.copy_(torch.tensor(kernel).permute(2, 1, 0))
        shift.copy_(torch.tensor(bias))
    inputs = np.random.default_rng(0).standard_normal((2, 3, length)).astype("float32")
    expected = np.asarray(reference(inputs).detach().cpu())
    np.testing.assert_allclose(exported(torch.tensor(inputs)).detach().numpy(), expected,
                               atol=1e-6)
