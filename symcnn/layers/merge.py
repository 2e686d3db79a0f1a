"""Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate.

Element-wise merges need equal shapes (a size of exactly 1 broadcasts). When two symbolic
sizes may or may not be equal, the equality becomes a recorded constraint.

>>> import symcnn as sc
>>> x = sc.Input(("H", "W", 64))
>>> y = sc.Conv2D(64, 3, padding="same")(x)
>>> sc.Add()([x, y]).shape
(H, W, 64)
>>> sc.Concatenate()([x, y]).shape
(H, W, 128)
"""

from __future__ import annotations

from typing import Any

import sympy

from .. import formulas
from ..derivation.blocks import sym
from ..errors import LayerArgumentError, ShapeError, brief
from ..windows import NotAWindow
from ..working import Plus
from .base import Checker, Layer, format_shape
from .layout import elementwise
from .saved import NOTHING, Call, kept_input, kept_new

__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"]


class _Merge(Layer):
    n_inputs = None

    def __init__(self, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)

    def output_shape_for(self, shapes, check: Checker):
        first = shapes[0]
        for position, shape in enumerate(shapes[1:], start=1):
            if len(shape) != len(first):
                raise ShapeError(
                    f"inputs must have the same rank. Received: shapes "
                    f"{format_shape(list(shapes))} (input {position} has rank {len(shape)}, "
                    f"input 0 has rank {len(first)})"
                )
        out = []
        for axis, sizes in enumerate(zip(*shapes)):
            wide = [s for s in sizes if s != 1]
            if not wide:
                out.append(sympy.Integer(1))
                continue
            for s in wide[1:]:
                check.equal(wide[0], s, lambda: f"inputs must have equal shapes (or size 1 "
                                        f"to broadcast); axis {axis} differs. Received: shapes "
                                        f"{format_shape(list(shapes))}")
            out.append(wide[0])
        return tuple(out)

    def saved_for_backward(self, input_shapes, output_shapes, call=None) -> tuple:
        """What PyTorch's chain of binary operations keeps (``((x0 op x1) op x2) ...``, as
        Keras and :meth:`symcnn.Model.to_torch` compute it), given which inputs require a
        gradient (``call``, :class:`~symcnn.layers.saved.Call`; by default every one).

        Sums and concatenations keep nothing. A product keeps each factor only for the other
        factor's gradient: step ``k`` keeps the product so far (input 0, then the ``k - 1``-th
        partial result) where input ``k`` requires a gradient, and input ``k`` where one of
        the inputs before it does. A maximum or minimum keeps both operands of a step where
        one of them requires a gradient (its backward compares them).

        >>> from symcnn.layers.saved import Call
        >>> times, shapes = Multiply(), [(4,), (4,)]
        >>> x1_only = Call.of(shapes, grads=(False, True))   # x0 is the model's input, say
        >>> [(k.source, k.index) for k in times.saved_for_backward(shapes, [(4,)], x1_only)]
        [('input', 0)]
        >>> len(times.saved_for_backward([(4,)] * 3, [(4,)]))   # the inputs and x0*x1
        4
        """
        if not isinstance(self, (Multiply, Maximum, Minimum)):
            return NOTHING
        call = call or Call.of(input_shapes)
        partial = kept_new(formulas.prod(output_shapes[0]))
        kept = []
        for k in range(1, len(input_shapes)):
            # step k: ``left op input k``, left being input 0 or the k - 1-th partial result,
            # which requires a gradient where one of the inputs before k does
            left = kept_input(0) if k == 1 else partial
            left_grad, right_grad = call.any_grad(*range(k)), call.grads[k]
            if isinstance(self, Multiply):
                kept += ([left] if right_grad else []) + ([kept_input(k)] if left_grad else [])
            elif left_grad or right_grad:
                kept += [left, kept_input(k)]
        return tuple(kept)

    def window_for(self, input_shapes):
        """Element-wise: positions pass through from every input (the fields unite)."""
        return (None,) * len(input_shapes[0])

    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """Element-wise: in the inputs' memory order, when they share it
        (:func:`~symcnn.layers.layout.elementwise`)."""
        return (elementwise(input_layouts, input_shapes),)

    def derivation_for(self, b, input_shapes, output_shape):
        b.note("Element-wise: every input has the output shape (sizes of 1 broadcast).")
        return sympy.Integer(0), {}


class Add(_Merge):
    """Element-wise sum of its inputs (Keras ``Add``).

    >>> import symcnn as sc
    >>> x = sc.Input(("H", "W", 64))
    >>> y = sc.Conv2D(64, 3, padding="same")(x)
    >>> sc.Add()([x, y]).shape
    (H, W, 64)
    """


class Subtract(_Merge):
    """Difference of exactly two inputs (Keras ``Subtract``).

    >>> import symcnn as sc
    >>> a, b = sc.Input(("n", 16)), sc.Input(("n", 16))
    >>> sc.Subtract()([a, b]).shape
    (n, 16)
    """

    n_inputs = 2


class Multiply(_Merge):
    """Element-wise product of its inputs (Keras ``Multiply``).

    >>> import symcnn as sc
    >>> x = sc.Input(("H", "W", 32))
    >>> gate = sc.Conv2D(32, 1, activation="sigmoid")(x)
    >>> sc.Multiply()([x, gate]).shape
    (H, W, 32)
    """


class Average(_Merge):
    """Element-wise mean of its inputs (Keras ``Average``).

    >>> import symcnn as sc
    >>> a, b, c = (sc.Input((10,)) for _ in range(3))
    >>> sc.Average()([a, b, c]).shape
    (10,)
    """


class Maximum(_Merge):
    """Element-wise maximum of its inputs (Keras ``Maximum``).

    >>> import symcnn as sc
    >>> a, b = sc.Input(("H", "W", 8)), sc.Input(("H", "W", 8))
    >>> sc.Maximum()([a, b]).shape
    (H, W, 8)
    """


class Minimum(_Merge):
    """Element-wise minimum of its inputs (Keras ``Minimum``).

    >>> import symcnn as sc
    >>> a, b = sc.Input(("H", "W", 8)), sc.Input(("H", "W", 8))
    >>> sc.Minimum()([a, b]).shape
    (H, W, 8)
    """


class Concatenate(_Merge):
    """Concatenation along ``axis`` (Keras ``Concatenate``); other axes must agree.

    >>> import symcnn as sc
    >>> x = sc.Input(("H", "W", 64))
    >>> a, b = sc.Conv2D(32, 1)(x), sc.Conv2D(48, 3, padding="same")(x)
    >>> sc.Concatenate()([a, b]).shape
    (H, W, 80)
    """

    def __init__(self, axis: int = -1, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise LayerArgumentError(f"Concatenate: `axis` must be an int. Received: axis={brief(axis)}")
        self._set(axis=axis)

    def _index(self, rank: int) -> int:
        return self.axis - 1 if self.axis > 0 else rank + self.axis

    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """Not stated."""
        return (None,)

    def window_for(self, input_shapes):
        """Positions pass through, except along the concatenation axis."""
        rank = len(input_shapes[0])
        return tuple(NotAWindow() if i == self._index(rank) else None for i in range(rank))

    def derivation_for(self, b, input_shapes, output_shape):
        rank = len(output_shape)
        index = self._index(rank)
        parts = [sym(f"C_{i + 1}") for i in range(len(input_shapes))]
        key = "C_out" if index == rank - 1 else "N_out"
        b.add(key, Plus(*parts), {p: s[index] for p, s in zip(parts, input_shapes)},
              output_shape[index])
        return sympy.Integer(0), {}

    def output_shape_for(self, shapes, check: Checker):
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes):
            raise ShapeError(f"inputs must have the same rank. Received: shapes "
                             f"{format_shape(list(shapes))}")
        axis = self.axis if self.axis >= 0 else rank + 1 + self.axis  # with the batch axis
        if not 1 <= axis <= rank:
            raise ShapeError(f"`axis` is out of range for inputs of rank {rank}. "
                             f"Received: axis={brief(self.axis)}")
        index = axis - 1
        out = list(shapes[0])
        for position, shape in enumerate(shapes[1:], start=1):
            for a, (u, v) in enumerate(zip(shapes[0], shape)):
                if a != index:
                    check.equal(u, v, lambda: f"inputs must agree on every axis but the "
                                      f"concatenation axis; axis {a} differs. Received: shapes "
                                      f"{format_shape(list(shapes))}")
        out[index] = sympy.expand(sum((s[index] for s in shapes), sympy.Integer(0)))
        return tuple(out)
