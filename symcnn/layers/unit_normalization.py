"""UnitNormalization: each vector along ``axis`` divided by its L2 norm (Keras
``UnitNormalization``).

No weights, the same shape, and no multiply-accumulates: the sum of squares is a reduction
and the scaling element-wise (``FlopCounterMode`` counts neither). Every output position
reads the whole of the normalized axes, and passes through along the others.

>>> import symcnn as sc
>>> m = sc.Sequential([sc.Input(("T", 64)), sc.Dense(32), sc.UnitNormalization()])
>>> m.output_shape, m.layers[1].params, m.layers[1].macs
((T, 32), 0, 0)
"""

from __future__ import annotations

from typing import Any

import sympy

from ..errors import ShapeError, brief
from ..formulas import prod
from ..windows import Whole
from .base import Checker, Layer, format_shape
from .layout import elementwise
from .saved import kept_input, kept_new

__all__ = ["UnitNormalization"]


class UnitNormalization(Layer):
    """Divide each vector along ``axis`` (an int or a list of ints, counted with the batch
    axis as 0, negatives from the end) by its L2 norm (Keras ``UnitNormalization``).

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("H", "W", 8)), sc.UnitNormalization(axis=[1, 2])])
    >>> m.params, m.receptive_field
    (0, (AxisField(size=H, jump=None, start=0), AxisField(size=W, jump=None, start=0)))
    >>> sc.Sequential([sc.Input((5, 4)), sc.UnitNormalization(axis=3)])
    Traceback (most recent call last):
    ...
    symcnn.errors.ShapeError: UnitNormalization layer 'unit_normalization' (#0) on input shape (5, 4): `axis` 3 is out of range for an input of rank 2 (shape (5, 4), axes counted with the batch axis as 0). Received: axis=3
    """

    def __init__(self, axis=-1, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self._set(axis=self._axes(axis))

    def _normalized(self, shape) -> list:
        """The normalized axes as positions in ``shape`` (the batch axis left out); one axis
        named twice (``[3, -1]`` on a rank-3 input) is an error, as in Keras' call."""
        positions = self._axis_positions(shape, batch=True)
        if len(set(positions)) != len(positions):
            raise ShapeError(f"`axis` names one axis of the input twice (shape "
                             f"{format_shape(shape)}, axes counted with the batch axis as 0); "
                             f"PyTorch's sum, which Keras calls, refuses it. "
                             f"Received: axis={brief(self.axis)}")
        return positions

    def _normalizes_batch(self, shape) -> bool:
        axes = (self.axis,) if isinstance(self.axis, int) else self.axis
        return any(a == 0 or a == -(len(shape) + 1) for a in axes)

    def output_shape_for(self, shape, check: Checker):
        self._normalized(shape)
        return shape

    def derivation_for(self, b, input_shapes, output_shape):
        return sympy.Integer(0), {}

    def macs_for(self, input_shapes, output_shape) -> sympy.Expr:
        """A sum of squares and an element-wise scaling: no multiply-accumulates."""
        return sympy.Integer(0)

    def window_for(self, input_shape):
        """Every output position reads the whole of each normalized axis."""
        mixed = set(self._normalized(input_shape))
        return tuple(Whole() if i in mixed else None for i in range(len(input_shape)))

    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """Element-wise (``x*inv_norm``): in the input's memory order."""
        return (elementwise(input_layouts, input_shapes),)

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """What Keras 3 keeps on the torch backend, which computes
        ``x*minimum(rsqrt(sum(x**2)), 1/epsilon)``: the input, the inverse norm before and
        after the ``minimum`` (one value per vector normalized) and the constant ``1/epsilon``
        (measured with ``saved_tensors_hooks``). Normalizing across the batch axis (``axis``
        holding 0), the inverse norms do not grow with the batch."""
        shape = input_shapes[0]
        mixed = set(self._normalized(shape))
        vectors = prod([size for i, size in enumerate(shape) if i not in mixed])
        per_example = not self._normalizes_batch(shape)
        norms = kept_new(vectors, per_example=per_example)
        return kept_input(), norms, norms, kept_new(1, per_example=False)
