"""PyTorch calls that ask or change a tensor's shape, for :mod:`symcnn.interop._torch_ops`:
``x.size(0)``, ``x.shape``, ``x[:, 0]``, ``view``/``reshape``, ``flatten``, ``permute``,
``transpose``, ``movedim``, ``squeeze`` and ``unsqueeze``. Sizes count the batch axis as
:data:`~symcnn.interop._torch_base.BATCH`, as PyTorch does (channels first).
"""

from __future__ import annotations

import sympy

from .. import layers as L
from .. import nn as sc_nn
from ..layers.base import Tensor
from . import _torch_blocks as blocks
from ._torch_base import BATCH, Unsupported
from ._torch_base import Marker as _Marker
from ._torch_base import bind as _bind
from ._torch_base import expect_tensor as _tensor


def _flatten(conv, node, args, kwargs):
    values = _bind(args, kwargs, ("input", "start_dim", "end_dim"), {"start_dim": 0, "end_dim": -1})
    x = _tensor(values["input"])
    start = values["start_dim"]
    if start == 0 or start == -(len(x.shape) + 1):
        raise Unsupported("flattening the batch axis (start_dim=0); use torch.flatten(x, 1)")
    return conv.apply(sc_nn.Flatten(start, values["end_dim"], name=node.name), x)


def _dims(x: Tensor) -> tuple:
    return (BATCH, *x.shape)


def _size(conv, node, args, kwargs):
    values = _bind(args, kwargs, ("input", "dim"), {"dim": None})
    dims = _dims(_tensor(values["input"]))
    return dims if values["dim"] is None else dims[values["dim"]]


def _getattr(conv, node, args, kwargs):
    obj, attr = args[0], args[1]
    if isinstance(obj, Tensor):
        if attr == "shape":
            return _dims(obj)
        if attr == "ndim":
            return len(obj.shape) + 1
        if attr in ("dtype", "device", "layout"):
            return _Marker(f"<{attr}>")
    raise Unsupported(f"reading attribute {attr!r}")


def _getitem(conv, node, args, kwargs):
    obj, index = args[0], args[1]
    if isinstance(obj, Tensor):
        return _slice(conv, node, obj, index)
    if isinstance(obj, (tuple, list)):
        return obj[index]
    raise Unsupported(f"indexing {obj!r}")


def _slice(conv, node, x: Tensor, index):
    """``x[:, a:b, ...]``, ``x[..., ::2, :]``, ``x[:, 0]``: see :func:`_torch_blocks.index`."""
    return blocks.index(conv, node, x, index)


def _shape_args(args) -> tuple:
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _reshape_to(conv, node, x: Tensor, target: tuple):
    if not target:
        raise Unsupported("a reshape to a scalar")
    first, rest = target[0], target[1:]
    if first is not BATCH and first != -1:
        raise Unsupported(f"a reshape whose first size ({first}) is not the batch size; "
                          f"write x.view(x.size(0), ...) or x.view(-1, ...)")
    if first == -1 and -1 in rest:
        raise Unsupported("a reshape with two -1 entries")
    if any(d is BATCH for d in rest) or not rest:
        raise Unsupported(f"a reshape to {target!r}")
    if rest == (-1,):
        return conv.apply(sc_nn.Flatten(name=node.name), x)
    return conv.apply(L.Reshape(rest, name=node.name), x)


def _view(conv, node, args, kwargs):
    x = _tensor(args[0])
    return _reshape_to(conv, node, x, _shape_args(args[1:] or (kwargs.get("shape"),)))


def _torch_reshape(conv, node, args, kwargs):
    values = _bind(args, kwargs, ("input", "shape"))
    return _reshape_to(conv, node, _tensor(values["input"]), tuple(values["shape"]))


def _permute_to(conv, node, x: Tensor, dims: tuple):
    rank = len(x.shape) + 1
    dims = tuple(d % rank for d in dims)
    if len(dims) != rank or dims[0] != 0:
        raise Unsupported(f"a permutation that moves the batch axis: {dims}")
    if dims == tuple(range(rank)):
        return x
    return conv.apply(L.Permute(dims[1:], name=node.name), x)


def _permute(conv, node, args, kwargs):
    dims = _shape_args(args[1:] or (kwargs.get("dims"),))
    return _permute_to(conv, node, _tensor(args[0]), dims)


def _transpose(conv, node, args, kwargs):
    values = _bind(args, kwargs, ("input", "dim0", "dim1"))
    x = _tensor(values["input"])
    rank = len(x.shape) + 1
    order = list(range(rank))
    a, b = values["dim0"] % rank, values["dim1"] % rank
    order[a], order[b] = order[b], order[a]
    return _permute_to(conv, node, x, tuple(order))


def _movedim(conv, node, args, kwargs):
    values = _bind(args, kwargs, ("input", "source", "destination"))
    x = _tensor(values["input"])
    source, destination = values["source"], values["destination"]
    if not isinstance(source, int) or not isinstance(destination, int):
        raise Unsupported("movedim of several dims at once")
    rank = len(x.shape) + 1
    order = [d for d in range(rank) if d != source % rank]
    order.insert(destination % rank, source % rank)
    return _permute_to(conv, node, x, tuple(order))


def _unsqueeze(conv, node, args, kwargs):
    values = _bind(args, kwargs, ("input", "dim"))
    x = _tensor(values["input"])
    rank = len(x.shape) + 2
    dim = values["dim"] % rank
    if dim == 0:
        raise Unsupported("unsqueeze(0) adds an axis before the batch axis")
    shape = list(x.shape)
    shape.insert(dim - 1, 1)
    return conv.apply(L.Reshape(tuple(shape), name=node.name), x)


def _squeeze(conv, node, args, kwargs):
    values = _bind(args, kwargs, ("input", "dim"), {"dim": None})
    x = _tensor(values["input"])
    rank = len(x.shape) + 1
    dims = values["dim"]
    if dims is None:
        if any(not sympy.sympify(d).is_Integer for d in x.shape):
            raise Unsupported("squeeze() without dim on symbolic sizes (which are 1?)")
        dims = tuple(i + 1 for i, d in enumerate(x.shape) if d == 1)
    dims = {d % rank for d in (dims if isinstance(dims, (tuple, list)) else (dims,))}
    if 0 in dims:
        raise Unsupported("squeezing the batch axis")
    shape = tuple(d for i, d in enumerate(x.shape) if i + 1 not in dims or d != 1)
    if shape == x.shape:
        return x
    if not shape:
        raise Unsupported("a squeeze to a scalar per sample")
    return conv.apply(L.Reshape(shape, name=node.name), x)
