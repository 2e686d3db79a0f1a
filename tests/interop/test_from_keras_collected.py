"""from_keras: what it cannot read is collected, all at once; what it reads is Keras' count.

- A layer with an activation symcnn does not have (a function registered with Keras) stopped
  the import with a LayerArgumentError, so the other unsupported layers were never listed;
  it is now one entry of the ConversionError, with the layers around it.
- ``Normalization`` with an array ``mean`` and ``variance`` (``np.ones((5, 3))`` on two kept
  axes) was refused ("must be a number or a list of numbers"); Keras builds it.
- The shape-keeping augmentation layers that are identities at inference and have no
  weights are read (each checked in Keras: no weights, ``predict`` returns its input);
  those that change values at inference too (``AutoContrast``) are refused with the reason.
"""

import numpy as np
import pytest

import symcnn as sc
from symcnn.interop.keras_layers import _NOT_PASSTHROUGH, _PASSTHROUGH

from ..conftest import require

pytestmark = pytest.mark.frameworks


def _custom_activation(keras):
    @keras.saving.register_keras_serializable(package="symcnn_tests")
    def doubled(x):
        return x * 2

    return doubled


@pytest.mark.parametrize("source", ["model", "json"])
def test_a_custom_activation_is_collected_with_the_other_unsupported_layers(source):
    keras = require("keras")
    L = keras.layers
    act = _custom_activation(keras)
    km = keras.Sequential([keras.Input((5,)), L.Lambda(lambda t: t, name="lam"),
                           L.Dense(3, activation=act, name="dense"),
                           L.Discretization(bin_boundaries=[0.0], name="disc"), L.RepeatVector(2),
                           L.LSTM(2, recurrent_activation=act, name="lstm")])
    with pytest.raises(sc.ConversionError) as info:
        sc.from_keras(km if source == "model" else km.to_json())
    text = str(info.value)
    assert "4 operations have no symcnn equivalent" in text
    assert "'lam' (Lambda)" in text and "'disc' (Discretization)" in text
    assert "'dense' (Dense)" in text and "activation 'symcnn_tests>doubled'" in text
    assert "'lstm' (LSTM)" in text and "recurrent_activation='symcnn_tests>doubled'" in text


@pytest.mark.parametrize("stats", [(5, 3), (5, 1), (1, 3), (3,), ()])
def test_normalization_with_array_statistics_imports_with_keras_counts(stats):
    keras = require("keras")
    layer = keras.layers.Normalization(axis=(1, 2), mean=np.ones(stats), variance=np.ones(stats))
    km = keras.Sequential([keras.Input((5, 3)), layer, keras.layers.Dense(2)])
    ours = sc.from_keras(km)
    assert (ours.params, ours.output_shape) == (km.count_params(), tuple(km.output_shape[1:]))
    assert [row.params for row in ours.layers if row.type == "Normalization"] == [0]
    again = ours.to_keras()  # and back: Keras builds the same arrays
    x = np.random.default_rng(0).random((2, 5, 3)).astype("float32")
    assert again.count_params() == km.count_params()
    np.testing.assert_allclose(again.layers[0](x), km.layers[0](x), rtol=1e-6)


_ARGS = {  # the arguments each layer requires
    "RandomRotation": (0.2,), "RandomZoom": (0.2,), "RandomTranslation": (0.2, 0.2),
    "RandomContrast": (0.5,), "RandomBrightness": (0.5,), "RandomHue": (0.5,),
    "RandomSaturation": (0.5,), "RandomSharpness": (0.5,), "RandomShear": (0.3, 0.3),
    "RandomColorDegeneration": (0.5,), "GaussianNoise": (0.3,), "GaussianDropout": (0.3,),
    "AlphaDropout": (0.3,), "RandomPosterization": (4,),
}


def _images():
    return (np.random.default_rng(0).random((2, 8, 8, 3)) * 255).astype("float32")


@pytest.mark.parametrize("kind", _PASSTHROUGH)
def test_every_passthrough_layer_is_a_weightless_identity_at_inference_in_keras(kind):
    keras = require("keras")
    layer = getattr(keras.layers, kind)(*_ARGS.get(kind, ()))
    km = keras.Sequential([keras.Input((8, 8, 3)), layer, keras.layers.Conv2D(4, 3)])
    x = _images()
    assert layer.weights == [] and tuple(layer.output.shape[1:]) == (8, 8, 3)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(x, training=False)), x,
                               atol=1e-4)
    ours = sc.from_keras(km)
    assert (ours.params, ours.output_shape) == (km.count_params(), tuple(km.output_shape[1:]))
    assert kind in [row.type for row in ours.layers]


@pytest.mark.parametrize("kind", sorted(_NOT_PASSTHROUGH))
def test_shape_keeping_layers_that_change_values_at_inference_are_refused_with_the_reason(kind):
    keras = require("keras")
    layer = getattr(keras.layers, kind)()
    x = _images()
    assert not np.allclose(keras.ops.convert_to_numpy(layer(x, training=False)), x, atol=1e-4)
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 8, 8, 3], "name": "i"}},
        {"class_name": kind, "module": "keras.layers", "config": layer.get_config()}]}}
    with pytest.raises(sc.ConversionError, match=rf"\({kind}\).*at inference too"):
        sc.from_keras(config)
