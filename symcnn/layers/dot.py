"""Dot: the dot product of two tensors along one axis each (Keras 3's ``Dot`` merge layer).

``Dot(axes)([x, y])`` sums ``x * y`` over axis ``axes[0]`` of ``x`` and ``axes[1]`` of ``y``
(an int: the same axis of both), which must have one size ``K``; the batch axis is shared.
The output's axes are ``x``'s other axes, then ``y``'s (Keras' ``batch_dot``), and ``(1,)``
when none is left (two vectors). Axes count the batch axis as 0, as Keras counts them; a
negative axis counts from the end. ``normalize=True`` L2-normalizes both along the summed
axis first (the output is then the cosine similarity).

No weights. MACs: ``prod(output shape)*K`` (the output's ``(1,)`` counts once for two
vectors); the normalization is element-wise (squares, a sum, a product), no MAC, as
``LayerNormalization`` has none.

>>> import symcnn as sc
>>> T, S = sc.symbols("T S")
>>> x, y = sc.Input((T, 64)), sc.Input((S, 64))
>>> scores = sc.Dot(axes=2)([x, y])
>>> m = sc.Model([x, y], scores)
>>> scores.shape, m.params, m.macs
((T, S), 0, 64*S*T)
"""

from __future__ import annotations

from typing import Any

import sympy

from ..errors import CostError, LayerArgumentError, ShapeError, brief, describe_layer
from ..formulas import prod
from .base import Checker, Layer, format_shape
from .saved import Call, kept_input, kept_new

__all__ = ["Dot"]


class Dot(Layer):
    """Dot product of two tensors along ``axes`` (Keras ``Dot``), called on ``[x, y]``.

    >>> import symcnn as sc
    >>> a, b = sc.Input((16,)), sc.Input((16,))
    >>> sc.Dot(axes=1, normalize=True)([a, b]).shape    # cosine similarity
    (1,)
    >>> sc.Dot(axes=(1, 2))([sc.Input((5, 3)), sc.Input((4, 5))]).shape
    (3, 4)
    >>> sc.Dot(axes=(1, 2, 3))
    Traceback (most recent call last):
    ...
    symcnn.errors.LayerArgumentError: Dot: `axes` must be an int or a pair of ints (one axis of each input, the batch axis counted as 0). Received: axes=(1, 2, 3)
    """

    n_inputs = 2

    def __init__(self, axes, normalize: bool = False, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        pair = isinstance(axes, (list, tuple)) and len(axes) == 2 and all(
            type(a) is int for a in axes)
        if not (type(axes) is int or pair):
            raise LayerArgumentError(
                f"{self.type_name}: `axes` must be an int or a pair of ints (one axis of each "
                f"input, the batch axis counted as 0). Received: axes={brief(axes)}")
        self._set(axes=axes if type(axes) is int else tuple(axes),
                  normalize=self._flag(normalize, "normalize"))

    def positions(self, shapes) -> tuple:
        """The summed axis of each input as an index into its shape (without the batch axis),
        as Keras resolves ``axes`` (a negative int counts from each input's end); a
        :class:`ShapeError` for the batch axis or an axis out of range."""
        axes = (self.axes, self.axes) if type(self.axes) is int else self.axes
        out = []
        for which, (axis, shape) in enumerate(zip(axes, shapes)):
            rank = len(shape) + 1  # with the batch axis, as Keras counts
            index = axis + rank if axis < 0 else axis
            if not 1 <= index < rank:
                raise ShapeError(
                    f"`axes` names axis {axis} of input {which}, of rank {rank} with the batch "
                    f"axis (shape {format_shape(shape)} without it): the batch axis (0) cannot "
                    f"be summed, and the others are 1 to {rank - 1}. Received: "
                    f"axes={brief(self.axes)}")
            out.append(index - 1)
        return tuple(out)

    def output_shape_for(self, shapes, check: Checker):
        x, y = (tuple(s) for s in shapes)
        i, j = self.positions((x, y))
        check.equal(x[i], y[j], lambda: (
            f"the summed axes must have one size: axis {i + 1} of input 0 has "
            f"{x[i]}, axis {j + 1} of input 1 has {y[j]}. Received: shapes "
            f"{format_shape([x, y])}, axes={brief(self.axes)}"))
        out = x[:i] + x[i + 1:] + y[:j] + y[j + 1:]
        return out or (sympy.Integer(1),)

    def params_for(self, shapes):
        return sympy.Integer(0), sympy.Integer(0)

    def derivation_for(self, b, input_shapes, output_shape):
        """No weights; the output's sizes are the inputs' but the summed axes."""
        b.note("The output has the first input's axes, then the second's, without the summed "
               "axis of each; two vectors give (1,).")
        return sympy.Integer(0), {}

    def macs_for(self, input_shapes, output_shape) -> sympy.Expr:
        """``prod(output shape)*K``, ``K`` the size of the summed axes."""
        x = tuple(input_shapes[0])
        i, _ = self.positions(input_shapes)
        return sympy.expand(prod(output_shape) * x[i])

    def window_for(self, input_shapes):
        """Not a window: the output's axes are the two inputs' axes side by side, none of them
        a position of both inputs (as :class:`~symcnn.layers.repeat_vector.RepeatVector`'s
        steps)."""
        return None

    def saved_for_backward(self, input_shapes, output_shapes, call=None) -> tuple:
        """What Keras 3 keeps on the torch backend (measured with PyTorch's saved-tensor
        hooks), given which inputs require a gradient (``call``,
        :class:`~symcnn.layers.saved.Call`; by default both): the batched matrix product
        keeps each factor where the other factor requires a gradient (the input itself, a
        view, or with ``normalize`` its normalized copy). With ``normalize``, each input that
        requires a gradient keeps itself, its inverse norm and that norm clipped
        (``2*prod(shape)/K`` values) and a one-element bound (not per example).

        Stated for inputs of rank 1 or 2 (without the batch axis): Keras folds inputs of
        higher rank to three axes, which copies some of them; there it is a ``CostError``.

        >>> import symcnn as sc
        >>> x = sc.Input(("T", 8))
        >>> h = sc.Dense(8)(x)
        >>> sc.Model(x, sc.Dot(axes=2)([h, h])).training_memory(batch="B", dtype="int8").activations
        16*B*T
        """
        x, y = (tuple(s) for s in input_shapes)
        if len(x) > 2 or len(y) > 2:
            raise CostError(
                f"{describe_layer(self.type_name, self.name)}: what it keeps for backward is "
                f"stated for inputs of rank 1 or 2 without the batch axis (Keras folds larger "
                f"ones to three axes, copying some). Received: shapes {format_shape([x, y])}")
        call = call or Call.of(input_shapes)
        kept: tuple = ()
        for me, other in ((0, 1), (1, 0)):
            shape = (x, y)[me]
            if call.grads[other]:  # the product keeps this factor for the other's gradient
                kept += (kept_new(prod(shape)),) if self.normalize else (kept_input(me),)
            if self.normalize and call.grads[me]:
                summed = shape[self.positions((x, y))[me]]
                kept += (kept_input(me), kept_new(sympy.expand(2 * prod(shape) / summed)),
                         kept_new(1, per_example=False))
        return kept
