"""model.to_torch() writes Keras' SeparableConv1D and SeparableConv2D as one module
(:class:`~symcnn.interop._torch_keras_layers.KerasSeparableConv`) that ``sc.from_torch`` reads
back as the one layer with its arguments.

The export was an ``nn.Sequential`` of the depthwise and the pointwise convolution after an
``F.pad`` in the graph: read back, two ``Conv2d`` layers (``separable_conv2d.depthwise``,
``.pointwise``) and a padding layer, the counts right, the layer and its arguments lost. The
module keeps that state dict and computes Keras' values (Keras' weights copied in, on the
size exported and on others: it pads as Keras does for the input it gets); read back, it is
``SeparableConv2D(..., data_format="channels_first")`` named after the layer, and exported
again computes the export's values.
"""

import numpy as np
import pytest
import sympy

import symcnn as sc

from ..conftest import require

pytestmark = pytest.mark.frameworks

torch = require("torch")
keras = require("keras")

#: ``(input shape, channels last), layer arguments``: every padding, strides with odd and
#: even sizes, dilation, depth multipliers, with and without bias.
CASES = {
    "2D valid": ((7, 8, 3), dict(filters=5, kernel_size=3)),
    "2D same": ((7, 8, 3), dict(filters=5, kernel_size=3, padding="same")),
    "2D same, even window": ((7, 8, 3), dict(filters=4, kernel_size=(2, 4), padding="same")),
    "2D same, strided": ((7, 8, 3), dict(filters=5, kernel_size=3, strides=2, padding="same",
                                         depth_multiplier=2)),
    "2D same, strided by 3": ((9, 10, 2), dict(filters=3, kernel_size=(3, 2), strides=(3, 2),
                                               padding="same", use_bias=False)),
    "2D dilated": ((9, 9, 3), dict(filters=4, kernel_size=3, dilation_rate=2,
                                   padding="same", depth_multiplier=3)),
    "1D valid": ((11, 4), dict(filters=6, kernel_size=3, depth_multiplier=2)),
    "1D same, strided": ((11, 4), dict(filters=6, kernel_size=4, strides=2, padding="same")),
    "1D same, dilated": ((11, 4), dict(filters=2, kernel_size=3, dilation_rate=2,
                                       padding="same", use_bias=False)),
}


def _layer(module, shape, args):
    return getattr(module, f"SeparableConv{len(shape) - 1}D")(**args, name="sep")


def _ours(shape, args):
    return sc.Sequential([sc.Input(shape), _layer(sc, shape, args)])


def _keras(shape, args):
    return keras.Sequential([keras.Input(shape), _layer(keras.layers, shape, args)])


def _channels_first(shape) -> tuple:
    return (shape[-1], *shape[:-1])


def _copy_keras_weights(layer, module) -> None:
    """Keras' depthwise kernel ``(*k, C, m)`` is the depthwise convolution's ``(C*m, 1, *k)``,
    its pointwise kernel ``(*1, C*m, F)`` the pointwise one's ``(F, C*m, *1)``."""
    depthwise, pointwise, *bias = [np.asarray(w) for w in layer.get_weights()]
    depthwise = np.moveaxis(depthwise.reshape(depthwise.shape[:-2] + (-1,)), -1, 0)[:, None]
    n = pointwise.ndim
    pointwise = np.transpose(pointwise, (n - 1, n - 2, *range(n - 2)))
    state = {"depthwise.weight": depthwise, "pointwise.weight": pointwise}
    if bias:
        state["pointwise.bias"] = bias[0]
    module.load_state_dict({k: torch.tensor(np.ascontiguousarray(v)) for k, v in state.items()})


def _keras_values(kmodel, module, shape):
    """Keras' output and the module's (channels first) on one random batch of ``shape``."""
    x = np.random.default_rng(1).standard_normal((2, *shape)).astype("float32")
    expected = np.asarray(kmodel(x).detach())
    with torch.no_grad():
        got = module(torch.tensor(np.moveaxis(x, -1, 1))).movedim(1, -1).numpy()
    return expected, got


@pytest.mark.parametrize("name", list(CASES))
def test_a_separable_convolution_is_read_back_as_itself(name):
    shape, args = CASES[name]
    model = _ours(shape, args)
    net = model.to_torch()
    back = sc.from_torch(net, input_shape=_channels_first(shape))
    (record,) = [r for r in back.layers if r.type != "InputLayer"]
    expected = _layer(sc, shape, {**args, "data_format": "channels_first"})
    assert (record.name, repr(record.layer)) == ("sep", repr(expected))
    assert (back.params, back.trainable_params, back.macs) == \
        (model.params, model.trainable_params, model.macs)
    assert back.output_shape == _channels_first(model.output_shape)
    again = back.to_torch()
    again.load_state_dict(net.state_dict())
    x = torch.randn(2, *_channels_first(shape))
    with torch.no_grad():
        torch.testing.assert_close(again(x), net(x))


@pytest.mark.parametrize("name", list(CASES))
def test_the_module_keeps_its_state_dict_and_computes_kerass_values(name):
    shape, args = CASES[name]
    net = _ours(shape, args).to_torch()
    bias = ["sep.pointwise.bias"] if args.get("use_bias", True) else []
    assert sorted(net.state_dict()) == sorted(["sep.depthwise.weight", "sep.pointwise.weight",
                                               *bias])
    kmodel = _keras(shape, args)
    rng = np.random.default_rng(0)
    layer = kmodel.layers[-1]
    layer.set_weights([rng.standard_normal(np.shape(w)).astype("float32")
                       for w in layer.get_weights()])
    _copy_keras_weights(layer, net.get_submodule("sep"))
    expected, got = _keras_values(kmodel, net, shape)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def test_read_on_symbols_it_is_kerass_same_padding_at_every_size():
    """The module pads as Keras does for the input it gets, so the layer read back on
    symbolic sizes holds at sizes other than the exported one (odd and even, as the
    strided same padding differs between them)."""
    args = dict(filters=4, kernel_size=3, strides=2, padding="same")
    net = _ours((8, 8, 3), args).to_torch()
    back = sc.from_torch(net, input_shape=(3, "H", "W"))
    assert back.get_layer("sep").layer.padding == "same"
    H, W = sc.symbols("H W")
    assert back.output_shape == (4, sympy.ceiling(H / 2), sympy.ceiling(W / 2))
    for h, w in ((7, 9), (10, 5)):
        kmodel = _keras((h, w, 3), args)
        _copy_keras_weights(kmodel.layers[-1], net.get_submodule("sep"))
        expected, got = _keras_values(kmodel, net, (h, w, 3))
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
        assert back.subs(H=h, W=w).output_shape == tuple(np.moveaxis(got, -1, 1).shape[1:])


def test_an_activation_follows_the_module_and_reads_back_as_its_own_layer():
    model = _ours((7, 8, 3), dict(filters=5, kernel_size=3, activation="relu"))
    back = sc.from_torch(model.to_torch(), input_shape=(3, 7, 8))
    assert [r.type for r in back.layers] == ["InputLayer", "SeparableConv2D", "ReLU"]
    assert back.get_layer("sep").layer.activation is None


def test_a_frozen_separable_convolution_reads_back_frozen():
    model = sc.Sequential([sc.Input((7, 8, 3)),
                           sc.SeparableConv2D(5, 3, trainable=False, name="sep")])
    net = model.to_torch()
    back = sc.from_torch(net, input_shape=(3, 7, 8))
    assert not back.get_layer("sep").layer.trainable
    assert (back.trainable_params, back.non_trainable_params) == (0, model.params)
    net.get_submodule("sep.pointwise").requires_grad_(True)  # half frozen: refused
    with pytest.raises(sc.ConversionError, match=r"module 'sep'.*SeparableConv2D has frozen "
                                                 r"parameters \(depthwise\.weight\) next to "
                                                 r"trainable ones"):
        sc.from_torch(net, input_shape=(3, 7, 8))
