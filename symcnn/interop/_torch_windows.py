"""Window attention for :func:`~symcnn.interop.torch.from_torch`: torchvision's Swin
(``shifted_window_attention`` with its relative position bias table, patch merging) and
MaxViT (``torch.einsum`` of two tensors, a relative position bias gathered from its table and
reshaped in ``forward``). Parameters read in ``forward`` are :class:`._torch_blocks.Weight`.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, replace

from .. import layers as L
from .. import nn as sc_nn
from ..layers.base import Tensor
from ._torch_base import Unsupported
from ._torch_blocks import Weight, _bind, _sizes, consume

__all__ = ["FUNCTIONS_BY_NAME", "weight_handler"]


# ------------------------------------------------------------------------------- Swin


@dataclass(frozen=True)
class RelativeBias:
    """``_get_relative_position_bias(table, index, window)``: the table is a weight."""

    table: Weight
    window: tuple


def _relative_bias(conv, node, args, kwargs):
    values = _bind(args, kwargs, ("relative_position_bias_table", "relative_position_index",
                                  "window_size"))
    table = values["relative_position_bias_table"]
    if not isinstance(table, Weight):
        raise Unsupported("a relative position bias from a computed table")
    return RelativeBias(table, tuple(values["window_size"]))


def _shifted_window_attention(conv, node, args, kwargs):
    """torchvision's ``shifted_window_attention`` (Swin V1) as one layer named after the
    module that calls it; its weights (``qkv``, ``proj``, the bias table) are read there."""
    values = _bind(args, kwargs, ("input", "qkv_weight", "proj_weight", "relative_position_bias",
                                  "window_size", "num_heads", "shift_size", "attention_dropout",
                                  "dropout", "qkv_bias", "proj_bias", "logit_scale", "training"),
                   {"qkv_bias": None, "proj_bias": None, "logit_scale": None})
    x, bias = values["input"], values["relative_position_bias"]
    if values["logit_scale"] is not None:
        raise Unsupported("Swin V2's cosine attention (logit_scale)")
    if not isinstance(x, Tensor) or not isinstance(bias, RelativeBias):
        raise Unsupported("shifted_window_attention on computed inputs")
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
    for w in (*weights, bias.table):
        if w is not None:
            consume(conv, w, "shifted_window_attention")
    name = node.meta.get("symcnn_scope") or node.name
    layer = sc_nn.ShiftedWindowAttention(
        dim, bias.window, heads, tuple(values["shift_size"]), qkv_bias=weights[2] is not None,
        proj_bias=weights[3] is not None, name=name,
        trainable=any(w.trainable for w in (*weights, bias.table) if w is not None))
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
