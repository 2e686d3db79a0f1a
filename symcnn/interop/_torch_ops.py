"""The PyTorch operations :func:`~symcnn.interop.torch.from_torch` understands.

Leaf modules map to the :mod:`symcnn.nn` class of the same name, built from the module's
attributes. Functions and tensor methods map to handlers that either apply a layer, pass the
tensor through (``x.detach()``), or compute with sizes (``x.size(0)``, ``x.shape[1] *
x.shape[2]``). The batch size is the marker :data:`BATCH`. Arithmetic (``x + y``, ``x *
0.5``) has its handlers in :mod:`._torch_arithmetic`; clamps and Keras' formulas that
``to_torch`` writes in several operations (a capped ReLU, ``squareplus``, ``same`` average
pooling, ...), read back as their one layer, in :mod:`._torch_activations`.
"""

from __future__ import annotations

import operator

import torch
import torch.nn.functional as F
from torch.fx.node import _get_qualified_name

from .. import layers as L
from .. import nn as sc_nn
from . import _torch_blocks as blocks
from . import _torch_windows as windows
from ._torch_base import BATCH, UNKNOWN, Unsupported, module_trainable
from ._torch_base import bind as _bind
from ._torch_base import expect_tensor as _tensor
from . import _torch_activations as activations
from . import _torch_arithmetic as arithmetic
from ._torch_shapes import (_flatten, _getattr, _getitem, _movedim, _permute, _size, _squeeze,
                            _torch_reshape, _transpose, _unsqueeze, _view)

__all__ = ["layer_for_module", "handler", "Unsupported", "UNKNOWN", "BATCH"]


# --------------------------------------------------------------------------------- modules

_CONV = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
         "groups", "bias", "padding_mode")
_CONVT = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding",
          "groups", "bias", "dilation", "padding_mode")
_BN = ("num_features", "eps", "momentum", "affine", "track_running_stats")
_MAXPOOL = ("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode")
_AVGPOOL = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
            "divisor_override")
_PAD = ("padding",)

MODULE_ARGS = {
    **{f"Conv{n}d": _CONV for n in (1, 2, 3)},
    **{f"ConvTranspose{n}d": _CONVT for n in (1, 2, 3)},
    **{f"BatchNorm{n}d": _BN for n in (1, 2, 3)},
    **{f"MaxPool{n}d": _MAXPOOL for n in (1, 2, 3)},
    "AvgPool1d": _AVGPOOL[:-1], "AvgPool2d": _AVGPOOL, "AvgPool3d": _AVGPOOL,
    **{f"AdaptiveAvgPool{n}d": ("output_size",) for n in (1, 2, 3)},
    **{f"AdaptiveMaxPool{n}d": ("output_size", "return_indices") for n in (1, 2, 3)},
    **{f"{kind}Pad{n}d": _PAD for kind in ("Zero", "Reflection", "Replication", "Circular")
       for n in (1, 2, 3)},
    **{f"ConstantPad{n}d": ("padding", "value") for n in (1, 2, 3)},
    "GroupNorm": ("num_groups", "num_channels", "eps", "affine"),
    "LayerNorm": ("normalized_shape", "eps", "elementwise_affine", "bias"),
    "Linear": ("in_features", "out_features", "bias"),
    "Embedding": ("num_embeddings", "embedding_dim", "padding_idx", "max_norm", "norm_type",
                  "scale_grad_by_freq", "sparse"),
    "ReLU": ("inplace",), "ReLU6": ("inplace",), "LeakyReLU": ("negative_slope", "inplace"),
    "ELU": ("alpha", "inplace"), "CELU": ("alpha", "inplace"), "SELU": ("inplace",),
    "GELU": ("approximate",), "SiLU": ("inplace",), "Mish": ("inplace",),
    "Hardswish": ("inplace",), "Hardsigmoid": ("inplace",),
    "Hardtanh": ("min_val", "max_val", "inplace"), "Softplus": ("beta", "threshold"),
    "Sigmoid": (), "Tanh": (), "Softsign": (), "Identity": (),
    "Softmax": ("dim",), "LogSoftmax": ("dim",),
    "Dropout": ("p", "inplace"), "Dropout1d": ("p", "inplace"), "Dropout2d": ("p", "inplace"),
    "Dropout3d": ("p", "inplace"), "AlphaDropout": ("p", "inplace"),
    "PReLU": ("num_parameters", "init"),
    "Flatten": ("start_dim", "end_dim"), "Unflatten": ("dim", "unflattened_size"),
    "Upsample": ("size", "scale_factor", "mode", "align_corners", "recompute_scale_factor"),
}


def layer_for_module(m, name: str):
    """The :mod:`symcnn.nn` layer for a leaf module, or None when there is none. A module
    with a ``symcnn_layer(name, trainable)`` method (those ``to_torch`` builds) states it."""
    kind = type(m).__name__
    if hasattr(type(m), "symcnn_layer"):
        return m.symcnn_layer(name, module_trainable(m, kind, recurse=False))
    if not type(m).__module__.startswith("torch.nn."):
        return None
    if kind in activations.MODULES:
        return activations.MODULES[kind](m, name)
    if kind not in MODULE_ARGS:
        return None
    kwargs = {}
    for attr in MODULE_ARGS[kind]:
        if attr == "bias":
            kwargs["bias"] = getattr(m, "bias", None) is not None
        else:
            kwargs[attr] = _plain(getattr(m, attr))
    trainable = module_trainable(m, f"nn.{kind}", recurse=False)
    return getattr(sc_nn, kind)(**kwargs, name=name, trainable=trainable)


def _plain(value):
    if isinstance(value, torch.Size):
        return tuple(value)
    if isinstance(value, list):
        return tuple(value)
    return value


# ------------------------------------------------------------------------------ functions


def _module_like(cls_name: str, names: tuple, defaults: dict, rename: dict | None = None):
    """A handler for ``f(input, *names)`` that applies ``sc_nn.<cls_name>(**names)``."""
    def handle(conv, node, args, kwargs):
        values = _bind(args, kwargs, ("input",) + names, defaults)
        x = _tensor(values.pop("input"))
        values = {(rename or {}).get(k, k): v for k, v in values.items()
                  if (rename or {}).get(k, k) is not None}
        return conv.apply(getattr(sc_nn, cls_name)(**values, name=node.name), x)
    return handle


def _activation(cls_name: str, names: tuple = (), defaults: dict | None = None,
                drop: tuple = ("inplace", "training", "dtype", "_stacklevel")):
    def handle(conv, node, args, kwargs):
        values = _bind(args, kwargs, ("input",) + names, defaults)
        x = _tensor(values.pop("input"))
        values = {k: v for k, v in values.items() if k not in drop}
        return conv.apply(getattr(sc_nn, cls_name)(**values, name=node.name), x)
    return handle


def _passthrough(conv, node, args, kwargs):
    return _tensor(args[0])


def _contiguous(conv, node, args, kwargs):
    """``x.contiguous()``: :class:`~symcnn.nn.Contiguous`, a copy where ``x`` is not
    contiguous (after a transpose); another ``memory_format`` passes ``x`` through."""
    fmt = kwargs.get("memory_format", args[1] if len(args) > 1 else torch.contiguous_format)
    if fmt is not torch.contiguous_format:
        return _passthrough(conv, node, args, kwargs)
    return conv.apply(sc_nn.Contiguous(name=node.name), _tensor(args[0]))


def _cat(conv, node, args, kwargs):
    values = _bind(args, kwargs, ("tensors", "dim"), {"dim": 0})
    if any(isinstance(t, blocks.Weight) for t in values["tensors"]):
        return blocks.cat_with_weights(conv, node, list(values["tensors"]), values["dim"])
    tensors = [_tensor(t) for t in values["tensors"]]
    if values["dim"] == 0:
        raise Unsupported("concatenation along the batch axis (dim=0)")
    if len(tensors) == 1:
        return tensors[0]
    return conv.apply(L.Concatenate(axis=values["dim"], name=node.name), tensors)


def _reduce(kind: str):
    def handle(conv, node, args, kwargs):
        values = _bind(args, kwargs, ("input", "dim", "keepdim"), {"dim": None, "keepdim": False})
        x = _tensor(values["input"])
        rank = len(x.shape) + 1
        dim = values["dim"]
        dims = {d % rank for d in (dim if isinstance(dim, (tuple, list)) else (dim,))} \
            if dim is not None else None
        first = set(range(2, rank))  # all but the channels (channels first)
        last = set(range(1, rank - 1))  # all but the channels (channels last)
        if rank < 3 or rank > 5 or dims not in (first, last):
            raise Unsupported(f"{'an' if kind[0] in 'AEIOU' else 'a'} {kind.lower()} over "
                              f"dims {dim!r}; only a reduction over all "
                              f"axes but the channels (global pooling) is supported")
        cls = getattr(L, f"Global{kind}Pooling{rank - 2}D")
        data_format = "channels_first" if dims == first else "channels_last"
        return conv.apply(cls(data_format=data_format, keepdims=bool(values["keepdim"]),
                              name=node.name), x)
    return handle


def _interpolate(conv, node, args, kwargs):
    """``F.interpolate`` as :class:`~symcnn.nn.Upsample`; ``antialias=True`` is refused: it
    changes no size, count or MAC, but ``nn.Upsample`` (and so ``to_torch``) cannot apply it,
    so the model would compute other values."""
    values = _bind(args, kwargs, ("input", "size", "scale_factor", "mode", "align_corners",
                                  "recompute_scale_factor", "antialias"),
                   {"size": None, "scale_factor": None, "mode": "nearest"})
    x = _tensor(values.pop("input"))
    antialias = values.pop("antialias", False)
    if antialias:
        raise Unsupported(f"F.interpolate with antialias={antialias!r}: nn.Upsample has no "
                          f"antialias, so the converted model (and its to_torch()) would "
                          f"interpolate without it; call F.interpolate without antialias, or "
                          f"replace the call to convert the model")
    return conv.apply(sc_nn.Upsample(**values, name=node.name), x)


#: ``F.pad``'s modes and the padding module of each.
_PAD_MODES = {"reflect": "Reflection", "replicate": "Replication", "circular": "Circular"}


def _pad(conv, node, args, kwargs):
    values = _bind(args, kwargs, ("input", "pad", "mode", "value"), {"mode": "constant"})
    x = _tensor(values["input"])
    pad = tuple(values["pad"])
    n = len(pad) // 2
    if len(pad) % 2 or n != len(x.shape) - 1 or n > 3:
        raise Unsupported(f"F.pad of {n} axes on an input with {len(x.shape) - 1} spatial "
                          f"axes (channels first)")
    mode, value = values["mode"], values.get("value")
    if mode == "constant" and value not in (None, 0):
        layer = getattr(sc_nn, f"ConstantPad{n}d")(pad, value, name=node.name)
    elif mode == "constant":
        layer = getattr(sc_nn, f"ZeroPad{n}d")(pad, name=node.name)
    elif mode in _PAD_MODES:  # as the modules: the mode is kept, not dropped
        layer = getattr(sc_nn, f"{_PAD_MODES[mode]}Pad{n}d")(pad, name=node.name)
    else:  # a mode this version of PyTorch added
        raise Unsupported(f"F.pad with mode={mode!r} (constant, reflect, replicate and "
                          f"circular are converted)")
    return conv.apply(layer, x)


def _pool_handlers() -> dict:
    table = {}
    for n in (1, 2, 3):
        table[getattr(F, f"max_pool{n}d")] = _module_like(
            f"MaxPool{n}d", ("kernel_size", "stride", "padding", "dilation", "ceil_mode",
                             "return_indices"),
            {"stride": None, "padding": 0, "dilation": 1, "ceil_mode": False,
             "return_indices": False})
        avg = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad")
        table[getattr(F, f"avg_pool{n}d")] = _module_like(
            f"AvgPool{n}d", avg + (("divisor_override",) if n > 1 else ()),
            {"stride": None, "padding": 0, "ceil_mode": False, "count_include_pad": True})
        table[getattr(F, f"adaptive_avg_pool{n}d")] = _module_like(
            f"AdaptiveAvgPool{n}d", ("output_size",), {})
        table[getattr(F, f"adaptive_max_pool{n}d")] = _module_like(
            f"AdaptiveMaxPool{n}d", ("output_size", "return_indices"), {"return_indices": False})
        table[getattr(F, f"dropout{n}d")] = _activation(f"Dropout{n}d", ("p",), {"p": 0.5})
    return table


_SIGMOID = _activation("Sigmoid")
_TANH = _activation("Tanh")
_SOFTMAX = _activation("Softmax", ("dim",))
_LOG_SOFTMAX = _activation("LogSoftmax", ("dim",))

FUNCTIONS = {
    operator.getitem: _getitem, getattr: _getattr,
    torch.cat: _cat, torch.concat: _cat, torch.concatenate: _cat,
    torch.flatten: _flatten, torch.reshape: _torch_reshape,
    torch.permute: _permute, torch.transpose: _transpose, torch.movedim: _movedim,
    torch.swapaxes: _transpose, torch.swapdims: _transpose,
    torch.squeeze: _squeeze, torch.unsqueeze: _unsqueeze,
    torch.mean: _reduce("Average"), torch.amax: _reduce("Max"),
    F.relu6: _activation("ReLU6"),
    F.elu: _activation("ELU", ("alpha",), {"alpha": 1.0}),
    F.celu: _activation("CELU", ("alpha",), {"alpha": 1.0}),
    F.selu: _activation("SELU"), F.gelu: _activation("GELU", (), {}),
    F.silu: _activation("SiLU"), F.mish: _activation("Mish"),
    F.hardswish: _activation("Hardswish"), F.hardsigmoid: _activation("Hardsigmoid"),
    F.softplus: _activation("Softplus", ("beta", "threshold")),
    F.softsign: _activation("Softsign"),
    torch.sigmoid: _SIGMOID, F.sigmoid: _SIGMOID, torch.tanh: _TANH, F.tanh: _TANH,
    F.softmax: _SOFTMAX, torch.softmax: _SOFTMAX,
    F.log_softmax: _LOG_SOFTMAX, torch.log_softmax: _LOG_SOFTMAX,
    F.dropout: _activation("Dropout", ("p",), {"p": 0.5}),
    F.alpha_dropout: _activation("AlphaDropout", ("p",), {"p": 0.5}),
    F.interpolate: _interpolate, F.pad: _pad,
    **_pool_handlers(),
    **activations.FUNCTIONS,
    **arithmetic.FUNCTIONS,
}

METHODS = {
    "size": _size, "dim": lambda conv, node, args, kwargs: len(_tensor(args[0]).shape) + 1,
    "view": _view, "reshape": _view, "flatten": _flatten, "permute": _permute,
    "transpose": _transpose, "swapaxes": _transpose, "swapdims": _transpose,
    "movedim": _movedim, "squeeze": _squeeze, "unsqueeze": _unsqueeze,
    "mean": _reduce("Average"), "amax": _reduce("Max"),
    "sigmoid": _SIGMOID, "tanh": _TANH, "softmax": _SOFTMAX, "log_softmax": _LOG_SOFTMAX,
    "contiguous": _contiguous, **activations.METHODS, **arithmetic.METHODS,
    **{name: _passthrough for name in ("clone", "detach", "float", "double",
                                       "half", "bfloat16", "long", "int", "to", "type", "cpu",
                                       "cuda", "requires_grad_")},
}


def _named_tuple(conv, node, args, kwargs):
    """A named tuple built in ``forward`` (torchvision's ``GoogLeNetOutputs`` and
    ``InceptionOutputs`` in training mode: the logits and the auxiliary logits): its
    fields in order, as a tuple; a model returning it has the tensors in it as outputs."""
    fields = node.target._fields
    return (*args, *(kwargs[f] for f in fields[len(args):] if f in kwargs))


def handler(node):
    """The handler of a ``call_function`` or ``call_method`` node, or None."""
    if node.op == "call_method":
        return METHODS.get(node.target) or blocks.METHODS.get(node.target)
    if isinstance(node.target, type) and issubclass(node.target, tuple) \
            and hasattr(node.target, "_fields"):
        return _named_tuple
    try:
        found = FUNCTIONS.get(node.target)
    except TypeError:  # unhashable target
        found = None
    if found is None and callable(node.target):  # functions of optional packages, by name
        name = _get_qualified_name(node.target)
        found = blocks.FUNCTIONS_BY_NAME.get(name) or windows.FUNCTIONS_BY_NAME.get(name)
    return found
