"""Keras' ``LayerNormalization(rms_scaling=True)`` (deprecated in Keras 3, still taken): a
real argument of symcnn's layer, not an inert one.

Keras 3 builds gamma if ``scale or rms_scaling`` and beta if ``center and not rms_scaling``,
and computes ``x*rsqrt(var(x) + epsilon)*gamma`` (no mean subtracted). Every count and value
here is Keras' own (a built ``keras.layers.LayerNormalization`` on the same weights), or a
NumPy evaluation of that formula; none is typed in.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import symcnn as sc

from ..conftest import require

pytestmark = pytest.mark.frameworks

#: (input shape, axis) pairs: the last axis, an inner one, several.
CASES = [((5, 4), -1), ((3, 6, 4), 1), ((3, 6, 4), [-2, -1]), ((2, 3, 4, 5), [1, 3])]


def _keras_model(keras, shape, **kwargs):
    with warnings.catch_warnings():  # Keras warns that rms_scaling is deprecated
        warnings.simplefilter("ignore")
        return keras.Sequential([keras.Input(shape), keras.layers.LayerNormalization(**kwargs)])


def _random_weights(keras_model, seed=0):
    rng = np.random.default_rng(seed)
    layer = keras_model.layers[-1]
    layer.set_weights([rng.normal(size=w.shape).astype("float32") for w in layer.get_weights()])
    return [np.asarray(w) for w in layer.get_weights()]


def _run(keras_model, x):
    with warnings.catch_warnings():  # and warns again at each call
        warnings.simplefilter("ignore")
        y = keras_model(x)
    return np.asarray(y.detach().cpu() if hasattr(y, "detach") else y)


@pytest.mark.parametrize("shape, axis", CASES)
@pytest.mark.parametrize("center, scale", [(True, True), (True, False), (False, True),
                                           (False, False)])
def test_count_is_keras_for_every_center_and_scale(shape, axis, center, scale):
    keras = require("keras")
    km = _keras_model(keras, shape, axis=axis, center=center, scale=scale, rms_scaling=True)
    built = sc.Sequential([sc.Input(shape), sc.LayerNormalization(
        axis=axis, center=center, scale=scale, rms_scaling=True)])
    assert built.params == built.trainable_params == km.count_params()
    assert sc.from_keras(km).params == km.count_params()


def test_without_rms_scaling_the_count_is_unchanged_and_the_config_has_no_key():
    keras = require("keras")
    km = _keras_model(keras, (5, 4))
    layer = sc.LayerNormalization()
    assert sc.Sequential([sc.Input((5, 4)), layer]).params == km.count_params()
    assert "rms_scaling" not in layer.get_config()


@pytest.mark.parametrize("shape, axis", CASES)
def test_keras_formula_is_the_variance_not_the_mean_square(shape, axis):
    """What the class docstring states, measured: Keras' output on random gamma is
    ``x/sqrt(var(x) + eps)*gamma`` (population variance over ``axis``)."""
    keras = require("keras")
    eps = 1e-3
    km = _keras_model(keras, shape, axis=axis, epsilon=eps, rms_scaling=True)
    (gamma,) = _random_weights(km)
    x = np.random.default_rng(1).normal(loc=2.0, size=(2, *shape)).astype("float32")
    axes = tuple(sorted(a % (len(shape) + 1) for a in ([axis] if isinstance(axis, int)
                                                       else axis)))
    broadcast = [1] * (len(shape) + 1)
    for a in axes:
        broadcast[a] = x.shape[a]
    expected = x / np.sqrt(x.var(axis=axes, keepdims=True) + eps) * gamma.reshape(broadcast)
    assert np.allclose(_run(km, x), expected, atol=1e-4, rtol=1e-4)


def test_no_torch_module_computes_it():
    """Why ``to_torch`` cannot export it: on the same gamma, ``nn.LayerNorm`` (mean
    subtracted) and ``nn.RMSNorm`` (root mean square) give other values than Keras."""
    keras, torch = require("keras"), require("torch")
    km = _keras_model(keras, (5, 4), epsilon=1e-3, rms_scaling=True)
    (gamma,) = _random_weights(km)
    x = np.random.default_rng(2).normal(loc=1.0, size=(3, 5, 4)).astype("float32")
    want = _run(km, x)
    ln = torch.nn.LayerNorm(4, eps=1e-3, bias=False)
    rms = torch.nn.RMSNorm(4, eps=1e-3)
    with torch.no_grad():
        for module in (ln, rms):
            module.weight.copy_(torch.from_numpy(gamma))
            got = module(torch.from_numpy(x)).numpy()
            assert np.abs(got - want).max() > 1e-2


@pytest.mark.parametrize("shape, axis", CASES)
def test_to_keras_round_trips_with_keras_values(shape, axis):
    keras = require("keras")
    km = _keras_model(keras, shape, axis=axis, epsilon=0.01, rms_scaling=True)
    weights = _random_weights(km)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        back = sc.from_keras(km).to_keras()
    layer = back.layers[-1]
    assert layer.get_config()["rms_scaling"] is True
    assert back.count_params() == km.count_params()
    layer.set_weights(weights)
    x = np.random.default_rng(3).normal(loc=1.0, size=(2, *shape)).astype("float32")
    assert np.allclose(_run(back, x), _run(km, x), atol=1e-5)


def test_derivation_states_the_count_keras_gives():
    keras = require("keras")
    km = _keras_model(keras, (3, 6, 4), axis=[-2, -1], rms_scaling=True)
    record = sc.from_keras(km).layers[0]
    d = record.derivation
    assert d.params.value == record.params == km.count_params()
    assert str(d.params.formula) == "C"
    assert any("rms_scaling" in note for note in d.notes)


def test_other_layers_refuse_it_as_keras_does():
    """No longer an inert argument every layer accepts: Keras' BatchNormalization refuses
    it, and so does symcnn's."""
    keras = require("keras")
    with pytest.raises(ValueError, match="rms_scaling"):
        keras.layers.BatchNormalization(rms_scaling=True)
    with pytest.raises(sc.LayerArgumentError, match="rms_scaling"):
        sc.BatchNormalization(rms_scaling=True)


def test_to_torch_refuses_it_with_the_reason():
    require("torch")
    m = sc.Sequential([sc.Input((5, 4)), sc.LayerNormalization(rms_scaling=True)])
    with pytest.raises(sc.ConversionError, match="rms_scaling"):
        m.to_torch()
