"""Specification of RepeatVector: a vector ``(F,)`` repeated ``n`` times as ``(n, F)``, with
no weights, no multiply-accumulates and nothing kept for backward; each fact checked against
Keras 3 (torch backend)."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import given, settings, strategies as st

import symcnn as sc

from ..conftest import require

n, F = sc.symbols("n F")


def test_the_steps_are_a_new_leading_axis_of_size_n():
    assert sc.Sequential([sc.Input((F,)), sc.RepeatVector(n)]).output_shape == (n, F)
    assert sc.Sequential([sc.Input((F,)), sc.RepeatVector("n")]).output_shape == (n, F)


@pytest.mark.frameworks
@settings(max_examples=15, deadline=None)
@given(times=st.integers(1, 6), features=st.integers(1, 6))
def test_shape_and_values_are_keras_repeats_of_the_vector(times, features):
    keras = require("keras")
    import numpy as np

    ours = sc.Sequential([sc.Input((features,)), sc.RepeatVector(n)]).subs({n: times})
    theirs = keras.layers.RepeatVector(times)
    x = np.arange(2 * features, dtype="float32").reshape(2, features)
    y = np.asarray(keras.ops.convert_to_numpy(theirs(x)))
    assert (ours.params, ours.output_shape) == (theirs.count_params(), y.shape[1:])
    assert all((y[:, step] == x).all() for step in range(times))  # every step a copy


@pytest.mark.frameworks
def test_no_macs_beyond_its_neighbours_as_the_torch_flop_counter_measures_keras():
    keras = require("keras")
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    theirs = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4),
                               keras.layers.RepeatVector(3), keras.layers.Dense(5)])
    with FlopCounterMode(display=False) as counter:
        theirs(torch.randn(1, 8))
    ours = sc.from_keras(theirs)
    assert ours.layers[1].layer.type_name == "RepeatVector" and ours.layers[1].macs == 0
    assert 2 * ours.macs == counter.get_total_flops()


@pytest.mark.frameworks
@pytest.mark.parametrize("value", [0, -1, 2.5, "3", True])
def test_n_is_a_positive_integer_as_keras_requires(value):
    keras = require("keras")
    with pytest.raises((ValueError, TypeError)):
        keras.layers.RepeatVector(value)
    with pytest.raises(sc.LayerArgumentError, match="RepeatVector: `n`"):
        sc.RepeatVector(value)


@pytest.mark.frameworks
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4)])
def test_only_a_vector_is_repeated_as_keras_requires(shape):
    keras = require("keras")
    with pytest.raises(ValueError, match="expected ndim=2"):
        keras.layers.RepeatVector(2)(keras.Input(shape))
    with pytest.raises(sc.ShapeError, match="expects an input of rank 1"):
        sc.RepeatVector(2)(sc.Input(shape))


@pytest.mark.frameworks
@pytest.mark.parametrize("activation", [None, "relu"])
def test_it_keeps_nothing_for_backward_as_a_keras_training_step_measures(activation):
    """Keras on the torch backend keeps nothing for the repeat's gradient; a ReLU before it
    keeps its output, the Dense after it its (repeated) input, counted once each. At batch 1
    Keras' repeat (a stride-0 ``expand``) folds to a view and the Dense keeps the vector, not
    the repeats: symcnn states no layout for it (a layout with a stride-0 axis is not
    expressible yet), so batches of 2 and more are compared."""
    if os.environ.get("KERAS_BACKEND") != "torch":
        pytest.skip("needs KERAS_BACKEND=torch")
    require("keras")
    import torch

    from ..support.saved_tensors import KerasTraining, measure

    model = sc.Sequential([sc.Input((8,)), sc.Dense(4, activation=activation),
                           sc.RepeatVector(3), sc.Dense(5)])
    assert model.layers[1].layer.saved_for_backward([(4,)], [(3, 4)]) == ()
    twin = KerasTraining(model.to_keras())
    B = sc.symbols("B")
    closed = model.training_memory(batch=B, dtype="float32").activations
    for batch in (2, 3):
        assert closed.subs(B, batch) == measure(twin, torch.randn(batch, 8))[0]


def test_a_model_file_keeps_it_with_its_symbolic_count():
    model = sc.Sequential([sc.Input((F,)), sc.Dense(4), sc.RepeatVector(n), sc.Dense(2)])
    spec = sc.model_to_spec(model)
    again = sc.model_from_spec(spec)
    assert {"RepeatVector": {"n": "n"}} in spec["layers"]
    assert (again.output_shape, again.params) == (model.output_shape, model.params) == \
        ((n, 2), 4 * F + 14)


def test_it_states_no_window_and_no_weights():
    layer = sc.RepeatVector(3)
    assert layer.window_for((4,)) is None  # the steps are no positions of the input
    record = sc.Sequential([sc.Input((4,)), layer]).layers[0]
    assert (record.params, record.macs) == (0, 0)


def test_a_symbolic_count_of_steps_reads_back_from_a_model_file():
    """``RepeatVector(2*T)`` was written as ``n: '2*T'`` and refused when read back."""
    T = sc.symbols("T")
    model = sc.Sequential([sc.Input((8,)), sc.Dense(4), sc.RepeatVector(2 * T), sc.LSTM(3)])
    doc = json.loads(json.dumps(sc.model_to_spec(model)))
    again = sc.model_from_spec(doc)
    assert again.output_shape == model.output_shape
    (repeat,) = [r for r in again.layers if r.type == "RepeatVector"]
    assert repeat.output_shape == (2 * T, 4)
    assert again.params == model.params
