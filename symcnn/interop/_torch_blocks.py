"""Modern blocks for :func:`~symcnn.interop.torch.from_torch` (torchvision's ShuffleNet,
EfficientNet, ConvNeXt, ViT, Swin, MaxViT).

- A parameter read in ``forward`` (``get_attr``) is a :class:`Weight`: a weight of the module
  that owns it. The operation that consumes it becomes a layer named by its path, which
  counts it: ``x + self.pos_embedding`` (:class:`~symcnn.nn.ParameterAdd`),
  ``self.layer_scale * x`` (:class:`~symcnn.nn.ParameterMul`), ``torch.cat([token, x])``
  (:class:`~symcnn.layers.ClassToken`), ``F.layer_norm(x, shape, self.weight, self.bias)``.
- ``torchvision.ops.stochastic_depth`` is an identity in inference (shapes, counts and MACs
  do not depend on it); ``x.chunk(n, dim)`` is ``n`` slices; ``torch._assert(h == 224)``
  is a :class:`~symcnn.nn.SizeAssert` on the tensor the size was read from.
- ``nn.MultiheadAttention`` is Keras' ``MultiHeadAttention`` with ``key_dim =
  embed_dim/num_heads``: the same counts, ``4*E**2 + 4*E``, and MACs. With
  ``batch_first=False`` (PyTorch's default) its inputs are time-major, as a recurrent
  module's, and its output is :class:`BatchSecond`.
- ``nn.RNN``, ``nn.LSTM``, ``nn.GRU`` are :class:`symcnn.nn.RNN`, ... and return what PyTorch
  returns, ``(output, h_n)`` or ``(output, (h_n, c_n))``; the states (and the output of a
  module with ``batch_first=False``) have their batch at dim 1: :class:`BatchSecond`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import sympy

from .. import arith
from .. import layers as L
from .. import nn as sc_nn
from ..errors import ShapeError
from ..layers.base import Tensor
from ..nn._base import slice_bound
from ._torch_base import (BATCH, BatchSecond, Unsupported, all_or_none_trainable,
                          module_trainable)
from ._torch_base import bind as _bind

__all__ = ["Weight", "Condition", "FUNCTIONS_BY_NAME", "METHODS", "MODULE_CALLS", "consume",
           "weight_of", "weight_op", "cat_with_weights", "index"]


@dataclass(frozen=True)
class Weight:
    """A parameter (or buffer) read in ``forward``: its path, torch shape and kind."""

    path: str
    shape: tuple
    parameter: bool
    trainable: bool
    batched: bool = False  # after ``.expand(batch, ...)``: shape[0] is the batch axis
    learned: int | None = None  # values behind a tensor gathered from a table (else numel)

    @property
    def per_sample(self) -> tuple:
        return self.shape[1:] if self.batched else self.shape


@dataclass(frozen=True)
class Condition:
    """``a == b`` on sizes, for ``torch._assert``."""

    lhs: sympy.Expr
    rhs: sympy.Expr


def weight_of(module, target: str) -> Weight:
    """The :class:`Weight` of a ``get_attr`` target (a parameter, buffer or tensor)."""
    owner, _, attr = target.rpartition(".")
    holder = module.get_submodule(owner) if owner else module
    value = getattr(holder, attr)
    parameter = attr in dict(holder.named_parameters(recurse=False))
    trainable = parameter and bool(value.requires_grad)
    return Weight(target, tuple(int(d) for d in value.shape), parameter, trainable)


def consume(conv, weight: Weight, what: str) -> None:
    """Mark a weight as counted by one layer; a second reader would count it twice."""
    if not weight.parameter:
        raise Unsupported(f"the buffer or constant '{weight.path}' used in {what} (only "
                          f"parameters read in forward are understood)")
    if weight.path in conv.weights_used:
        raise Unsupported(f"the parameter '{weight.path}' read a second time in forward")
    conv.weights_used.add(weight.path)


def weight_op(conv, node, op: str, x: Tensor, weight: Weight):
    """``x + w`` or ``w * x`` for a parameter ``w`` read in forward."""
    if op not in ("add", "mul"):
        raise Unsupported(f"the parameter '{weight.path}' in an operation other than + or *")
    consume(conv, weight, f"an element-wise {op}")
    cls = sc_nn.ParameterAdd if op == "add" else sc_nn.ParameterMul
    return conv.apply(cls(weight.shape, learned=weight.learned, name=weight.path,
                          trainable=weight.trainable), x)


# ------------------------------------------------------------------------------ handlers


def _identity(conv, node, args, kwargs):
    x = args[0] if args else kwargs.get("input")
    if not isinstance(x, Tensor):
        raise Unsupported(f"expects a tensor, got {x!r}")
    return x


def _chunk(conv, node, args, kwargs):
    values = _bind(args, kwargs, ("input", "chunks", "dim"), {"dim": 0})
    x, chunks = values["input"], values["chunks"]
    if not isinstance(x, Tensor):
        raise Unsupported(f"chunk of {x!r}")
    rank = len(x.shape) + 1
    dim = values["dim"] % rank
    if dim == 0:
        raise Unsupported("chunk along the batch axis")
    size = sympy.sympify(x.shape[dim - 1])
    if not size.is_Integer:
        raise Unsupported(f"chunk of an axis of symbolic size {size}")
    n, step = int(size), -(-int(size) // chunks)
    pieces = []
    for i, start in enumerate(range(0, n, step)):
        pairs = [(None, None)] * (dim - 1) + [(start, min(start + step, n))]
        pieces.append(conv.apply(sc_nn.Slice(tuple(pairs), name=f"{node.name}.{i}"), x))
    return tuple(pieces)


def _expand(conv, node, args, kwargs):
    obj, sizes = args[0], _sizes(args[1:])
    if isinstance(obj, Tensor):
        if all(s == -1 for s in sizes[1:]) and len(sizes) == len(obj.shape) + 1:
            return obj
        raise Unsupported(f"expand of a tensor to {sizes!r}")
    if isinstance(obj, Weight) and not obj.batched and len(sizes) == len(obj.shape) \
            and obj.shape[0] == 1 and all(s == -1 or s == d for s, d in
                                          zip(sizes[1:], obj.shape[1:])):
        if sizes[0] is BATCH:
            return replace(obj, batched=True)
    raise Unsupported(f"expand of {obj!r} to {sizes!r}")


def _sizes(args) -> tuple:
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def cat_with_weights(conv, node, items: list, dim):
    """``torch.cat([self.class_token.expand(n, -1, -1), x], dim=1)``: a class token."""
    if len(items) == 2 and isinstance(items[0], Weight) and isinstance(items[1], Tensor):
        token, x = items
        if token.batched and len(token.per_sample) == 2 and token.per_sample[0] == 1 \
                and len(x.shape) == 2 and dim in (1, -2):
            consume(conv, token, "a concatenation")
            out = conv.apply(L.ClassToken(name=token.path,
                                          trainable=token.trainable), x)
            if out.shape[-1] != token.per_sample[-1]:
                raise Unsupported(f"a class token of width {token.per_sample[-1]} for tokens "
                                  f"of width {out.shape[-1]}")
            return out
    raise Unsupported("a concatenation with a parameter read in forward other than a class "
                      "token (torch.cat([token.expand(n, -1, -1), x], dim=1))")


def _layer_norm(conv, node, args, kwargs):
    values = _bind(args, kwargs, ("input", "normalized_shape", "weight", "bias", "eps"),
                   {"weight": None, "bias": None, "eps": 1e-5})
    x = values["input"]
    if not isinstance(x, Tensor):
        raise Unsupported(f"layer_norm of {x!r}")
    weight, bias = values["weight"], values["bias"]
    for w in (weight, bias):
        if w is not None and not isinstance(w, Weight):
            raise Unsupported("layer_norm with a computed weight or bias")
    if weight is None and bias is not None:
        raise Unsupported(f"F.layer_norm with a bias ('{bias.path}') but no weight: "
                          f"nn.LayerNorm has no bias-only form (its bias needs "
                          f"elementwise_affine=True, which adds the weight), so the bias "
                          f"would be lost or a weight added; pass a weight too, or leave the "
                          f"bias out")
    read = [w for w in (weight, bias) if w is not None]
    trainable = all_or_none_trainable(((w.path, w.trainable) for w in read), "F.layer_norm")
    for w in read:
        consume(conv, w, "layer_norm")
    name = weight.path.rpartition(".")[0] if weight is not None else node.name
    layer = sc_nn.LayerNorm(tuple(values["normalized_shape"]), eps=values["eps"],
                            elementwise_affine=weight is not None,
                            bias=bias is not None or weight is None,
                            name=name or node.name, trainable=trainable)
    return conv.apply(layer, x)


def _eq(conv, node, args, kwargs):
    a, b = args[0], args[1]
    if isinstance(a, bool) or isinstance(b, bool) or not all(
            isinstance(v, (int, sympy.Expr)) for v in (a, b)):
        raise Unsupported(f"comparing {a!r} with {b!r}")
    return Condition(sympy.sympify(a), sympy.sympify(b))


def _assert(conv, node, args, kwargs):
    condition = args[0] if args else kwargs.get("condition")
    message = args[1] if len(args) > 1 else kwargs.get("message", "")
    if condition is True:
        return None
    if not isinstance(condition, Condition):
        raise Unsupported(f"torch._assert on {condition!r}")
    verdict = arith.decide_equal(condition.lhs, condition.rhs)
    if verdict is True:
        return None
    if verdict is False:
        raise ShapeError(f"{_message(message)} Received: {condition.lhs} != {condition.rhs}")
    source = _source_tensor(conv, node)
    if source is None:
        raise Unsupported("torch._assert on sizes not read from a tensor")
    source_node, x = source
    checked = conv.apply(sc_nn.SizeAssert(condition.lhs, condition.rhs, _message(message),
                                          name=node.name), x)
    conv.values[source_node] = checked  # later readers of that tensor see the checked one
    for other, value in list(conv.values.items()):
        if value is x:
            conv.values[other] = checked
    return None


def _message(message) -> str:
    """The assertion's message up to its first ``!``: traced f-strings hold fx node names
    where the sizes were (ViT: "Wrong image height! Expected 224 but got getitem_2!")."""
    text = message if isinstance(message, str) else ""
    return text[:text.index("!") + 1] if "!" in text else text


def _source_tensor(conv, node):
    """The tensor (and its fx node) whose sizes a condition was computed from."""
    seen, stack = set(), list(node.all_input_nodes)
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        value = conv.values.get(current)
        if isinstance(value, Tensor):
            return current, value
        stack.extend(current.all_input_nodes)
    return None


def _multihead_attention(conv, node, module, args, kwargs):
    """``nn.MultiheadAttention(E, h)(q, k, v)`` -> ``(out, None)``; with
    ``batch_first=False``, ``q``, ``k``, ``v`` are time-major and ``out`` is
    :class:`BatchSecond`. The module's ``dropout`` and the call's ``need_weights`` are the
    layer's (training memory counts what that call keeps; ``to_torch`` writes both back)."""
    values = _bind(args, kwargs, ("query", "key", "value", "key_padding_mask", "need_weights",
                                  "attn_mask", "average_attn_weights", "is_causal"))
    m = module
    if m.bias_k is not None or m.add_zero_attn:  # kdim/vdim: Keras' key and value sizes
        raise Unsupported("nn.MultiheadAttention with add_bias_kv or add_zero_attn")
    if values.get("need_weights", True) and not values.get("average_attn_weights", True):
        raise Unsupported("nn.MultiheadAttention returning per-head attention weights")
    bias = m.in_proj_bias is not None
    if bias != (m.out_proj.bias is not None):
        raise Unsupported("nn.MultiheadAttention with a bias on only some projections")
    need_weights = bool(values.get("need_weights", True))
    layer = conv.layers.get(node.target)
    if layer is None:
        trainable = module_trainable(m, "nn.MultiheadAttention")
        layer = L.MultiHeadAttention(num_heads=m.num_heads, key_dim=m.head_dim, use_bias=bias,
                                     dropout=float(m.dropout), need_weights=need_weights,
                                     name=node.target, trainable=trainable)
        conv.layers[node.target] = layer
    elif layer.need_weights != need_weights:  # one layer records one way of calling it
        raise Unsupported(f"nn.MultiheadAttention '{node.target}' called with need_weights="
                          f"{layer.need_weights} and need_weights={need_weights}")
    names = ("query", "key", "value")
    tensors = [values[n] for n in names]
    if not m.batch_first:
        sources = _bind(node.args, node.kwargs, names)
        tensors = [_time_major(t, sources.get(n), f"nn.MultiheadAttention(batch_first=False)"
                               f"'s {n}") for n, t in zip(names, tensors)]
    if not all(isinstance(t, Tensor) for t in tensors):
        raise Unsupported("nn.MultiheadAttention called on something other than tensors")
    query, key, value = tensors
    masks = {ours: values[theirs] for theirs, ours in (
        ("key_padding_mask", "key_mask"), ("attn_mask", "attention_mask"),
        ("is_causal", "use_causal_mask")) if values.get(theirs) not in (None, False)}
    out = layer(query, value, key, **masks)  # the layer notes masks (its exports refuse them)
    if not m.batch_first:
        out = BatchSecond(out, f"the output of '{node.target}' (batch_first=False)")
    return out, None


def _time_major(x, source, what: str):
    """The symcnn tensor behind ``x``, the input of a module with ``batch_first=False``, which
    reads dim 0 as the steps: a :class:`BatchSecond` tensor (``x.transpose(0, 1)``, or such
    a module's output), or a model input, given per example as ``(T, features)`` and fed
    time-major. A batch-first tensor is refused: PyTorch would read its batch as the steps.
    ``source`` is the argument's graph node."""
    if isinstance(x, BatchSecond):
        return x.tensor
    if isinstance(x, Tensor) and getattr(source, "op", None) == "placeholder":
        return x
    raise Unsupported(f"{what} on a batch-first tensor (PyTorch would read its batch axis "
                      f"as the steps); use batch_first=True, or transpose(0, 1) its input")


def _recurrent(conv, node, module, args, kwargs):
    """``nn.LSTM(...)(x)`` -> ``(output, (h_n, c_n))``; ``nn.RNN``, ``nn.GRU`` -> ``(output,
    h_n)``. ``h_n`` and ``c_n`` are :class:`BatchSecond`, and so is the output with
    ``batch_first=False``, whose input must be time-major: a ``BatchSecond`` tensor
    (``x.transpose(0, 1)``) or a model input (given per example, ``(T, input_size)``)."""
    m, kind = module, type(module).__name__
    values = _bind(args, kwargs, ("input", "hx"), {"hx": None})
    if values["hx"] is not None:
        raise Unsupported(f"nn.{kind} given initial states (hx): they change no shape, but "
                          f"the layers computing them would reach the output only through "
                          f"them, uncounted; call the module on its input alone")
    x = values["input"]
    if m.batch_first and isinstance(x, BatchSecond):
        raise Unsupported(f"nn.{kind}(batch_first=True) called on {x!r}")
    if not m.batch_first:
        source = _bind(node.args, node.kwargs, ("input", "hx")).get("input")
        x = _time_major(x, source, f"nn.{kind}(batch_first=False)")
    if not isinstance(x, Tensor):
        raise Unsupported(f"nn.{kind} called on {x!r}")
    layer = conv.layers.get(node.target)
    if layer is None:
        config = dict(input_size=m.input_size, hidden_size=m.hidden_size,
                      num_layers=m.num_layers, bias=m.bias, batch_first=m.batch_first,
                      dropout=m.dropout, bidirectional=m.bidirectional)
        if kind == "RNN":
            config["nonlinearity"] = m.nonlinearity
        if kind == "LSTM":
            config["proj_size"] = m.proj_size
        trainable = module_trainable(m, f"nn.{kind}")
        layer = getattr(sc_nn, kind)(**config, name=node.target, trainable=trainable)
        conv.layers[node.target] = layer
    out, *states = layer(x)
    if not m.batch_first:
        out = BatchSecond(out, f"the output of '{node.target}' (batch_first=False)")
    names = ("h_n", "c_n")
    states = [BatchSecond(s, f"{n} of '{node.target}'") for n, s in zip(names, states)]
    return (out, tuple(states)) if kind == "LSTM" else (out, states[0])


FUNCTIONS_BY_NAME = {
    "torchvision.ops.stochastic_depth.stochastic_depth": _identity,
    "torch.nn.functional.layer_norm": _layer_norm,
    "torch._assert": _assert,
    "_operator.eq": _eq,
    "torch.chunk": _chunk,
}

METHODS = {
    "chunk": _chunk, "expand": _expand,
}

MODULE_CALLS = {
    "MultiheadAttention": _multihead_attention,
    "RNN": _recurrent, "LSTM": _recurrent, "GRU": _recurrent,
}


def index(conv, node, x: Tensor, key):
    """``x[key]`` for basic indexing that keeps the batch axis: slices (steps included, as
    :class:`~symcnn.nn.StridedSlice`), ``...``, and integers (the axis is dropped). Bounds
    and indices may be computed from traced sizes (``x[:, :, :x.size(2) // 2]``); bounds
    past the end are clipped as PyTorch clips them, and an index out of range is refused
    as PyTorch refuses it. Axes are numbered as in PyTorch (dim 0 is the batch axis)."""
    items = list(key if isinstance(key, tuple) else (key,))
    rank = len(x.shape) + 1
    if any(item is Ellipsis for item in items):
        at = next(i for i, item in enumerate(items) if item is Ellipsis)
        items[at:at + 1] = [slice(None)] * (rank - len(items) + 1)
    if len(items) > rank or not items:
        raise Unsupported(f"indexing a tensor of rank {rank} with {key!r}")
    if items[0] != slice(None):
        raise Unsupported("indexing the batch axis")
    triples, dropped = [], []
    for axis, item in enumerate(items[1:]):
        size = sympy.sympify(x.shape[axis])
        if isinstance(item, slice):
            start, stop, step = (_bound(v, axis, what) for v, what in
                                 ((item.start, "start"), (item.stop, "stop"), (item.step, "step")))
            if step is not None and (not isinstance(step, int) or step < 1):
                raise Unsupported(f"a slice of dim {axis + 1} with step {step} (PyTorch takes "
                                  f"a positive step; symcnn a constant one)")
            triples.append((start, stop, None if step == 1 else step))
        else:
            where = _bound(item, axis, "index")
            if where is None:  # x[:, None] adds an axis
                raise Unsupported(f"indexing a tensor with {item!r} (only slices, ... and "
                                  f"integers)")
            start = _index_position(size, where, axis)
            triples.append((start, None if start == -1 else start + 1, None))
            dropped.append(axis)
    while triples and triples[-1] == (None, None, None) and len(triples) - 1 not in dropped:
        triples.pop()
    if any(step is not None for _, _, step in triples):
        x = conv.apply(sc_nn.StridedSlice(tuple(triples), name=node.name), x)
    elif triples:
        x = conv.apply(sc_nn.Slice(tuple((a, b) for a, b, _ in triples), name=node.name), x)
    if dropped:
        shape = tuple(d for axis, d in enumerate(x.shape) if axis not in dropped)
        if not shape:
            raise Unsupported("indexing down to a scalar per sample")
        x = conv.apply(L.Reshape(shape, name=f"{node.name}.squeeze"), x)
    return x


def _bound(value, axis: int, what: str):
    """A slice bound or index: None, an int (also a traced size that is a number), or an
    integer expression of the sizes."""
    try:
        return slice_bound(value)
    except ValueError:
        pass
    if value is BATCH:
        raise Unsupported(f"a {what} of dim {axis + 1} computed from the batch size (symcnn "
                          f"keeps the batch size apart from the sizes it computes with)")
    raise Unsupported(f"indexing dim {axis + 1} with {what} {value!r} (only slices, ... and "
                      f"integers)")


def _index_position(size, where, axis: int):
    """``x[:, i]``: the start of a 1-wide slice, as PyTorch finds it (negative from the end);
    out of range is an IndexError in PyTorch, a ShapeError here."""
    if isinstance(where, int) and size.is_Integer:
        if not -size <= where < size:
            raise ShapeError(f"index {where} is out of range for dim {axis + 1} of size {size} "
                             f"(PyTorch raises an IndexError). Received: index {where}")
        return where if where >= 0 else int(size) + where
    if not isinstance(where, int):
        try:
            arith.require_at_least(where, 0)
        except arith.Infeasible:
            raise Unsupported(f"an index of dim {axis + 1} computed from sizes that is "
                              f"always negative ({where}); count from the start instead") from None
    return where  # the slice keeps it in range: a constraint where that depends on symbols
