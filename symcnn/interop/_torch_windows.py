"""Window attention for :func:`~symcnn.interop.torch.from_torch`: torchvision's Swin
(``shifted_window_attention`` with its relative position bias table, patch merging) and
MaxViT (``torch.einsum`` of two tensors, a relative position bias gathered from its table and
reshaped in ``forward``). Parameters read in ``forward`` are :class:`._torch_blocks.Weight`.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, replace

import torch

from .. import layers as L
from .. import nn as sc_nn
from ..layers.base import Tensor
from ._torch_base import Unsupported, all_or_none_trainable
from ._torch_blocks import Weight, _bind, _sizes, consume

__all__ = ["FUNCTIONS_BY_NAME", "weight_handler", "Table", "RelativeBias", "module_on_table",
           "bias_handler"]


# ------------------------------------------------------------------------------- Swin


@dataclass(frozen=True)
class RelativeBias:
    """``_get_relative_position_bias(table, index, window)``: the table is a weight."""

    table: Weight | Table
    window: tuple


@dataclass(frozen=True)
class Table:
    """A tensor computed in ``forward`` from buffers by modules, whatever the input (Swin V2's
    bias MLP on fixed coordinates): its shape, and the parameters and MACs it took."""

    path: str
    shape: tuple
    params: int = 0
    macs: int = 0
    trainable: bool = False


def module_on_table(conv, node, module, value):
    """``self.cpb_mlp(self.relative_coords_table)``: a ``Linear`` or an activation applied to
    a buffer (or to what such modules made of it)."""
    table = value if isinstance(value, Table) else Table(value.path, value.shape)
    if isinstance(value, Weight) and value.parameter:
        raise Unsupported(f"a module applied to the parameter '{value.path}'")
    kind = type(module).__name__
    if kind == "Linear":
        if table.shape[-1] != module.in_features:
            raise Unsupported(f"a Linear({module.in_features}, ...) on '{table.path}' of shape "
                              f"{table.shape}")
        own = list(module.named_parameters())
        flags = [(f"{node.target}.{n}", p.requires_grad) for n, p in own]
        if table.params:  # the modules applied before: one layer with this one
            flags.append((table.path, table.trainable))
        trainable = all_or_none_trainable(flags, f"the table computed by nn.Linear "
                                                 f"'{node.target}'")
        return replace(table, path=node.target, shape=table.shape[:-1] + (module.out_features,),
                       params=table.params + sum(p.numel() for _, p in own),
                       macs=table.macs + prod_int(table.shape) * module.out_features,
                       trainable=trainable)
    if kind in ("ReLU", "GELU", "SiLU", "Sigmoid", "Tanh", "Identity", "Dropout"):
        return table
    raise Unsupported(f"a {kind} module applied to the tensor '{table.path}' read in forward")


def bias_handler(node, args):
    """``16 * torch.sigmoid(bias)`` on a relative position bias: element-wise, no change to
    its counts (Swin V2)."""
    target = node.target
    if target in (torch.sigmoid, "sigmoid", torch.Tensor.sigmoid):
        return lambda conv, node, args, kwargs: args[0]
    if target in (operator.mul, "mul") and len(args) == 2 and any(
            isinstance(a, (int, float)) and not isinstance(a, bool) for a in args):
        return lambda conv, node, args, kwargs: next(a for a in args
                                                     if isinstance(a, RelativeBias))
    return None


def _relative_bias(conv, node, args, kwargs):
    values = _bind(args, kwargs, ("relative_position_bias_table", "relative_position_index",
                                  "window_size"))
    table = values["relative_position_bias_table"]
    if not isinstance(table, (Weight, Table)):
        raise Unsupported("a relative position bias from a computed table")
    return RelativeBias(table, tuple(values["window_size"]))


def _shifted_window_attention(conv, node, args, kwargs):
    """torchvision's ``shifted_window_attention`` (Swin V1) as one layer named after the
    module that calls it; its weights (``qkv``, ``proj``, the bias table) are read there."""
    values = _bind(args, kwargs, ("input", "qkv_weight", "proj_weight", "relative_position_bias",
                                  "window_size", "num_heads", "shift_size", "attention_dropout",
                                  "dropout", "qkv_bias", "proj_bias", "logit_scale", "training"),
                   {"qkv_bias": None, "proj_bias": None, "logit_scale": None})
    x, bias, scale = values["input"], values["relative_position_bias"], values["logit_scale"]
    if not isinstance(x, Tensor) or not isinstance(bias, RelativeBias):
        raise Unsupported("shifted_window_attention on computed inputs")
    if scale is not None and not (isinstance(scale, Weight) and scale.parameter):
        raise Unsupported("a logit_scale that is not a parameter")
    weights = [values[k] for k in ("qkv_weight", "proj_weight", "qkv_bias", "proj_bias")]
    if not all(w is None or isinstance(w, Weight) for w in weights) or weights[0] is None \
            or weights[1] is None:
        raise Unsupported("shifted_window_attention with computed weights")
    heads = values["num_heads"]
    if bias.table.shape[-1] != heads or len(bias.window) != 2:
        raise Unsupported(f"a relative position bias table of shape {bias.table.shape}")
    dim = weights[1].shape[0]
    if weights[0].shape != (3 * dim, dim) or weights[1].shape != (dim, dim):
        raise Unsupported(f"qkv/proj weights of shapes {weights[0].shape}, {weights[1].shape}")
    computed = isinstance(bias.table, Table)
    read = [w for w in (*weights, scale, None if computed else bias.table) if w is not None]
    for w in read:
        consume(conv, w, "shifted_window_attention")
    name = node.meta.get("symcnn_scope") or node.name
    layer = sc_nn.ShiftedWindowAttention(
        dim, bias.window, heads, tuple(values["shift_size"]), qkv_bias=weights[2] is not None,
        proj_bias=weights[3] is not None,
        bias_params=bias.table.params if computed else None,
        bias_macs=bias.table.macs if computed else 0, logit_scale=scale is not None, name=name,
        trainable=all_or_none_trainable(
            [(w.path, w.trainable) for w in read]
            + ([(bias.table.path, bias.table.trainable)] if computed else []),
            "shifted_window_attention"))
    return conv.apply(layer, x)


def _patch_merging_pad(conv, node, args, kwargs):
    """Swin's ``_patch_merging_pad``: pad H and W to even sizes, then the four interleaved
    half-resolution maps concatenated on the channels: ``(H, W, C) -> (H/2, W/2, 4*C)``."""
    x = args[0] if args else kwargs.get("x")
    if not isinstance(x, Tensor) or len(x.shape) != 3:
        raise Unsupported(f"_patch_merging_pad of {x!r}")
    padded = conv.apply(sc_nn.PadToMultiple((2, 2), axes=(0, 1), name=f"{node.name}.pad"), x)
    parts = [conv.apply(sc_nn.StridedSlice(((i, None, 2), (j, None, 2)),
                                           name=f"{node.name}.x{k}"), padded)
             for k, (i, j) in enumerate(((0, 0), (1, 0), (0, 1), (1, 1)))]
    return conv.apply(L.Concatenate(axis=-1, name=node.name), parts)


FUNCTIONS_BY_NAME = {
    "torchvision.models.swin_transformer._get_relative_position_bias": _relative_bias,
    "torchvision.models.swin_transformer.shifted_window_attention": _shifted_window_attention,
    "torchvision.models.swin_transformer._patch_merging_pad": _patch_merging_pad,
}


# ----------------------------------------------------------------- weights reshaped in forward


def _weight_view(conv, node, args, kwargs):
    w = args[0]
    sizes = list(_sizes(args[1:] or (kwargs.get("shape") or kwargs.get("size"),)))
    total = prod_int(w.shape)
    if sizes.count(-1) > 1 or not all(isinstance(s, int) for s in sizes):
        raise Unsupported(f"reshaping '{w.path}' to {sizes!r}")
    if -1 in sizes:
        known = prod_int([s for s in sizes if s != -1])
        sizes[sizes.index(-1)] = total // known if known else 0
    if prod_int(sizes) != total:
        raise Unsupported(f"reshaping '{w.path}' of shape {w.shape} to {tuple(sizes)}")
    return replace(w, shape=tuple(sizes))


def _weight_permute(conv, node, args, kwargs):
    w, dims = args[0], _sizes(args[1:] or (kwargs.get("dims"),))
    if sorted(d % len(w.shape) for d in dims) != list(range(len(w.shape))):
        raise Unsupported(f"permuting '{w.path}' by {dims!r}")
    return replace(w, shape=tuple(w.shape[d] for d in dims))


def _weight_unsqueeze(conv, node, args, kwargs):
    w, dim = args[0], (args[1] if len(args) > 1 else kwargs.get("dim"))
    shape = list(w.shape)
    shape.insert(dim % (len(shape) + 1), 1)
    return replace(w, shape=tuple(shape))


def _weight_getitem(conv, node, args, kwargs):
    """``table[index]`` with an integer buffer ``index``: a tensor of ``index.shape +
    table.shape[1:]`` whose learned values are the table's."""
    table, key = args[0], args[1]
    if not isinstance(key, Weight) or key.parameter:
        raise Unsupported(f"indexing '{table.path}' with {key!r}")
    return replace(table, shape=key.shape + table.shape[1:],
                   learned=table.learned or prod_int(table.shape))


def prod_int(values) -> int:
    out = 1
    for v in values:
        out *= int(v)
    return out


WEIGHT_METHODS = {
    "view": _weight_view, "reshape": _weight_view, "permute": _weight_permute,
    "unsqueeze": _weight_unsqueeze, "contiguous": lambda conv, node, args, kwargs: args[0],
}


def weight_handler(node):
    """The handler of an operation on a :class:`Weight` (its first argument), or None."""
    if node.op == "call_method":
        return WEIGHT_METHODS.get(node.target)
    if node.op == "call_function" and node.target is operator.getitem:
        return _weight_getitem
    return None


def _einsum(conv, node, args, kwargs):
    equation, operands = args[0], args[1:]
    if len(operands) == 1 and isinstance(operands[0], (tuple, list)):
        operands = tuple(operands[0])
    if not isinstance(equation, str) or len(operands) != 2 or not all(
            isinstance(t, Tensor) for t in operands):
        raise Unsupported("einsum of other than two tensors")
    return conv.apply(sc_nn.Einsum(equation, name=node.name), list(operands))


FUNCTIONS_BY_NAME["torch.functional.einsum"] = _einsum
