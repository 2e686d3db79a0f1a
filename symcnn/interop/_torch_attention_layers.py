"""PyTorch modules computing what Keras 3 computes on its torch backend for ``Attention``,
``AdditiveAttention``, ``Dot`` and ``GroupQueryAttention``, which ``torch.nn`` has no module
for, and their ``model.to_torch()`` handlers (used by :mod:`.torch_export`).

Each module runs the ``torch`` operations of Keras' own code in the same order
(``keras.src.layers.attention``, ``keras.src.layers.merging.dot``), so it gives Keras'
values and keeps for backward what Keras keeps (what ``training_memory`` counts), and holds
Keras' weights in Keras' layout (``scale``, ``concat_score_weight``, the projections'
``(d, h, k)`` kernels). The modules take and return the symcnn layout, ``(N, T, d)``.

>>> import torch
>>> KerasAttention("dot")(torch.ones(2, 3, 4), torch.ones(2, 5, 6), torch.ones(2, 5, 4)).shape
torch.Size([2, 3, 6])
>>> KerasDot((1, 1), normalize=False)(torch.ones(2, 4), torch.ones(2, 4)).tolist()
[[4.0], [4.0]]
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .. import layers as L
from ._common import as_int, masked_refusal
from ._torch_emit import Unsupported

__all__ = ["KerasAttention", "KerasDot", "KerasGroupedQueryAttention", "HANDLERS"]

#: Keras' ``backend.epsilon()``: ``Dot(normalize=True)`` divides by at least this norm.
_EPSILON = 1e-7


def _glorot(shape) -> torch.Tensor:
    """Keras' ``glorot_uniform`` start for a kernel of ``shape`` (fans as Keras computes
    them: the last two axes, times the product of the others)."""
    receptive = math.prod(shape[:-2]) if len(shape) > 2 else 1
    fan_in, fan_out = shape[-2] * receptive, shape[-1] * receptive
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return torch.empty(shape).uniform_(-limit, limit)


class KerasAttention(nn.Module):
    """Keras' ``Attention`` (``score_mode`` ``"dot"`` or ``"concat"``) or
    ``AdditiveAttention`` (``"additive"``), called ``(query, value)`` or ``(query, value,
    key)``; the learned ``scale`` (a scalar, or ``width`` weights for ``"additive"``) and
    ``concat_score_weight`` start as Keras' do (ones; Glorot for the additive scale), and
    ``dropout`` drops attention weights in training."""

    def __init__(self, score_mode: str, use_scale: bool = False, dropout: float = 0.0,
                 width: int | None = None) -> None:
        super().__init__()
        self.score_mode, self.use_scale, self.dropout = score_mode, use_scale, dropout
        self.scale = None
        if use_scale:
            self.scale = nn.Parameter(_glorot((1, width))[0] if score_mode == "additive"
                                      else torch.ones(()))
        self.concat_score_weight = nn.Parameter(torch.ones(())) \
            if score_mode == "concat" else None

    def scores(self, query, key):
        """Keras' ``_calculate_scores``."""
        if self.score_mode == "dot":
            scores = torch.matmul(query, torch.transpose(key, -2, -1))
            return scores * self.scale if self.scale is not None else scores
        summed = torch.unsqueeze(query, -2) + torch.unsqueeze(key, -3)
        if self.score_mode == "additive":
            scale = self.scale if self.scale is not None else 1.0
            return torch.sum(scale * torch.tanh(summed), dim=-1)
        if self.scale is not None:
            summed = self.scale * summed
        return self.concat_score_weight * torch.sum(torch.tanh(summed), dim=-1)

    def forward(self, query, value, key=None):
        key = value if key is None else key
        weights = torch.softmax(self.scores(query, key), dim=-1)
        if self.training and self.dropout > 0:
            weights = F.dropout(weights, self.dropout)
        return torch.matmul(weights, value)

    def symcnn_layer(self, name: str, trainable: bool):
        """What ``from_torch`` reads: the Keras layer it was exported from."""
        if self.score_mode == "additive":
            return L.AdditiveAttention(use_scale=self.use_scale, dropout=self.dropout,
                                       name=name, trainable=trainable)
        return L.Attention(use_scale=self.use_scale, score_mode=self.score_mode,
                           dropout=self.dropout, name=name, trainable=trainable)

    def extra_repr(self) -> str:
        return f"{self.score_mode!r}, use_scale={self.use_scale}, dropout={self.dropout}"


def _normalize(x, axis: int):
    """Keras' L2 normalization: ``x * minimum(rsqrt(sum(x**2)), 1/epsilon)``."""
    inverse = torch.rsqrt(torch.sum(torch.square(x), dim=axis, keepdim=True))
    return x * torch.minimum(inverse, torch.tensor(1.0 / _EPSILON, dtype=x.dtype))


def batch_dot(x, y, axes):
    """Keras' ``batch_dot`` (``keras.src.layers.merging.dot``) with PyTorch operations:
    ``axes`` are PyTorch dims (the batch dim 0), one per input."""
    a0, a1 = axes
    x_ndim, y_ndim = x.dim(), y.dim()
    if x_ndim == 2:
        x, a0 = torch.unsqueeze(x, 1), a0 + 1
    if y_ndim == 2:
        y = torch.unsqueeze(y, 2)
    if a0 != x.dim() - 1:
        pattern = list(range(x.dim()))
        pattern[a0:-1], pattern[-1] = pattern[a0 + 1:], a0
        x = x.permute(pattern)
    if a1 != 1:
        pattern = list(range(y.dim()))
        pattern[2:a1 + 1], pattern[1] = pattern[1:a1], a1
        y = y.permute(pattern)
    middle = trailing = None
    if x.dim() > 3:
        middle = x.shape[1:-1]
        x = x.reshape(x.shape[0], -1, x.shape[-1])
    if y.dim() > 3:
        trailing = y.shape[2:]
        y = y.reshape(y.shape[0], y.shape[1], -1)
    result = torch.matmul(x, y)
    shape = tuple(result.shape)
    if middle is not None:
        shape = shape[:1] + tuple(middle) + shape[-1:]
    if trailing is not None:
        shape = shape[:-1] + tuple(trailing)
    if middle is not None or trailing is not None:
        result = result.reshape(shape)
    if x_ndim == 2:
        return torch.squeeze(result, 1)
    return torch.squeeze(result, -1) if y_ndim == 2 else result


class KerasDot(nn.Module):
    """Keras' ``Dot`` over the PyTorch dims ``axes`` (one per input, batch dim 0), with
    ``normalize`` as Keras normalizes; no weights."""

    def __init__(self, axes, normalize: bool) -> None:
        super().__init__()
        self.axes, self.normalize = tuple(axes), normalize

    def forward(self, x, y):
        if self.normalize:
            x, y = _normalize(x, self.axes[0]), _normalize(y, self.axes[1])
        return batch_dot(x, y, self.axes)

    def symcnn_layer(self, name: str, trainable: bool):
        """What ``from_torch`` reads: Keras' ``Dot`` over the same axes."""
        return L.Dot(axes=self.axes, normalize=self.normalize, name=name, trainable=trainable)

    def extra_repr(self) -> str:
        return f"axes={self.axes}, normalize={self.normalize}"


class KerasGroupedQueryAttention(nn.Module):
    """Keras' ``GroupQueryAttention`` on ``(N, T, d)`` sequences, called ``(query, value)``
    or ``(query, value, key)``: Keras' kernels (``query_kernel`` ``(d, h_q, k)``,
    ``key_kernel`` ``(d_k, h_kv, k)``, ``value_kernel`` ``(d_v, h_kv, k)``,
    ``output_kernel`` ``(h_q, k, d)``, ``gate_kernel`` ``(d, h_q, k)``) and biases, the key
    and value heads repeated ``h_q/h_kv`` times, scores scaled by ``1/sqrt(k)``.

    >>> m = KerasGroupedQueryAttention(8, 8, 8, 4, 2, 2, use_bias=True, use_gate=False)
    >>> m(torch.ones(2, 3, 8), torch.ones(2, 5, 8)).shape, sum(p.numel() for p in m.parameters())
    (torch.Size([2, 3, 8]), 216)
    """

    def __init__(self, d, d_k, d_v, h_q, h_kv, head_dim, use_bias: bool, use_gate: bool,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.sizes = (d, d_k, d_v, h_q, h_kv, head_dim)
        self.use_bias, self.use_gate, self.dropout = use_bias, use_gate, dropout
        shapes = {"query": (d, h_q, head_dim), "key": (d_k, h_kv, head_dim),
                  "value": (d_v, h_kv, head_dim), "output": (h_q, head_dim, d)}
        if use_gate:
            shapes["gate"] = (d, h_q, head_dim)
        for part, shape in shapes.items():
            self.register_parameter(f"{part}_kernel", nn.Parameter(_glorot(shape)))
            bias = nn.Parameter(torch.zeros(shape[1:] if part != "output" else (d,))) \
                if use_bias else None
            self.register_parameter(f"{part}_bias", bias)

    def _project(self, x, part: str, equation: str):
        out = torch.einsum(equation, x, getattr(self, f"{part}_kernel"))
        bias = getattr(self, f"{part}_bias")
        return out + bias if bias is not None else out

    def forward(self, query, value, key=None):
        key = value if key is None else key
        _, _, _, h_q, h_kv, head_dim = self.sizes
        gate = torch.sigmoid(self._project(query, "gate", "bqm,muh->bquh")) \
            if self.use_gate else None
        q = self._project(query, "query", "bqm,muh->bquh")
        k = torch.repeat_interleave(self._project(key, "key", "bkm,mvh->bkvh"),
                                    h_q // h_kv, dim=2)
        v = torch.repeat_interleave(self._project(value, "value", "bkm,mvh->bkvh"),
                                    h_q // h_kv, dim=2)
        q = q * (1.0 / math.sqrt(float(head_dim)))
        scores = torch.softmax(torch.einsum("bquh,bkuh->buqk", q, k), dim=-1)
        if self.training and self.dropout > 0:
            scores = F.dropout(scores, self.dropout)
        out = torch.einsum("buqk,bkuh->bquh", scores, v)
        if gate is not None:
            out = out * gate
        return self._project(out, "output", "bquh,uhm->bqm")

    def symcnn_layer(self, name: str, trainable: bool):
        """What ``from_torch`` reads: Keras' ``GroupQueryAttention``."""
        _, _, _, h_q, h_kv, head_dim = self.sizes
        return L.GroupedQueryAttention(head_dim, h_q, h_kv, dropout=self.dropout,
                                       use_bias=self.use_bias, use_gate=self.use_gate,
                                       name=name, trainable=trainable)

    def extra_repr(self) -> str:
        d, d_k, d_v, h_q, h_kv, head_dim = self.sizes
        return (f"d={d}, d_k={d_k}, d_v={d_v}, num_query_heads={h_q}, "
                f"num_key_value_heads={h_kv}, head_dim={head_dim}, use_bias={self.use_bias}, "
                f"use_gate={self.use_gate}, dropout={self.dropout}")


def _call(b, layer, key, name, make, inputs):
    refusal = masked_refusal(layer)
    if refusal:
        raise Unsupported(refusal)
    target = b.submodule(key, name, make)
    b._freeze(layer, target)
    return b.graph.call_module(target, tuple(inputs))


def _attention(b, layer, inputs, shapes, out_shape, key, name):
    """``Attention`` and ``AdditiveAttention`` as :class:`KerasAttention`."""
    make = lambda: KerasAttention(layer.score_mode, layer.use_scale,  # noqa: E731
                                  float(layer.dropout), shapes[0][-1])
    return _call(b, layer, key, name, make, inputs)


def _dot(b, layer, inputs, shapes, out_shape, key, name):
    """``Dot`` as :class:`KerasDot` over the inputs' axes as PyTorch numbers them."""
    axes = tuple(i + 1 for i in layer.positions(shapes))
    return _call(b, layer, key, name, lambda: KerasDot(axes, layer.normalize), inputs)


def _grouped_query_attention(b, layer, inputs, shapes, out_shape, key, name):
    """``GroupQueryAttention`` as :class:`KerasGroupedQueryAttention`; a sliding window
    (a band mask of Keras') is refused."""
    if layer.sliding_window is not None:
        raise Unsupported(f"sliding_window={as_int(layer.sliding_window)}: Keras attends each "
                          f"query only to the keys fewer than that many positions away, which "
                          f"the exported module does not (it attends to every key)")
    query, value = shapes[0], shapes[1]
    key_width = (shapes[2] if len(shapes) == 3 else value)[-1]
    make = lambda: KerasGroupedQueryAttention(  # noqa: E731
        query[-1], key_width, value[-1], as_int(layer.num_query_heads),
        as_int(layer.num_key_value_heads), as_int(layer.head_dim), layer.use_bias,
        layer.use_gate, float(layer.dropout))
    return _call(b, layer, key, name, make, inputs)


#: The handlers by the Keras class of the layer (:func:`~._common.keras_base`).
HANDLERS = {"Attention": _attention, "AdditiveAttention": _attention, "Dot": _dot,
            "GroupedQueryAttention": _grouped_query_attention}
