"""Specification of UnitNormalization: each vector along ``axis`` divided by its L2 norm, no
weights, no multiply-accumulates, the whole normalized axes read by every output position,
and what Keras 3 keeps for backward on the torch backend; each fact checked against Keras 3."""

from __future__ import annotations

import os

import pytest

import symcnn as sc
from symcnn.windows import Whole

from ..conftest import require

H, W, B = sc.symbols("H W B")

AXES = [-1, 1, 2, 3, [1, 2], (2, 3), [1, 2, 3], -2, 0, [0, -1], -4]


@pytest.mark.frameworks
@pytest.mark.parametrize("axis", AXES)
def test_shape_count_and_values_are_keras_for_every_axis(axis):
    keras = require("keras")
    import numpy as np

    theirs = keras.Sequential([keras.Input((4, 5, 3)), keras.layers.UnitNormalization(axis)])
    ours = sc.Sequential([sc.Input((H, W, 3)), sc.UnitNormalization(axis)])
    assert (ours.params, ours.subs(H=4, W=5).output_shape) == \
        (theirs.count_params(), tuple(theirs.output_shape[1:]))
    x = np.random.default_rng(0).normal(size=(2, 4, 5, 3)).astype("float32")
    axes = tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)
    expected = x / np.sqrt(np.sum(x ** 2, axis=axes, keepdims=True))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(theirs(x)), expected, rtol=1e-5)


@pytest.mark.frameworks
@pytest.mark.parametrize("axis", [4, -5, [1, 4]])
def test_an_axis_the_input_lacks_is_a_shape_error_as_in_keras(axis):
    keras = require("keras")
    with pytest.raises(ValueError, match="out of bounds"):
        keras.Sequential([keras.Input((4, 5, 3)), keras.layers.UnitNormalization(axis)])
    with pytest.raises(sc.ShapeError, match=r"UnitNormalization .*`axis` -?\d is out of range "
                                            r"for an input of rank 3"):
        sc.Sequential([sc.Input((4, 5, 3)), sc.UnitNormalization(axis)])


@pytest.mark.frameworks
def test_one_axis_named_twice_is_a_shape_error_as_keras_call_fails_on_it():
    keras = require("keras")
    import numpy as np

    theirs = keras.Sequential([keras.Input((4, 5, 3)), keras.layers.UnitNormalization([3, -1])])
    with pytest.raises(RuntimeError, match="appears multiple times"):
        theirs(np.ones((1, 4, 5, 3), "float32"))
    with pytest.raises(sc.ShapeError, match=r"`axis` names one axis of the input twice .*"
                                            r"Received: axis=\(3, -1\)"):
        sc.Sequential([sc.Input((4, 5, 3)), sc.UnitNormalization([3, -1])])


@pytest.mark.parametrize("axis", ["1", 1.5, None, [], [1, 1]])
def test_axis_is_an_int_or_ints_once_each(axis):
    with pytest.raises(sc.LayerArgumentError, match=r"UnitNormalization: `axis` .*Received: "
                                                    r"axis="):
        sc.UnitNormalization(axis)


def test_every_position_reads_the_whole_normalized_axes_and_passes_through_the_others():
    layer = sc.UnitNormalization(axis=[1, 3])
    assert layer.window_for((H, W, 8)) == (Whole(), None, Whole())
    assert sc.UnitNormalization(axis=(0, -1)).window_for((H, W, 8)) == (None, None, Whole())
    over_channels = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(4, 3),
                                   sc.UnitNormalization(), sc.Conv2D(4, 3)])
    plain = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(4, 3), sc.Conv2D(4, 3)])
    assert over_channels.receptive_field == plain.receptive_field


@pytest.mark.frameworks
def test_no_macs_as_the_torch_flop_counter_measures_keras():
    keras = require("keras")
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    theirs = keras.Sequential([keras.Input((6, 8)), keras.layers.Dense(4),
                               keras.layers.UnitNormalization(axis=[1, 2]),
                               keras.layers.Dense(3)])
    with FlopCounterMode(display=False) as counter:
        theirs(torch.randn(1, 6, 8))
    ours = sc.from_keras(theirs)
    assert (ours.layers[1].type, ours.layers[1].macs, ours.layers[1].params) == \
        ("UnitNormalization", 0, 0)
    assert 2 * ours.macs == counter.get_total_flops()


def test_a_model_file_keeps_the_axes():
    model = sc.Sequential([sc.Input((H, W, 8)), sc.UnitNormalization(axis=[1, 2])])
    spec = sc.model_to_spec(model)
    assert {"UnitNormalization": {"axis": [1, 2]}} in spec["layers"]
    again = sc.model_from_spec(spec)
    assert again.layers[0].layer.axis == (1, 2) and again.output_shape == (H, W, 8)


MEMORY = {  # layers after sc.Input(shape)
    "last_axis": (lambda: [sc.Dense(3), sc.UnitNormalization(), sc.Dense(2)], (4, 5, 3)),
    "spatial_axes": (lambda: [sc.Dense(3), sc.UnitNormalization([1, 2]), sc.Dense(2)],
                     (4, 5, 3)),
    # across the batch too: one inverse norm per position, whatever the batch
    "with_the_batch_axis": (lambda: [sc.Dense(3), sc.UnitNormalization((0, 3)), sc.Dense(2)],
                            (4, 5, 3)),
    "after_a_permute": (lambda: [sc.Dense(3), sc.Permute((2, 1, 3)), sc.UnitNormalization(),
                                 sc.Dense(2)], (4, 5, 3)),
    "on_vectors": (lambda: [sc.Dense(6), sc.UnitNormalization(), sc.Dense(2)], (5,)),
    "on_the_model_input": (lambda: [sc.UnitNormalization(), sc.Dense(2)], (5,)),
}


@pytest.mark.frameworks
@pytest.mark.parametrize("name", sorted(MEMORY))
def test_it_keeps_what_a_keras_training_step_keeps_on_the_torch_backend(name):
    """Keras computes ``x*minimum(rsqrt(sum(x**2)), 1/epsilon)``: the input, the inverse
    norm before and after the minimum, and the constant."""
    if os.environ.get("KERAS_BACKEND") != "torch":
        pytest.skip("needs KERAS_BACKEND=torch")
    require("keras")
    from ..support.saved_tensors import assert_keras_keeps

    layers, shape = MEMORY[name]
    assert_keras_keeps(sc.Sequential([sc.Input(shape), *layers()]), shape)
