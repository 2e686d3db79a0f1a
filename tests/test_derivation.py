"""Worked derivations: every layer's formula, working and value (symcnn.derivation)."""

from __future__ import annotations

from pathlib import Path

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


class _Scaled(sc.Layer):
    """A layer written outside symcnn that states its count but no formula."""

    def output_shape_for(self, shape, check):
        return shape

    def params_for(self, shape):
        return shape[-1], 0


def test_layers_without_a_formula_still_give_their_value_and_say_so_plainly():
    d = _record((8, 8, 3), _Scaled()).derivation
    assert d.params.formula is None and d.params.value == 3
    assert d.notes == ("symcnn has no formula for this layer; its values are computed.",)


def test_a_nested_model_sums_its_layers_parameters_and_names_them():
    inner = sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(4, 3), sc.BatchNormalization(),
                           sc.ReLU()], name="inner")
    d = sc.Sequential([sc.Input((8, 8, 3)), inner]).layers[0].derivation
    assert str(d["params"]) == "params = P_1 + P_2 = 112 + 16 = 128"
    assert str(d["non_trainable"]) == "non_trainable = N_2 = 8"
    assert d["params"].evaluate() == d.params.value == 128
    assert "conv2d, a Conv2D (P_1); batch_normalization, a BatchNormalization (P_2)" in \
        d.notes[0]
    assert "changes it: conv2d (Conv2D)" in d.notes[-1]
    assert not any("derivation_for" in note for note in d.notes)


def test_a_block_with_many_layers_adds_them_up_by_type():
    x = y = sc.Input((8, 8, 4))
    for _ in range(5):
        y = sc.BatchNormalization()(sc.Conv2D(4, 3, padding="same")(y))
    block = sc.Model(x, sc.Add()([x, y]), name="tower")
    d = sc.Sequential([sc.Input((8, 8, 4)), block]).layers[0].derivation
    assert str(d["params"]) == "params = P_1 + P_2 = 740 + 80 = 820"
    assert "the 5 Conv2D layers (P_1); the 5 BatchNormalization layers (P_2)" in d.notes[0]
    assert d.notes[-1] == "The block keeps the shape of its input."


def test_swin_pieces_derive_their_sizes_and_parameters():
    x = sc.Input((57, 56, 96))
    y = sc.nn.PadToMultiple((2, 2), axes=(0, 1))(x)
    y = sc.nn.StridedSlice(((1, None, 2), (None, 55, 3)))(y)
    m = sc.Model(x, sc.nn.ShiftedWindowAttention(96, (7, 7), 3, (3, 3))(
        sc.nn.StridedSlice(((None, None, None), (None, None, None)))(x)))
    pad, cut = sc.Model(x, y).layers[1:]
    assert str(pad.derivation["N1_out"]) == "N1_out = M*ceiling(N1_in/M) = 2*ceiling(57/2) = 58"
    assert str(cut.derivation["N1_out"]) == "N1_out = ceiling((N1_in - B)/S) = ceiling((58 - 1)/2) = 29"
    assert str(cut.derivation["N2_out"]) == "N2_out = ceiling(E/S) = ceiling(55/3) = 19"
    attention = m.layers[-1].derivation["params"]
    assert attention.evaluate() == attention.value == 37755
    assert str(attention.formula) == "4*C**2 + 3*C + C + (2*M_h - 1)*(2*M_w - 1)*h"


def test_unknown_step_key_is_a_clear_error():
    d = textbook.free_width().layers[0].derivation
    with pytest.raises(KeyError, match="no step 'X_out'"):
        d["X_out"]


def test_derivation_prints_as_latex_through_sympy_printing_hooks():
    d = textbook.cifar().get_layer("conv2d").derivation
    tex = sympy.latex(d)
    assert tex.startswith("\\begin{aligned}")
    assert r"3 \cdot 3 \cdot 3 \cdot 64 + 64 = 1{,}792" in tex
    assert d._repr_latex_().startswith("$\\displaystyle \\begin{aligned}")
    assert textbook.cifar().get_layer("conv2d")._repr_latex_() == d._repr_latex_()


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


def test_a_formula_letter_a_model_symbol_spells_is_primed_where_it_means_another_thing():
    """In a residual block on (H, W, C) a BatchNormalization on w channels read
    ``params = 4*C = 4*w``; its letter is primed there, and kept where it is the model's C."""
    model = sc.load_spec(Path(__file__).parents[1] / "examples" / "models" / "residual_block.yaml")
    first, second = [r for r in model.layers if r.type == "BatchNormalization"]
    primed = first.derivation
    assert str(primed["params"]) == "params = 4*C' = 4*w"
    assert "(2C')" in primed.notes[0]
    assert primed["params"].working.doit() == first.params
    assert str(second.derivation["params"]) == "params = 4*C"
    assert "C'" in sympy.latex(primed) and "C'" not in sympy.latex(second.derivation)
    # a symbol no formula uses renames nothing
    plain = sc.Sequential([sc.Input(("H", "W", 3)), sc.BatchNormalization()])
    assert str(plain.layers[0].derivation["params"]) == "params = 4*C = 4*3 = 12"


@pytest.mark.parametrize("times, shown", [("L", "(L)"), (2 * sc.symbols("d") + 1, "(2*d + 1)")])
def test_a_symbolic_repetition_that_changes_the_shape_names_its_own_count(times, shown):
    """The note named a count T that no formula of the model shows."""
    model = sc.Sequential([sc.Input(("H", "W", 3)), sc.Repeat(sc.Conv2D(8, 3), times)])
    (note,) = model.layers[-1].derivation.notes
    assert f"solved for the number of repetitions {shown}" in note
    latex = model.to_latex(style="derivation")
    assert "repetitions (" in latex and " T " not in latex


def test_markdown_states_the_conditions_as_the_table_shows_them():
    model = sc.Sequential([sc.Input(("H", "W", 3)), sc.Repeat(sc.Conv2D(8, 3), "L")])
    assert model.to_markdown().endswith(
        "Valid for `H >= 3`, `W >= 3`, `H - 2*L >= 1`, `W - 2*L >= 1`.\n")
    assert "Constraints: H >= 3, W >= 3, H - 2*L >= 1" in model.summary_text()


@pytest.mark.parametrize("ceil_mode", [False, True])
@pytest.mark.parametrize("size", [20, 31, 32])
def test_a_dilated_torch_pooling_states_its_dilation_in_the_working(size, ceil_mode):
    """The formula left the dilation out: floor((32 - 3)/2) + 1 is 15, the value 14."""
    model = sc.nn.Sequential(sc.nn.MaxPool2d(3, stride=2, padding=1, dilation=2,
                                             ceil_mode=ceil_mode),
                             input_shape=(3, size, size))
    d = model.layers[0].derivation
    for key, value in (("H_out", model.output_shape[1]), ("W_out", model.output_shape[2])):
        assert d[key].evaluate() == value and "D_" in str(d[key])
