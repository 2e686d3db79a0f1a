"""The bridges for Keras' ``PReLU``, ``UnitNormalization``, ``Resizing`` and ``CenterCrop``:
``from_keras`` reads them (they were refused) with Keras' counts and shapes, ``to_keras``
writes them back with their arguments, model files keep them, and ``to_torch`` computes
Keras' values (``torch.nn.PReLU`` where it holds the slopes, modules running Keras' own torch
code for the others) or refuses by name what PyTorch cannot hold."""

import re

import numpy as np
import pytest

import symcnn as sc

from ..conftest import require

pytestmark = pytest.mark.frameworks


def _shapes(keras_model):
    return [tuple(layer.output.shape[1:]) for layer in keras_model.layers]


def _cnn(keras, data_format="channels_last"):
    """A small CNN with the four layers, Keras' weights drawn so no output vanishes."""
    L = keras.layers
    first = data_format == "channels_first"
    model = keras.Sequential([
        keras.Input((3, 12, 10) if first else (12, 10, 3)),
        L.Resizing(16, 14, interpolation="bicubic", antialias=True, data_format=data_format),
        L.Conv2D(4, 3, data_format=data_format),
        L.PReLU(shared_axes=[2, 3] if first else [1, 2]),
        L.UnitNormalization(axis=1 if first else -1),
        L.CenterCrop(9, 8, data_format=data_format),
        L.Resizing(5, 7, pad_to_aspect_ratio=True, fill_value=0.5, data_format=data_format),
        L.CenterCrop(6, 6, data_format=data_format),   # smaller than its input: resized
        L.Resizing(4, 4, crop_to_aspect_ratio=True, interpolation="nearest",
                   data_format=data_format),
        L.PReLU(shared_axes=[1, 2, 3]),
        L.Flatten(), L.Dense(3)])
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.get_weights()])
    return model


@pytest.mark.parametrize("source", ["model", "json"])
def test_a_cnn_with_the_four_layers_imports_with_keras_counts_and_shapes(source):
    keras = require("keras")
    theirs = _cnn(keras)
    ours = sc.from_keras(theirs if source == "model" else theirs.to_json())
    assert (ours.params, ours.trainable_params) == (theirs.count_params(),) * 2
    assert [r.output_shape for r in ours.layers] == _shapes(theirs)
    assert [r.type for r in ours.layers][:5] == ["Resizing", "Conv2D", "PReLU",
                                                 "UnitNormalization", "CenterCrop"]
    resizing = ours.layers[0].layer
    assert (resizing.height, resizing.width, resizing.interpolation, resizing.antialias) == \
        (16, 14, "bicubic", True)
    assert ours.layers[2].layer.shared_axes == (1, 2)


def test_a_default_prelu_imports_one_slope_per_element_on_a_symbolic_image():
    keras = require("keras")
    theirs = keras.Sequential([keras.Input((8, 6, 3)), keras.layers.PReLU()])
    ours = sc.from_keras(theirs, input_shape=("H", "W", 3))
    H, W = sc.symbols("H W")
    assert ours.params == 3 * H * W and ours.subs(H=8, W=6).params == theirs.count_params()


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_to_keras_writes_them_back_with_their_arguments_and_keras_values(data_format):
    keras = require("keras")
    theirs = _cnn(keras, data_format)
    again = sc.from_keras(theirs).to_keras()
    assert [type(k).__name__ for k in again.layers] == [type(k).__name__ for k in theirs.layers]
    ignored = {"name", "dtype", "trainable"}
    for a, b in zip(again.layers, theirs.layers):
        config = {k: v for k, v in b.get_config().items() if k not in ignored}
        assert {k: v for k, v in a.get_config().items() if k in config} == config, b.name
    again.set_weights(theirs.get_weights())
    x = np.random.default_rng(1).normal(size=(2, *theirs.input_shape[1:])).astype("float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(again(x)),
                               keras.ops.convert_to_numpy(theirs(x)), rtol=1e-6, atol=1e-6)


def test_a_model_file_keeps_the_four_layers():
    keras = require("keras")
    ours = sc.from_keras(_cnn(keras))
    spec = sc.model_to_spec(ours)
    again = sc.model_from_spec(spec)
    assert [r.output_shape for r in again.layers] == [r.output_shape for r in ours.layers]
    assert again.params == ours.params
    entries = [entry["Resizing"] for entry in spec["layers"] if "Resizing" in entry]
    assert {"height": 5, "width": 7, "pad_to_aspect_ratio": True, "fill_value": 0.5} in entries


# -------------------------------------------------------------------------------- to_torch


def _keras_weights_into(theirs, module) -> None:
    """Keras' weights into the export, by layer name: kernels to PyTorch's layout, PReLU's
    slopes flattened onto ``nn.PReLU``'s one axis."""
    torch = require("torch")
    modules = {re.sub(r"\W", "_", n): m for n, m in module.named_modules() if n}
    for layer in theirs.layers:
        weights = [np.asarray(w) for w in layer.get_weights()]
        if not weights:
            continue
        kind, target = type(layer).__name__, modules[layer.name]
        if kind == "PReLU":
            weights = [weights[0].reshape(-1)]
        elif kind.startswith("Conv"):
            weights[0] = np.transpose(weights[0], (3, 2, 0, 1))
        elif kind == "Dense":
            weights[0] = weights[0].T
        for parameter, value in zip(target.parameters(), weights):
            assert tuple(parameter.shape) == value.shape, layer.name
            with torch.no_grad():
                parameter.copy_(torch.tensor(value))


def _compare_exported(theirs, channels_first_input: bool):
    torch = require("torch")
    keras = require("keras")
    ours = sc.from_keras(theirs)
    module = ours.to_torch().eval()
    assert sum(p.numel() for p in module.parameters()) == theirs.count_params()
    _keras_weights_into(theirs, module)
    x = np.random.default_rng(2).normal(size=(2, *theirs.input_shape[1:])).astype("float32")
    expected = keras.ops.convert_to_numpy(theirs(x))
    moved = x.ndim > 2 and not channels_first_input  # feature maps and sequences alike
    with torch.no_grad():
        got = module(torch.tensor(np.moveaxis(x, -1, 1) if moved else x)).numpy()
    if got.ndim > 2 and moved:
        got = np.moveaxis(got, 1, -1)
    assert np.abs(expected).max() > 1e-2
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())
    return ours, module


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_to_torch_computes_keras_values(data_format):
    keras = require("keras")
    ours, module = _compare_exported(_cnn(keras, data_format),
                                     data_format == "channels_first")
    names = {type(m).__name__ for m in module.modules()}
    assert {"PReLU", "KerasUnitNormalization", "KerasResizing", "KerasCenterCrop"} <= names
    again = sc.from_torch(module, input_shape=(3, 12, 10))  # read back: the same counts
    assert (again.params, again.output_shape) == (ours.params, ours.output_shape)
    assert [r.type for r in again.layers if r.type in ("Resizing", "CenterCrop")] == \
        ["Resizing", "CenterCrop", "Resizing", "CenterCrop", "Resizing"]


@pytest.mark.parametrize("shape, axis", [((5, 6, 7), 0), ((5, 6, 7), -4), ((5, 6, 7), [0, 2]),
                                         ((9,), 0), ((5, 7), [0, -1]), ((5, 6, 7), [1, 3])])
def test_to_torch_normalizes_along_the_axes_keras_names_the_batch_included(shape, axis):
    """``UnitNormalization(axis=0)`` on a channels-last map normalized over the channels in
    the export (the batch axis was moved with them: dims (1,) for (0,))."""
    keras = require("keras")
    model = keras.Sequential([keras.Input(shape), keras.layers.UnitNormalization(axis=axis)])
    _compare_exported(model, channels_first_input=False)


@pytest.mark.parametrize("shape, shared_axes", [
    ((7, 5), [1]),            # one slope per feature of a sequence: channels moved first
    ((7, 5), [2]),            # one slope per step: the symcnn order
    ((6,), None),             # one per feature of a vector
    ((4, 5, 3), [2, 3]),      # one per row: the first axis
    ((4, 5, 3), [1, 2, 3]),   # one in all
])
def test_a_prelu_exports_as_torch_prelu_along_the_axis_of_its_slopes(shape, shared_axes):
    keras = require("keras")
    L = keras.layers
    theirs = keras.Sequential([keras.Input(shape), L.Dense(shape[-1]),
                               L.PReLU(shared_axes=shared_axes), L.Dense(2)])
    rng = np.random.default_rng(3)
    theirs.set_weights([rng.normal(size=w.shape).astype("float32")
                        for w in theirs.get_weights()])
    ours = sc.from_keras(theirs)
    expected = ours.layers[1].params
    _, module = _compare_exported(theirs, channels_first_input=False)
    assert module.get_submodule(ours.layers[1].name).num_parameters == expected


@pytest.mark.parametrize("layer, message", [
    (lambda L: L.PReLU(), r"layer 'p' \(PReLU\): its alpha has shape \(8, 8, 4\) \(256 "
                          r"slopes, shared_axes=None\), while torch.nn.PReLU holds one slope "
                          r"or one per channel; give shared_axes every axis but the "
                          r"channels' \(shared_axes=\[1, 2\] for channels last\)"),
    (lambda L: L.PReLU(shared_axes=[1, 3]), r"its alpha has shape \(1, 8, 1\)"),
    (lambda L: L.Resizing(4, 4, interpolation="lanczos3"),
     r"layer 'p' \(Resizing\): interpolation='lanczos3': Keras' torch backend and "
     r"F.interpolate have no such mode"),
])
def test_what_pytorch_cannot_hold_is_refused_by_name(layer, message):
    keras = require("keras")
    theirs = keras.Sequential([keras.Input((8, 8, 4)), layer(keras.layers)])
    theirs.layers[-1].name = "p"
    if isinstance(theirs.layers[-1], keras.layers.Resizing):  # Keras on torch refuses it too
        with pytest.raises(ValueError, match="Lanczos"):
            theirs(np.zeros((1, 8, 8, 4), "float32"))
    with pytest.raises(sc.ConversionError, match=message):
        sc.from_keras(theirs).to_torch()


# ------------------------------------------------------------- PyTorch's PReLU, to Keras


def test_torch_prelu_exports_to_keras_prelu_sharing_all_axes_but_the_channels():
    """``sc.nn.PReLU`` (one slope, or one per channel, dim 1) was refused by ``to_keras``;
    it is Keras' ``PReLU`` with every other axis shared, starting at PyTorch's ``init``,
    and computes PyTorch's values on PyTorch's slopes."""
    keras = require("keras")
    torch = require("torch")
    from symcnn import nn

    ours = nn.Sequential(nn.Conv2d(3, 4, 3), nn.PReLU(4, init=0.1), nn.PReLU(), nn.Flatten(),
                         nn.Linear(4 * 6 * 6, 5), nn.PReLU(5), input_shape=(3, 8, 8))
    theirs = ours.to_keras()
    prelus = [layer for layer in theirs.layers if type(layer).__name__ == "PReLU"]
    assert [layer.get_config()["shared_axes"] for layer in prelus] == [[2, 3], [1, 2, 3], None]
    assert [float(np.asarray(layer.alpha).ravel()[0]) for layer in prelus] == \
        pytest.approx([0.1, 0.25, 0.25])
    assert theirs.count_params() == ours.params == 847
    net = ours.to_torch()
    torch.manual_seed(0)
    modules = dict(net.named_modules())
    for layer in theirs.layers:
        if layer.name not in modules or not layer.weights:
            continue
        weights = [p.detach().normal_().numpy() for p in modules[layer.name].parameters()]
        kind = type(layer).__name__
        if kind == "Conv2D":
            weights[0] = np.transpose(weights[0], (2, 3, 1, 0))
        elif kind == "Dense":
            weights[0] = weights[0].T
        elif kind == "PReLU":
            weights = [weights[0].reshape(tuple(layer.alpha.shape))]
        layer.set_weights(weights)
    x = np.random.default_rng(4).normal(size=(2, 3, 8, 8)).astype("float32")
    with torch.no_grad():
        expected = net(torch.tensor(x)).numpy()
    np.testing.assert_allclose(keras.ops.convert_to_numpy(theirs(x)), expected,
                               rtol=1e-4, atol=1e-4 * np.abs(expected).max())
    assert sc.from_keras(theirs.to_json()).params == 847
