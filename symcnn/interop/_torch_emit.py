"""How each Keras-named symcnn layer becomes PyTorch (used by :mod:`.torch_export`).

Every handler gets the builder, the layer, its input fx nodes, the numeric input shapes and
output shape (symcnn layout, no batch axis), the key that makes shared layers share their
submodule, and the layer's name; it returns the output fx node.
"""

from __future__ import annotations

import operator

import sympy
import torch
import torch.nn.functional as F
from torch import nn as tnn

from .. import layers as L
from ..layers.spatial import split_channels
from ._common import as_int, keras_base, masked_refusal
from ._torch_keras_layers import (TORCH_MODES, KerasCenterCrop, KerasResizing,
                                 KerasSeparableConv, KerasUnitNormalization, own_padding,
                                 padding_pairs)

__all__ = ["HANDLERS", "RECURRENT", "KERAS_RECURRENT", "activation", "recurrent", "Unsupported",
           "keras_recurrent", "keras_recurrent_refusal", "attention_refusal", "LearnedTensor",
           "prelu_layout", "KerasBackwardSimpleRNN", "KerasBackwardLSTM", "KerasBackwardGRU"]


class Unsupported(Exception):
    """A layer (or argument) with no PyTorch equivalent; the message says which."""


# ------------------------------------------------------------------------------ padding


def _pairs(layer, spatial, kernel, strides, dilation) -> list:
    """The layer's Keras padding of each spatial axis as ``(before, after)`` ints."""
    return padding_pairs(layer.padding, spatial, kernel, strides, dilation)


def _module_padding(layer, pairs, strides, kernel, dilation):
    """``(module padding, pairs left for F.pad)``, keeping the module's padding when it can
    (:func:`._torch_keras_layers.own_padding`)."""
    own = own_padding(layer.padding, kernel, strides, dilation)
    return (own, None) if own is not None else (0, pairs)


def pad(b, x, pairs, value: float = 0.0):
    """``F.pad`` of the trailing (spatial) dims by per-axis ``(before, after)`` pairs."""
    if not pairs or all(a == 0 and c == 0 for a, c in pairs):
        return x
    flat = [p for pair in reversed(pairs) for p in pair]
    return b.call(F.pad, x, flat, value=value) if value else b.call(F.pad, x, flat)


def crop(b, x, rank: int, bounds):
    """Slice the trailing ``rank`` dims to ``(start, stop)`` bounds."""
    index = (slice(None), slice(None), *(slice(a, c) for a, c in bounds))
    return b.call(operator.getitem, x, index)


# --------------------------------------------------------------------------- convolution


def _conv_parts(layer, shape):
    spatial, channels = split_channels(shape, layer.data_format)
    kernel, strides = as_int(layer.kernel_size), as_int(layer.strides)
    dilation = as_int(layer.dilation_rate)
    return spatial, channels, kernel, strides, dilation


def _conv(b, layer, inputs, shapes, out_shape, key, name):
    """``nn.Conv1d/2d/3d`` (depthwise: ``groups`` the channels) after ``F.pad`` where the
    module's own padding cannot say Keras'; a separable convolution is
    :class:`KerasSeparableConv`, which pads itself (so ``from_torch`` reads it back as the
    one layer, arguments and all)."""
    spatial, channels, kernel, strides, dilation = _conv_parts(layer, shapes[0])
    bias = layer.use_bias
    names = [c.__name__ for c in type(layer).__mro__]
    if any(n.startswith("Separable") for n in names):
        make = lambda: KerasSeparableConv(  # noqa: E731
            channels, as_int(layer.filters), kernel, strides, as_int(layer.padding), dilation,
            as_int(layer.depth_multiplier), bias)
        return _module(b, layer, key, name, make, inputs[0])
    pairs = _pairs(layer, spatial, kernel, strides, dilation)
    module_pad, pre = _module_padding(layer, pairs, strides, kernel, dilation)
    x = pad(b, inputs[0], pre)
    cls = getattr(tnn, f"Conv{layer.rank}d")
    if any(n.startswith("Depthwise") for n in names):
        out = channels * as_int(layer.depth_multiplier)
        make = lambda: cls(channels, out, kernel, strides, module_pad, dilation,  # noqa: E731
                           groups=channels, bias=bias)
    else:
        make = lambda: cls(channels, as_int(layer.filters), kernel, strides,  # noqa: E731
                           module_pad, dilation, groups=as_int(layer.groups), bias=bias)
    return _module(b, layer, key, name, make, x)


def _module(b, layer, key, name, make, *args):
    target = b.submodule(key, name, make)
    b._freeze(layer, target)
    return b.graph.call_module(target, args)


def _conv_transpose(b, layer, inputs, shapes, out_shape, key, name):
    spatial, channels, kernel, strides, dilation = _conv_parts(layer, shapes[0])
    out_spatial, _ = split_channels(out_shape, layer.data_format)
    cls = getattr(tnn, f"ConvTranspose{layer.rank}d")
    explicit = not isinstance(layer.padding, str)
    op = as_int(layer.output_padding) if layer.output_padding is not None else None
    if explicit:
        pairs = [tuple(as_int(p)) for p in layer.padding]
        if any(a != c for a, c in pairs):
            raise Unsupported("asymmetric explicit padding on a transposed convolution")
        padding, op = tuple(a for a, _ in pairs), op or 0
    else:  # the full output, cut where Keras' definition cuts it
        crops = [_transpose_crops(d * (k - 1) + 1, s, layer.padding, o)
                 for k, d, s, o in zip(kernel, dilation, strides, op or [None] * layer.rank)]
        padding, op = 0, tuple(max(-right, 0) for _, right in crops)  # grown: computed
        full = [(i - 1) * s + d * (k - 1) + 1 + o
                for i, s, k, d, o in zip(spatial, strides, kernel, dilation, op)]
        bounds = [(left, n - max(right, 0)) for (left, right), n in zip(crops, full)]
        if [c - a for a, c in bounds] != list(out_spatial):  # pragma: no cover - a guard
            raise Unsupported(f"output_padding={layer.output_padding} (the output would "
                              f"not have the layer's shape {tuple(out_spatial)})")
    make = lambda: cls(channels, as_int(layer.filters), kernel, strides, padding, op,  # noqa: E731
                       groups=as_int(layer.groups), bias=layer.use_bias, dilation=dilation)
    y = _module(b, layer, key, name, make, inputs[0])
    if explicit or all(a == 0 and c == n for (a, c), n in zip(bounds, full)):
        return y
    return crop(b, y, layer.rank, bounds)


def _transpose_crops(k_eff: int, stride: int, padding: str, output_padding) -> tuple:
    """``(left, right)``: what Keras cuts from each end of a transposed convolution's full
    output (``(i - 1)*s + k_eff``); a negative ``right`` grows the output instead (PyTorch's
    ``output_padding``, which computes those positions, bias included). Keras' definition
    (``_convert_conv_transpose_padding_args_from_keras_to_jax``): the output is ``(i - 1)*s
    + k_eff + output_padding`` for ``valid``, ``(i - 1)*s + k_eff % 2 + output_padding`` for
    ``same``, padded at most ``k_eff - 1`` on the left; without ``output_padding``,
    ``(i - 1)*s + max(k_eff, s)`` and ``i*s``."""
    if padding == "valid":
        grown = max(k_eff, stride) - k_eff if output_padding is None else output_padding
        left, right = k_eff - 1, k_eff - 1 + grown
    else:
        total = stride + k_eff - 2 if output_padding is None else \
            k_eff + k_eff % 2 - 2 + output_padding
        left = min(total // 2 + total % 2, k_eff - 1)
        right = total - left
    return k_eff - 1 - left, k_eff - 1 - right


# ------------------------------------------------------------------------------- pooling


def _pool(kind: str):
    def handle(b, layer, inputs, shapes, out_shape, key, name):
        spatial, _ = split_channels(shapes[0], layer.data_format)
        kernel, strides = as_int(layer.pool_size), as_int(layer.strides)
        ones = (1,) * layer.rank
        pairs = _pairs(layer, spatial, kernel, strides, ones)
        module_pad, pre = _module_padding(layer, pairs, strides, kernel, ones)
        if pre is not None and layer.ceil_mode:
            raise Unsupported("ceil_mode with asymmetric explicit padding")
        if kind == "Avg" and layer.rank == 3 and any(i < k for i, k in zip(spatial, kernel)):
            raise Unsupported("3D average pooling on an input smaller than the window "
                              "(PyTorch's AvgPool3d refuses it even with ceil_mode)")
        if kind == "Avg" and layer.padding == "same" and any(a or c for a, c in pairs):
            return _mean_of_inputs(b, inputs[0], pairs, kernel, strides, layer.rank)
        x = pad(b, inputs[0], pre, value=float("-inf") if kind == "Max" else 0.0)
        cls = getattr(tnn, f"{kind}Pool{layer.rank}d")
        make = lambda: cls(kernel, strides, module_pad, ceil_mode=layer.ceil_mode)  # noqa: E731
        return _module(b, layer, key, name, make, x)
    return handle


def _mean_of_inputs(b, x, pairs, kernel, strides, rank: int):
    """Keras' ``same`` average pooling: each window's mean over the input elements it covers,
    the padding left out (PyTorch's ``count_include_pad=False`` takes symmetric padding only):
    the window sums of the zero-padded input over those of the padded ones."""
    pool = getattr(F, f"avg_pool{rank}d")
    ones = b.call(torch.ones_like, b.call(operator.getitem, x, (slice(None), slice(0, 1))))
    total = b.call(pool, pad(b, x, pairs), kernel, strides)
    count = b.call(pool, pad(b, ones, pairs), kernel, strides)
    return b.call(operator.truediv, total, count)


def _global_pool(reduce):
    def handle(b, layer, inputs, shapes, out_shape, key, name):
        dims = tuple(range(2, len(shapes[0]) + 1))
        return b.call(reduce, inputs[0], dims, keepdim=layer.keepdims)
    return handle


def _adaptive(kind: str):
    def handle(b, layer, inputs, shapes, out_shape, key, name):
        cls = getattr(tnn, f"Adaptive{kind}Pool{layer.rank}d")
        size = as_int(layer.output_size)
        return _module(b, layer, key, name, lambda: cls(size), inputs[0])
    return handle


# ------------------------------------------------------------------ dense, normalization


def _dense(b, layer, inputs, shapes, out_shape, key, name):
    make = lambda: tnn.Linear(shapes[0][-1], as_int(layer.units), bias=layer.use_bias)  # noqa: E731
    return _module(b, layer, key, name, make, inputs[0])  # on the symcnn layout: last axis


def _embedding(b, layer, inputs, shapes, out_shape, key, name):
    """``nn.Embedding`` on the ids as integers (``.long()``: a float tensor of ids works)."""
    make = lambda: tnn.Embedding(as_int(layer.input_dim), as_int(layer.output_dim))  # noqa: E731
    return _module(b, layer, key, name, make, b.graph.call_method("long", (inputs[0],)))


def _axes(layer, rank: int) -> list:
    axes = (layer.axis,) if isinstance(layer.axis, int) else layer.axis
    return [a if a >= 0 else rank + 1 + a for a in axes]


class _InferenceMode:
    """A batch normalization that stays in inference mode, as Keras 3 runs a frozen one
    (``BatchNormalization(trainable=False)``): ``module.train()`` leaves it normalizing with
    its running statistics, which it does not update."""

    def train(self, mode: bool = True):
        return super().train(False)

    def symcnn_layer(self, name: str, trainable: bool):
        """What ``from_torch`` reads: the Keras batch norm it was exported from, over the
        channels (dim 1)."""
        return L.BatchNormalization(axis=1, momentum=1 - self.momentum, epsilon=self.eps,
                                    center=self.affine, scale=self.affine, name=name,
                                    trainable=trainable)


class KerasFrozenBatchNorm1d(_InferenceMode, tnn.BatchNorm1d):
    """``nn.BatchNorm1d`` in inference mode whatever ``train()`` says (a frozen Keras one)."""


class KerasFrozenBatchNorm2d(_InferenceMode, tnn.BatchNorm2d):
    """``nn.BatchNorm2d`` in inference mode whatever ``train()`` says (a frozen Keras one)."""


class KerasFrozenBatchNorm3d(_InferenceMode, tnn.BatchNorm3d):
    """``nn.BatchNorm3d`` in inference mode whatever ``train()`` says (a frozen Keras one)."""


class KerasBatchNorm(tnn.Module):
    """Batch normalization over dim 1 with Keras' weights where PyTorch's ``affine`` (both
    or neither) does not fit: ``weight`` (Keras' gamma) only with ``scale``, ``bias`` (beta)
    only with ``center``, and running statistics as ``nn.BatchNorm2d`` keeps them; ``frozen``
    stays in inference mode, as Keras 3 runs a frozen one. Any rank (``F.batch_norm``).

    >>> m = KerasBatchNorm(4, eps=1e-3, momentum=0.01, scale=False, center=True)
    >>> sorted(m.state_dict())
    ['bias', 'num_batches_tracked', 'running_mean', 'running_var']
    """

    def __init__(self, channels: int, eps: float, momentum: float, scale: bool, center: bool,
                 frozen: bool = False) -> None:
        super().__init__()
        self.eps, self.momentum, self.frozen = eps, momentum, frozen
        self.weight = tnn.Parameter(torch.ones(channels)) if scale else None
        self.bias = tnn.Parameter(torch.zeros(channels)) if center else None
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def symcnn_layer(self, name: str, trainable: bool):
        """What ``from_torch`` reads: Keras' batch norm over the channels (dim 1)."""
        return L.BatchNormalization(axis=1, momentum=1 - self.momentum, epsilon=self.eps,
                                    center=self.bias is not None, scale=self.weight is not None,
                                    name=name, trainable=trainable)

    def forward(self, x):
        training = self.training and not self.frozen
        if training:
            self.num_batches_tracked.add_(1)
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            training, self.momentum, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.running_mean.numel()}, eps={self.eps}, momentum={self.momentum}, "
                f"scale={self.weight is not None}, center={self.bias is not None}, "
                f"frozen={self.frozen}")


def _batch_norm(b, layer, inputs, shapes, out_shape, key, name):
    """``nn.BatchNorm1d/2d/3d``; a frozen Keras one stays in inference mode, as Keras runs
    it (:class:`KerasFrozenBatchNorm2d`): a frozen ``nn.BatchNorm2d`` in ``train()``
    would normalize with the batch's statistics instead."""
    rank = len(shapes[0])
    axes = _axes(layer, rank)
    if len(axes) != 1 or b.torch_dim(axes[0], rank) != 1:
        raise Unsupported(f"batch normalization over axis {layer.axis} (PyTorch normalizes "
                          f"the channel axis)")
    frozen = not layer.trainable and getattr(layer, "inference_when_frozen", False)
    channels = shapes[0][axes[0] - 1]
    momentum = 1 - layer._extra.get("momentum", 0.99)
    eps = layer._extra.get("epsilon", 1e-3)
    if layer.center != layer.scale:  # PyTorch's affine covers both or neither
        make = lambda: KerasBatchNorm(channels, eps, momentum, layer.scale,  # noqa: E731
                                      layer.center, frozen)
        return _module(b, layer, key, name, make, inputs[0])
    cls = ({1: KerasFrozenBatchNorm1d, 2: KerasFrozenBatchNorm1d, 3: KerasFrozenBatchNorm2d,
            4: KerasFrozenBatchNorm3d} if frozen else
           {1: tnn.BatchNorm1d, 2: tnn.BatchNorm1d, 3: tnn.BatchNorm2d, 4: tnn.BatchNorm3d}).get(rank)
    if cls is None:
        raise Unsupported(f"batch normalization of a rank-{rank} input")
    make = lambda: cls(channels, eps=eps, momentum=momentum, affine=layer.center)  # noqa: E731
    return _module(b, layer, key, name, make, inputs[0])


def _layer_norm(b, layer, inputs, shapes, out_shape, key, name):
    if getattr(layer, "rms_scaling", False):
        raise Unsupported("rms_scaling=True: Keras computes x*rsqrt(var(x) + epsilon)*gamma, "
                          "without subtracting the mean; nn.LayerNorm subtracts it and "
                          "nn.RMSNorm divides by the root mean square, so the values would "
                          "differ")
    rank = len(shapes[0])
    axes = sorted(_axes(layer, rank))
    if axes != list(range(rank - len(axes) + 1, rank + 1)):
        raise Unsupported(f"layer normalization over axes {layer.axis} that are not the last ones")
    if layer.center and not layer.scale:
        raise Unsupported("center without scale")
    normalized = tuple(shapes[0][a - 1] for a in axes)
    eps = layer._extra.get("epsilon", 1e-3)
    make = lambda: tnn.LayerNorm(normalized, eps=eps, elementwise_affine=layer.scale,  # noqa: E731
                                 bias=layer.center)
    return _module(b, layer, key, name, make, inputs[0])  # on the symcnn layout


def _group_norm(b, layer, inputs, shapes, out_shape, key, name):
    rank = len(shapes[0])
    axis = _axes(layer, rank)[0]
    if b.torch_dim(axis, rank) != 1 or layer.center != layer.scale:
        raise Unsupported("group normalization off the channel axis, or center != scale")
    channels = shapes[0][axis - 1]
    eps = layer._extra.get("epsilon", 1e-3)
    make = lambda: tnn.GroupNorm(as_int(layer.groups), channels, eps=eps,  # noqa: E731
                                 affine=layer.center)
    return _module(b, layer, key, name, make, inputs[0])


# ----------------------------------------------------------------- activations, dropout

_ACTIVATIONS = {
    "relu": (torch.relu, {}), "sigmoid": (torch.sigmoid, {}), "tanh": (torch.tanh, {}),
    "gelu": (F.gelu, {}), "silu": (F.silu, {}), "swish": (F.silu, {}), "elu": (F.elu, {}),
    "selu": (F.selu, {}), "celu": (F.celu, {}), "softplus": (F.softplus, {}),
    "softsign": (F.softsign, {}), "relu6": (F.relu6, {}), "mish": (F.mish, {}),
    "leaky_relu": (F.leaky_relu, {"negative_slope": 0.2}), "hard_sigmoid": (F.hardsigmoid, {}),
    "hard_swish": (F.hardswish, {}), "hard_silu": (F.hardswish, {}),
    "hard_tanh": (F.hardtanh, {}), "exponential": (torch.exp, {}),
    "log_sigmoid": (F.logsigmoid, {}), "tanh_shrink": (F.tanhshrink, {}),
    # Keras' default threshold=0.5: |x| <= 0.5 gives 0; soft_shrink moves the rest by 0.5
    "soft_shrink": (F.softshrink, {"lambd": 0.5}), "hard_shrink": (F.hardshrink, {"lambd": 0.5}),
}


def _sparse_plus(b, x):
    """Keras' ``sparse_plus``: 0 for ``x <= -1``, ``(x + 1)**2/4`` for ``-1 < x < 1``, ``x``
    from 1 on, as Keras writes it (``where(x <= -1, 0, where(x < 1, (1/4)*(x + 1)**2, x))``)."""
    square = b.call(operator.pow, b.call(operator.add, x, 1.0), 2)
    inner = b.call(torch.where, b.call(operator.lt, x, 1.0),
                   b.call(operator.mul, 0.25, square), x)
    return b.call(torch.where, b.call(operator.le, x, -1.0), 0.0, inner)


def _sparse_sigmoid(b, x):
    """Keras' ``sparse_sigmoid``: 0 for ``x <= -1``, 1 for ``x >= 1``, ``0.5*(x + 1)`` between:
    ``0.5*(hardtanh(x) + 1)``, the same values (and gradients, 0 at -1 and 1), one tensor kept
    for backward (the input)."""
    return b.call(operator.mul, 0.5, b.call(operator.add, b.call(F.hardtanh, x), 1.0))


def _squareplus(b, x):
    """Keras' ``squareplus`` with its default ``b=4``: ``(x + sqrt(x**2 + 4))/2``."""
    root = b.call(torch.sqrt, b.call(operator.add, b.call(operator.pow, x, 2), 4.0))
    return b.call(operator.truediv, b.call(operator.add, x, root), 2.0)


#: Keras activations that PyTorch has no function for, emitted as Keras' own formula.
_COMPOSED = {"sparse_plus": _sparse_plus, "sparse_sigmoid": _sparse_sigmoid,
             "squareplus": _squareplus}

#: Keras activation names refused, and why.
_REFUSED = {
    "glu": "Keras' 'glu' halves the last axis (x1*sigmoid(x2) of its two halves), while "
           "Keras' own output shape for it, and so symcnn's, keeps the axis: the module would "
           "not have the model's shapes",
    "sparsemax": "Keras 3.15's 'sparsemax' computes its threshold from the sum of the "
                 "cumulative sums over the support, not the k-th one, so its outputs do not "
                 "sum to 1 (keras-team/keras#23425, fixed by #23469): Keras' values change "
                 "with the version, and neither is given here",
    "threshold": "Keras' 'threshold' activation takes `threshold` and `default_value`, which "
                 "have no defaults and which an activation name cannot give (Keras itself "
                 "fails calling it by name); ReLU(threshold=t) is threshold(x, t, 0)",
}


def activation(b, name, x, shape):
    """Emit Keras activation ``name`` (a string) on ``x``: a PyTorch function with Keras'
    defaults, or Keras' own formula (``sparse_plus``, ``sparse_sigmoid``, ``squareplus``);
    ``glu``, ``sparsemax`` and ``threshold`` are refused (see ``_REFUSED``)."""
    if name in (None, "linear"):
        return x
    if not isinstance(name, str):
        raise Unsupported(f"the activation {name!r} is not a Keras activation name")
    if name in ("softmax", "log_softmax"):
        fn = F.softmax if name == "softmax" else F.log_softmax
        return b.call(fn, x, dim=b.torch_dim(-1, len(shape)))
    if name in _COMPOSED:
        return _COMPOSED[name](b, x)
    if name in _REFUSED:
        raise Unsupported(f"activation={name!r}: {_REFUSED[name]}")
    if name not in _ACTIVATIONS:
        raise Unsupported(f"the activation {name!r} has no PyTorch function here")
    fn, kwargs = _ACTIVATIONS[name]
    return b.call(fn, x, **kwargs)


def _activation_layer(b, layer, inputs, shapes, out_shape, key, name):
    return activation(b, layer.activation, inputs[0], shapes[0])


def _relu(b, layer, inputs, shapes, out_shape, key, name):
    """Keras' ``ReLU`` (``keras.activations.relu``): ``x`` where ``x > threshold``, else 0,
    clipped to ``[0, max_value]``, minus ``negative_slope*relu(threshold - x)``. Without a
    threshold that is ``leaky_relu`` (or ``relu``) capped at ``max_value``, value for value
    (below 0 both give ``negative_slope*x``); with one, Keras' formula as Keras writes it.
    Negative arguments, which Keras' ``ReLU`` refuses, are refused."""
    max_value, slope, threshold = layer.max_value, layer.negative_slope, layer.threshold
    for arg, value in (("max_value", max_value), ("negative_slope", slope),
                       ("threshold", threshold)):
        if value is not None and value < 0:
            raise Unsupported(f"{arg}={value!r} (Keras' ReLU refuses a negative {arg}, so "
                              f"there are no Keras values to match)")
    x = inputs[0]
    if not threshold:
        y = b.call(F.leaky_relu, x, negative_slope=float(slope)) if slope else \
            b.call(torch.relu, x)
        return y if max_value is None else b.call(torch.clamp, y, max=float(max_value))
    y = b.call(F.threshold, x, float(threshold), 0.0)  # x if x > threshold else 0
    if max_value is not None:
        y = b.call(torch.clamp, y, min=0.0, max=float(max_value))
    if slope:
        below = b.call(torch.relu, b.call(operator.add, b.call(operator.neg, x), float(threshold)))
        y = b.call(operator.sub, y, b.call(operator.mul, float(slope), below))
    return y


def _softmax(b, layer, inputs, shapes, out_shape, key, name):
    axis = layer.axis if isinstance(layer.axis, int) else None
    if axis is None:
        raise Unsupported(f"softmax over several axes {layer.axis}")
    return b.call(F.softmax, inputs[0], dim=b.torch_dim(axis, len(shapes[0])))


def _simple(fn, **fixed):
    def handle(b, layer, inputs, shapes, out_shape, key, name):
        kwargs = {k: (getattr(layer, v) if isinstance(v, str) else v) for k, v in fixed.items()}
        return b.call(fn, inputs[0], **kwargs)
    return handle


def _dropout(cls):
    def handle(b, layer, inputs, shapes, out_shape, key, name):
        return _module(b, layer, key, name, lambda: cls(layer.rate), inputs[0])
    return handle


# --------------------------------------------------------------------- reshaping, merging


def _flatten(b, layer, inputs, shapes, out_shape, key, name):
    """Keras' ``Flatten`` on the symcnn layout (Keras'); with ``data_format="channels_first"``
    Keras moves axis 1 (the channels) last first, so the flat order is channels last."""
    x = inputs[0]
    if getattr(layer, "data_format", None) == "channels_first" and len(shapes[0]) >= 2:
        x = b.call(torch.movedim, x, 1, -1)
    return b.call(torch.flatten, x, start_dim=1)


def _reshape(b, layer, inputs, shapes, out_shape, key, name):
    return b.method("reshape", inputs[0], (-1, *as_int(out_shape)))  # on the symcnn layout


def _permute(b, layer, inputs, shapes, out_shape, key, name):
    return b.method("permute", inputs[0], (0, *layer.dims))  # on the symcnn layout


def _zero_padding(b, layer, inputs, shapes, out_shape, key, name):
    return pad(b, inputs[0], [tuple(as_int(p)) for p in layer.padding])


def _cropping(b, layer, inputs, shapes, out_shape, key, name):
    spatial, _ = split_channels(shapes[0], layer.data_format)
    bounds = [(as_int(a), i - as_int(c)) for i, (a, c) in zip(spatial, layer.cropping)]
    return crop(b, inputs[0], layer.rank, bounds)


def _upsampling(b, layer, inputs, shapes, out_shape, key, name):
    """Keras' ``UpSampling``: ``nearest`` repeats; ``bilinear`` (2D) is PyTorch's with
    ``align_corners=False`` (the same values); other interpolations are refused."""
    factors = tuple(float(f) for f in as_int(layer.size))
    interpolation = layer._extra.get("interpolation", "nearest")
    if interpolation == "nearest":
        return b.call(F.interpolate, inputs[0], scale_factor=factors, mode="nearest")
    if interpolation == "bilinear" and layer.rank == 2:
        return b.call(F.interpolate, inputs[0], scale_factor=factors, mode="bilinear",
                      align_corners=False)
    raise Unsupported(f"interpolation={interpolation!r} (converted: 'nearest', and "
                      f"'bilinear' in 2D, which PyTorch computes alike)")


def _merge(fn, mean: bool = False):
    def handle(b, layer, inputs, shapes, out_shape, key, name):
        out = inputs[0]
        for x in inputs[1:]:
            out = b.call(fn, out, x)
        return b.call(operator.truediv, out, float(len(inputs))) if mean else out
    return handle


def _concatenate(b, layer, inputs, shapes, out_shape, key, name):
    return b.call(torch.cat, list(inputs), dim=b.torch_dim(layer.axis, len(shapes[0])))


# ------------------------------------------------------------------------------ recurrent

#: The PyTorch-named recurrent layers, exported by :func:`recurrent`.
#: The PyTorch-named layers :func:`recurrent` builds (several outputs, or inputs: the
#: recurrent modules and ``nn.MultiheadAttention``).
RECURRENT = ("RNN", "LSTM", "GRU", "MultiheadAttention")

#: The Keras-named recurrent layers: :func:`keras_recurrent` exports them where PyTorch's
#: module computes the same function with the same count, :func:`keras_recurrent_refusal`
#: says why not elsewhere.
KERAS_RECURRENT = ("SimpleRNN", "LSTM", "GRU", "Bidirectional")

_TORCH_RECURRENT = {"SimpleRNN": "RNN", "LSTM": "LSTM", "GRU": "GRU"}
_GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}


def keras_recurrent_refusal(layer, input_width) -> str | None:
    """Why ``to_torch`` refuses the Keras-named recurrent ``layer`` (``SimpleRNN``, ``LSTM``,
    ``GRU``, or ``Bidirectional`` of them) called on ``(T, input_width)``, as its arguments
    make it, and the :mod:`symcnn.nn` layer to build instead; ``None`` where it exports it
    (:func:`keras_recurrent`).

    The reasons, checked against Keras and PyTorch in tests/interop/test_recurrent_refusals.py:
    PyTorch's nn.RNN, nn.LSTM and nn.GRU have two bias vectors per gate (``b_ih``, ``b_hh``).
    Keras' SimpleRNN and LSTM have one, so with ``use_bias=True`` the counts differ. Keras'
    GRU with ``reset_after=True`` has two as well and adds its recurrent bias inside the reset
    gate's product, as nn.GRU adds ``b_hn``: the same function with the same count, exported
    (as SimpleRNN and LSTM with ``use_bias=False`` are). With ``reset_after=False`` it applies
    the reset gate before the recurrent kernel, a function nn.GRU does not compute, with one
    bias vector per gate. PyTorch's modules have their activations built in: tanh or relu for
    nn.RNN, tanh and sigmoid for nn.LSTM and nn.GRU. Keras' ``dropout`` and
    ``recurrent_dropout`` act at every step, ``stateful`` carries states over batches: PyTorch's
    modules do neither.

    >>> import symcnn as sc
    >>> print(keras_recurrent_refusal(sc.LSTM(4), 3))
    use_bias=True: Keras' LSTM has one bias vector per gate (16 parameters), PyTorch's nn.LSTM two, b_ih and b_hh (32), so the counts would differ by 16; build it with sc.nn.LSTM(3, 4, batch_first=True), PyTorch's module and counts (outputs: the sequence, then h_n and c_n)
    >>> print(keras_recurrent_refusal(sc.GRU(4, use_bias=False), 3))
    None
    """
    bidirectional = keras_base(layer).__name__ == "Bidirectional"
    forward = layer.layer if bidirectional else layer
    kind = keras_base(forward).__name__
    torch_name = _TORCH_RECURRENT[kind]
    per = " per direction" if bidirectional else ""
    reasons = _recurrent_reasons(forward, kind, "layer." if bidirectional else "", per)
    back = layer.backward_layer if bidirectional else None
    if bidirectional and forward.go_backwards:
        reasons.append("layer.go_backwards=True: the forward direction of PyTorch's "
                       "bidirectional modules reads the sequence forwards")
    if back is not None and (keras_base(back) is not keras_base(forward)
                             or back.units != forward.units):
        reasons.append(f"backward_layer={back.type_name}({back.units}) with layer="
                       f"{forward.type_name}({forward.units}): PyTorch's bidirectional "
                       f"modules run one kind and size both ways")
    elif back is not None:
        said = {r.split(": ", 1)[1] for r in reasons}
        reasons += [r for r in _recurrent_reasons(back, kind, "backward_layer.", per)
                    if r.split(": ", 1)[1] not in said]
        if not reasons:
            differ = sorted(k for k in _direction_args(forward) | _direction_args(back)
                            if getattr(forward, k, None) != getattr(back, k, None))
            if differ:
                arg = differ[0]
                reasons.append(
                    f"backward_layer.{arg}={getattr(back, arg, None)!r} with layer.{arg}="
                    f"{getattr(forward, arg, None)!r}: PyTorch's bidirectional modules run "
                    f"one configuration both ways")
    if not reasons:
        return None
    options = ("" if forward.use_bias else ", bias=False") + (
        ", nonlinearity='relu'" if kind == "SimpleRNN" and forward.activation == "relu" else "")
    if bidirectional:
        options += ", bidirectional=True"
    states = "h_n and c_n" if torch_name == "LSTM" else "h_n"
    sequence = "the sequence"
    if bidirectional and layer.merge_mode != "concat":
        sequence += (f", its two directions concatenated rather than merged by merge_mode="
                     f"{layer.merge_mode!r}")
    build = (f"build it with sc.nn.{torch_name}({input_width}, {forward.units}, "
             f"batch_first=True{options}), PyTorch's module")
    return f"{'; '.join(reasons)}; {build} and counts (outputs: {sequence}, then {states})"


def _direction_args(rnn) -> set:
    """The arguments set on a direction of a ``Bidirectional`` (``get_config`` leaves out
    those at their defaults) but its name and reading direction."""
    return set(rnn.get_config()) - {"name", "go_backwards", "trainable"}


def _recurrent_reasons(rnn, kind: str, owner: str, per: str) -> list:
    """What keeps PyTorch's module from computing the Keras layer ``rnn`` with its count:
    each ``argument=value: why``, the argument read off ``owner`` (``layer.`` in a
    ``Bidirectional``)."""
    torch_name = _TORCH_RECURRENT[kind]
    reasons = []
    if kind == "SimpleRNN":
        if rnn.activation not in ("tanh", "relu"):
            reasons.append(f"{owner}activation={rnn.activation!r}: PyTorch's nn.RNN has tanh "
                           f"or relu built in (nonlinearity), so it computes another function")
    else:
        for arg, built_in in (("activation", "tanh"), ("recurrent_activation", "sigmoid")):
            given = getattr(rnn, arg)
            if given != built_in:
                reasons.append(f"{owner}{arg}={given!r}: PyTorch's nn.{torch_name} has "
                               f"{built_in} built in as its {arg}, so it computes another "
                               f"function")
    if kind == "GRU" and not rnn.reset_after:
        reasons.append(
            f"{owner}reset_after=False: Keras' GRU then applies the reset gate before the "
            f"recurrent kernel, (r*h)@U_h, and PyTorch's nn.GRU after it, r*(h@W_hn + b_hn) "
            f"(Keras' reset_after=True), so no nn.GRU computes this function")
    if rnn.use_bias and not (kind == "GRU" and rnn.reset_after):
        one = sympy.expand(_GATES[kind] * rnn.units)
        vectors = "one bias vector" + (" per gate" if _GATES[kind] > 1 else "")
        if kind == "GRU":
            vectors += " with reset_after=False"
        reasons.append(
            f"{owner}use_bias=True: Keras' {kind} has {vectors} ({one} parameters{per}), "
            f"PyTorch's nn.{torch_name} two, b_ih and b_hh ({sympy.expand(2 * one)}), so the "
            f"counts would differ by {one}{per}")
    for arg, what in (("dropout", "inputs"), ("recurrent_dropout", "states")):
        rate = getattr(rnn, arg)
        if rate:
            reasons.append(
                f"{owner}{arg}={rate}: Keras' {kind} drops its {what} at every step while "
                f"training, and PyTorch's nn.{torch_name} does not (its dropout acts between "
                f"stacked layers), so training would compute another function")
    if rnn.stateful:
        reasons.append(
            f"{owner}stateful=True: Keras' {kind} starts each batch from the last batch's "
            f"states, PyTorch's nn.{torch_name} from zeros")
    return reasons


class _KerasBackwards:
    """A Keras ``SimpleRNN``/``LSTM``/``GRU`` with ``go_backwards=True``: PyTorch's module
    (``batch_first=True``) on its input reversed in time, returning Keras' output, the
    sequence in the order read (``return_sequences``) or the last state. The parameters are
    the module's own, so the state dict is PyTorch's (``weight_ih_l0``, ...); ``from_torch``
    reads the Keras layer back (:meth:`symcnn_layer`), which ``torch.flip`` is not."""

    #: The Keras layer's class, for :meth:`symcnn_layer`.
    keras_kind = ""

    def __init__(self, *args, keras_config: dict, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.keras_config = dict(keras_config)

    def forward(self, x):
        sequence, states = super().forward(torch.flip(x, (1,)))
        if self.keras_config.get("return_sequences", False):
            return sequence
        last = states[0] if self.mode == "LSTM" else states  # h_n (LSTM: of h_n, c_n)
        return last[0]

    def symcnn_layer(self, name: str, trainable: bool):
        """What ``from_torch`` reads: the Keras layer it was exported from."""
        return getattr(L, self.keras_kind)(**self.keras_config, name=name, trainable=trainable)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, go_backwards=True"


class KerasBackwardSimpleRNN(_KerasBackwards, tnn.RNN):
    """``nn.RNN`` of a Keras ``SimpleRNN(go_backwards=True)`` (:class:`_KerasBackwards`).

    >>> import symcnn as sc
    >>> m = KerasBackwardSimpleRNN(3, 4, batch_first=True, bias=False,
    ...                            keras_config=dict(units=4, go_backwards=True, use_bias=False))
    >>> m(torch.zeros(2, 5, 3)).shape, m.symcnn_layer("rnn", True)
    (torch.Size([2, 4]), SimpleRNN(units=4, use_bias=False, go_backwards=True, name='rnn'))
    """

    keras_kind = "SimpleRNN"


class KerasBackwardLSTM(_KerasBackwards, tnn.LSTM):
    """``nn.LSTM`` of a Keras ``LSTM(go_backwards=True)`` (:class:`_KerasBackwards`)."""

    keras_kind = "LSTM"


class KerasBackwardGRU(_KerasBackwards, tnn.GRU):
    """``nn.GRU`` of a Keras ``GRU(go_backwards=True)`` (:class:`_KerasBackwards`)."""

    keras_kind = "GRU"


_BACKWARDS = {"SimpleRNN": KerasBackwardSimpleRNN, "LSTM": KerasBackwardLSTM,
              "GRU": KerasBackwardGRU}


def keras_recurrent(b, layer, inputs, shapes, key, name):
    """A Keras ``SimpleRNN``/``LSTM``/``GRU`` (or ``Bidirectional`` of one) as PyTorch's
    ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (``batch_first=True``, ``bias=use_bias``,
    ``bidirectional`` for the wrapper), named after the layer, or :class:`Unsupported` with
    :func:`keras_recurrent_refusal`'s reason. Its parameters are Keras' in PyTorch's layout:
    Keras' kernel ``(x, g*u)`` is ``weight_ih_l0`` transposed, ``(g*u, x)``, gate blocks in
    PyTorch's order (GRU: Keras' z, r, h are PyTorch's r, z, n); a GRU's bias ``(2, 3*u)``
    is ``bias_ih_l0`` then ``bias_hh_l0``; ``_reverse`` holds the backward direction.

    One fx node per Keras output: the sequence (``return_sequences``) or the last state,
    ``h_n[0]``, then with ``return_state`` Keras' states, ``(batch, u)`` each (``h``, ``c``
    for LSTM; a ``Bidirectional``'s forward then backward). ``go_backwards`` flips the input
    in time, and the sequence stays in the order read, as Keras returns it. A
    ``Bidirectional`` merges PyTorch's two halves of the sequence (aligned in time, as
    Keras aligns them) or the two last states by ``merge_mode``; ``None`` gives both.
    Without ``return_state``, a layer that goes backwards is one :class:`_KerasBackwards`
    module (``KerasBackwardLSTM``, ...), which flips inside and returns Keras' output, so
    ``from_torch`` reads it back as the Keras layer."""
    refusal = keras_recurrent_refusal(layer, shapes[0][-1])
    if refusal is not None:
        raise Unsupported(refusal)
    bidirectional = keras_base(layer).__name__ == "Bidirectional"
    rnn = layer.layer if bidirectional else layer
    kind = keras_base(rnn).__name__
    cls = getattr(tnn, _TORCH_RECURRENT[kind])
    units = as_int(rnn.units)
    options = dict(batch_first=True, bias=rnn.use_bias, bidirectional=bidirectional)
    if kind == "SimpleRNN":
        options["nonlinearity"] = rnn.activation
    x = inputs[0]
    if rnn.go_backwards and not rnn.return_state:  # not in a Bidirectional (refused there)
        config = {k: as_int(v) for k, v in rnn.get_config().items()
                  if k not in ("name", "trainable")}
        make = lambda: _BACKWARDS[kind](shapes[0][-1], units, keras_config=config,  # noqa: E731
                                        **options)
        return _module(b, layer, key, name, make, x)
    if rnn.go_backwards:
        x = b.call(torch.flip, x, (1,))
    result = _module(b, layer, key, name, lambda: cls(shapes[0][-1], units, **options), x)
    sequence = b.call(operator.getitem, result, 0)
    states = b.call(operator.getitem, result, 1)  # (D, N, u), or LSTM's (h_n, c_n)
    states = [b.call(operator.getitem, states, i) for i in range(2)] if kind == "LSTM" \
        else [states]

    def direction(d: int) -> list:
        return [b.call(operator.getitem, s, d) for s in states]

    if not bidirectional:
        last = direction(0)
        outs = [sequence if rnn.return_sequences else last[0]]
        return [*outs, *last] if rnn.return_state else outs[0]
    forwards, backwards = direction(0), direction(1)
    if rnn.return_sequences:
        halves = [b.call(operator.getitem, sequence, (Ellipsis, slice(None, units))),
                  b.call(operator.getitem, sequence, (Ellipsis, slice(units, None)))]
    else:
        halves = [forwards[0], backwards[0]]
    mode = layer.merge_mode
    if mode is None:
        outs = halves
    elif mode == "concat":
        outs = [sequence if rnn.return_sequences else b.call(torch.cat, halves, dim=-1)]
    elif mode == "ave":
        outs = [b.call(operator.truediv, b.call(operator.add, *halves), 2)]
    else:
        outs = [b.call(operator.add if mode == "sum" else operator.mul, *halves)]
    if rnn.return_state:
        outs += forwards + backwards
    return outs if len(outs) > 1 else outs[0]


def recurrent(b, layer, inputs, key, name):
    """``nn.RNN``/``nn.LSTM``/``nn.GRU`` on the batch-first input, one fx node per output:
    ``output`` (batch first: transposed back when ``batch_first=False``, whose module gets
    ``x.transpose(0, 1)``), then ``h_n`` (and ``c_n``) transposed to batch first, as every
    symcnn shape puts the batch before the other axes."""
    cls = getattr(tnn, layer.type_name)
    config = {k: as_int(v) for k, v in layer.get_config().items()
              if k not in ("name", "trainable")}
    if layer.type_name == "MultiheadAttention" and masked_refusal(layer):
        raise Unsupported(masked_refusal(layer))
    target = b.submodule(key, name, lambda: cls(**config))
    b._freeze(layer, target)
    if layer.type_name == "MultiheadAttention":
        return _torch_attention(b, layer, inputs, target)
    x = inputs[0] if layer.batch_first else b.method("transpose", inputs[0], 0, 1)
    result = b.graph.call_module(target, (x,))
    out = b.call(operator.getitem, result, 0)
    if not layer.batch_first:
        out = b.method("transpose", out, 0, 1)
    states = b.call(operator.getitem, result, 1)
    if layer.states > 1:
        states = [b.call(operator.getitem, states, i) for i in range(layer.states)]
    else:
        states = [states]
    return [out, *(b.method("transpose", s, 0, 1) for s in states)]


# ------------------------------------------------------------------------------ attention


def _torch_attention(b, layer, inputs, target):
    """``symcnn.nn.MultiheadAttention``'s call ``(query, key, value)``: the module's output
    ``[0]`` (PyTorch's default ``need_weights=True``, what training memory counts). With
    ``batch_first=False`` each distinct input is transposed once (so the module still sees
    ``key is value`` and packs the projections as on the batch-first input) and the output
    transposed back."""
    if not layer.batch_first:
        once: dict = {}
        for x in inputs:
            if x not in once:
                once[x] = b.method("transpose", x, 0, 1)
        inputs = [once[x] for x in inputs]
    result = b.graph.call_module(target, tuple(inputs))
    out = b.call(operator.getitem, result, 0)
    return out if layer.batch_first else b.method("transpose", out, 0, 1)



def attention_refusal(layer, shapes) -> str | None:
    """Why ``to_torch`` refuses the Keras ``MultiHeadAttention`` ``layer`` called on
    ``shapes`` (query, value and, if given, key; no batch axis), or ``None`` where
    ``nn.MultiheadAttention(batch_first=True)`` computes the same function with the same count
    (:func:`multihead_attention`).

    PyTorch's module projects the query of width ``E`` (its ``embed_dim``) to ``num_heads``
    heads of ``E/num_heads``, the key (``kdim``) and the value (``vdim``) to the same sizes,
    scales the scores by ``1/sqrt(E/num_heads)``, attends over the sequence axis of
    ``(N, T, E)`` and projects back to ``E``, with a bias on every projection or on none; its
    dropout acts on the attention weights, as Keras' does. So Keras' layer must have
    ``num_heads*key_dim == E``, ``value_dim`` equal to ``key_dim`` (or unset), the query's
    width as output, no gate, no sliding window, rank-2 inputs ``(T, E)`` attended over ``T``
    and no masked call (symcnn does not record the mask).

    >>> import symcnn as sc
    >>> print(attention_refusal(sc.MultiHeadAttention(2, 4, value_dim=6), [(5, 8), (5, 8)]))
    value_dim=6 differs from key_dim=4: nn.MultiheadAttention projects the values to embed_dim/num_heads per head, as the keys
    >>> print(attention_refusal(sc.MultiHeadAttention(2, 4), [(5, 8), (7, 3)]))
    None
    """
    masked = masked_refusal(layer)
    if masked:
        return masked
    query = shapes[0]
    width = query[-1]
    h, k = as_int(layer.num_heads), as_int(layer.key_dim)
    reasons = []
    if len(query) != 2:  # rank 2 attends over its axis 1 whatever attention_axes says
        reasons.append(f"a query of shape {tuple(query)} attended over axes "
                       f"{layer.axes_for(len(query))}: nn.MultiheadAttention(batch_first=True) "
                       f"takes sequences (N, T, E) and attends over T")
    if h * k != width:
        reasons.append(f"num_heads*key_dim = {h}*{k} = {h * k} differs from the query's width "
                       f"{width}: nn.MultiheadAttention's heads split its embed_dim, the "
                       f"query's width")
    if layer.value_dim is not None and as_int(layer.value_dim) != k:
        reasons.append(f"value_dim={as_int(layer.value_dim)} differs from key_dim={k}: "
                       f"nn.MultiheadAttention projects the values to embed_dim/num_heads per "
                       f"head, as the keys")
    out = tuple(as_int(layer.out_dims(query)))
    if out != (width,):
        reasons.append(f"output_shape={layer.output_shape if len(out) > 1 else out[0]} "
                       f"differs from the query's width {width}: nn.MultiheadAttention's "
                       f"output projection gives embed_dim features")
    if layer.use_gate:
        reasons.append("use_gate=True: Keras multiplies the heads' output by a sigmoid gate "
                       "projected from the query (its own kernel and bias), "
                       "nn.MultiheadAttention has no gate")
    if layer.sliding_window is not None:
        reasons.append(f"sliding_window={as_int(layer.sliding_window)}: Keras attends each "
                       f"query only to the keys fewer than {as_int(layer.sliding_window)} "
                       f"positions away, nn.MultiheadAttention to every key")
    return "; ".join(reasons) or None


def multihead_attention(b, layer, inputs, shapes, out_shape, key, name):
    """Keras' ``MultiHeadAttention`` called as ``mha(query, value[, key])`` on ``(T, E)``
    sequences, as ``nn.MultiheadAttention(E, num_heads, dropout, bias=use_bias, kdim, vdim,
    batch_first=True)`` called ``(query, key, value, need_weights=...)[0]`` (the layer's
    ``need_weights``, True unless ``from_torch`` recorded False: what training memory
    counts is what the export keeps), or
    :class:`Unsupported` with :func:`attention_refusal`'s reason. Its parameters are Keras'
    in PyTorch's layout: the query, key and value kernels ``(d, h, k)`` are the rows of
    ``in_proj_weight`` (``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight`` when the key
    or value width differs from ``E``) transposed, ``(h*k, d)``; their biases ``(h, k)`` are
    ``in_proj_bias``; the output kernel ``(h, k, E)`` is ``out_proj.weight`` transposed."""
    refusal = attention_refusal(layer, shapes)
    if refusal is not None:
        raise Unsupported(refusal)
    query, value = inputs[0], inputs[1]
    keys = inputs[2] if len(inputs) == 3 else value
    width = shapes[0][-1]
    key_width = (shapes[2] if len(shapes) == 3 else shapes[1])[-1]
    make = lambda: tnn.MultiheadAttention(  # noqa: E731
        width, as_int(layer.num_heads), dropout=float(layer.dropout), bias=layer.use_bias,
        kdim=key_width, vdim=shapes[1][-1], batch_first=True)
    target = b.submodule(key, name, make)
    b._freeze(layer, target)
    result = b.graph.call_module(target, (query, keys, value), {"need_weights": bool(layer.need_weights)})
    return b.call(operator.getitem, result, 0)


# ----------------------------------------------------------------- learned tensors (ViT)


class LearnedTensor(tnn.Module):
    """A learned tensor ``weight`` that ``forward`` combines with its input: ``"prepend"``
    concatenates it before the tokens of a batch-first ``(N, T, E)`` input (a class token of
    shape ``(1, 1, E)``), ``"add"`` adds it (a position embedding ``(1, T, E)``) and ``"mul"``
    multiplies by it (a layer scale), both with PyTorch's broadcasting. It starts at zeros
    (ones for ``"mul"``, which then leaves its input unchanged).

    >>> m = LearnedTensor("prepend", (1, 1, 4))
    >>> m(torch.ones(2, 3, 4)).shape, [name for name, _ in m.named_parameters()]
    (torch.Size([2, 4, 4]), ['weight'])
    """

    def __init__(self, op: str, shape) -> None:
        super().__init__()
        if op not in ("prepend", "add", "mul"):
            raise ValueError(f"op must be 'prepend', 'add' or 'mul'. Received: op={op!r}")
        self.op = op
        init = torch.ones if op == "mul" else torch.zeros
        self.weight = tnn.Parameter(init(tuple(shape)))

    def forward(self, x):
        if self.op == "prepend":
            n = x.shape[0]
            return torch.cat([self.weight.expand(n, -1, -1), x], dim=1)
        if self.op == "add":
            return x + self.weight
        return self.weight * x

    def extra_repr(self) -> str:
        return f"{self.op!r}, {tuple(self.weight.shape)}"


def _class_token(b, layer, inputs, shapes, out_shape, key, name):
    """``ClassToken`` on ``(T, E)`` tokens (symcnn's order, batch first): a learned
    ``(1, 1, E)`` prepended on the token axis (:class:`LearnedTensor`), ``E`` parameters."""
    make = lambda: LearnedTensor("prepend", (1, 1, shapes[0][-1]))  # noqa: E731
    return _module(b, layer, key, name, make, inputs[0])


def _position_embedding(b, layer, inputs, shapes, out_shape, key, name):
    """``PositionEmbedding`` on ``(T, E)`` tokens: a learned ``(1, T, E)`` added
    (:class:`LearnedTensor`), ``T*E`` parameters."""
    make = lambda: LearnedTensor("add", (1, *shapes[0]))  # noqa: E731
    return _module(b, layer, key, name, make, inputs[0])


def torch_parameter_shape(shape, rank: int, moved: bool) -> tuple:
    """The shape of a learned tensor of symcnn ``shape`` (broadcast to inputs of ``rank``
    axes, batch excluded, aligned on the last axis) in the exported layout: itself, or when
    the input's channels are moved first, its last axis moved to the channel dim (leading
    ones dropped down to its own length).

    >>> torch_parameter_shape((1, 1, 8), 3, True), torch_parameter_shape((8, 1, 1), 3, False)
    ((8, 1, 1), (8, 1, 1))
    >>> torch_parameter_shape((1, 197, 768), 2, True)
    (1, 768, 197)
    """
    shape = tuple(shape)
    if not moved or rank < 2:
        return shape
    full = [1] * (rank + 1 - len(shape)) + list(shape)
    full.insert(1, full.pop())
    while len(full) > len(shape) and full[0] == 1:
        full.pop(0)
    return tuple(full)


#: ``Elementwise``'s operations as PyTorch functions of ``(a, b)``; a constant may stand on
#: either side (``maximum``/``minimum`` are ``clamp`` and commute, as Keras' do).
_ELEMENTWISE = {
    "add": operator.add, "subtract": operator.sub, "multiply": operator.mul,
    "divide": operator.truediv, "true_divide": operator.truediv, "power": operator.pow,
}


def _elementwise(b, layer, inputs, shapes, out_shape, key, name):
    """``Elementwise(op, constant)`` (and ``nn.ScalarOp``, which ``from_torch`` reads these
    back as): ``x op constant`` (``constant op x`` with ``constant_first``) as the Python
    operator on the tensor, which PyTorch computes as ``keras.ops`` does on the torch
    backend; ``maximum``/``minimum`` as ``torch.clamp``. A negative base is
    ``torch.pow(c, x)``: fx writes ``operator.pow(-2.0, x)`` as ``-2.0 ** x``, which Python
    reads as ``-(2.0 ** x)``."""
    constant = layer.constant
    if constant is None:
        raise Unsupported(f"an Elementwise {layer.op!r} without a constant (the operation "
                          f"would lack its second operand)")
    if layer.op in ("maximum", "minimum"):
        bound = "min" if layer.op == "maximum" else "max"
        return b.call(torch.clamp, inputs[0], **{bound: constant})
    first = getattr(layer, "constant_first", False)
    if first and layer.op == "power" and constant < 0:
        return b.call(torch.pow, constant, inputs[0])
    operands = (constant, inputs[0]) if first else (inputs[0], constant)
    return b.call(_ELEMENTWISE[layer.op], *operands)


def _layer_scale(b, layer, inputs, shapes, out_shape, key, name):
    """Keras applications' ``LayerScale``: the input times a learned vector of
    ``projection_dim`` factors (the input's width when left out) on the channel axis
    (:class:`LearnedTensor`, ``"mul"``, starting at ``init_values`` as Keras' does)."""
    dim = shapes[0][-1] if layer.projection_dim is None else as_int(layer.projection_dim)
    shape = torch_parameter_shape((dim,), len(shapes[0]), b.now_moved)

    def make():
        module = LearnedTensor("mul", shape)
        with torch.no_grad():
            module.weight.fill_(layer.init_values)
        return module
    return _module(b, layer, key, name, make, inputs[0])


def _custom_scale(b, layer, inputs, shapes, out_shape, key, name):
    """InceptionResNetV2's ``CustomScaleLayer``: ``inputs[0] + inputs[1]*scale``."""
    return b.call(operator.add, inputs[0], b.call(operator.mul, inputs[1], layer.scale))


class KerasRescaling(tnn.Module):
    """Keras' ``Rescaling`` with a scale or offset per channel: ``x*scale + offset`` on the
    last axis (the symcnn layout), the constants as buffers outside the state dict (Keras'
    layer has no weights)."""

    def __init__(self, scale, offset) -> None:
        super().__init__()
        self.constants = (scale, offset)
        self.register_buffer("scale", torch.tensor(scale, dtype=torch.float32), persistent=False)
        self.register_buffer("offset", torch.tensor(offset, dtype=torch.float32),
                             persistent=False)

    def forward(self, x):
        return x * self.scale + self.offset

    def symcnn_layer(self, name: str, trainable: bool):
        """What ``from_torch`` reads: Keras' ``Rescaling``."""
        return L.Rescaling(*self.constants, name=name, trainable=trainable)


def _rescaling(b, layer, inputs, shapes, out_shape, key, name):
    """``Rescaling``: ``x*scale + offset`` as operators on numbers, else
    :class:`KerasRescaling` (computing on the symcnn layout)."""
    if isinstance(layer.scale, tuple) or isinstance(layer.offset, tuple):
        return _module(b, layer, key, name, lambda: KerasRescaling(layer.scale, layer.offset),
                       inputs[0])
    return b.call(operator.add, b.call(operator.mul, inputs[0], layer.scale), layer.offset)


#: Keras' ``backend.epsilon()`` default, the least deviation ``Normalization`` divides by.
KERAS_EPSILON = 1e-7


class KerasNormalization(tnn.Module):
    """Keras' ``Normalization``: ``(x - mean)/max(sqrt(variance), 1e-7)`` (``invert``:
    ``mean + x*max(...)``), ``mean`` and ``variance`` of the ``broadcast`` shape (the batch
    and the reduced axes 1) on the symcnn layout. Given values are buffers outside the state
    dict, as Keras keeps them out of its weights; adapted ones are the state (``mean``,
    ``variance`` and ``count``, Keras' non-trainable weights, starting as Keras' at 0, 1, 0).
    Given values lie on the kept axes (``kept``, indices into ``broadcast``) from the last
    one backwards, as Keras' ``build`` places them (a list on the last kept axis).

    >>> m = KerasNormalization((1, 1, 3), (2,), mean=None, variance=None, invert=False)
    >>> sorted(m.state_dict()), m(torch.ones(2, 4, 3)).shape
    (['count', 'mean', 'variance'], torch.Size([2, 4, 3]))
    """

    def __init__(self, broadcast, kept, mean, variance, invert: bool, axis=-1) -> None:
        super().__init__()
        self.invert = invert
        self.keras = dict(axis=axis, mean=mean, variance=variance, invert=invert)
        given = mean is not None
        for label, value, fill in (("mean", mean, 0.0), ("variance", variance, 1.0)):
            if given:
                tensor = torch.tensor(value, dtype=torch.float32)
                if tensor.dim():
                    shape = [1] * len(broadcast)
                    for at, size in zip(reversed(kept), reversed(tensor.shape)):
                        shape[at] = size
                    tensor = tensor.reshape(shape)
                tensor = tensor.expand(tuple(broadcast)).clone()
            else:
                tensor = torch.full(tuple(broadcast), fill)
            self.register_buffer(label, tensor, persistent=not given)
        if not given:
            self.register_buffer("count", torch.tensor(0, dtype=torch.long))

    def symcnn_layer(self, name: str, trainable: bool):
        """What ``from_torch`` reads: Keras' ``Normalization`` (``axis`` as given)."""
        return L.Normalization(**self.keras, name=name, trainable=trainable)

    def forward(self, x):
        deviation = torch.clamp(torch.sqrt(self.variance), min=KERAS_EPSILON)
        if self.invert:
            return self.mean + x * deviation
        return (x - self.mean) / deviation


def _normalization(b, layer, inputs, shapes, out_shape, key, name):
    """``Normalization`` as :class:`KerasNormalization` on the symcnn layout."""
    kept = layer.kept_axes(shapes[0])
    broadcast = (1, *(size if i in kept else 1 for i, size in enumerate(shapes[0])))
    if isinstance(layer.mean, tuple) and not kept:
        raise Unsupported("a list of means with no kept axis (axis=None)")
    at = tuple(k + 1 for k in kept)  # past the batch axis
    make = lambda: KerasNormalization(broadcast, at, layer.mean, layer.variance,  # noqa: E731
                                      layer.invert, layer.axis)
    return _module(b, layer, key, name, make, inputs[0])


def _parameter_op(op: str):
    def handle(b, layer, inputs, shapes, out_shape, key, name):
        """``ParameterAdd``/``ParameterMul``: a learned tensor of the layer's ``shape`` (in
        the exported layout, :func:`torch_parameter_shape`) added or multiplied
        (:class:`LearnedTensor`); a tensor gathered from a smaller table is refused."""
        learned = getattr(layer, "learned", None)
        if learned is not None:
            numel = 1
            for d in layer.shape:
                numel *= int(d)
            raise Unsupported(
                f"learned={learned}: the tensor of shape {tuple(layer.shape)} ({numel} values) "
                f"is gathered from a table of {learned} learned values by an index symcnn does "
                f"not keep, so a parameter of its shape would neither compute the same "
                f"function nor have the same count")
        shape = torch_parameter_shape(layer.shape, len(shapes[0]), b.now_moved)
        return _module(b, layer, key, name, lambda: LearnedTensor(op, shape), inputs[0])
    return handle


# ----------------------------------------------------- PReLU, UnitNormalization, image sizes


def _prelu_axis(layer, shape):
    """``(axis, slopes)``: the one axis of ``shape`` (symcnn's, no batch axis) along which
    Keras' ``PReLU`` has more than one slope (None for a single slope), and how many; an
    :class:`Unsupported` where ``torch.nn.PReLU`` (one slope, or one per dim-1 element)
    cannot hold them."""
    alpha = [int(s) for s in as_int(layer.alpha_shape(shape))]
    axes = [i for i, s in enumerate(alpha) if s != 1]
    if not axes:
        return None, 1
    if len(axes) > 1 or (len(alpha) > 1 and axes[0] not in (0, len(alpha) - 1)):
        total = 1
        for s in alpha:
            total *= s
        raise Unsupported(
            f"its alpha has shape {tuple(alpha)} ({total} slopes, shared_axes="
            f"{layer.shared_axes!r}), while torch.nn.PReLU holds one slope or one per "
            f"channel; give shared_axes every axis but the channels' (shared_axes="
            f"{[a + 1 for a in range(len(alpha)) if a != len(alpha) - 1]} for channels last)")
    return axes[0], alpha[axes[0]]


def prelu_layout(layer, shape):
    """The layout ``torch.nn.PReLU`` needs for Keras' ``PReLU`` on ``shape``: its slopes
    along dim 1, so channels moved first (True) for slopes along the last axis, symcnn's
    order (False) for slopes along the first, either (None) for one slope; None too where
    it cannot export (:func:`_prelu_axis` says why)."""
    try:
        axis, _ = _prelu_axis(layer, shape)
    except Unsupported:
        return None
    if axis is None or len(shape) < 2:
        return None
    return axis == len(shape) - 1


def _prelu(b, layer, inputs, shapes, out_shape, key, name):
    """Keras' ``PReLU`` as ``torch.nn.PReLU`` (one slope, or one per element of the axis
    moved to dim 1: :func:`prelu_layout`), starting at Keras' zeros."""
    _, slopes = _prelu_axis(layer, shapes[0])
    return _module(b, layer, key, name, lambda: tnn.PReLU(slopes, init=0.0), inputs[0])


def _unit_normalization(b, layer, inputs, shapes, out_shape, key, name):
    """``UnitNormalization`` as :class:`KerasUnitNormalization` over the axes as PyTorch
    numbers them in the layout the input has."""
    rank = len(shapes[0])
    axes = (layer.axis,) if isinstance(layer.axis, int) else layer.axis
    dims = tuple(sorted({b.torch_dim(a, rank) for a in axes}))
    return _module(b, layer, key, name, lambda: KerasUnitNormalization(dims), inputs[0])


def _resizing(b, layer, inputs, shapes, out_shape, key, name):
    """``Resizing`` as :class:`KerasResizing` on the channels-first input; the
    interpolations Keras' torch backend lacks (Lanczos, TensorFlow's "area") are refused."""
    if layer.interpolation not in TORCH_MODES:
        raise Unsupported(f"interpolation={layer.interpolation!r}: Keras' torch backend and "
                          f"F.interpolate have no such mode (converted: "
                          f"{', '.join(map(repr, TORCH_MODES))})")
    make = lambda: KerasResizing(  # noqa: E731
        as_int(layer.height), as_int(layer.width), layer.interpolation,
        layer.crop_to_aspect_ratio, layer.pad_to_aspect_ratio, layer.fill_value,
        layer.antialias)
    return _module(b, layer, key, name, make, inputs[0])


def _center_crop(b, layer, inputs, shapes, out_shape, key, name):
    """``CenterCrop`` as :class:`KerasCenterCrop` on the channels-first input."""
    make = lambda: KerasCenterCrop(as_int(layer.height), as_int(layer.width))  # noqa: E731
    return _module(b, layer, key, name, make, inputs[0])


HANDLERS = {
    **{f"Conv{n}D": _conv for n in (1, 2, 3)},
    **{f"DepthwiseConv{n}D": _conv for n in (1, 2)},
    **{f"SeparableConv{n}D": _conv for n in (1, 2)},
    **{f"Conv{n}DTranspose": _conv_transpose for n in (1, 2, 3)},
    **{f"MaxPooling{n}D": _pool("Max") for n in (1, 2, 3)},
    **{f"AveragePooling{n}D": _pool("Avg") for n in (1, 2, 3)},
    **{f"GlobalMaxPooling{n}D": _global_pool(torch.amax) for n in (1, 2, 3)},
    **{f"GlobalAveragePooling{n}D": _global_pool(torch.mean) for n in (1, 2, 3)},
    **{f"AdaptiveAveragePooling{n}D": _adaptive("Avg") for n in (1, 2, 3)},
    **{f"AdaptiveMaxPooling{n}D": _adaptive("Max") for n in (1, 2, 3)},
    "Dense": _dense, "Embedding": _embedding, "BatchNormalization": _batch_norm,
    "LayerNormalization": _layer_norm,
    "GroupNormalization": _group_norm,
    "Activation": _activation_layer, "ReLU": _relu, "Softmax": _softmax,
    "LeakyReLU": _simple(F.leaky_relu, negative_slope="negative_slope"),
    "ELU": _simple(F.elu, alpha="alpha"), "Identity": lambda b, layer, inputs, *_: inputs[0],
    "Dropout": _dropout(tnn.Dropout), "SpatialDropout1D": _dropout(tnn.Dropout1d),
    "SpatialDropout2D": _dropout(tnn.Dropout2d), "SpatialDropout3D": _dropout(tnn.Dropout3d),
    "Flatten": _flatten, "Reshape": _reshape, "Permute": _permute,
    **{f"ZeroPadding{n}D": _zero_padding for n in (1, 2, 3)},
    **{f"Cropping{n}D": _cropping for n in (1, 2, 3)},
    **{f"UpSampling{n}D": _upsampling for n in (1, 2, 3)},
    "Add": _merge(operator.add), "Subtract": _merge(operator.sub),
    "Multiply": _merge(operator.mul), "Average": _merge(operator.add, mean=True),
    "Maximum": _merge(torch.maximum), "Minimum": _merge(torch.minimum),
    "Concatenate": _concatenate, "MultiHeadAttention": multihead_attention,
    "ClassToken": _class_token, "PositionEmbedding": _position_embedding,
    "ParameterAdd": _parameter_op("add"), "ParameterMul": _parameter_op("mul"),
    "Elementwise": _elementwise, "LayerScale": _layer_scale, "CustomScaleLayer": _custom_scale,
    "Rescaling": _rescaling, "Normalization": _normalization,
    "PReLU": _prelu, "UnitNormalization": _unit_normalization, "Resizing": _resizing,
    "CenterCrop": _center_crop,
}
