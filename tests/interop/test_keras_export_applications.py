"""model.to_keras() exports the layers Keras' applications are built of beyond keras.layers:
``keras.ops`` arithmetic with a constant (``Elementwise``), ConvNeXt's ``LayerScale`` and
InceptionResNetV2's ``CustomScaleLayer``.

Each is checked against Keras itself: an application imported by ``sc.from_keras`` exports
with Keras' parameter count and, given the original's weights by order, computes the
original's outputs (weights drawn at random, so that no activation vanishes and the
comparison means something). Small models check each operation's values against NumPy
and that the export serializes as Keras' own does (``model_from_json`` reads it back).
"""

import math
import warnings

import numpy as np
import pytest

import symcnn as sc

from ..conftest import require
from ..support.saved_tensors import KerasTraining, measure

pytestmark = pytest.mark.frameworks

OPS = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply,
       "divide": np.divide, "true_divide": np.true_divide, "power": np.power,
       "maximum": np.maximum, "minimum": np.minimum}


def _numpy(y):
    return np.asarray(y.detach().cpu() if hasattr(y, "detach") else y)


def _lively_weights(model, seed=0) -> list:
    """Random weights for ``model`` that keep activations alive through a deep network:
    He-scaled kernels, scales and variances near 1, small shifts (Keras' initial weights make
    MobileNetV3's output about 1e-9, which any export would match within 1e-4)."""
    rng = np.random.default_rng(seed)
    drawn = []
    for w in model.weights:
        shape, path = tuple(w.shape), w.path
        if len(shape) >= 2:
            fan_in = math.prod(shape[:-2] if "depthwise" in path else shape[:-1])
            drawn.append(rng.normal(0, math.sqrt(2 / fan_in), shape))
        elif "variance" in path or "gamma" in path:
            drawn.append(rng.uniform(0.5, 1.5, shape))
        else:
            drawn.append(rng.normal(0, 0.1, shape))
    return [d.astype("float32") for d in drawn]


def _application(name, **kwargs):
    keras = require("keras")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(keras.applications, name)(weights=None, **kwargs)


@pytest.mark.parametrize("name, kwargs, scale_layer", [
    ("MobileNetV3Small", {"include_top": False, "input_shape": (64, 64, 3)}, None),
    ("ConvNeXtTiny", {"include_top": False, "input_shape": (32, 32, 3)}, "LayerScale"),
    ("InceptionResNetV2", {"include_top": False, "input_shape": (75, 75, 3)},
     "CustomScaleLayer"),
])
def test_an_application_exports_with_its_count_and_computes_its_outputs(name, kwargs,
                                                                       scale_layer):
    original = _application(name, **kwargs)
    exported = sc.from_keras(original).to_keras()
    assert exported.count_params() == original.count_params()
    if scale_layer:  # Keras' own class, as in the application
        assert sum(type(layer).__name__ == scale_layer for layer in exported.layers) == \
            sum(type(layer).__name__ == scale_layer for layer in original.layers) > 0
    weights = _lively_weights(original)  # the same weights, by order
    original.set_weights(weights)
    exported.set_weights(weights)
    x = np.random.default_rng(1).uniform(0, 255, (1, *kwargs["input_shape"])).astype("float32")
    expected, got = _numpy(original(x)), _numpy(exported(x))
    assert expected.std() > 1e-2  # the comparison is not between vanishing outputs
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


@pytest.mark.parametrize("op", sorted(OPS))
def test_keras_ops_arithmetic_with_a_constant_exports_as_the_same_keras_op(op):
    keras = require("keras")
    x = keras.Input((3, 4))
    original = keras.Model(x, getattr(keras.ops, op)(x, 1.5))
    imported = sc.from_keras(original)
    assert [r.layer.type_name for r in imported.layers] == ["InputLayer", "Elementwise"]
    exported = imported.to_keras()
    recorded = [(entry["module"], entry["class_name"])
                for entry in exported.get_config()["layers"][1:]]
    assert recorded == [(entry["module"], entry["class_name"])
                        for entry in original.get_config()["layers"][1:]]
    a = np.random.default_rng(2).uniform(0.5, 2.0, (2, 3, 4)).astype("float32")
    np.testing.assert_allclose(_numpy(exported(a)), OPS[op](a, np.float32(1.5)), rtol=1e-6)
    again = keras.models.model_from_json(exported.to_json())
    np.testing.assert_allclose(_numpy(again(a)), _numpy(exported(a)), rtol=0)


def test_a_sequential_with_arithmetic_exports_as_a_functional_model():
    """A keras.ops call is not a layer, so keras.Sequential cannot hold it."""
    keras = require("keras")
    m = sc.Sequential([sc.Input((5,)), sc.Dense(4), sc.Elementwise("maximum", 0.25),
                       sc.Elementwise("multiply", 3.0)])
    exported = m.to_keras()
    assert not isinstance(exported, keras.Sequential)
    assert exported.count_params() == m.params
    names = [entry["name"] for entry in exported.get_config()["layers"][1:]]
    assert names == [r.name for r in m.layers]
    a = np.random.default_rng(3).normal(size=(3, 5)).astype("float32")
    kernel, bias = exported.layers[1].get_weights()
    np.testing.assert_allclose(_numpy(exported(a)), np.maximum(a @ kernel + bias, 0.25) * 3.0,
                               rtol=1e-5, atol=1e-6)


def test_elementwise_without_a_constant_is_refused_with_the_reason():
    x = sc.Input((4,))
    m = sc.Model(x, sc.Elementwise("add")(x))
    with pytest.raises(sc.errors.SymcnnError, match="without a constant"):
        m.to_keras()


@pytest.mark.parametrize("operation", [lambda x: 3.0 - x, lambda x: 6.0 / x,
                                       lambda x: 2.0 ** x, lambda x: x - 3.0],
                         ids=["3 - x", "6 / x", "2 ** x", "x - 3"])
def test_a_constant_first_operation_imports_and_exports_in_its_order(operation):
    """``3.0 - x`` was read as ``Elementwise('subtract', 3.0)``, which is ``x - 3.0``: the
    export computed another function. The side of the constant is kept
    (``constant_first``), in the export and in what PyTorch keeps for the backward pass."""
    keras = require("keras")
    torch = require("torch")
    x = keras.Input((4,))
    original = keras.Model(x, operation(keras.layers.Dense(4)(x)))  # its input needs grad
    a = np.random.default_rng(4).uniform(0.5, 2.0, size=(2, 4)).astype("float32")
    imported = sc.from_keras(original)
    exported = imported.to_keras()
    exported.set_weights(original.get_weights())
    np.testing.assert_allclose(_numpy(exported(a)), _numpy(original(a)), rtol=1e-5)
    kept, _ = measure(KerasTraining(original), torch.tensor(a))
    assert imported.training_memory(batch=2, optimizer="sgd").activations == kept


@pytest.mark.parametrize("channels, projection_dim, out_channels, params", [
    (8, None, 8, 8), (8, 8, 8, 8), (8, 1, 8, 1), (1, 8, 8, 8)])
def test_layer_scale_exports_as_convnexts_layer_scale(channels, projection_dim,
                                                      out_channels, params):
    """Keras' LayerScale starts at ``init_values``: the output is the input times it,
    broadcast as Keras broadcasts."""
    keras = require("keras")
    x = sc.Input((3, 3, channels))
    m = sc.Model(x, sc.LayerScale(0.5, projection_dim, name="scale")(x))
    exported = m.to_keras()
    layer = exported.get_layer("scale")
    assert type(layer).__module__ == "keras.src.applications.convnext"
    assert exported.count_params() == m.params == params
    a = np.random.default_rng(5).normal(size=(2, 3, 3, channels)).astype("float32")
    y = _numpy(exported(a))
    assert y.shape == (2, 3, 3, out_channels) == (2, *m.output_shape)
    np.testing.assert_allclose(y, np.broadcast_to(a * 0.5, y.shape), rtol=1e-6)
    frozen = sc.Model(x, sc.LayerScale(0.5, projection_dim, trainable=False)(x)).to_keras()
    assert not frozen.trainable_weights
    assert keras.models.model_from_json(exported.to_json()).count_params() == params


def test_custom_scale_layer_exports_as_inception_resnets():
    keras = require("keras")
    a_in, b_in = sc.Input((4, 4, 6)), sc.Input((4, 4, 6))
    m = sc.Model([a_in, b_in], sc.CustomScaleLayer(0.17, name="mix")([a_in, b_in]))
    exported = m.to_keras()
    assert type(exported.get_layer("mix")).__module__ == \
        "keras.src.applications.inception_resnet_v2"
    rng = np.random.default_rng(6)
    a, b = (rng.normal(size=(2, 4, 4, 6)).astype("float32") for _ in range(2))
    np.testing.assert_allclose(_numpy(exported([a, b])), a + b * np.float32(0.17), rtol=1e-6)
    again = keras.models.model_from_json(exported.to_json())
    np.testing.assert_allclose(_numpy(again([a, b])), _numpy(exported([a, b])), rtol=0)
