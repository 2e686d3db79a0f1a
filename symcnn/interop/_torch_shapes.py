"""PyTorch calls that ask or change a tensor's shape, for :mod:`symcnn.interop._torch_ops`:
``x.size(0)``, ``x.shape``, ``x[:, 0]``, ``view``/``reshape``, ``flatten``, ``permute``,
``transpose``, ``movedim``, ``squeeze`` and ``unsqueeze``. Sizes count the batch axis as
:data:`~symcnn.interop._torch_base.BATCH`, as PyTorch does (channels first).
"""

from __future__ import annotations

import sympy

from .. import arith
from .. import layers as L
from .. import nn as sc_nn
from ..layers.base import Tensor
from ..nn._base import slice_bound
from . import _torch_blocks as blocks
from ._torch_base import BATCH, BatchSecond, Unsupported
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


def _dims(x) -> tuple:
    if isinstance(x, BatchSecond):
        return (x.tensor.shape[0], BATCH, *x.tensor.shape[1:])
    return (BATCH, *x.shape)


def _size(conv, node, args, kwargs):
    values = _bind(args, kwargs, ("input", "dim"), {"dim": None})
    x = values["input"]
    dims = _dims(x if isinstance(x, BatchSecond) else _tensor(x))
    return dims if values["dim"] is None else dims[values["dim"]]


def _getattr(conv, node, args, kwargs):
    obj, attr = args[0], args[1]
    if isinstance(obj, (Tensor, BatchSecond)):
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
    if isinstance(obj, BatchSecond):
        return _index_batch_second(conv, node, obj, index)
    if isinstance(obj, (tuple, list)):
        return obj[index]
    raise Unsupported(f"indexing {obj!r}")


def _index_batch_second(conv, node, x: BatchSecond, index):
    """``h[-1]``, ``h[0, :, :]``, ``h[-2:]``: dim 0 of a tensor whose batch is dim 1 (an
    integer drops it, giving an ordinary tensor; a slice keeps it)."""
    items = list(index if isinstance(index, tuple) else (index,))
    first, rest = items[0], items[1:]
    if rest and rest[-1] is Ellipsis:
        rest = rest[:-1]
    if first is Ellipsis or any(item != slice(None) for item in rest):
        raise Unsupported(f"indexing {x!r} with {index!r} (only dim 0 can be indexed, as in "
                          f"h[-1] or h[-2:])")
    if isinstance(first, slice):
        return BatchSecond(_slice(conv, node, x.tensor, (slice(None), first)), x.what)
    return _slice(conv, node, x.tensor, (slice(None), first))


def _slice(conv, node, x: Tensor, index):
    """``x[:, a:b, ...]``, ``x[..., ::2, :]``, ``x[:, 0]``: see :func:`_torch_blocks.index`.
    A clip that depends on two sizes is refused (see :func:`two_sided_clip`)."""
    items = list(index if isinstance(index, tuple) else (index,))
    if any(item is Ellipsis for item in items):
        at = next(i for i, item in enumerate(items) if item is Ellipsis)
        items[at:at + 1] = [slice(None)] * (len(x.shape) + 2 - len(items))
    for axis, (size, item) in enumerate(zip(x.shape, items[1:])):
        if isinstance(item, slice):
            for bound, what in ((item.start, "start"), (item.stop, "stop")):
                why = two_sided_clip(size, bound, what)
                if why:
                    raise Unsupported(f"x[{_show_index(items)}]: dim {axis + 1} has {size} "
                                      f"elements and the slice {what}s at {bound}, so {why}; "
                                      f"symcnn does not pick one side silently. Give sizes "
                                      f"that decide it (the same symbol for both, or numbers: "
                                      f"input_shape=(..., 224, 224))")
    return blocks.index(conv, node, x, index)


def two_sided_clip(size, bound, what: str) -> str:
    """Why PyTorch's clipping of the slice bound ``bound`` (``"start"`` or ``"stop"``) on an
    axis of ``size`` elements depends on how two or more sizes compare, or ``""``.

    PyTorch counts a negative bound from the end and clips bounds to ``[0, size]``, so
    ``x[..., :W]`` on an axis of ``H`` elements keeps ``min(H, W)``. symcnn's slices take the
    unclipped closed form and record its condition (``:100`` on ``H`` rows: 100 rows where
    ``H >= 100``), a threshold on one size like a kernel's. A condition between two sizes
    (``H >= W``) is not a threshold: both sides are ordinary inputs with different sizes, so
    it is refused. A clip whose other side is an empty slice (a start past the end, a stop
    before the start) is only the condition for a non-empty slice, and is kept.

    >>> from symcnn import symbols
    >>> H, W = symbols("H W")
    >>> two_sided_clip(H, W, "stop")
    'it keeps min(H, W) elements: W where H >= W, H otherwise'
    >>> two_sided_clip(H, -W, "start")
    'it keeps min(H, W) elements: W where H >= W, H otherwise'
    >>> [two_sided_clip(H, W, "start"), two_sided_clip(H, 100, "stop"),
    ...  two_sided_clip(2*H, H, "stop")]
    ['', '', '']
    """
    try:
        bound = slice_bound(bound)
    except ValueError:
        return ""  # not a bound: refused by the slicing itself
    if bound is None:
        return ""
    bound, size = sympy.sympify(bound), sympy.sympify(size)
    sign = _condition(bound, 0)
    if isinstance(sign, sympy.Basic) and len(sign.free_symbols) > 1:
        return (f"whether it counts from the start or from the end depends on the sizes "
                f"({sign} or not)")
    if isinstance(sign, sympy.Basic):  # one size: the side it has for large sizes, as Slice
        from_start = bool(bound.xreplace({v: 10**6 for v in bound.free_symbols}) >= 0)
    else:
        from_start = sign is None
    if from_start and what == "stop":  # clipped to the end: min(size, bound) elements
        kept = _condition(size - bound, 0)
        if isinstance(kept, sympy.Basic) and len(kept.free_symbols) > 1:
            return (f"it keeps min({size}, {bound}) elements: {bound} where {size} >= "
                    f"{bound}, {size} otherwise")
    if not from_start and what == "start":  # clipped to 0: the last min(size, -bound)
        kept = _condition(size + bound, 0)
        if isinstance(kept, sympy.Basic) and len(kept.free_symbols) > 1:
            return (f"it keeps min({size}, {-bound}) elements: {-bound} where {size} >= "
                    f"{-bound}, {size} otherwise")
    return ""


def _condition(expr, least):
    """``expr >= least`` as a relation where it depends on the symbols; None where it always
    holds; False where it never does."""
    try:
        return arith.require_at_least(expr, least)
    except arith.Infeasible:
        return False


def _show_index(items) -> str:
    def one(item):
        if not isinstance(item, slice):
            return "..." if item is Ellipsis else str(item)
        text = ":".join("" if v is None else str(v) for v in (item.start, item.stop))
        return text + (f":{item.step}" if item.step is not None else "")
    return ", ".join(one(item) for item in items)


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


def _permute_to(conv, node, x, dims: tuple):
    """``x.permute(dims)``. The batch axis may go from dim 0 to dim 1 and back (a
    :class:`BatchSecond` tensor: ``x.transpose(0, 1)`` before a recurrent module with
    ``batch_first=False``, ``h_n.transpose(0, 1)`` after one), nowhere else."""
    second = isinstance(x, BatchSecond)
    inner = x.tensor if second else _tensor(x)
    rank = len(inner.shape) + 1
    dims = tuple(d % rank for d in dims)
    # PyTorch's dims of x: the batch (None), or the symcnn axis (1-based) each one holds
    axes = [1, None, *range(2, rank)] if second else [None, *range(1, rank)]
    if len(dims) != rank or sorted(dims) != list(range(rank)):
        raise Unsupported(f"a permutation {dims} of a tensor of rank {rank}")
    moved = [axes[d] for d in dims]
    where = moved.index(None)
    if where > 1 or where == 1 and rank < 3:
        raise Unsupported(f"a permutation that moves the batch axis to dim {where}: {dims}")
    order = tuple(a for a in moved if a is not None)
    out = inner if order == tuple(range(1, rank)) else \
        conv.apply(L.Permute(order, name=node.name), inner)
    if where == 1:
        return BatchSecond(out, f"{node.name} (a transposed tensor)")
    return out


def _permute(conv, node, args, kwargs):
    dims = _shape_args(args[1:] or (kwargs.get("dims"),))
    return _permute_to(conv, node, args[0], dims)


def _rank(x) -> int:
    """PyTorch's number of dims of ``x`` (a tensor, or one whose batch is dim 1)."""
    return len((x.tensor if isinstance(x, BatchSecond) else _tensor(x)).shape) + 1


def _transpose(conv, node, args, kwargs):
    values = _bind(args, kwargs, ("input", "dim0", "dim1"))
    x = values["input"]
    rank = _rank(x)
    order = list(range(rank))
    a, b = values["dim0"] % rank, values["dim1"] % rank
    order[a], order[b] = order[b], order[a]
    return _permute_to(conv, node, x, tuple(order))


def _movedim(conv, node, args, kwargs):
    values = _bind(args, kwargs, ("input", "source", "destination"))
    x = values["input"]
    source, destination = values["source"], values["destination"]
    if not isinstance(source, int) or not isinstance(destination, int):
        raise Unsupported("movedim of several dims at once")
    rank = _rank(x)
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
    if isinstance(values["input"], BatchSecond):
        return _squeeze_batch_second(conv, node, values["input"], values["dim"])
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


def _squeeze_batch_second(conv, node, x: BatchSecond, dim):
    """``h_n.squeeze(0)`` of one layer and direction: dim 0 of size 1 dropped."""
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    if tuple(d % (len(x.tensor.shape) + 1) for d in dims if d is not None) != (0,) or \
            x.tensor.shape[0] != 1:
        raise Unsupported(f"squeeze({dim!r}) of {x!r} (only squeeze(0) of a dim 0 of size 1)")
    return _slice(conv, node, x.tensor, (slice(None), 0))
