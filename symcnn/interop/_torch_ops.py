"""The PyTorch operations :func:`~symcnn.interop.torch.from_torch` understands.

Leaf modules map to the :mod:`symcnn.nn` class of the same name, built from the module's
attributes. Functions and tensor methods map to handlers that either apply a layer
(``x * 0.5`` is :class:`~symcnn.nn.ScalarOp`), pass the tensor through (``x.detach()``), or
compute with sizes (``x.size(0)``, ``x.shape[1] * x.shape[2]``). The batch size is the
marker :data:`BATCH`. Keras' formulas
that ``to_torch`` writes in several operations (a capped ReLU, ``squareplus``, ``same``
average pooling, ...) are read back as their one layer (see "clamps, Keras activations").
"""

from __future__ import annotations

import operator

import sympy
import torch
import torch.fx as fx
import torch.nn.functional as F
from torch.fx.node import _get_qualified_name

from .. import arith
from .. import layers as L
from .. import nn as sc_nn
from ..layers.base import Tensor
from . import _torch_blocks as blocks
from . import _torch_windows as windows
from ._torch_base import (BATCH, UNKNOWN, BatchSecond, Unsupported, batch_second_refusal,
                          is_number, module_trainable)
from ._torch_base import bind as _bind
from ._torch_base import expect_tensor as _tensor
from . import _torch_activations as activations
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


def _neg(conv, node, args, kwargs):
    """``-x``: ``ScalarOp("multiply", -1)`` for a tensor (the same values, nothing kept);
    ``-size`` for a size (``x[..., -(w // 2):]``)."""
    if is_number(args[0]):
        return -sympy.sympify(args[0])
    return activations.constant_op(conv, node, "multiply", args[0], -1)


#: What a floor division of a tensor would need, for its refusal.
_FLOOR = ("a floor division of a tensor (x // 2, torch.floor_divide, rounding_mode): no "
          "symcnn layer computes it (ScalarOp's operations are those of Keras' Elementwise) "
          "and PyTorch has no gradient for it; divide (x / 2) or compute it outside the model")


def _binary(merge, number_op, op: str = "", scalar: str | None = None, swapped: bool = False):
    """``a op b``: a merge layer for two tensors, :class:`~symcnn.nn.ScalarOp` (operation
    ``scalar``) for a tensor and a number, a layer that counts a parameter read in forward
    (``x + self.pos_embedding``), else sizes. ``alpha`` (``torch.add``, ``torch.sub``)
    scales ``b``: into the constant, else as a ``ScalarOp`` multiplying the tensor;
    ``swapped`` (``torch.rsub(a, b)``) computes ``b op a``."""
    def handle(conv, node, args, kwargs):
        values = _bind(args, kwargs, ("input", "other"), {"alpha": 1, "rounding_mode": None})
        a, b = (values["other"], values["input"]) if swapped else (values["input"],
                                                                   values["other"])
        for time_major in (v for v in (a, b) if isinstance(v, BatchSecond)):
            raise Unsupported(batch_second_refusal(time_major))
        tensors = isinstance(a, Tensor) or isinstance(b, Tensor)
        if tensors and (scalar is None or values["rounding_mode"] is not None):
            raise Unsupported(_FLOOR)
        if values["rounding_mode"] == "floor" and is_number(a) and is_number(b):
            return _floordiv(sympy.sympify(a), sympy.sympify(b))
        if values["rounding_mode"] is not None:
            raise Unsupported(f"rounding_mode={values['rounding_mode']!r} on {a!r} and {b!r} "
                              f"(a division of sizes rounds down: rounding_mode='floor')")
        if not (is_number(values["alpha"]) and values["alpha"] == 1):
            b = _scaled(conv, node, b, values["alpha"])
        if isinstance(a, Tensor) and isinstance(b, blocks.Weight):
            return blocks.weight_op(conv, node, op, a, b)
        if isinstance(b, Tensor) and isinstance(a, blocks.Weight):
            return blocks.weight_op(conv, node, op, b, a)
        if isinstance(a, Tensor) and isinstance(b, Tensor):
            if merge is None:
                raise Unsupported("an element-wise division of two tensors")
            return conv.apply(merge(name=node.name), [a, b])
        if isinstance(a, Tensor) and is_number(b):
            return activations.constant_op(conv, node, scalar, a, b)
        if isinstance(b, Tensor) and is_number(a):
            return activations.constant_op(conv, node, scalar, b, a, constant_first=True)
        if a is BATCH or b is BATCH:
            raise Unsupported("arithmetic with the batch size")
        if number_op is None or not (is_number(a) and is_number(b)):
            raise Unsupported(f"operands {a!r} and {b!r}")
        return number_op(sympy.sympify(a), sympy.sympify(b))
    return handle


def _scaled(conv, node, value, alpha):
    """``value * alpha``: a number for a number (``torch.add(x, 1, alpha=2)`` is ``x + 2``),
    a ``ScalarOp`` multiplying a tensor (``torch.add(x, y, alpha=2)`` is ``x + y*2``, which
    keeps nothing either)."""
    if not is_number(alpha):
        raise Unsupported(f"alpha={alpha!r} (a number scales the second operand)")
    if is_number(value):
        return value * alpha
    if not isinstance(value, Tensor):
        raise Unsupported(f"alpha={alpha!r} scaling {value!r} (a number or a tensor is scaled)")
    return activations.constant_op(conv, node, "multiply", value, alpha,
                                   name=f"{node.name}_alpha")


def _floordiv(a, b):
    return arith.floor_div(a, b)


#: Methods and functions whose result may share its input's storage (views, and in-place
#: operations, which return their input): an in-place change of one changes the others.
_VIEW_METHODS = frozenset({
    "view", "view_as", "reshape", "reshape_as", "flatten", "unflatten", "permute", "transpose",
    "swapaxes", "swapdims", "movedim", "moveaxis", "squeeze", "unsqueeze", "expand",
    "expand_as", "narrow", "select", "unfold", "t", "detach", "contiguous", "to", "type",
    "type_as", "float", "double", "half", "bfloat16", "long", "int", "cpu", "cuda", "chunk",
    "split", "tensor_split", "unbind", "diagonal", "as_strided"})
_VIEW_FUNCTIONS = (operator.getitem, torch.flatten, torch.reshape, torch.permute,
                   torch.transpose, torch.swapaxes, torch.swapdims, torch.movedim,
                   torch.moveaxis, torch.squeeze, torch.unsqueeze, torch.narrow, torch.select,
                   torch.chunk, torch.split, torch.tensor_split, torch.unbind, torch.t,
                   torch.detach, torch.diagonal, torch.as_strided, torch.unflatten)
_VIEW_ATTRIBUTES = ("T", "mT", "H", "mH", "data", "real")


def _is_view(node) -> bool:
    """Whether ``node`` may return (a view of) its first argument."""
    if not isinstance(node, fx.Node) or not node.args or not isinstance(node.args[0], fx.Node):
        return False
    if node.op == "call_method":
        return node.target in _VIEW_METHODS or (node.target.endswith("_")
                                                and not node.target.startswith("_"))
    if node.op != "call_function":
        return False
    if node.target is getattr:
        return node.args[1] in _VIEW_ATTRIBUTES
    name = getattr(node.target, "__name__", "")  # torch.relu_, F.relu(x, inplace=True)
    return any(node.target is f for f in _VIEW_FUNCTIONS) or (
        name.endswith("_") and not name.startswith("_")) or node.kwargs.get("inplace") is True


def _sharing_storage(node) -> set:
    """The nodes that may share ``node``'s storage: those it is a view of, and their views."""
    root = node
    while _is_view(root):
        root = root.args[0]
    found, todo = set(), [root]
    while todo:
        n = todo.pop()
        if n not in found:
            found.add(n)
            todo.extend(u for u in n.users if _is_view(u) and u.args[0] is n)
    return found


def _in_place(handle):
    """The handler of an in-place method (``x.mul_(2)``): ``handle``'s layer, whose output is
    then the value of ``x`` for every later reader (fx records ``x.mul_(2); return x`` as a
    call whose result is unused). Refused where a tensor that may share ``x``'s storage (a
    view of it, or one it is a view of) is read afterwards: it would hold the new values."""
    def in_place(conv, node, args, kwargs):
        target = node.args[0] if node.args else None
        if isinstance(target, fx.Node):
            order = {n: i for i, n in enumerate(node.graph.nodes)}
            for other in _sharing_storage(target) - {target, node}:
                later = [u.name for u in other.users if order[u] > order[node]]
                if order[other] < order[node] and later:
                    raise Unsupported(
                        f"an in-place .{node.target}() on '{target.name}', which shares its "
                        f"storage with '{other.name}', read afterwards by '{later[0]}' (it "
                        f"would read the changed values); write the operation out of place "
                        f"(x = x * 2)")
        out = handle(conv, node, args, kwargs)
        if isinstance(target, fx.Node) and isinstance(out, Tensor):
            conv.values[target] = out
        return out
    return in_place


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


_ADD = _binary(L.Add, operator.add, "add", "add")
_SUB = _binary(L.Subtract, operator.sub, scalar="subtract")
_RSUB = _binary(L.Subtract, operator.sub, scalar="subtract", swapped=True)
_MUL = _binary(L.Multiply, operator.mul, "mul", "multiply")
_DIV = _binary(None, operator.truediv, scalar="divide")
_FLOORDIV = _binary(None, _floordiv)
_SIGMOID = _activation("Sigmoid")
_TANH = _activation("Tanh")
_SOFTMAX = _activation("Softmax", ("dim",))
_LOG_SOFTMAX = _activation("LogSoftmax", ("dim",))

FUNCTIONS = {
    operator.add: _ADD, operator.iadd: _ADD, torch.add: _ADD,
    operator.sub: _SUB, operator.isub: _SUB, torch.sub: _SUB, torch.subtract: _SUB,
    torch.rsub: _RSUB,
    operator.mul: _MUL, operator.imul: _MUL, torch.mul: _MUL, torch.multiply: _MUL,
    operator.truediv: _DIV, operator.itruediv: _DIV, torch.div: _DIV, torch.divide: _DIV,
    torch.true_divide: _DIV,
    operator.floordiv: _FLOORDIV, operator.ifloordiv: _FLOORDIV, torch.floor_divide: _FLOORDIV,
    operator.neg: _neg, torch.neg: _neg, torch.negative: _neg,
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
}

METHODS = {
    "add": _ADD, "sub": _SUB, "subtract": _SUB, "mul": _MUL, "multiply": _MUL,
    "div": _DIV, "divide": _DIV, "true_divide": _DIV, "floor_divide": _FLOORDIV,
    "neg": _neg, "negative": _neg,
    **{f"{name}_": _in_place(handle) for name, handle in (
        ("add", _ADD), ("sub", _SUB), ("subtract", _SUB), ("mul", _MUL), ("multiply", _MUL),
        ("div", _DIV), ("divide", _DIV), ("true_divide", _DIV), ("floor_divide", _FLOORDIV),
        ("neg", _neg), ("negative", _neg), ("pow", activations.METHODS["pow"]))},
    "size": _size, "dim": lambda conv, node, args, kwargs: len(_tensor(args[0]).shape) + 1,
    "view": _view, "reshape": _view, "flatten": _flatten, "permute": _permute,
    "transpose": _transpose, "swapaxes": _transpose, "swapdims": _transpose, "movedim": _movedim, "squeeze": _squeeze, "unsqueeze": _unsqueeze,
    "mean": _reduce("Average"), "amax": _reduce("Max"),
    "sigmoid": _SIGMOID, "tanh": _TANH, "softmax": _SOFTMAX, "log_softmax": _LOG_SOFTMAX,
    "contiguous": _contiguous, **activations.METHODS,
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
