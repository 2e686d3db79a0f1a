"""Clamps, powers and Keras' activations read by :func:`~symcnn.interop.torch.from_torch`:
each call becomes the layer it computes exactly, or is refused; Keras' formulas that
``to_torch`` writes in several operations are read back as their one layer. Arithmetic
between a tensor and a number is :class:`~symcnn.nn.ScalarOp` (:func:`constant_op`).
"""

from __future__ import annotations

import operator

import sympy
import torch
import torch.nn.functional as F

from .. import formulas
from .. import layers as L
from .. import nn as sc_nn
from ..layers.base import Tensor
from ._torch_base import Unsupported, is_number
from ._torch_base import bind as _bind
from ._torch_base import expect_tensor as _tensor

__all__ = ["FUNCTIONS", "METHODS", "MODULES", "constant_op"]

# ------------------------------------------------------------- clamps, Keras activations
#
# Each call becomes the layer it computes exactly, or is refused. Keras' formulas that
# ``to_torch`` writes in several operations are read back as the one layer: the handler of
# their first operation matches the rest in the fx graph and marks those nodes as computed by
# it (``symcnn_same_as``, which ``from_torch`` reads): ``relu`` then ``torch.clamp(y, max=M)``
# is ``ReLU(max_value=M)``; ``threshold(x, t, 0) - s*relu(-x + t)`` is ``ReLU(threshold=t,
# negative_slope=s)``; ``sparse_sigmoid``, ``squareplus``, ``sparse_plus`` and ``same``
# average pooling (window sums over counts of ``torch.ones_like``) are those layers again.

_ADDS, _MULS, _SUBS = (operator.add, torch.add, "add"), (operator.mul, torch.mul, "mul"), \
    (operator.sub, torch.sub, "sub")
_DIVS, _NEGS = (operator.truediv, torch.div, "div"), (operator.neg, torch.neg, "neg")
_RELUS = (torch.relu, F.relu, "relu")
_AVG_POOLS = {F.avg_pool1d: 1, F.avg_pool2d: 2, F.avg_pool3d: 3}


def _real(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


#: The operations in which the constant's side does not matter (``2 * x`` is ``x * 2``).
_COMMUTING = ("add", "multiply", "maximum", "minimum")


def _python_number(value, op: str):
    """``value`` (a number, or a size computed in ``forward``) as the Python number PyTorch
    computes with; a size that depends on the symbols is :class:`Unsupported`."""
    if _real(value):
        return int(value) if isinstance(value, int) else float(value)
    value = sympy.sympify(value)
    if value.free_symbols:
        raise Unsupported(f"a tensor and the size {value} in an element-wise {op}: ScalarOp "
                          f"takes a number, and {value} depends on the input's sizes; give "
                          f"them as numbers (input_shape=(3, 32, 32))")
    if value.is_Integer:
        return int(value)
    if value.is_real and value.is_finite:
        return float(value)
    raise Unsupported(f"an element-wise {op} with the constant {value}, which is no real number")


def constant_op(conv, node, op: str, x, constant, constant_first: bool = False,
                name: str | None = None):
    """``x op constant`` (``constant op x`` with ``constant_first``) applied to the tensor
    ``x``: :class:`~symcnn.nn.ScalarOp` (named after ``node``), which ``to_torch`` writes back
    as the Python operator. The constant's side is kept only where it matters (``2 - x``,
    ``2 / x``, ``2 ** x``)."""
    layer = sc_nn.ScalarOp(op, _python_number(constant, op),
                           constant_first=constant_first and op not in _COMMUTING,
                           name=name or node.name)
    return conv.apply(layer, _tensor(x))


def _calls(node, targets) -> bool:
    """Whether ``node`` is an fx node calling one of ``targets`` (functions, method names)."""
    return isinstance(node, torch.fx.Node) and node.op in ("call_function", "call_method") \
        and any(node.target == t for t in targets)


def _sole_user(node):
    users = list(node.users) if isinstance(node, torch.fx.Node) else []
    return users[0] if len(users) == 1 else None


def _with(node, targets, constant, commutes: bool = True, last: bool = False):
    """``x`` when ``node`` is ``x op constant`` (or ``constant op x`` where ``op`` commutes)
    used once (any number of times if it ends a formula: ``last``), else None."""
    if not _calls(node, targets) or len(node.args) != 2 or node.kwargs or (
            len(node.users) != 1 and not last):
        return None
    for x, c in (node.args, node.args[::-1]) if commutes else (node.args,):
        if isinstance(x, torch.fx.Node) and _real(c) and c == constant:
            return x
    return None


def _absorb(first, *nodes) -> None:
    """Mark ``nodes`` as computed by the layer read at ``first``."""
    for n in nodes:
        n.meta["symcnn_same_as"] = first


#: Clamps, and the names of their arguments.
_CLAMP_FUNCTIONS = {torch.clamp: ("input", "min", "max"), torch.clip: ("input", "min", "max"),
                    torch.clamp_min: ("input", "min"), torch.clamp_max: ("input", "max")}
_CLAMP_METHODS = {**{m: ("input", "min", "max") for m in ("clamp", "clip", "clamp_", "clip_")},
                  "clamp_min": ("input", "min"), "clamp_min_": ("input", "min"),
                  "clamp_max": ("input", "max"), "clamp_max_": ("input", "max")}


def _clamp_names(node) -> tuple | None:
    """The names of a clamp node's arguments (``torch.clamp_max``: input, max), else None."""
    if not isinstance(node, torch.fx.Node) or node.op not in ("call_method", "call_function"):
        return None
    try:
        return (_CLAMP_METHODS if node.op == "call_method" else _CLAMP_FUNCTIONS).get(node.target)
    except TypeError:  # an unhashable target
        return None


def _clamp_arguments(node) -> dict | None:
    """A clamp node's arguments by name (``input``, ``min``, ``max``; fx values), else None."""
    names = _clamp_names(node)
    return None if names is None else _bind(node.args, node.kwargs, names,
                                            {"min": None, "max": None})


def _cap_of(node, nonnegative: bool):
    """``(M, clamp)`` when ``node``'s only user clamps it to at most ``M >= 0`` and changes
    nothing else, as Keras' ReLU caps: ``torch.clamp(y, max=M)``, also with ``min <= 0``
    when ``node`` gives no negative values (``nonnegative``); the clamp is absorbed.
    ``(None, node)`` otherwise."""
    clamp = _sole_user(node)
    found = _clamp_arguments(clamp)
    if found is None or found["input"] is not node:
        return None, node
    low, high = found["min"], found["max"]
    if not (_real(high) and high >= 0) or low is not None and not (
            nonnegative and _real(low) and low <= 0):
        return None, node
    _absorb(node, clamp)
    return high, clamp


def _relu_layer(name: str, max_value=None, negative_slope=0.0, threshold=0.0):
    """Keras' ``ReLU`` (its numbers as floats, as Keras keeps them)."""
    return L.ReLU(max_value=None if max_value is None else float(max_value),
                  negative_slope=float(negative_slope), threshold=float(threshold), name=name)


def _relu(conv, node, args, kwargs):
    """``F.relu(x)``: ``nn.ReLU``; with the clamp that caps it, ``ReLU(max_value)``."""
    x = _tensor(_bind(args, kwargs, ("input", "inplace"))["input"])
    cap, _ = _cap_of(node, nonnegative=True)
    return conv.apply(sc_nn.ReLU(name=node.name) if cap is None else
                      _relu_layer(node.name, cap), x)


def _leaky_relu(conv, node, args, kwargs):
    """``F.leaky_relu(x, s)``: ``nn.LeakyReLU``; capped by a clamp (``s >= 0``), Keras'
    ``ReLU(max_value, negative_slope=s)``, which gives ``s*x`` below 0 as well."""
    values = _bind(args, kwargs, ("input", "negative_slope", "inplace"), {"negative_slope": 0.01})
    x, slope = _tensor(values["input"]), values["negative_slope"]
    cap = _cap_of(node, nonnegative=False)[0] if _real(slope) and slope >= 0 else None
    return conv.apply(sc_nn.LeakyReLU(slope, name=node.name) if cap is None else
                      _relu_layer(node.name, cap, negative_slope=slope), x)


def _threshold_layer(threshold, value, name: str):
    """``F.threshold(x, t, 0)``, ``x`` above ``t`` and 0 elsewhere: Keras'
    ``ReLU(threshold=t)`` for ``t >= 0``; other arguments are refused."""
    if not (_real(threshold) and _real(value) and threshold >= 0 and value == 0):
        raise Unsupported(f"threshold={threshold!r}, value={value!r}: Keras' ReLU(threshold=t) "
                          f"is F.threshold(x, t, 0) with t >= 0, and no symcnn layer gives "
                          f"another value or takes a negative threshold")
    return _relu_layer(name, threshold=threshold)


def _slope_of(first, y, x, t):
    """``s`` when ``y``'s only user is ``y - s*relu(-x + t)`` (``to_torch``'s ReLU with
    ``threshold=t`` and ``negative_slope=s``), its nodes absorbed into ``first``; else None."""
    sub = _sole_user(y)
    if not _calls(sub, _SUBS) or len(sub.args) != 2 or sub.kwargs or sub.args[0] is not y:
        return None
    product = sub.args[1]
    if not _calls(product, _MULS) or len(product.args) != 2 or len(product.users) != 1:
        return None
    slope, relu = product.args if _real(product.args[0]) else product.args[::-1]
    shifted = relu.args[0] if _calls(relu, _RELUS) and len(relu.args) == 1 \
        and len(relu.users) == 1 else None
    negated = _with(shifted, _ADDS, t)
    if not (_calls(negated, _NEGS) and negated.args[0] is x and len(negated.users) == 1
            and _real(slope) and slope > 0):
        return None
    _absorb(first, negated, shifted, relu, product, sub)
    return slope


def _threshold(conv, node, args, kwargs):
    """``F.threshold(x, t, 0)``: ``ReLU(threshold=t)``, with Keras' ``max_value`` and
    ``negative_slope`` when ``to_torch``'s clamp and slope term follow it."""
    values = _bind(args, kwargs, ("input", "threshold", "value", "inplace"))
    x, t = _tensor(values["input"]), values.get("threshold")
    layer = _threshold_layer(t, values.get("value"), node.name)  # refuses what is no ReLU
    cap, last = _cap_of(node, nonnegative=True)
    slope = _slope_of(node, last, _bind(node.args, node.kwargs, ("input",))["input"], t)
    if cap is not None or slope is not None:
        layer = _relu_layer(node.name, cap, slope or 0.0, t)
    return conv.apply(layer, x)


def _clamp(conv, node, args, kwargs):
    """``torch.clamp(x, min, max)``: Keras' ``ReLU`` for ``min=0`` (``max_value=max``),
    ``nn.Hardtanh(min, max)`` for other bounds, ``nn.ScalarOp("maximum", min)`` or
    ``("minimum", max)`` for one bound."""
    values = _bind(args, kwargs, _clamp_names(node), {"min": None, "max": None})
    x, low, high = _tensor(values["input"]), values["min"], values["max"]
    if any(b is not None and not _real(b) for b in (low, high)) or low is high is None:
        raise Unsupported(f"a clamp with min={low!r}, max={high!r} (a clamp between numbers "
                          f"is converted)")
    if low == 0 and (high is None or high >= 0):
        layer = _relu_layer(node.name, high)
    elif low is not None and high is not None:
        if low >= high:
            raise Unsupported(f"a clamp with min={low!r} >= max={high!r}, which gives "
                              f"{high!r} everywhere (no symcnn layer is a constant)")
        layer = sc_nn.Hardtanh(low, high, name=node.name)
    else:
        return constant_op(conv, node, "maximum" if high is None else "minimum", x,
                           low if high is None else high)
    return conv.apply(layer, x)


def _hardtanh(conv, node, args, kwargs):
    """``F.hardtanh(x, a, b)``: ``nn.Hardtanh``; for ``a = 0`` Keras' ``ReLU(max_value=b)``
    (PyTorch's ``ReLU6``); ``0.5*(hardtanh(x) + 1)`` is Keras' ``sparse_sigmoid``."""
    values = _bind(args, kwargs, ("input", "min_val", "max_val", "inplace"),
                   {"min_val": -1.0, "max_val": 1.0})
    x, low, high = _tensor(values["input"]), values["min_val"], values["max_val"]
    if _real(low) and _real(high) and low == 0 and high > 0:
        return conv.apply(_relu_layer(node.name, high), x)
    shifted = _sole_user(node) if _real(low) and _real(high) and (low, high) == (-1, 1) else None
    scaled = _sole_user(shifted) if _with(shifted, _ADDS, 1) is node else None
    if _with(scaled, _MULS, 0.5, last=True) is shifted:
        _absorb(node, shifted, scaled)
        return conv.apply(L.Activation("sparse_sigmoid", name=node.name), x)
    return conv.apply(sc_nn.Hardtanh(low, high, name=node.name), x)


def _squareplus(node, x) -> bool:
    """Whether ``node``, ``x**2``, starts ``(x + sqrt(x**2 + 4))/2`` (Keras' ``squareplus``),
    whose nodes it then absorbs."""
    plus = _sole_user(node)
    root = _sole_user(plus) if _with(plus, _ADDS, 4) is node else None
    total = _sole_user(root) if _calls(root, (torch.sqrt, "sqrt")) and len(root.args) == 1 \
        and not root.kwargs and len(root.users) == 1 else None
    if not (_calls(total, _ADDS) and not total.kwargs and len(total.args) == 2
            and {id(a) for a in total.args} == {id(x), id(root)}
            and _with(_sole_user(total), _DIVS, 2, commutes=False, last=True) is total):
        return False
    _absorb(node, plus, root, total, _sole_user(total))
    return True


def _sparse_plus(node, base) -> object:
    """``x`` when ``node``, ``(x + 1)**2`` (``base`` is ``x + 1``), starts Keras'
    ``sparse_plus``, ``where(x <= -1, 0, where(x < 1, 0.25*(x + 1)**2, x))``, whose nodes it
    then absorbs; else None."""
    x = _with(base, _ADDS, 1)
    scaled = _sole_user(node)
    inner = _sole_user(scaled) if _with(scaled, _MULS, 0.25) is node else None
    outer = _sole_user(inner)
    if x is None or not all(_calls(w, (torch.where,)) and len(w.args) == 3 and not w.kwargs
                            for w in (inner, outer)):
        return None
    below, above = inner.args[0], outer.args[0]
    if not (inner.args[1:] == (scaled, x) and outer.args[1:] == (0.0, inner)
            and _with(below, (operator.lt, torch.lt, "lt"), 1, commutes=False) is x
            and _with(above, (operator.le, torch.le, "le"), -1, commutes=False) is x):
        return None
    _absorb(node, scaled, below, inner, above, outer)
    return x


def _power(conv, node, args, kwargs):
    """``x ** 2`` where it starts Keras' ``squareplus`` or ``sparse_plus`` as ``to_torch``
    writes them: that activation; another power of a tensor and a number (``x ** 3``,
    ``2 ** x``) is :class:`~symcnn.nn.ScalarOp`. A power of sizes is computed."""
    values = _bind(args, kwargs, ("input", "exponent"))
    base, exponent = values.get("input"), values.get("exponent")
    if len(values) == 2 and is_number(base) and is_number(exponent):
        return sympy.sympify(base) ** sympy.sympify(exponent)
    squared = node.args[0] if len(node.args) == 2 and node.args[1] == 2 and not node.kwargs \
        and isinstance(args[0], Tensor) else None
    if isinstance(squared, torch.fx.Node):
        if _squareplus(node, squared):
            return conv.apply(L.Activation("squareplus", name=node.name), args[0])
        x = _sparse_plus(node, squared)
        if x is not None:
            return conv.apply(L.Activation("sparse_plus", name=node.name),
                              _tensor(conv.values[x]))
    if len(values) == 2 and isinstance(base, Tensor) and is_number(exponent):
        return constant_op(conv, node, "power", base, exponent)
    if len(values) == 2 and is_number(base) and isinstance(exponent, Tensor):
        return constant_op(conv, node, "power", exponent, base, constant_first=True)
    raise Unsupported(f"a power of {base!r} and {exponent!r} (a power of a tensor and a number "
                      f"is converted; no symcnn layer raises a tensor to a tensor)")


def _zero_pad(node):
    """``(x, pad)`` when ``node`` is ``F.pad(x, pad)`` with zeros, used once; else None."""
    if not _calls(node, (F.pad,)) or len(node.users) != 1:
        return None
    values = _bind(node.args, node.kwargs, ("input", "pad", "mode", "value"),
                   {"mode": "constant", "value": None})
    return (values["input"], list(values["pad"])) if values["mode"] == "constant" \
        and values["value"] in (None, 0) else None


def _ones_like(conv, node, args, kwargs):
    """``torch.ones_like(x[:, 0:1])`` starting ``to_torch``'s Keras ``same`` average pooling,
    ``avg_pool(pad(x))/avg_pool(pad(ones))`` (the padding left out of each mean), with
    Keras' ``same`` padding of ``x``: that pooling. Alone it has no layer."""
    first = node.args[0] if len(node.args) == 1 and not node.kwargs else None
    ones = _sole_user(node)
    counts = _sole_user(ones)
    ratio = _sole_user(counts)
    pooled = ratio.args[0] if _calls(ratio, _DIVS) and len(ratio.args) == 2 \
        and ratio.args[1] is counts else None
    padded = pooled.args[0] if _calls(pooled, tuple(_AVG_POOLS)) and pooled.args else None
    x, pad = _zero_pad(padded) or (None, None)
    if not (_calls(first, (operator.getitem,)) and len(first.users) == 1
            and first.args[1] == (slice(None), slice(0, 1)) and first.args[0] is x
            and isinstance(conv.values.get(x), Tensor) and _zero_pad(ones) == (node, pad)
            and counts.target is pooled.target and len(pooled.args) == 3
            and counts.args[1:] == pooled.args[1:] and counts.args[0] is ones
            and not pooled.kwargs and not counts.kwargs and len(pooled.users) == 1):
        raise Unsupported("torch.ones_like (read only as the divisor of Keras' same average "
                          "pooling, as to_torch writes it)")
    rank, x = _AVG_POOLS[pooled.target], conv.values[x]
    kernel, strides = (tuple(v) if isinstance(v, (tuple, list)) else (v,) * rank
                       for v in pooled.args[1:])
    pairs = [formulas.same_padding(i, k, s) for i, k, s in zip(x.shape[1:], kernel, strides)]
    if [p for pair in reversed(pairs) for p in pair] != pad:
        raise Unsupported(f"torch.ones_like dividing an average pooling padded by {pad}, not "
                          f"by Keras' same padding of {tuple(x.shape[1:])} (no symcnn layer "
                          f"leaves other padding out of its means)")
    _absorb(node, padded, pooled, ones, counts, ratio)
    layer = getattr(L, f"AveragePooling{rank}D")(kernel, strides, padding="same",
                                                 data_format="channels_first", name=pooled.name)
    return conv.apply(layer, x)


def _merge_of_two(merge, what: str):
    """``torch.maximum(a, b)`` of two tensors: the merge layer."""
    def handle(conv, node, args, kwargs):
        values = _bind(args, kwargs, ("input", "other"))
        a, b = values.get("input"), values.get("other")
        if not (isinstance(a, Tensor) and isinstance(b, Tensor)):
            raise Unsupported(f"a {what} of {a!r} and {b!r} (the element-wise {what} of two "
                              f"tensors is converted)")
        return conv.apply(merge(name=node.name), [a, b])
    return handle


def _activation_layer(keras_name: str, name: str, lambd=0.5):
    """Keras' ``Activation(keras_name)``; a shrink by another ``lambd`` than Keras' 0.5,
    which an activation by name cannot take, is refused."""
    if lambd != 0.5:
        raise Unsupported(f"lambd={lambd!r}: Keras' {keras_name!r} activation, by name, "
                          f"shrinks by 0.5 only, and symcnn's Activation takes a name")
    return L.Activation(keras_name, name=name)


def _keras_activation(keras_name: str, shrink: bool = False):
    """A handler for a function Keras names ``keras_name`` (``torch.exp``: ``exponential``)."""
    def handle(conv, node, args, kwargs):
        values = _bind(args, kwargs, ("input", "lambd") if shrink else ("input",), {"lambd": 0.5})
        return conv.apply(_activation_layer(keras_name, node.name, values["lambd"]),
                          _tensor(values["input"]))
    return handle


#: ``torch.nn`` modules without a :mod:`symcnn.nn` class: the layer of each (by its path).
MODULES = {
    "Tanhshrink": lambda m, name: _activation_layer("tanh_shrink", name),
    "LogSigmoid": lambda m, name: _activation_layer("log_sigmoid", name),
    "Hardshrink": lambda m, name: _activation_layer("hard_shrink", name, m.lambd),
    "Softshrink": lambda m, name: _activation_layer("soft_shrink", name, m.lambd),
    "Threshold": lambda m, name: _threshold_layer(m.threshold, m.value, name),
}

_MAXIMUM = _merge_of_two(L.Maximum, "maximum")
_MINIMUM = _merge_of_two(L.Minimum, "minimum")

#: The handlers of these functions (:mod:`symcnn.interop._torch_ops` merges them).
FUNCTIONS = {
    F.relu: _relu, torch.relu: _relu, F.relu_: _relu, torch.relu_: _relu,
    F.leaky_relu: _leaky_relu, F.threshold: _threshold, torch.threshold: _threshold,
    F.threshold_: _threshold, torch.threshold_: _threshold,
    **{clamp: _clamp for clamp in _CLAMP_FUNCTIONS},
    F.hardtanh: _hardtanh,
    torch.maximum: _MAXIMUM, torch.minimum: _MINIMUM,
    torch.exp: _keras_activation("exponential"), F.tanhshrink: _keras_activation("tanh_shrink"),
    F.hardshrink: _keras_activation("hard_shrink", shrink=True),
    F.softshrink: _keras_activation("soft_shrink", shrink=True),
    F.logsigmoid: _keras_activation("log_sigmoid"),
    operator.pow: _power, torch.pow: _power, torch.ones_like: _ones_like,
}

#: The handlers of these tensor methods.
METHODS = {
    "relu": _relu, "relu_": _relu, **{clamp: _clamp for clamp in _CLAMP_METHODS},
    "maximum": _MAXIMUM, "minimum": _MINIMUM, "exp": _keras_activation("exponential"),
    "exp_": _keras_activation("exponential"),
    "hardshrink": _keras_activation("hard_shrink", shrink=True), "pow": _power,
}
