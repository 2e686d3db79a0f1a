"""The layer protocol: a layer written outside symcnn gets every analysis from its own
methods, and where it states nothing an analysis says so, naming the layer and the method."""

from __future__ import annotations

import pytest
import sympy

import symcnn as sc
from symcnn.derivation import blocks
from symcnn.windows import Whole, Window
from symcnn.working import Plus, Times


class Scale(sc.Layer):
    """Multiplies each channel by a weight: C params, no formulas stated."""

    def output_shape_for(self, shape, check):
        return shape

    def params_for(self, shape):
        return shape[-1], sympy.Integer(0)


class Shift(sc.Layer):
    """Moves every position by ``by`` (a 1-wide window), no weights."""

    def __init__(self, by=1, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._set(by=self._size(by, "by", minimum=0))

    def output_shape_for(self, shape, check):
        return shape

    def window_for(self, input_shape):
        return (Window(1, pad_before=self.by), Window(1, pad_before=self.by), None)


class Mix(sc.Layer):
    """A dense map of the channels that states its MACs, window and derivation once."""

    def __init__(self, units, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._set(units=self._size(units, "units"))

    def _params(self, shape):
        C, U = blocks.sym("C_in"), blocks.sym("U")
        return Plus(Times(C, U), U), {C: shape[-1], U: self.units}

    def output_shape_for(self, shape, check):
        return (*shape[:-1], self.units)

    def params_for(self, shape):
        return blocks.value_of(*self._params(shape)), sympy.Integer(0)

    def macs_for(self, input_shapes, output_shape):
        return sc.formulas.dense_macs(input_shapes[0], self.units)

    def window_for(self, input_shape):
        return (None,) * (len(input_shape) - 1) + (Whole(),)

    def derivation_for(self, b, input_shapes, output_shape):
        U = blocks.sym("U")
        b.add("C_out", U, {U: self.units}, output_shape[-1])
        return self._params(input_shapes[0])


def test_a_layer_with_weights_and_no_macs_for_names_itself_and_the_method():
    m = sc.Sequential([sc.Input((4, 4, 2)), Scale(name="scale")])
    with pytest.raises(sc.CostError, match=r"Scale layers.*macs_for\(input_shapes, output_shape\)"
                                           r".*'scale'"):
        m.macs


def test_a_layer_without_window_for_makes_the_field_an_error_only_downstream():
    m = sc.Sequential([sc.Input(("H", "W", 2)), sc.Conv2D(2, 3), Scale(name="scale"),
                       sc.Conv2D(2, 3)])
    assert m.layers[0].receptive_field[0] == sc.receptive.AxisField(3, 1, 0)
    with pytest.raises(sc.CostError, match=r"'scale'.*window_for\(input_shape\)"):
        m.layers[1].receptive_field
    with pytest.raises(sc.CostError, match="window_for"):
        m.receptive_field


def test_a_layer_without_derivation_for_says_so_plainly_in_its_derivation():
    """Lecture notes are for students: the note says there is no formula, never which
    protocol method is missing (docs/extending.md tells the layer's author)."""
    m = sc.Sequential([sc.Input((4, 4, 2)), Scale()])
    (note,) = m.layers[0].derivation.notes
    assert note == "symcnn has no formula for this layer; its values are computed."
    assert "derivation_for" not in m.to_latex(style="derivation")
    assert m.layers[0].derivation.params.value == 2


def test_a_user_window_moves_the_field_as_a_padding_does():
    shifted = sc.Sequential([sc.Input(("H", "W", 1)), Shift(2), sc.Conv2D(1, 3)])
    padded = sc.Sequential([sc.Input(("H", "W", 1)), sc.ZeroPadding2D(2), sc.Conv2D(1, 3)])
    assert shifted.receptive_field == padded.receptive_field
    assert shifted.macs == sc.Sequential([sc.Input(("H", "W", 1)), sc.Conv2D(1, 3)]).macs


def test_a_user_layer_states_macs_window_and_derivation_once():
    n = sc.symbols("n")
    m = sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(4, 3), Mix(n)])
    record = m.layers[1]
    assert record.params == 5 * n and record.macs == 6 * 6 * 4 * n
    assert record.receptive_field == m.layers[0].receptive_field
    step = record.derivation.params
    assert str(step.formula) == "C_in*U + U" and step.working.doit() == step.value == 5 * n
    assert r"C_{\mathrm{in}} U + U" in m.to_latex(style="derivation")


def test_a_model_file_names_user_layers_through_custom_objects():
    n = sc.symbols("n")
    m = sc.Sequential([sc.Input((8, 8, 3)), Shift(2), Mix(n)])
    spec = sc.model_to_spec(m)
    assert spec["layers"] == [{"Shift": {"by": 2}}, {"Mix": {"units": "n"}}]
    with pytest.raises(sc.SpecError, match="unknown layer type 'Shift'"):
        sc.model_from_spec(spec)
    for custom in ([Shift, Mix], {"Shift": Shift, "Mix": Mix}):
        again = sc.model_from_spec(spec, custom_objects=custom)
        assert again.params == m.params and again.output_shape == m.output_shape
    with pytest.raises(sc.SpecError, match="custom_objects"):
        sc.model_from_spec(spec, custom_objects={"Mix": int})


class Affine(sc.Layer):
    """A scale and a bias per channel, stated only as a formula: value and working follow."""

    def output_shape_for(self, shape, check):
        return shape

    def params_formula(self, input_shape):
        C = blocks.sym("C")
        return Times(2, C), {C: input_shape[-1]}


def test_a_layer_stating_only_params_formula_gets_its_value_and_its_working():
    c = sc.symbols("c")
    record = sc.Sequential([sc.Input((4, 4, c)), Affine()]).layers[0]
    assert record.params == 2 * c
    step = record.derivation.params
    assert str(step.formula) == "2*C" and step.working.doit() == step.value == 2 * c
    assert not record.derivation.notes
    with pytest.raises(sc.CostError, match="macs_for"):  # weights, but no MAC formula
        record.macs


def test_built_in_parameter_counts_are_the_value_of_their_stated_formula():
    n = sc.symbols("n")
    layers = [sc.Conv2D(n, 3, groups=1), sc.Conv2D(8, (3, 1), groups=2, use_bias=False),
              sc.DepthwiseConv2D(3, depth_multiplier=2), sc.SeparableConv2D(n, 3),
              sc.Conv2DTranspose(4, 3, groups=2), sc.Dense(n), sc.LayerNormalization(),
              sc.GroupNormalization(2, center=False)]
    for layer in layers:
        shape = (9, 9, 4)
        formula, bindings = layer.params_formula(shape)
        assert layer.params_for(shape)[0] == blocks.value_of(formula, bindings)
        record = sc.Sequential([sc.Input(shape), layer]).layers[0]
        assert record.derivation.params.formula == formula


def test_a_user_layer_whose_params_for_returns_one_count_is_told_to_return_a_pair():
    """It was Python's ``TypeError: cannot unpack non-iterable Integer object``."""
    import symcnn as sc

    class Gain(sc.Layer):
        def output_shape_for(self, shape, check):
            return shape

        def params_for(self, shape):
            return shape[-1]

    with pytest.raises(sc.LayerArgumentError, match=r"Gain: params_for must return a pair "
                                                    r"\(trainable, non_trainable\).*Received: 16"):
        sc.Sequential([sc.Input(("H", "W", 16)), Gain()])
