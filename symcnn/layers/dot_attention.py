"""Attention: Keras 3's dot-product (Luong-style) attention layer, without projections.

Called on a list ``[query, value]`` or ``[query, value, key]`` (``key`` defaults to
``value``) of shapes ``(T_q, d)``, ``(T_v, d_v)`` and ``(T_v, d)`` (without the batch axis;
leading axes before these two are batch-like and must agree), it scores every query against
every key, takes a softmax over the keys and returns the weighted sum of the values:
``(T_q, d_v)``.

- ``score_mode="dot"``: ``scores = query @ key^T`` (times a learned scalar with
  ``use_scale=True``);
- ``score_mode="concat"``: ``scores = c * sum(tanh(s*(query_i + key_j)))`` over the features,
  with a learned scalar ``c`` (``concat_score_weight``) and, with ``use_scale=True``, ``s``.

Parameters (as Keras counts them): 1 for ``use_scale``, 1 for ``score_mode="concat"``.
MACs (``docs/costs.md``), with ``P`` the product of the leading axes: ``P*T_q*T_v*d`` for
``query @ key^T`` (``"dot"`` only; the concat scores are element-wise sums and products) plus
``P*T_q*T_v*d_v`` for the weighted sum; a scalar scale is an element-wise product, no MAC.

>>> import symcnn as sc
>>> Tq, Tv = sc.symbols("T_q T_v")
>>> q, v = sc.Input((Tq, 64)), sc.Input((Tv, 64))
>>> y = sc.Attention(use_scale=True)([q, v])
>>> m = sc.Model([q, v], y)
>>> y.shape, m.params, m.macs
((T_q, 64), 1, 128*T_q*T_v)
"""

from __future__ import annotations

from typing import Any

import sympy

from ..errors import CostError, LayerArgumentError, ShapeError, brief, describe_layer
from ..formulas import prod
from ..windows import NotAWindow, Whole
from ..working import Plus
from .attention_calls import MaskedCalls, dropout_rate
from .base import Checker, Layer, Tensor, apply_layer, format_shape
from .saved import Call, kept_input, kept_new

__all__ = ["Attention", "split_attention_inputs"]

ZERO = sympy.Integer(0)


def split_attention_inputs(shapes) -> tuple:
    """``(query, value, key)`` of a call on ``[query, value]`` or ``[query, value, key]``
    (the key defaults to the value); a :class:`ShapeError` for another number of inputs.

    >>> split_attention_inputs([(5, 8), (7, 8)])
    ((5, 8), (7, 8), (7, 8))
    """
    if len(shapes) not in (2, 3):
        raise ShapeError(f"expects a list [query, value] or [query, value, key]: 2 or 3 "
                         f"inputs. Received: {len(shapes)} inputs")
    query, value = tuple(shapes[0]), tuple(shapes[1])
    key = tuple(shapes[2]) if len(shapes) == 3 else value
    return query, value, key


class Attention(MaskedCalls, Layer):
    """Dot-product attention (Keras ``Attention``), called on ``[query, value]`` or
    ``[query, value, key]`` as Keras calls it.

    >>> import symcnn as sc
    >>> q, v, k = sc.Input((10, 16)), sc.Input((20, 32)), sc.Input((20, 16))
    >>> out = sc.Attention(score_mode="concat")([q, v, k])
    >>> out.shape, sc.Model([q, v, k], out).params, sc.Model([q, v, k], out).macs
    ((10, 32), 1, 6400)
    >>> sc.Attention(score_mode="general")
    Traceback (most recent call last):
    ...
    symcnn.errors.LayerArgumentError: Attention: `score_mode` must be 'dot' or 'concat' (as Keras spells them). Received: score_mode='general'
    """

    n_inputs = None
    #: The score modes, as Keras spells them (case included).
    score_modes: tuple = ("dot", "concat")

    def __init__(self, use_scale: bool = False, score_mode: str = "dot", dropout=0.0,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        if score_mode not in self.score_modes:
            raise LayerArgumentError(
                f"{self.type_name}: `score_mode` must be 'dot' or 'concat' (as Keras spells "
                f"them). Received: score_mode={brief(score_mode)}")
        self._set(use_scale=self._flag(use_scale, "use_scale"), score_mode=score_mode,
                  dropout=dropout_rate(self.type_name, dropout))

    # -- what the layer computes -----------------------------------------------------------

    def output_shape_for(self, shapes, check: Checker):
        query, value, key = split_attention_inputs(shapes)
        rank = len(query)
        if rank < 2:
            raise ShapeError(f"expects inputs of rank at least 2 (positions, features; without "
                             f"the batch axis). Received: query shape {format_shape(query)}")
        for what, shape in (("value", value), ("key", key)):
            if len(shape) != rank:
                raise ShapeError(f"query and {what} must have the same rank. Received: query "
                                 f"shape {format_shape(query)}, {what} shape "
                                 f"{format_shape(shape)}")
        for i in range(rank - 2):
            for what, shape in (("value", value), ("key", key)):
                check.equal(query[i], shape[i], lambda: (
                    f"query and {what} must agree on the axes before the positions; axis "
                    f"{i + 1} differs. Received: query shape {format_shape(query)}, {what} "
                    f"shape {format_shape(shape)}"))
        check.equal(key[-2], value[-2], lambda: (
            f"key and value must have as many positions (T_v). Received: key shape "
            f"{format_shape(key)}, value shape {format_shape(value)}"))
        check.equal(query[-1], key[-1], lambda: (
            f"query and key must have the same width (the scores compare them feature by "
            f"feature). Received: query shape {format_shape(query)}, key shape "
            f"{format_shape(key)}"))
        return (*query[:-1], value[-1])

    def params_for(self, shapes):
        """``use_scale`` adds Keras' ``scale``, ``score_mode="concat"`` its
        ``concat_score_weight``: one scalar each."""
        return sympy.Integer(int(self.use_scale) + int(self.score_mode == "concat")), ZERO

    def derivation_for(self, b, input_shapes, output_shape):
        """The learned scalars, in Keras' names."""
        parts = (["scale"] if self.use_scale else []) + (
            ["concat_score_weight"] if self.score_mode == "concat" else [])
        if not parts:
            b.note("No weights: the scores are dot products of the inputs.")
            return ZERO, {}
        b.note(f"One learned scalar each: {', '.join(parts)}.")
        return Plus(*([sympy.Integer(1)] * len(parts))), {}

    def _positions(self, input_shapes) -> tuple:
        """``(P, T_q, T_v, d, d_v)``: the product of the leading axes, the positions of the
        query and of the keys, the query's and the value's widths."""
        query, value, _ = split_attention_inputs(input_shapes)
        return prod(query[:-2]), query[-2], value[-2], query[-1], value[-1]

    def score_macs(self, input_shapes) -> sympy.Expr:
        """MACs of the scores: ``P*T_q*T_v*d`` for ``query @ key^T``, 0 for the concat
        scores (element-wise)."""
        lead, t_q, t_v, d, _ = self._positions(input_shapes)
        return lead * t_q * t_v * d if self.score_mode == "dot" else ZERO

    def macs_for(self, input_shapes, output_shape) -> sympy.Expr:
        """The scores (:meth:`score_macs`) plus the weighted sum ``P*T_q*T_v*d_v``."""
        lead, t_q, t_v, _, d_v = self._positions(input_shapes)
        return sympy.expand(self.score_macs(input_shapes) + lead * t_q * t_v * d_v)

    def window_for(self, input_shapes):
        """As :meth:`MultiHeadAttention.window_for <symcnn.layers.attention.MultiHeadAttention.window_for>`:
        undefined along the positions (which an output reads depends on the masks of the
        call, not recorded), the features mixed, the leading axes passed through.

        >>> Attention().window_for([(10, 16), (10, 16)])
        (NotAWindow(defined=False), Whole(keeps_axis=True))
        """
        rank = len(input_shapes[0])
        return tuple(Whole() if i == rank - 1 else NotAWindow() if i == rank - 2 else None
                     for i in range(rank))

    # -- training memory ---------------------------------------------------------------------

    def _check_memory_stated(self, query) -> None:
        received = []
        if len(query) != 2:
            received.append(f"query shape {format_shape(query)}")
        if self.dropout:
            received.append(f"dropout={brief(self.dropout)}")
        if self.masked_call is not None:
            received.append(f"a call with {self.masked_call}")
        if received:
            raise CostError(
                f"{describe_layer(self.type_name, self.name)}: what it keeps for backward is "
                f"stated, as Keras 3 computes it on the torch backend, for inputs of rank 2 "
                f"(positions, features), without dropout (which keeps a mask and the dropped "
                f"weights) or masks. Received: {', '.join(received)}")

    def learned_scores(self) -> bool:
        """Whether the scores have learned weights (where the layer trains, they make the
        attention weights require a gradient)."""
        return self.use_scale or self.score_mode == "concat"

    def score_kept(self, shapes, at_key: int, grad_q: bool, grad_k: bool) -> tuple:
        """What the scores keep (see :meth:`saved_for_backward`), given whether the query and
        the key (input ``at_key``) require a gradient."""
        query, _, key = shapes
        t_q, t_v, d = query[0], key[0], query[-1]
        if self.score_mode == "dot":
            kept = ([kept_input(0)] if grad_k else []) + ([kept_input(at_key)] if grad_q else [])
            return tuple(kept) + ((kept_new(t_q * t_v, when="weights"),) if self.use_scale
                                  else ())
        kept = (kept_new(t_q * t_v * d, when="weights"),) if self.use_scale else ()
        if grad_q or grad_k or self.use_scale:  # tanh keeps its output
            kept += (kept_new(t_q * t_v * d, when=None if grad_q or grad_k else "weights"),)
        return kept + (kept_new(t_q * t_v, when="weights"),)  # for concat_score_weight

    def saved_for_backward(self, input_shapes, output_shapes, call=None) -> tuple:
        """What Keras 3 keeps on the torch backend (measured with PyTorch's saved-tensor
        hooks), given which inputs require a gradient (``call``,
        :class:`~symcnn.layers.saved.Call`; by default every one):

        - ``"dot"``: ``query @ key^T`` keeps the query where the key requires a gradient and
          the key where the query does; with ``use_scale`` the scores ``T_q*T_v`` for the
          scale's gradient;
        - ``"concat"``: ``tanh`` keeps its output ``T_q*T_v*d`` where the query or the key
          requires a gradient (or the scale trains), the scale its input ``T_q*T_v*d``, the
          concat weight the summed scores ``T_q*T_v``;
        - the attention weights ``T_q*T_v`` (softmax's output, and the factor of the value's
          gradient), and the value where the weights require a gradient.

        Entries for the learned scalars' gradients are kept only where the layer trains.
        Stated for inputs of rank 2, without dropout or masks; otherwise a ``CostError``.

        >>> import symcnn as sc
        >>> x = sc.Input(("T", 8))
        >>> h = sc.Dense(8)(x)
        >>> sc.Model(x, sc.Attention()([h, h])).training_memory(batch="B", dtype="int8").activations
        B*T**2 + 16*B*T
        """
        shapes = split_attention_inputs(input_shapes)
        query, _, key = shapes
        self._check_memory_stated(query)
        call = call or Call.of(input_shapes)
        at_key = 2 if len(input_shapes) == 3 else 1
        grad_q, grad_k = call.grads[0], call.grads[at_key]
        kept = self.score_kept(shapes, at_key, grad_q, grad_k)
        kept += (kept_new(query[0] * key[0]),)  # the attention weights
        if grad_q or grad_k or self.learned_scores():  # the weights require a gradient
            kept += (kept_input(1, when=None if grad_q or grad_k else "weights"),)
        return kept

    # -- calling ------------------------------------------------------------------------------

    def __call__(self, inputs, mask=None, training=None, return_attention_scores=False,
                 use_causal_mask=False):
        """``layer([query, value])`` or ``layer([query, value, key])``, as Keras calls it.
        ``mask`` (a list ``[query_mask, value_mask]``) and ``use_causal_mask`` change no shape,
        count or MAC: they are noted in :attr:`masked_call`, not recorded."""
        who = describe_layer(self.type_name, self.name)
        tensors = list(inputs) if isinstance(inputs, (list, tuple)) else None
        if not tensors or not all(isinstance(t, Tensor) for t in tensors) or \
                len(tensors) not in (2, 3):
            aside = " (a second tensor went to `mask`)" if isinstance(mask, Tensor) else ""
            raise LayerArgumentError(
                f"{who}: call it on a list of tensors, [query, value] or [query, value, key], "
                f"as Keras does{aside}. Received: inputs={brief(inputs)}")
        self._check_call(training, return_attention_scores)
        self._note_masks(mask=mask, use_causal_mask=use_causal_mask)
        if len(tensors) == 3 and tensors[2] is tensors[1]:
            tensors = tensors[:2]  # [q, v, v] is [q, v], as Keras computes it
        return apply_layer(self, tensors).outputs[0]
