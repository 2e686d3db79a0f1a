"""GroupedQueryAttention: Keras 3's grouped-query attention (``keras.layers.GroupQueryAttention``).

Keras exports the class ``GroupedQueryAttention`` as ``keras.layers.GroupQueryAttention``,
the name its model configs record; symcnn has both names for one class. Called as
``gqa(query, value)`` or ``gqa(query, value, key)`` on sequences ``(T_q, d)``, ``(T_v, d)``
and ``(T_v, d_k)`` (the value's width must be the query's; Keras refuses another), it projects
the query to ``h_q = num_query_heads`` heads and the key and the value to
``h_kv = num_key_value_heads`` heads of ``k = head_dim`` each (one ``EinsumDense`` each),
repeats every key and value head ``h_q/h_kv`` times, attends, and projects the heads back to
``d``: the output has the query's shape. ``h_kv = 1`` is multi-query attention, ``h_kv = h_q``
multi-head attention.

Parameters (as Keras counts them), with ``use_bias`` adding the biases:

``d*h_q*k + (d_k + d)*h_kv*k + h_q*k*d`` kernels, ``h_q*k + 2*h_kv*k + d`` biases,

and with ``use_gate`` a gate projected from the query (``d*h_q*k``, bias ``h_q*k``).
MACs, by the convention of ``MultiHeadAttention`` (``docs/costs.md``): every product of the
projections, ``T_q*d*h_q*k + T_v*(d_k + d)*h_kv*k + T_q*h_q*k*d`` (plus ``T_q*d*h_q*k`` for
the gate), and the two attention products over the repeated heads, ``Q K^T`` and the weighted
sum, ``2*T_q*T_v*h_q*k``; the repeats copy, they multiply nothing.

>>> import symcnn as sc
>>> T = sc.symbols("T")
>>> x = sc.Input((T, 64))
>>> y = sc.GroupedQueryAttention(head_dim=16, num_query_heads=4, num_key_value_heads=2)(x, x)
>>> m = sc.Model(x, y)
>>> y.shape, m.params, m.macs
((T, 64), 12480, 128*T**2 + 12288*T)
"""

from __future__ import annotations

from typing import Any

import sympy

from ..derivation.blocks import sym
from ..errors import CostError, LayerArgumentError, ShapeError, brief, describe_layer
from ..windows import NotAWindow, Whole
from ..working import Plus, Times
from .attention_calls import MaskedCalls, dropout_rate
from .base import Checker, Layer, apply_layer, format_shape
from .dot_attention import split_attention_inputs

__all__ = ["GroupedQueryAttention", "grouped_attention_params", "grouped_attention_macs"]


def grouped_attention_params(d, d_k, d_v, h_q, h_kv, k, use_bias: bool = True,
                             use_gate: bool = False) -> sympy.Expr:
    """Parameters of a Keras ``GroupedQueryAttention`` on a query of width ``d``, a key of
    width ``d_k`` and a value of width ``d_v`` (Keras requires ``d_v = d``), with ``h_q``
    query heads, ``h_kv`` key and value heads of ``k`` features each.

    >>> d, h, k = sympy.symbols("d h k")
    >>> grouped_attention_params(d, d, d, h, h, k)   # multi-head attention's count
    4*d*h*k + d + 3*h*k
    >>> grouped_attention_params(64, 64, 64, 8, 1, 8, use_bias=False)  # multi-query
    9216
    """
    kernels = d * h_q * k + (d_k + d_v) * h_kv * k + h_q * k * d
    biases = h_q * k + 2 * h_kv * k + d
    if use_gate:
        kernels += d * h_q * k
        biases += h_q * k
    return sympy.expand(kernels + (biases if use_bias else 0))


def grouped_attention_macs(t_q, t_v, d, d_k, d_v, h_q, h_kv, k,
                           use_gate: bool = False) -> sympy.Expr:
    """MACs of one ``GroupedQueryAttention`` call over ``t_q`` queries and ``t_v`` keys and
    values: the projections ``t_q*d*h_q*k + t_v*(d_k + d_v)*h_kv*k + t_q*h_q*k*d`` (plus
    ``t_q*d*h_q*k`` for a gate) and ``2*t_q*t_v*h_q*k`` for ``Q K^T`` and the weighted sum.

    >>> N, d, h, k = sympy.symbols("N d h k")
    >>> grouped_attention_macs(N, N, d, d, d, h, h, k)   # multi-head attention's MACs
    2*N**2*h*k + 4*N*d*h*k
    """
    projections = t_q * d * h_q * k + t_v * (d_k + d_v) * h_kv * k + t_q * h_q * k * d
    if use_gate:
        projections += t_q * d * h_q * k
    return sympy.expand(projections + 2 * t_q * t_v * h_q * k)


class GroupedQueryAttention(MaskedCalls, Layer):
    """Grouped-query attention (Keras ``GroupQueryAttention``, class
    ``GroupedQueryAttention``), called as ``gqa(query, value)`` or ``gqa(query, value, key)``.

    >>> import symcnn as sc
    >>> q, v, k = sc.Input((10, 32)), sc.Input((20, 32)), sc.Input((20, 12))
    >>> gqa = sc.GroupQueryAttention(head_dim=8, num_query_heads=4, num_key_value_heads=1)
    >>> out = gqa(q, v, k)
    >>> out.shape, sc.Model([q, v, k], out).params
    ((10, 32), 2480)
    >>> sc.GroupQueryAttention(head_dim=8, num_query_heads=6, num_key_value_heads=4)
    Traceback (most recent call last):
    ...
    symcnn.errors.LayerArgumentError: GroupedQueryAttention: `num_query_heads` must be divisible by `num_key_value_heads` (each key and value head serves a group of query heads). Received: num_query_heads=6, num_key_value_heads=4
    """

    n_inputs = None
    #: Keras calls it with its tensors as arguments, not as one list (for ``to_keras``).
    keras_call_unpacked = True
    #: The name Keras exports the class under (``keras.layers.GroupQueryAttention``), which
    #: its configs record and ``to_keras`` builds.
    keras_name = "GroupQueryAttention"

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0,
                 use_bias: bool = True, sliding_window=None, flash_attention=None,
                 use_gate: bool = False, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        h_q = self._size(num_query_heads, "num_query_heads")
        h_kv = self._size(num_key_value_heads, "num_key_value_heads")
        if h_q.is_Integer and h_kv.is_Integer and int(h_q) % int(h_kv):
            raise LayerArgumentError(
                f"{self.type_name}: `num_query_heads` must be divisible by "
                f"`num_key_value_heads` (each key and value head serves a group of query "
                f"heads). Received: num_query_heads={brief(num_query_heads)}, "
                f"num_key_value_heads={brief(num_key_value_heads)}")
        if flash_attention not in (None, True, False):
            raise LayerArgumentError(f"{self.type_name}: `flash_attention` must be None, True "
                                     f"or False. Received: flash_attention="
                                     f"{brief(flash_attention)}")
        dropout = dropout_rate(self.type_name, dropout)
        if flash_attention and dropout:
            raise LayerArgumentError(
                f"{self.type_name}: dropout is not supported with flash attention, as Keras "
                f"refuses it; set dropout=0.0 or flash_attention=None. Received: "
                f"dropout={brief(dropout)}, flash_attention=True")
        self._set(head_dim=self._size(head_dim, "head_dim"), num_query_heads=h_q,
                  num_key_value_heads=h_kv, dropout=dropout,
                  use_bias=self._flag(use_bias, "use_bias"),
                  sliding_window=None if sliding_window is None else
                  self._size(sliding_window, "sliding_window"),
                  flash_attention=flash_attention, use_gate=self._flag(use_gate, "use_gate"))

    # -- what the layer computes -----------------------------------------------------------

    def output_shape_for(self, shapes, check: Checker):
        query, value, key = split_attention_inputs(shapes)
        for what, shape in (("query", query), ("value", value), ("key", key)):
            if len(shape) != 2:
                raise ShapeError(f"expects sequences of rank 2 (positions, features; without "
                                 f"the batch axis), as Keras' projections do. Received: "
                                 f"{what} shape {format_shape(shape)}")
        check.divisible(self.num_query_heads, self.num_key_value_heads, lambda: (
            f"`num_query_heads` must be divisible by `num_key_value_heads`. Received: "
            f"num_query_heads={self.num_query_heads}, "
            f"num_key_value_heads={self.num_key_value_heads}"))
        check.equal(query[-1], value[-1], lambda: (
            f"the query and the value must have the same width, as Keras requires. "
            f"Received: query shape {format_shape(query)}, value shape {format_shape(value)}"))
        check.equal(key[0], value[0], lambda: (
            f"key and value must have as many positions. Received: key shape "
            f"{format_shape(key)}, value shape {format_shape(value)}"))
        return query

    def params_for(self, shapes):
        query, value, key = split_attention_inputs(shapes)
        return grouped_attention_params(query[-1], key[-1], value[-1], self.num_query_heads,
                                        self.num_key_value_heads, self.head_dim, self.use_bias,
                                        self.use_gate), sympy.Integer(0)

    def derivation_for(self, b, input_shapes, output_shape):
        """The query, key, value (and gate) projections and the output projection, in
        Keras' names."""
        query, value, key = split_attention_inputs(input_shapes)
        d, dk, dv, hq, hkv, k = (sym(n) for n in ("d", "d_k", "d_v", "h_q", "h_kv", "k"))
        terms = [Times(d, hq, k), Times(Plus(dk, dv), hkv, k), Times(hq, k, d)]
        if self.use_gate:
            terms.append(Times(d, hq, k))
        if self.use_bias:
            terms += [Times(hq, k), Times(2, hkv, k), d] + ([Times(hq, k)] if self.use_gate
                                                           else [])
        b.note("The query, key, value and output projections' kernels"
               + (" and biases" if self.use_bias else " (no biases)")
               + (", and the gate's" if self.use_gate else "") + ", as Keras counts them.")
        return Plus(*terms), {d: query[-1], dk: key[-1], dv: value[-1],
                              hq: self.num_query_heads, hkv: self.num_key_value_heads,
                              k: self.head_dim}

    def macs_for(self, input_shapes, output_shape) -> sympy.Expr:
        """Projections and both attention products (:func:`grouped_attention_macs`)."""
        query, value, key = split_attention_inputs(input_shapes)
        return grouped_attention_macs(query[0], key[0], query[-1], key[-1], value[-1],
                                      self.num_query_heads, self.num_key_value_heads,
                                      self.head_dim, self.use_gate)

    def window_for(self, input_shapes):
        """As :meth:`MultiHeadAttention.window_for <symcnn.layers.attention.MultiHeadAttention.window_for>`:
        undefined along the positions (masks, not recorded, decide which an output reads),
        the features mixed.

        >>> GroupedQueryAttention(8, 2, 1).window_for([(10, 16), (10, 16)])
        (NotAWindow(defined=False), Whole(keeps_axis=True))
        """
        return (NotAWindow(), Whole())

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """Not stated: a ``CostError`` naming the layer. Keras 3 attends here with
        ``scaled_dot_product_attention``, whose kernel (and so what it keeps: the weights, or
        a log-sum-exp of the scores) PyTorch chooses by platform, dtype and sizes, after
        copying the repeated key and value heads; no figure of symcnn's would hold on every
        platform."""
        raise CostError(
            f"{describe_layer(self.type_name, self.name)}: what it keeps for backward is not "
            f"stated: Keras attends with scaled_dot_product_attention, whose kernel (and what "
            f"it keeps) PyTorch chooses by platform, dtype and sizes. Received: "
            f"num_query_heads={self.num_query_heads}, "
            f"num_key_value_heads={self.num_key_value_heads}, head_dim={self.head_dim}")

    # -- calling ------------------------------------------------------------------------------

    def __call__(self, query, value=None, key=None, *, query_mask=None, value_mask=None,
                 key_mask=None, attention_mask=None, return_attention_scores=False,
                 training=None, use_causal_mask=False):
        """``gqa(query, value)``, ``gqa(query, value, key)``, or a list ``[query, value(,
        key)]`` (how Keras configs record the call). Masks change no shape, count or MAC:
        they are noted in :attr:`masked_call`, not recorded."""
        tensors = self._call_tensors(query, value, key, "gqa")
        self._check_call(training, return_attention_scores)
        self._note_masks(query_mask=query_mask, value_mask=value_mask, key_mask=key_mask,
                         attention_mask=attention_mask, use_causal_mask=use_causal_mask)
        return apply_layer(self, tensors).outputs[0]
