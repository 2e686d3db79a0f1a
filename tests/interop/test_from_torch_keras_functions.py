"""sc.from_torch reads back what model.to_torch() writes for Keras layers PyTorch has no
module for, and the same functions in a module of one's own, each as the symcnn layer it
computes exactly.

``sc.from_torch(m.to_torch())`` refused (``no symcnn equivalent``) MobileNet's
``ReLU(max_value=6.0)`` (``relu`` then ``torch.clamp(y, max=6.0)``), ``ReLU(threshold=t)``
(``F.threshold``), ``Maximum``/``Minimum`` (``torch.maximum``/``minimum``), ``Elementwise``
maximum and minimum (``torch.clamp``), Keras' ``exponential``, ``tanh_shrink``,
``hard_shrink``, ``soft_shrink``, ``log_sigmoid``, ``squareplus`` and ``sparse_plus``
activations, ``same`` average pooling that pads (window sums over those of
``torch.ones_like``) and the ``torch.flip`` before a recurrent layer that goes backwards;
``sparse_sigmoid`` came back as a ``Hardtanh``, another function.
Each export is read back with the original's counts, shapes, MACs (also PyTorch's
FlopCounterMode) and layer, and, exported again, computes the export's values on its
weights. A call whose arguments make it no symcnn layer (``torch.clamp(x, 2, 1)``,
``F.threshold(x, 0.5, -1.0)``, ``F.hardshrink(x, 0.3)``) is refused, saying why.
"""

import re

import pytest

import symcnn as sc
from symcnn import nn
from symcnn.interop._common import keras_base

from ..conftest import require
from ..support.flops import torch_macs

require("torch")
from ..support.torch_models import own_module  # noqa: E402  (torch.nn modules)

pytestmark = pytest.mark.frameworks


def _channels_first(shape) -> tuple:
    shape = tuple(int(d) for d in shape)
    return shape if len(shape) < 2 else (shape[-1], *shape[:-1])


def _kinds(model) -> list:
    """Each layer's Keras-named class (PyTorch-named ones: their parent), inputs left out."""
    return [(keras_base(r.layer) or type(r.layer)).__name__ for r in model.layers
            if r.type != "InputLayer"]


def _described(layer) -> str:
    """``repr(layer)`` without its name."""
    return re.sub(r",? ?name='[^']*'", "", repr(layer)).replace("(, ", "(")


def _arguments_besides_convolutions(model) -> list:
    """The arguments of each layer but the inputs and convolutions, names and data formats
    left out."""
    return [{k: v for k, v in r.layer.get_config().items() if k not in ("name", "data_format")}
            for r, kind in zip([r for r in model.layers if r.type != "InputLayer"], _kinds(model))
            if not kind.startswith("Conv")]


def _same_weights_same_values(first, second, x) -> None:
    """``second`` given ``first``'s parameters (in order) computes ``first``'s outputs."""
    torch = require("torch")
    ours, theirs = list(first.parameters()), list(second.parameters())
    assert [p.shape for p in ours] == [p.shape for p in theirs]
    with torch.no_grad():
        for a, b in zip(ours, theirs):
            b.copy_(a)
        expected, got = first.eval()(x), second.eval()(x)
    assert expected.std() > 0.1  # not a comparison of vanishing outputs
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def _single(layer, shape=(7, 7, 3)):
    conv = {2: sc.Conv1D, 3: sc.Conv2D, 4: sc.Conv3D}[len(shape)]
    return sc.Sequential([sc.Input(shape), conv(4, 1), layer])


def _read_twice(layer):
    """``layer`` on a convolution's output, its own output read by two convolutions."""
    x = sc.Input((7, 7, 3))
    y = layer(sc.Conv2D(4, 1)(x))
    return sc.Model(x, sc.Add()([sc.Conv2D(4, 1)(y), sc.Conv2D(4, 1)(y)]))


def _merged(merge):
    x = sc.Input((7, 7, 3))
    return sc.Model(x, merge()([sc.Conv2D(4, 1)(x), sc.Conv2D(4, 3, padding="same")(x)]))


EXPORTS = {
    "ReLU6 (MobileNet's, as from_keras reads it)": lambda: _single(sc.ReLU(max_value=6.0)),
    "ReLU capped at 2.5": lambda: _single(sc.ReLU(max_value=2.5)),
    "leaky ReLU capped at 0": lambda: _single(sc.ReLU(max_value=0.0, negative_slope=0.1)),
    "leaky ReLU capped": lambda: _single(sc.ReLU(max_value=3.0, negative_slope=0.1)),
    "ReLU(threshold=1.0)": lambda: _single(sc.ReLU(threshold=1.0)),
    "ReLU with threshold and cap": lambda: _single(sc.ReLU(threshold=0.5, max_value=4.0)),
    "ReLU with threshold and slope": lambda: _single(sc.ReLU(threshold=0.5,
                                                             negative_slope=0.2)),
    "ReLU with every argument": lambda: _single(sc.ReLU(threshold=0.5, negative_slope=0.2,
                                                        max_value=3.0)),
    **{f"Activation({name!r})": (lambda name=name: _single(sc.Activation(name)))
       for name in ("exponential", "tanh_shrink", "hard_shrink", "soft_shrink", "log_sigmoid",
                    "squareplus", "sparse_plus", "sparse_sigmoid")},
    "Elementwise maximum": lambda: _single(sc.Elementwise("maximum", 0.5)),
    "Elementwise minimum": lambda: _single(sc.Elementwise("minimum", -0.5)),
    "Maximum": lambda: _merged(sc.Maximum),
    "Minimum": lambda: _merged(sc.Minimum),
    "AveragePooling1D same": lambda: _single(sc.AveragePooling1D(4, 3, padding="same"), (9, 3)),
    "AveragePooling2D same": lambda: _single(sc.AveragePooling2D(3, 2, padding="same")),
    "AveragePooling2D same, two kernels": lambda: _single(
        sc.AveragePooling2D((2, 3), (1, 2), padding="same"), (7, 9, 3)),
    "AveragePooling3D same": lambda: _single(sc.AveragePooling3D(3, 2, padding="same"),
                                             (5, 6, 7, 2)),
    **{f"{name}, read twice": (lambda make=make: _read_twice(make())) for name, make in (
        ("ReLU6", lambda: sc.ReLU(max_value=6.0)),
        ("ReLU with every argument", lambda: sc.ReLU(threshold=0.5, negative_slope=0.2,
                                                     max_value=3.0)),
        ("squareplus", lambda: sc.Activation("squareplus")),
        ("sparse_plus", lambda: sc.Activation("sparse_plus")),
        ("sparse_sigmoid", lambda: sc.Activation("sparse_sigmoid")),
        ("AveragePooling2D same", lambda: sc.AveragePooling2D(3, 2, padding="same")))},
}


@pytest.mark.parametrize("name", list(EXPORTS))
def test_an_exported_layer_is_read_back_as_itself(name):
    torch = require("torch")
    model = EXPORTS[name]()
    module = model.to_torch()
    shape = _channels_first(model.input_shape)
    back = sc.from_torch(module, input_shape=shape)
    assert (back.params, back.trainable_params) == (model.params, model.trainable_params)
    assert back.output_shape == _channels_first(model.output_shape)
    x = torch.randn(2, *shape, generator=torch.Generator().manual_seed(0)) * 10
    assert back.macs == model.macs == torch_macs(module, x[:1])
    assert _kinds(back) == _kinds(model)
    assert _arguments_besides_convolutions(back) == _arguments_besides_convolutions(model)
    _same_weights_same_values(module, back.to_torch(), x)


#: Keras' recurrent layers that go backwards (read on (T, x) = (6, 3) sequences).
BACKWARDS = {
    "LSTM": lambda: sc.LSTM(4, use_bias=False, go_backwards=True, return_sequences=True),
    "GRU": lambda: sc.GRU(4, go_backwards=True),
    "SimpleRNN": lambda: sc.SimpleRNN(4, use_bias=False, activation="relu", go_backwards=True,
                                      return_sequences=True),
}


@pytest.mark.parametrize("kind", list(BACKWARDS))
def test_a_recurrent_layer_that_goes_backwards_is_read_back_as_itself(kind):
    """The export flipped the sequence with ``torch.flip`` before PyTorch's module, which
    ``from_torch`` refused (no symcnn layer flips); its module flips inside now."""
    torch = require("torch")
    model = sc.Sequential([sc.Input((6, 3)), BACKWARDS[kind]()])
    module = model.to_torch()
    back = sc.from_torch(module, input_shape=(3, 6))
    assert (back.params, back.trainable_params) == (model.params, model.trainable_params)
    assert back.output_shape == _channels_first(model.output_shape)
    x = torch.randn(2, 3, 6, generator=torch.Generator().manual_seed(0)) * 2
    assert back.macs == model.macs == torch_macs(module, x[:1])
    read = [r.layer for r in back.layers if r.type == kind]
    assert [_described(layer) for layer in read] == [_described(model.layers[0].layer)]
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():  # weights of a normal spread: outputs that vary
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=generator))
    _same_weights_same_values(module, back.to_torch(), x)


def test_mobilenet_v2_exported_reads_back_with_every_relu6():
    model = sc.zoo.mobilenet_v2().subs(H=32, W=32)
    back = sc.from_torch(model.to_torch(), input_shape=(3, 32, 32))
    assert (back.params, back.macs) == (model.params, model.macs)
    assert back.output_shape == model.output_shape

    def relus(m):
        return [_described(r.layer) for r in m.layers if r.type == "ReLU"]
    assert relus(back) == relus(model) == ["ReLU(max_value=6.0)"] * 35


# ------------------------------------------------------------------ modules of one's own

#: ``forward(torch, F, y)`` on a convolution's output ``y``, and the layers read after it.
CALLS = {
    "torch.clamp(y, min=0, max=6)": (lambda t, F, y: t.clamp(y, min=0, max=6),
                                     [sc.ReLU(max_value=6.0)]),
    "y.clamp(0, 6)": (lambda t, F, y: y.clamp(0, 6), [sc.ReLU(max_value=6.0)]),
    "torch.clip(y, 0.0, 6.0)": (lambda t, F, y: t.clip(y, 0.0, 6.0), [sc.ReLU(max_value=6.0)]),
    "F.hardtanh(y, 0.0, 6.0)": (lambda t, F, y: F.hardtanh(y, 0.0, 6.0),
                                [sc.ReLU(max_value=6.0)]),
    "torch.clamp(F.relu(y), max=6.0)": (lambda t, F, y: t.clamp(F.relu(y), max=6.0),
                                        [sc.ReLU(max_value=6.0)]),
    "F.relu(y).clamp(max=6)": (lambda t, F, y: F.relu(y).clamp(max=6), [sc.ReLU(max_value=6.0)]),
    "F.relu6(y)": (lambda t, F, y: F.relu6(y), [nn.ReLU6()]),
    "torch.clamp(y, min=0)": (lambda t, F, y: t.clamp(y, min=0), [sc.ReLU()]),
    "torch.clamp(y, -1, 1)": (lambda t, F, y: t.clamp(y, -1, 1), [nn.Hardtanh(-1, 1)]),
    "torch.clamp(y, min=0.5)": (lambda t, F, y: t.clamp(y, min=0.5),
                                [nn.ScalarOp("maximum", 0.5)]),
    "torch.clamp_max(y, 2.0)": (lambda t, F, y: t.clamp_max(y, 2.0),
                                [nn.ScalarOp("minimum", 2.0)]),
    "F.leaky_relu(y, 0.1).clamp(max=3.0)": (lambda t, F, y: F.leaky_relu(y, 0.1).clamp(max=3.0),
                                            [sc.ReLU(max_value=3.0, negative_slope=0.1)]),
    "a ReLU read twice is no capped ReLU": (
        lambda t, F, y: (lambda r: t.clamp(r, max=6.0) + r)(F.relu(y)),
        [nn.ReLU(), nn.ScalarOp("minimum", 6.0), sc.Add()]),
    "a lower bound above 0 is no cap": (lambda t, F, y: F.relu(y).clamp(1.0, 6.0),
                                        [nn.ReLU(), nn.Hardtanh(1.0, 6.0)]),
    "F.threshold(y, 1.0, 0.0)": (lambda t, F, y: F.threshold(y, 1.0, 0.0),
                                 [sc.ReLU(threshold=1.0)]),
    "torch.exp(y)": (lambda t, F, y: t.exp(y), [sc.Activation("exponential")]),
    "y.exp()": (lambda t, F, y: y.exp(), [sc.Activation("exponential")]),
    "a cube": (lambda t, F, y: y ** 3, [nn.ScalarOp("power", 3)]),
    "F.tanhshrink(y)": (lambda t, F, y: F.tanhshrink(y), [sc.Activation("tanh_shrink")]),
    "F.hardshrink(y)": (lambda t, F, y: F.hardshrink(y), [sc.Activation("hard_shrink")]),
    "F.softshrink(y, 0.5)": (lambda t, F, y: F.softshrink(y, 0.5), [sc.Activation("soft_shrink")]),
    "F.logsigmoid(y)": (lambda t, F, y: F.logsigmoid(y), [sc.Activation("log_sigmoid")]),
    "torch.maximum(y, z)": (lambda t, F, y, z: t.maximum(y, z), [sc.Maximum()]),
    "y.maximum(z)": (lambda t, F, y, z: y.maximum(z), [sc.Maximum()]),
    "torch.minimum(y, z)": (lambda t, F, y, z: t.minimum(y, z), [sc.Minimum()]),
}

#: ``torch.nn`` modules symcnn.nn has no class of, and the layer each is read as.
MODULES = {
    "Tanhshrink": ((), sc.Activation("tanh_shrink")),
    "Hardshrink": ((), sc.Activation("hard_shrink")),
    "Softshrink": ((0.5,), sc.Activation("soft_shrink")),
    "LogSigmoid": ((), sc.Activation("log_sigmoid")),
    "Threshold": ((1.0, 0.0), sc.ReLU(threshold=1.0)),
}


def _read_and_compared(module, expected) -> None:
    """``module`` read on (3, 7, 7): the layers after the convolutions are ``expected``; the
    counts are ``parameters()``, the MACs FlopCounterMode's, and, exported again on its
    weights, the values ``module``'s (on inputs far past every bound)."""
    torch = require("torch")
    back = sc.from_torch(module, input_shape=(3, 7, 7))
    read = [r.layer for r in back.layers if r.type not in ("InputLayer", "Conv2d")]
    assert [_described(layer) for layer in read] == [_described(layer) for layer in expected]
    assert back.trainable_params == sum(p.numel() for p in module.parameters())
    x = torch.randn(2, 3, 7, 7, generator=torch.Generator().manual_seed(1)) * 10
    assert back.macs == torch_macs(module, x[:1])
    _same_weights_same_values(module, back.to_torch(), x)


@pytest.mark.parametrize("call", list(CALLS))
def test_a_function_in_ones_own_module_is_read_as_the_layer_it_computes(call):
    forward, expected = CALLS[call]
    _read_and_compared(own_module(forward), expected)


@pytest.mark.parametrize("kind", list(MODULES))
def test_a_torch_nn_module_of_such_a_function_is_read_as_its_layer(kind):
    torch = require("torch")
    args, expected = MODULES[kind]
    module = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 1), getattr(torch.nn, kind)(*args))
    _read_and_compared(module, [expected])


# --------------------------------------------------------------------------------- refusals

REFUSED = {
    "torch.clamp(y, 2, 1)": (lambda t, F, y: t.clamp(y, 2, 1),
                             r"torch\.clamp \(node 'clamp'\).*: a clamp with min=2 >= max=1, "
                             r"which gives 1 everywhere \(no symcnn layer is a constant\)"),
    "a clamp between tensors": (lambda t, F, y, z: t.clamp(y, min=z),
                                r"a clamp with min=.*\(a clamp between numbers is converted\)"),
    "F.threshold to another value": (
        lambda t, F, y: F.threshold(y, 0.5, -1.0),
        r"threshold=0\.5, value=-1\.0: Keras' ReLU\(threshold=t\) is F\.threshold\(x, t, 0\) "
        r"with t >= 0, and no symcnn layer gives another value or takes a negative threshold"),
    "F.threshold below 0": (lambda t, F, y: F.threshold(y, -1.0, 0.0),
                            r"threshold=-1\.0, value=0\.0: Keras' ReLU\(threshold=t\)"),
    "F.hardshrink by 0.3": (lambda t, F, y: F.hardshrink(y, 0.3),
                            r"lambd=0\.3: Keras' 'hard_shrink' activation, by name, shrinks by "
                            r"0\.5 only"),
    "F.softshrink by 1": (lambda t, F, y: F.softshrink(y, lambd=1.0),
                          r"lambd=1\.0: Keras' 'soft_shrink' activation"),
    "a power of two tensors": (lambda t, F, y, z: y ** z,
                               r"_operator\.pow \(node 'pow_1'\).*: a power of .* \(a power "
                               r"of a tensor and a number is converted; no symcnn layer raises a "
                               r"tensor to a tensor\)"),
    "ones_like alone": (lambda t, F, y: y + t.ones_like(y),
                        r"torch\.ones_like \(node 'ones_like'\).*: torch\.ones_like \(read only "
                        r"as the divisor of Keras' same average pooling"),
}


@pytest.mark.parametrize("call", list(REFUSED))
def test_a_function_no_symcnn_layer_computes_is_refused_saying_why(call):
    forward, message = REFUSED[call]
    with pytest.raises(sc.ConversionError, match=message):
        sc.from_torch(own_module(forward), input_shape=(3, 7, 7))


def test_a_hardshrink_module_by_another_lambd_is_refused_naming_it():
    torch = require("torch")
    module = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 1), torch.nn.Hardshrink(0.25))
    with pytest.raises(sc.ConversionError, match=r"module '1' at .*: lambd=0\.25: Keras' "
                                                 r"'hard_shrink' activation"):
        sc.from_torch(module, input_shape=(3, 7, 7))


def test_same_average_pooling_read_on_other_sizes_is_refused_with_its_padding():
    """The export pads for the sizes it was made on; on symbols its padding is no longer
    Keras' same padding, so it is no AveragePooling2D(padding="same")."""
    module = _single(sc.AveragePooling2D(3, 2, padding="same"), (8, 8, 3)).to_torch()
    with pytest.raises(sc.ConversionError, match=r"padded by \[0, 1, 0, 1\], not by Keras' "
                                                 r"same padding of \(H, W\)"):
        sc.from_torch(module, input_shape=(3, "H", "W"))


def test_a_relu_capped_by_a_clamp_exports_to_keras():
    """Read as Keras' ReLU(max_value=6), a clamp between 0 and 6 exports to Keras (as
    nn.Hardtanh(0.0, 6.0) it was refused: Keras' hard_tanh is fixed at -1 and 1)."""
    require("keras")
    model = sc.from_torch(own_module(lambda t, F, y: F.hardtanh(y, 0.0, 6.0)),
                          input_shape=(3, 7, 7))
    exported = model.to_keras()
    assert [type(layer).__name__ for layer in exported.layers][-1] == "ReLU"
    assert exported.layers[-1].max_value == 6.0
    assert exported.count_params() == model.params == 16
