"""model.to_torch() exports the layers Keras' applications are built of beyond the common
ones: ``keras.ops`` arithmetic with a constant (``Elementwise``), ``LayerScale``,
``CustomScaleLayer``, ``Rescaling``, ``Normalization`` and batch normalization with only one
of ``center`` and ``scale`` (InceptionResNetV2's).

Each is checked against Keras itself: the Keras model imported by ``sc.from_keras`` and
exported has Keras' trainable count and, given the Keras weights by layer name, computes
Keras' outputs (weights drawn so that no activation vanishes).
"""

import numpy as np
import pytest

import symcnn as sc

from ..conftest import require
from .test_keras_export_applications import OPS, _application, _lively_weights, _numpy
from .test_keras_export_values import _keras_to_torch

pytestmark = pytest.mark.frameworks


def _exported_and_compared(original, x):
    """``sc.from_keras(original).to_torch()`` with ``original``'s weights, run on ``x`` (in
    Keras' layout) against Keras: the module and the largest output."""
    torch = require("torch")
    imported = sc.from_keras(original)
    module = imported.to_torch().eval()
    assert sum(p.numel() for p in module.parameters()) == imported.trainable_params == sum(
        int(np.prod(w.shape)) for w in original.trainable_weights)
    _keras_to_torch(original, module)
    expected = _numpy(original(x))
    with torch.no_grad():  # channels first in PyTorch, feature maps and sequences alike
        got = module(torch.tensor(np.moveaxis(x, -1, 1) if x.ndim > 2 else x)).numpy()
    got = np.moveaxis(got, 1, -1) if got.ndim > 2 else got
    assert expected.std() > 1e-2  # the comparison is not between vanishing outputs
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
    return module


@pytest.mark.parametrize("name, size", [("MobileNetV3Small", 64), ("ConvNeXtTiny", 32)])
def test_an_application_with_its_preprocessing_exports_and_computes_its_outputs(name, size):
    original = _application(name, include_top=False, pooling="avg", input_shape=(size, size, 3))
    original.set_weights(_lively_weights(original))
    x = np.random.default_rng(1).uniform(0, 255, (2, size, size, 3)).astype("float32")
    _exported_and_compared(original, x)


@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize("constant_first", [False, True])
def test_arithmetic_with_a_constant_computes_as_keras(op, constant_first):
    keras = require("keras")
    x = keras.Input((3, 4))
    h = keras.layers.Dense(4)(x)
    c = 0.25 if op in ("maximum", "minimum") else 1.5  # a bound the values cross
    y = getattr(keras.ops, op)(c, h) if constant_first else getattr(keras.ops, op)(h, c)
    original = keras.Model(x, y)
    a = np.random.default_rng(2).uniform(0.5, 2.0, (2, 3, 4)).astype("float32")
    rng = np.random.default_rng(7)  # fixed weights: Keras' initializers depend on test order
    weights = [rng.normal(0, 0.5, w.shape).astype("float32") for w in original.get_weights()]
    if op == "power":  # a positive base, for a real power
        weights = [np.abs(w) + 0.1 for w in weights]
    original.set_weights(weights)
    _exported_and_compared(original, a)


def test_layer_scale_custom_scale_and_one_sided_batch_norm_compute_as_keras():
    """ConvNeXt's and InceptionResNetV2's blocks on a small input, and batch normalization
    with only a shift or only a scale, in training mode too (the batch's statistics)."""
    keras = require("keras")
    torch = require("torch")
    from keras.src.applications.convnext import LayerScale
    from keras.src.applications.inception_resnet_v2 import CustomScaleLayer
    x = keras.Input((6, 6, 4))
    a = keras.layers.Conv2D(8, 3, padding="same")(x)
    a = keras.layers.BatchNormalization(scale=False)(a)
    b = keras.layers.Conv2D(8, 1)(x)
    b = keras.layers.BatchNormalization(center=False)(b)
    mixed = CustomScaleLayer(0.17)([a, b])
    y = LayerScale(0.5, 8)(mixed)
    original = keras.Model(x, keras.layers.GlobalAveragePooling2D()(y))
    original.set_weights(_lively_weights(original))
    data = np.random.default_rng(3).normal(size=(4, 6, 6, 4)).astype("float32")
    module = _exported_and_compared(original, data)
    module.train()  # the batch's statistics, as Keras' training=True
    with torch.no_grad():
        got = module(torch.tensor(np.moveaxis(data, -1, 1))).numpy()
    np.testing.assert_allclose(got, _numpy(original(data, training=True)), rtol=1e-4,
                               atol=1e-5)


@pytest.mark.parametrize("layer", [
    lambda keras: keras.layers.Rescaling(1 / 127.5, offset=-1),
    lambda keras: keras.layers.Rescaling([0.5, 2.0, 1.0], offset=[1.0, 0.0, -1.0]),
    lambda keras: keras.layers.Normalization(mean=[1.0, 2.0, 3.0], variance=[4.0, 0.25, 1.0]),
    lambda keras: keras.layers.Normalization(axis=(1, 3), mean=[1.0, 2.0, 3.0],
                                             variance=[4.0, 0.25, 1.0]),
    lambda keras: keras.layers.Normalization(mean=0.5, variance=2.0, invert=True),
    lambda keras: keras.layers.Normalization(axis=(1, 2), mean=np.arange(1.0, 21.0).reshape(5, 4),
                                             variance=np.full((5, 4), 2.0)),
    lambda keras: keras.layers.Normalization(axis=(1, 2), mean=np.arange(1.0, 6.0).reshape(5, 1),
                                             variance=np.full((5, 1), 4.0)),
], ids=["rescaling", "rescaling per channel", "normalization", "two kept axes", "invert",
        "an array on two kept axes", "an array broadcast on one"])
def test_preprocessing_computes_as_keras(layer):
    keras = require("keras")
    x = keras.Input((5, 4, 3))
    original = keras.Model(x, keras.layers.Conv2D(2, 1)(layer(keras)(x)))
    data = np.random.default_rng(4).uniform(0, 255, (2, 5, 4, 3)).astype("float32")
    _exported_and_compared(original, data)


def test_an_adapted_normalization_exports_its_statistics_as_state():
    """Adapted statistics are Keras' non-trainable weights: the module's state, which
    ``_keras_to_torch`` cannot copy by name, so they are copied here and the outputs agree."""
    keras = require("keras")
    torch = require("torch")
    norm = keras.layers.Normalization()
    data = np.random.default_rng(5).normal(3.0, 2.0, (8, 4)).astype("float32")
    norm.adapt(data)
    x = keras.Input((4,))
    original = keras.Model(x, norm(x))
    imported = sc.from_keras(original)
    module = imported.to_torch().eval()
    state = module.get_submodule(norm.name.replace(".", "_")).state_dict()
    assert sorted(state) == ["count", "mean", "variance"]
    assert sum(v.numel() for v in state.values()) == imported.non_trainable_params
    mean, variance, count = (np.asarray(w) for w in norm.get_weights())
    module.get_submodule(norm.name).load_state_dict(
        {"mean": torch.tensor(mean).reshape(1, 4), "variance": torch.tensor(variance).reshape(1, 4),
         "count": torch.tensor(int(count))})
    with torch.no_grad():
        got = module(torch.tensor(data)).numpy()
    np.testing.assert_allclose(got, _numpy(original(data)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("norm", [dict(center=False), dict(scale=False), dict(trainable=False)],
                         ids=["scale only", "center only", "frozen"])
def test_from_torch_reads_the_exported_blocks_back_with_their_counts(norm):
    """The modules the export builds state their symcnn layer, so ``from_torch`` reads them
    as leaves (it cannot trace a frozen batch norm's ``train`` override or read buffers)."""
    m = sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(4, 3), sc.BatchNormalization(**norm),
                       sc.Rescaling([1.0, 2.0, 3.0, 4.0]), sc.Normalization(),
                       sc.Elementwise("add", 2.0), sc.LayerScale(0.1)])
    back = sc.from_torch(m.to_torch(), input_shape=(3, 8, 8))
    assert (back.params, back.trainable_params) == (m.params, m.trainable_params)
    assert back.output_shape == (4, 6, 6)
    kinds = [r.layer.type_name for r in back.layers]
    assert {"Rescaling", "Normalization"} <= set(kinds)
    assert "BatchNormalization" in kinds


def test_a_model_of_two_unnamed_inputs_exports_with_an_argument_each():
    """Two ``sc.Input``s without names were both the argument ``x`` (a SyntaxError from
    torch.fx); they are ``x`` and ``x_1``, in the model's order."""
    torch = require("torch")
    a, b = sc.Input((4,)), sc.Input((4,))
    model = sc.Model([a, b], sc.Subtract()([sc.Dense(3)(a), sc.Dense(3)(b)]))
    module = model.to_torch()
    assert [n.target for n in module.graph.nodes if n.op == "placeholder"] == ["x", "x_1"]
    first, second = torch.randn(2, 4), torch.randn(2, 4)
    dense, dense_1 = module.get_submodule("dense"), module.get_submodule("dense_1")
    with torch.no_grad():
        assert torch.equal(module(first, second), dense(first) - dense_1(second))
