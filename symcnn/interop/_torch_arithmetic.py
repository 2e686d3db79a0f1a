"""Arithmetic read by :func:`~symcnn.interop.torch.from_torch`: ``a op b`` of two tensors
is a merge layer (``Add``, ``Subtract``, ``Multiply``), of a tensor and a number
:class:`~symcnn.nn.ScalarOp`, of a tensor and a parameter read in ``forward`` a layer that
counts it, of sizes a size; in-place forms (``x.mul_(2)``) give ``x`` its new value for
every later reader, and are refused where a view of ``x`` would read the change.
"""

from __future__ import annotations

import operator

import sympy
import torch
import torch.fx as fx

from .. import arith
from .. import layers as L
from ..layers.base import Tensor
from . import _torch_activations as activations
from . import _torch_blocks as blocks
from ._torch_base import BATCH, BatchSecond, Unsupported, batch_second_refusal, is_number
from ._torch_base import bind as _bind

__all__ = ["FUNCTIONS", "METHODS"]


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




_ADD = _binary(L.Add, operator.add, "add", "add")
_SUB = _binary(L.Subtract, operator.sub, scalar="subtract")
_RSUB = _binary(L.Subtract, operator.sub, scalar="subtract", swapped=True)
_MUL = _binary(L.Multiply, operator.mul, "mul", "multiply")
_DIV = _binary(None, operator.truediv, scalar="divide")
_FLOORDIV = _binary(None, _floordiv)


FUNCTIONS = {
    operator.add: _ADD, operator.iadd: _ADD, torch.add: _ADD,
    operator.sub: _SUB, operator.isub: _SUB, torch.sub: _SUB, torch.subtract: _SUB,
    torch.rsub: _RSUB,
    operator.mul: _MUL, operator.imul: _MUL, torch.mul: _MUL, torch.multiply: _MUL,
    operator.truediv: _DIV, operator.itruediv: _DIV, torch.div: _DIV, torch.divide: _DIV,
    torch.true_divide: _DIV,
    operator.floordiv: _FLOORDIV, operator.ifloordiv: _FLOORDIV, torch.floor_divide: _FLOORDIV,
    operator.neg: _neg, torch.neg: _neg, torch.negative: _neg,
}

METHODS = {
    "add": _ADD, "sub": _SUB, "subtract": _SUB, "mul": _MUL, "multiply": _MUL,
    "div": _DIV, "divide": _DIV, "true_divide": _DIV, "floor_divide": _FLOORDIV,
    "neg": _neg, "negative": _neg,
    **{f"{name}_": _in_place(handle) for name, handle in (
        ("add", _ADD), ("sub", _SUB), ("subtract", _SUB), ("mul", _MUL), ("multiply", _MUL),
        ("div", _DIV), ("divide", _DIV), ("true_divide", _DIV), ("floor_divide", _FLOORDIV),
        ("neg", _neg), ("negative", _neg), ("pow", activations.METHODS["pow"]))},
}
