"""from_keras reads Keras' ``RepeatVector`` (LSTM autoencoders, seq2seq) and
``TimeDistributed`` (a layer on every step), and to_keras writes them back: counts, shapes
and MACs as Keras, the same values on copied weights."""

import numpy as np
import pytest

import symcnn as sc

from ..conftest import require

pytestmark = pytest.mark.frameworks


def _shapes(keras_model):
    return [tuple(layer.output.shape[1:]) for layer in keras_model.layers]


def test_a_repeat_between_a_dense_and_an_lstm_imports_with_keras_counts_and_shapes():
    keras = require("keras")
    theirs = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4),
                               keras.layers.RepeatVector(3),
                               keras.layers.LSTM(5, return_sequences=True)])
    ours = sc.from_keras(theirs)
    assert ours.params == theirs.count_params()
    assert [r.output_shape for r in ours.layers] == _shapes(theirs)
    assert ours.get_layer(theirs.layers[1].name).layer.n == 3


def test_an_lstm_autoencoder_imports_exports_and_computes_the_same_values():
    keras = require("keras")
    x = keras.Input((7, 3))
    code = keras.layers.LSTM(6)(x)
    y = keras.layers.RepeatVector(7)(code)
    y = keras.layers.LSTM(4, return_sequences=True)(y)
    theirs = keras.Model(x, keras.layers.Dense(3)(y))
    ours = sc.from_keras(theirs)
    assert (ours.params, ours.output_shape) == (theirs.count_params(), (7, 3))
    again = ours.to_keras()
    assert again.count_params() == theirs.count_params()
    assert _shapes(again) == _shapes(theirs)
    again.set_weights(theirs.get_weights())
    data = np.random.default_rng(0).normal(size=(2, 7, 3)).astype("float32")
    np.testing.assert_allclose(again.predict(data, verbose=0), theirs.predict(data, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_a_symbolic_count_exports_once_substituted():
    keras = require("keras")
    n = sc.symbols("n")
    model = sc.Sequential([sc.Input((8,)), sc.Dense(4), sc.RepeatVector(n),
                           sc.GRU(2, return_sequences=True)])
    with pytest.raises(sc.ConversionError, match="n"):
        model.to_keras()
    fixed = model.subs({n: 5})
    built = fixed.to_keras()
    assert isinstance(built.layers[1], keras.layers.RepeatVector) and built.layers[1].n == 5
    assert (built.count_params(), _shapes(built)[-1]) == \
        (fixed.params, fixed.output_shape)


def _time_distributed_models(keras):
    L = keras.layers
    frozen = keras.Sequential([keras.Input((4, 6)), L.TimeDistributed(L.Dense(4))])
    frozen.layers[0].trainable = False  # set after construction, as Keras freezes wrappers
    return {
        "dense": keras.Sequential([keras.Input((7, 6)),
                                   L.TimeDistributed(L.Dense(4, activation="relu"))]),
        "conv video": keras.Sequential([
            keras.Input((5, 9, 9, 3)),
            L.TimeDistributed(L.Conv2D(4, 3, strides=2, padding="same")),
            L.TimeDistributed(L.MaxPooling2D(2)), L.TimeDistributed(L.Flatten()), L.LSTM(3)]),
        "frozen conv, batch norm": keras.Sequential([
            keras.Input((5, 9, 9, 3)),
            L.TimeDistributed(L.Conv2D(4, 3, use_bias=False, trainable=False)),
            L.TimeDistributed(L.BatchNormalization())]),
        "frozen wrapper": frozen,
    }


@pytest.mark.parametrize("case", ["dense", "conv video", "frozen conv, batch norm",
                                  "frozen wrapper"])
def test_time_distributed_has_keras_counts_shapes_macs_and_values(case):
    keras = require("keras")
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    theirs = _time_distributed_models(keras)[case]
    ours = sc.from_keras(theirs)
    trainable = sum(int(np.prod(w.shape)) for w in theirs.trainable_weights)
    assert (ours.params, ours.trainable_params) == (theirs.count_params(), trainable)
    assert [r.output_shape for r in ours.layers] == _shapes(theirs)
    x = torch.randn(1, *theirs.inputs[0].shape[1:])
    with FlopCounterMode(display=False) as counter:
        theirs(x)
    assert 2 * ours.macs == counter.get_total_flops()
    again = ours.to_keras()
    again.set_weights(theirs.get_weights())
    assert again.count_params() == theirs.count_params()
    np.testing.assert_allclose(again.predict(x.numpy(), verbose=0),
                               theirs.predict(x.numpy(), verbose=0), rtol=1e-5, atol=1e-5)
    spec = sc.model_to_spec(ours)
    assert (sc.model_from_spec(spec).params, sc.model_from_spec(spec).output_shape) == \
        (ours.params, ours.output_shape)


def test_time_distributed_shares_the_weights_and_runs_every_step():
    T, F, u = sc.symbols("T F u")
    model = sc.Sequential([sc.Input((T, F)), sc.TimeDistributed(sc.Dense(u))])
    one_step = sc.Sequential([sc.Input((F,)), sc.Dense(u)])
    assert (model.output_shape, model.params) == ((T, u), one_step.params)
    assert model.macs == T * one_step.macs
    assert model.subs({u: 3}).params == one_step.subs({u: 3}).params
    assert sc.model_from_spec(sc.model_to_spec(model)).params == model.params


def test_time_distributed_conv_has_the_field_of_a_conv3d_one_step_deep():
    """A Conv2D on every frame reads what a Conv3D with a kernel of 1 along time reads."""
    shape = (5, "H", "H", 3)
    frames = sc.Sequential([sc.Input(shape),
                            sc.TimeDistributed(sc.Conv2D(8, 3, strides=2, padding="same")),
                            sc.TimeDistributed(sc.MaxPooling2D(2))])
    volume = sc.Sequential([sc.Input(shape),
                            sc.Conv3D(8, (1, 3, 3), strides=(1, 2, 2), padding="same"),
                            sc.MaxPooling3D((1, 2, 2))])
    assert frames.output_shape == volume.output_shape
    assert frames.receptive_field == volume.receptive_field


@pytest.mark.parametrize("case", ["dense", "frozen wrapper"])
def test_time_distributed_read_from_keras_keeps_what_keras_keeps(case):
    """Keras 3 runs the layer step by step and stacks the steps; training memory carries the
    wrapped layer's statement over (tests/training/test_time_distributed_memory.py)."""
    keras = require("keras")
    import os

    import torch

    from ..support.saved_tensors import KerasTraining, measure

    if os.environ.get("KERAS_BACKEND") != "torch":
        pytest.skip("needs KERAS_BACKEND=torch")
    theirs = _time_distributed_models(keras)[case]
    B = sc.symbols("B")
    closed = sc.from_keras(theirs).training_memory(batch=B).activations
    shape = tuple(theirs.inputs[0].shape[1:])
    for batch in (1, 2):
        assert closed.subs(B, batch) == measure(KerasTraining(theirs),
                                                torch.randn(batch, *shape))[0]


def test_time_distributed_needs_a_steps_axis_as_keras_does():
    keras = require("keras")
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        keras.layers.TimeDistributed(keras.layers.Dense(3))(keras.Input((4,)))
    with pytest.raises(sc.ShapeError, match="rank 2 or more"):
        sc.TimeDistributed(sc.Dense(3))(sc.Input((4,)))
