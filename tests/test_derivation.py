"""Worked derivations: every layer's formula, working and value (symcnn.derivation)."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given, settings

import symcnn as sc
from symcnn.derivation import derive
from symcnn.zoo import textbook

from .support.random_models import at, random_models, sample_points

H, W, n = sc.symbols("H W n")


def _only(model):
    (record,) = model.layers
    return record.derivation


def _record(input_shape, layer):
    return sc.Sequential([sc.Input(input_shape), layer]).layers[0]


# ------------------------------------------------------------------ the three steps


def test_conv_output_size_shows_formula_working_and_value_of_the_textbook():
    d = _only(sc.Sequential([sc.Input((9, 9, 3)), sc.Conv2D(2, (3, 2), strides=(1, 3),
                                                              use_bias=False)]))
    step = d["W_out"]
    assert str(step.formula) == "floor((W_in + 2*P_w - K_w)/S_w) + 1"
    assert str(step.working) == "floor((9 + 2*0 - 2)/3) + 1"
    assert step.value == 3
    assert step.evaluate() == 3


def test_conv_params_working_is_unevaluated_product_plus_bias():
    d = textbook.cifar().layers[0].derivation
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


def test_batch_norm_counts_four_per_channel_of_which_two_non_trainable():
    d = textbook.cifar().layers[1].derivation
    assert str(d.params.formula) == "4*C" and d.params.value == 256
    assert str(d["non_trainable"].working) == "2*64" and d["non_trainable"].value == 128


def test_frozen_layer_derives_its_non_trainable_count():
    record = _record((8, 8, 3), sc.Conv2D(4, 3, trainable=False))
    d = record.derivation
    assert d["non_trainable"].value == record.non_trainable_params == d.params.value == 112


def test_dense_with_free_width_gives_a_closed_form():
    d = textbook.free_width().layers[-1].derivation
    assert str(d.params.working) == "160*n" and d.params.value == 160 * n
    assert d["N_out"].value == n


def test_flatten_multiplies_the_input_sizes():
    d = textbook.free_width().layers[-2].derivation
    assert str(d["N_out"].working) == "2*1*80" and d["N_out"].value == 160


def test_pytorch_ceil_mode_is_a_min_of_ceiling_and_last_window_start():
    d = _only(sc.Sequential([sc.Input((5, 5, 1)), sc.MaxPooling2D(1, strides=3, padding=0,
                                                                  ceil_mode=True)]))
    assert str(d["H_out"].formula).startswith("min(ceiling(")
    assert d["H_out"].value == 2 == d["H_out"].evaluate()


def test_transposed_conv_keras_sizes():
    same = _record((H, W, 16), sc.Conv2DTranspose(8, 3, strides=2, padding="same")).derivation
    valid = _record((4, 4, 16), sc.Conv2DTranspose(8, 3, strides=2)).derivation
    assert str(same["H_out"].formula) == "H_in*S_h" and same["H_out"].value == 2 * H
    assert str(valid["H_out"].formula) == "H_in*S_h + max(K_h - S_h, 0)"
    assert valid["H_out"].value == 9 == valid["H_out"].evaluate()


def test_concatenate_adds_the_sizes_along_its_axis():
    x = sc.Input((H, W, 64))
    m = sc.Model(x, sc.Concatenate()([x, sc.Conv2D(32, 1)(x)]))
    d = m.layers[-1].derivation
    assert str(d["C_out"].working) == "64 + 32" and d["C_out"].value == 96


def test_layers_without_a_formula_still_give_their_value():
    inner = sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(4, 3)], name="inner")
    outer = sc.Sequential([sc.Input((8, 8, 3)), inner])
    d = outer.layers[0].derivation
    assert d.params.formula is None and d.params.value == 112
    assert "No formula" in d.notes[0]


def test_unknown_step_key_is_a_clear_error():
    d = textbook.free_width().layers[0].derivation
    with pytest.raises(KeyError, match="no step 'X_out'"):
        d["X_out"]


def test_derivation_prints_as_latex_through_sympy_printing_hooks():
    d = textbook.cifar().layers[0].derivation
    tex = sympy.latex(d)
    assert tex.startswith("\\begin{aligned}")
    assert r"3 \cdot 3 \cdot 3 \cdot 64 + 64 = 1{,}792" in tex
    assert d._repr_latex_().startswith("$\\displaystyle \\begin{aligned}")
    assert textbook.cifar().layers[0]._repr_latex_() == d._repr_latex_()


# ------------------------------------------------------------------ property: working == value


def _check_steps(model):
    points = sample_points(model)
    assert points, "no admissible point for the model's constraints"
    for record in model.layers:
        d = record.derivation
        assert d.params.value == record.params
        for step in d.steps:
            evaluated = step.evaluate()
            if step.formula is not None:
                by_formula = step.formula.xreplace(dict(step.bindings)).doit()
                assert sympy.expand(by_formula - evaluated) == 0
            for point in points:
                assert at(evaluated, point) == at(step.value, point), (record, step, point)


@settings(max_examples=80)
@given(random_models(symbolic=False))
def test_evaluating_the_working_gives_the_value_on_random_numeric_models(model):
    _check_steps(model)


@settings(max_examples=40)
@given(random_models(symbolic=True, max_layers=4))
def test_evaluating_the_working_gives_the_value_on_random_symbolic_models(model):
    _check_steps(model)


def test_every_worked_example_has_working_equal_to_value():
    models = [*textbook.single_convolutions(), textbook.cifar(), textbook.lenet_table(),
              textbook.lenet_code(), textbook.free_width(), textbook.vgg_style(),
              textbook.alexnet_two_tower_convs()]
    for model in models:
        _check_steps(model)


def test_derive_accepts_the_record_and_an_assumption():
    m = textbook.cifar((H, W, 3))
    d = derive(m.get_layer("global_average_pooling2d"), assume_divisible={"H": 32, W: 32})
    assert d.input_shape == (H / 32, W / 32, 512)
    assert d.assumed == (((H, W), 32),)


def test_pytorch_named_channels_first_layers_derive_per_axis():
    from symcnn import nn

    m = nn.Sequential(
        nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.MaxPool2d(3, 2, padding=1, ceil_mode=True),
        nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1),
        nn.AdaptiveAvgPool2d((4, None)), nn.Flatten(), input_shape=(3, "H", "W"))
    _check_steps(m)
    conv = m.layers[0].derivation
    assert conv["C_out"].value == 16 and conv["H_out"].value == sympy.ceiling(H / 2)
    assert str(m.layers[-1].derivation["N_out"].formula) == "C_in*H_in*W_in"
