"""RepeatVector: a vector repeated ``n`` times as a sequence (Keras ``RepeatVector``).

The encoder-to-decoder bridge of LSTM autoencoders and seq2seq models: an input of shape
``(F,)`` becomes ``(n, F)``, every step a copy of the input. No weights, no
multiply-accumulates, and nothing kept for backward (Keras on the torch backend keeps no
tensor for the gradient of a repeat: it sums the steps back).

>>> import symcnn as sc
>>> sc.RepeatVector("n")(sc.Input((8,))).shape
(n, 8)
"""

from __future__ import annotations

from typing import Any

import sympy

from .base import Checker, Layer
from .saved import NOTHING

__all__ = ["RepeatVector"]


class RepeatVector(Layer):
    """Repeat the input vector ``n`` times (Keras ``RepeatVector``): ``(F,)`` to ``(n, F)``.

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input((8,)), sc.Dense(4), sc.RepeatVector(3)])
    >>> m.output_shape, m.params
    ((3, 4), 36)
    """

    def __init__(self, n, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self._set(n=self._size(n, "n"))

    def output_shape_for(self, shape, check: Checker):
        self._expect_rank(shape, 1, "a vector of features")
        return (self.n, shape[0])

    def window_for(self, input_shape):
        """Not a window: the steps are a new axis, none of them a position of the input."""
        return None

    def derivation_for(self, b, input_shapes, output_shape):
        return sympy.Integer(0), {}

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """Nothing: the gradient of a repeat sums the steps. Keras' repeat on the torch
        backend is a stride-0 view of the vector, which no layout states yet
        (:mod:`symcnn.layers.layout`): the output counts as a new tensor, so a ``Dense``
        after it keeps the repeats, as PyTorch does at batch 2 and more (at batch 1 the
        fold is a view and keeps the vector alone)."""
        return NOTHING
