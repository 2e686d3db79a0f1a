"""``from_keras`` keeps the arguments that change values but no count.

symcnn's layers take these (``_INERT_ARGS`` of :mod:`symcnn.layers.base`) through
``**kwargs``; the import used to leave them out whenever the class did not name them
(``UpSampling2D(interpolation="bilinear")`` came back ``nearest`` from ``to_keras`` and
``to_torch``). Each check compares with the Keras layer itself: its config, and its values
on the same input.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import symcnn as sc

from ..conftest import require

pytestmark = pytest.mark.frameworks


def _numpy(y):
    return np.asarray(y.detach().cpu() if hasattr(y, "detach") else y)


def _sequential(keras, shape, layer):
    return keras.Sequential([keras.Input(shape), layer])


def _round_trip(keras_model):
    with warnings.catch_warnings():  # LayerNormalization(rms_scaling=True) is deprecated
        warnings.simplefilter("ignore")
        return sc.from_keras(keras_model).to_keras()


#: (layer factory, input shape, config keys to compare): every value-only argument a Keras
#: layer symcnn has writes in its config.
CASES = [
    (lambda L: L.UpSampling2D(2, interpolation="bilinear"), (4, 5, 3), ["interpolation"]),
    (lambda L: L.UpSampling2D((2, 3), data_format="channels_first", interpolation="bicubic"),
     (3, 4, 5), ["interpolation"]),
    (lambda L: L.Dropout(0.5, noise_shape=(None, 1, 4), seed=3), (3, 4),
     ["noise_shape", "seed"]),
    (lambda L: L.SpatialDropout2D(0.5, seed=7), (4, 4, 3), ["seed"]),
    (lambda L: L.GRU(3, seed=5), (6, 2), ["seed"]),
    (lambda L: L.BatchNormalization(epsilon=0.1, momentum=0.5), (3, 4),
     ["epsilon", "momentum", "synchronized"]),
    (lambda L: L.LayerNormalization(epsilon=0.1, rms_scaling=True), (3, 4),
     ["epsilon", "rms_scaling"]),
    (lambda L: L.GroupNormalization(2, epsilon=0.1), (3, 4), ["epsilon"]),
    (lambda L: L.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.5), (3, 4),
     ["max_value", "negative_slope", "threshold"]),
    (lambda L: L.LeakyReLU(negative_slope=0.2), (3, 4), ["negative_slope"]),
    (lambda L: L.ELU(alpha=0.5), (3, 4), ["alpha"]),
]


@pytest.mark.parametrize("make, shape, keys", CASES)
def test_to_keras_after_from_keras_has_keras_value_arguments(make, shape, keys):
    keras = require("keras")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        km = _sequential(keras, shape, make(keras.layers))
    want = km.layers[-1].get_config()
    got = _round_trip(km).layers[-1].get_config()
    assert {k: got[k] for k in keys} == {k: want[k] for k in keys}


@pytest.mark.parametrize("data_format, shape", [("channels_last", (4, 5, 3)),
                                                ("channels_first", (3, 4, 5))])
def test_bilinear_upsampling_keeps_keras_values_both_ways(data_format, shape):
    keras, torch = require("keras"), require("torch")
    km = _sequential(keras, shape, keras.layers.UpSampling2D(
        2, data_format=data_format, interpolation="bilinear"))
    x = np.random.default_rng(0).normal(size=(2, *shape)).astype("float32")
    want = _numpy(km(x))
    model = sc.from_keras(km)
    assert np.allclose(_numpy(model.to_keras()(x)), want, atol=1e-6)
    # to_torch is channels first: a channels-last model's input and output move
    last = data_format == "channels_last"
    tx = torch.from_numpy(np.moveaxis(x, -1, 1) if last else x)
    with torch.no_grad():
        got = model.to_torch()(tx).numpy()
    assert np.allclose(np.moveaxis(got, 1, -1) if last else got, want, atol=1e-5)


def test_an_interpolation_pytorch_lacks_is_refused_by_to_torch():
    """``bicubic`` reached neither export before (both gave ``nearest``); now ``to_torch``
    says it cannot compute it, and ``to_keras`` keeps it (Keras' own values)."""
    keras = require("keras")
    require("torch")
    km = _sequential(keras, (4, 5, 3), keras.layers.UpSampling2D(2, interpolation="bicubic"))
    model = sc.from_keras(km)
    with pytest.raises(sc.ConversionError, match="interpolation='bicubic'"):
        model.to_torch()
    x = np.random.default_rng(1).normal(size=(1, 4, 5, 3)).astype("float32")
    assert np.allclose(_numpy(model.to_keras()(x)), _numpy(km(x)), atol=1e-6)


def test_keras_bookkeeping_and_training_only_arguments_stay_out():
    """What is still left out: ``dtype`` and the initializers, regularizers and constraints,
    which Keras writes for every layer (the import's config is the one symcnn builds)."""
    keras = require("keras")
    km = _sequential(keras, (6, 6, 3), keras.layers.Conv2D(
        4, 3, kernel_constraint=keras.constraints.MaxNorm(2.0), kernel_regularizer="l2"))
    cfg = km.layers[-1].get_config()
    assert {"dtype", "kernel_initializer", "kernel_regularizer", "kernel_constraint"} <= set(cfg)
    (layer,) = [n.layer for n in sc.from_keras(km).nodes][1:]
    assert layer.get_config() == sc.Conv2D(4, 3, activation="linear", name=cfg["name"]).get_config()
