"""Preprocessing layers that sit inside models: ``Rescaling`` and ``Normalization``.

Both keep the shape and do no multiply-accumulates (their products are element-wise).
``Normalization`` counts as Keras counts it: when it learns its statistics (``adapt``), its
mean and variance over the kept ``axis`` and a scalar ``count`` are non-trainable weights,
``2*C + 1`` for one channel axis of ``C``; given ``mean`` and ``variance`` they are constants
and the layer has no weights.

>>> import symcnn as sc
>>> m = sc.Sequential([sc.Input(("H", "W", 3)), sc.Rescaling(1 / 255), sc.Normalization()])
>>> m.params, m.trainable_params, m.non_trainable_params
(7, 0, 7)
"""

from __future__ import annotations

from typing import Any

import sympy

from ..errors import LayerArgumentError, ShapeError, brief
from ..derivation.blocks import sym
from ..formulas import prod
from ..working import Plus, Times
from .base import Checker, Layer, format_shape
from .saved import kept_new
from .scale import _ElementwiseBase

__all__ = ["Rescaling", "Normalization"]

ZERO = sympy.Integer(0)


def _number_or_numbers(layer: Layer, value, arg: str):
    flat = value if isinstance(value, (tuple, list)) else (value,)
    if not flat or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in flat):
        raise LayerArgumentError(f"{layer.type_name}: `{arg}` must be a number or a list of "
                                 f"numbers. Received: {arg}={brief(value)}")
    return tuple(value) if isinstance(value, (tuple, list)) else value


class Rescaling(_ElementwiseBase):
    """``x*scale + offset`` (Keras ``Rescaling``): same shape, no weights."""

    def __init__(self, scale, offset=0.0, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self._set(scale=_number_or_numbers(self, scale, "scale"),
                  offset=_number_or_numbers(self, offset, "offset"))

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """The scale, which Keras 3 makes a tensor at every call (one value, or one per
        channel), kept by the product; it does not grow with the batch."""
        n = len(self.scale) if isinstance(self.scale, tuple) else 1
        return (kept_new(n, per_example=False),)


class Normalization(_ElementwiseBase):
    """``(x - mean)/sqrt(variance)`` per position of the kept ``axis`` (Keras
    ``Normalization``; axes counted with the batch axis as 0, ``None`` keeps none).

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input((5, 4)), sc.Normalization(axis=None)]).non_trainable_params
    3
    >>> sc.Sequential([sc.Input((5, 4)), sc.Normalization(mean=0.5, variance=2.0)]).params
    0
    >>> Normalization(mean=[1.0])
    Traceback (most recent call last):
    ...
    symcnn.errors.LayerArgumentError: Normalization: `mean` and `variance` must be given together. Received: mean=[1.0], variance=None
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert: bool = False,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        if axis is None:
            axes: tuple = ()
        elif isinstance(axis, int) and not isinstance(axis, bool):
            axes = (axis,)
        elif isinstance(axis, (tuple, list)) and all(
                isinstance(a, int) and not isinstance(a, bool) for a in axis):
            axes = tuple(axis)
        else:
            raise LayerArgumentError(f"Normalization: `axis` must be an int, a list of ints or "
                                     f"None. Received: axis={brief(axis)}")
        if (mean is None) != (variance is None):
            raise LayerArgumentError(f"Normalization: `mean` and `variance` must be given "
                                     f"together. Received: mean={brief(mean)}, variance={brief(variance)}")
        if mean is not None:
            mean = _number_or_numbers(self, mean, "mean")
            variance = _number_or_numbers(self, variance, "variance")
        self._set(axis=axes if not isinstance(axis, int) else axis, mean=mean,
                  variance=variance, invert=self._flag(invert, "invert"))

    def kept_axes(self, shape) -> tuple:
        """The kept axes as indices into ``shape`` (no batch axis)."""
        axes = () if self.axis is None else (
            (self.axis,) if isinstance(self.axis, int) else self.axis)
        rank = len(shape) + 1
        out = []
        for a in axes:
            index = a if a >= 0 else rank + a
            if not 1 <= index < rank:
                raise ShapeError(f"`axis` {brief(a)} is out of range for an input of rank {len(shape)} "
                                 f"(shape {format_shape(shape)}, axes counted with the batch "
                                 f"axis as 0). Received: axis={brief(self.axis)}")
            out.append(index - 1)
        return tuple(sorted(set(out)))

    def output_shape_for(self, shape, check: Checker):
        self.kept_axes(shape)
        return shape

    def derivation_for(self, b, input_shapes, output_shape):
        """``2*C + 1`` non-trainable (mean, variance, count) when adapted; else none."""
        if self.mean is not None:
            b.note("mean and variance are given: constants, not weights.")
            return sympy.Integer(0), {}
        C = sym("C")
        bind = {C: prod([input_shapes[0][i] for i in self.kept_axes(input_shapes[0])])}
        b.note("The adapted mean and variance (C each) and a count (1) are non-trainable.")
        b.non_trainable = (Plus(Times(2, C), 1), bind)
        return Plus(Times(2, C), 1), bind

    def params_for(self, shape):
        if self.mean is not None:
            return ZERO, ZERO
        kept = prod([shape[i] for i in self.kept_axes(shape)])
        return ZERO, sympy.expand(2 * kept + 1)

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """The deviation ``max(sqrt(variance), epsilon)``, which Keras 3 computes at every
        call (one value per position of the kept axes, broadcast from a given ``mean`` and
        ``variance`` too), kept by the division (by the product with ``invert``)."""
        shape = input_shapes[0]
        return (kept_new(prod([shape[i] for i in self.kept_axes(shape)]), per_example=False),)
