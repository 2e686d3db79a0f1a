"""AdditiveAttention: Keras 3's additive (Bahdanau-style) attention layer, without projections.

Called as :class:`~symcnn.layers.dot_attention.Attention` is, on ``[query, value]`` or
``[query, value, key]``; the scores are ``sum(scale * tanh(query_i + key_j))`` over the ``d``
features, with a learned vector ``scale`` of ``d`` weights (``use_scale=True``, the default)
or without it (a plain sum).

Parameters (as Keras counts them): ``d``, the query's width, with ``use_scale``; else 0.
MACs (``docs/costs.md``), with ``P`` the product of the leading axes: the scores are a dot
product of ``tanh(query_i + key_j)`` with ``scale``, ``P*T_q*T_v*d`` multiply-accumulates
(none without ``use_scale``), plus ``P*T_q*T_v*d_v`` for the weighted sum of the values.
PyTorch's ``FlopCounterMode`` does not see the first on Keras' own call, which computes it as
an element-wise product and a sum; it counts it on the same computation written as a matrix
product (``tanh(...) @ scale``), as the tests do.

>>> import symcnn as sc
>>> Tq, Tv = sc.symbols("T_q T_v")
>>> q, v = sc.Input((Tq, 32)), sc.Input((Tv, 32))
>>> y = sc.AdditiveAttention()([q, v])
>>> m = sc.Model([q, v], y)
>>> y.shape, m.params, m.macs
((T_q, 32), 32, 64*T_q*T_v)
"""

from __future__ import annotations

from typing import Any

import sympy

from ..derivation.blocks import sym
from .attention_calls import dropout_rate
from .dot_attention import Attention
from .saved import kept_new

__all__ = ["AdditiveAttention"]


class AdditiveAttention(Attention):
    """Additive attention (Keras ``AdditiveAttention``), called on ``[query, value]`` or
    ``[query, value, key]``.

    >>> import symcnn as sc
    >>> q, v = sc.Input((10, 16)), sc.Input((20, 16))
    >>> out = sc.AdditiveAttention(use_scale=False)([q, v])
    >>> out.shape, sc.Model([q, v], out).params, sc.Model([q, v], out).macs
    ((10, 16), 0, 3200)
    """

    #: How the scores are computed (not an argument: Keras' additive layer has one way).
    score_mode = "additive"

    def __init__(self, use_scale: bool = True, dropout=0.0, name: str | None = None,
                 **kwargs: Any) -> None:
        super(Attention, self).__init__(name=name, **kwargs)  # no score_mode: Keras has none
        self._set(use_scale=self._flag(use_scale, "use_scale"),
                  dropout=dropout_rate(self.type_name, dropout))

    def params_for(self, shapes):
        """Keras' ``scale``: one weight per feature of the query (``d``)."""
        return (shapes[0][-1] if self.use_scale else sympy.Integer(0)), sympy.Integer(0)

    def derivation_for(self, b, input_shapes, output_shape):
        """``d``, the query's width, with ``use_scale``."""
        if not self.use_scale:
            b.note("No weights: use_scale=False sums tanh(query + key) over the features.")
            return sympy.Integer(0), {}
        d = sym("d")
        b.note("The scale vector: one weight per feature of the query.")
        return d, {d: input_shapes[0][-1]}

    def score_macs(self, input_shapes) -> sympy.Expr:
        """``P*T_q*T_v*d``: the dot product of ``tanh(query_i + key_j)`` with ``scale`` (0
        without ``use_scale``: a plain sum)."""
        lead, t_q, t_v, d, _ = self._positions(input_shapes)
        return lead * t_q * t_v * d if self.use_scale else sympy.Integer(0)

    def learned_scores(self) -> bool:
        return self.use_scale

    def score_kept(self, shapes, at_key: int, grad_q: bool, grad_k: bool) -> tuple:
        """``tanh`` keeps its output ``T_q*T_v*d`` (which is also the factor of the scale's
        gradient) where the query or the key requires a gradient or the scale trains."""
        query, _, key = shapes
        if not (grad_q or grad_k or self.use_scale):
            return ()
        return (kept_new(query[0] * key[0] * query[-1],
                         when=None if grad_q or grad_k else "weights"),)
