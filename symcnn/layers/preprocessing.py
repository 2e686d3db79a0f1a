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


def _numbers_array(layer: Layer, value, arg: str) -> tuple:
    """``value`` (a number, nested lists of numbers or an array with ``tolist``, NumPy's)
    as ``(values, shape)``: a number and ``()``, or nested tuples and their rectangular
    shape; anything else (an empty or ragged list, a string) is a LayerArgumentError."""
    def refuse(why: str):
        return LayerArgumentError(f"{layer.type_name}: `{arg}` must be a number or an array "
                                  f"of numbers (nested lists or a NumPy array){why}. "
                                  f"Received: {arg}={brief(value)}")

    def walk(v, depth: int):
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return v, ()
        if not isinstance(v, (tuple, list)) or not v or depth > 16:
            raise refuse("")
        items = [walk(item, depth + 1) for item in v]
        if len({shape for _, shape in items}) != 1:
            raise refuse(" of one shape (this one is ragged)")
        return tuple(item for item, _ in items), (len(v), *items[0][1])

    tolist = getattr(value, "tolist", None)
    if callable(tolist) and not isinstance(value, (tuple, list)):
        value = tolist()
    return walk(value, 0)


def _shape_of(values) -> tuple:
    """The shape of a number (``()``) or of nested tuples of one shape."""
    shape = []
    while isinstance(values, tuple):
        shape.append(len(values))
        values = values[0]
    return tuple(shape)


class Rescaling(_ElementwiseBase):
    """``x*scale + offset`` (Keras ``Rescaling``): same shape, no weights."""

    def __init__(self, scale, offset=0.0, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self._set(scale=_number_or_numbers(self, scale, "scale"),
                  offset=_number_or_numbers(self, offset, "offset"))

    def output_shape_for(self, shape, check: Checker):
        """The input's shape: a list ``scale`` or ``offset`` multiplies or shifts the last
        axis element-wise, so its length must be that axis' (recorded as a condition for a
        symbolic one) or 1 (one value for every channel). Keras 3 broadcasts an input of
        one channel to the list's length at run time while declaring the input's shape:
        symcnn refuses that disagreement rather than state a shape Keras does not compute."""
        for arg in ("scale", "offset"):
            value = getattr(self, arg)
            if not isinstance(value, tuple) or len(value) == 1:
                continue
            n = len(value)
            if not shape:
                raise ShapeError(f"`{arg}` has {n} values but the input has no axis to "
                                 f"apply them along. Received: {arg}={brief(value)}")
            channels = shape[-1]
            if sympy.sympify(channels - 1).is_zero:
                raise ShapeError(
                    f"the input's last axis is 1 and `{arg}` has {n} values: Keras 3 "
                    f"broadcasts the output to {n} channels at run time but declares the "
                    f"input's shape {format_shape(shape)}, so the model's shapes would be "
                    f"wrong (give an input of {n} channels, or one value). "
                    f"Received: {arg}={brief(value)}")
            check.equal(channels, n,
                        lambda arg=arg, value=value, n=n:
                        f"the input's last axis ({channels}) must equal the length of "
                        f"`{arg}` ({n}), or the length be 1 (Keras applies it element-wise "
                        f"along the last axis). Received: {arg}={brief(value)}")
        return shape

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

    A given ``mean`` and ``variance`` may be arrays (nested lists or NumPy arrays) of at
    most one axis per kept axis, lying on the last kept axes as Keras 3 places them; each
    size must be that axis' or 1:

    >>> x = sc.Input(("T", 5, 3))
    >>> y = sc.Normalization(axis=(2, 3), mean=[[0.5] * 3] * 5, variance=[[2.0] * 3] * 5)(x)
    >>> sc.Model(x, y).params
    0
    >>> sc.Normalization(mean=[0.0, 1.0], variance=[1.0, 1.0])(x)
    Traceback (most recent call last):
    ...
    symcnn.errors.ShapeError: Normalization layer on input shape (T, 5, 3): `mean` and `variance` of shape (2,) lie on the kept axes from the last: their size 2 must equal the input's axis 3 (3) or be 1, as Keras broadcasts them. Received: axis=-1
    """

    _array_args = ("weights", "mean", "variance")  # NumPy arrays are values here

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
            mean, mean_shape = _numbers_array(self, mean, "mean")
            variance, variance_shape = _numbers_array(self, variance, "variance")
            if mean_shape != variance_shape:
                raise LayerArgumentError(
                    f"Normalization: `mean` and `variance` must have the same shape, as Keras "
                    f"requires. Received: mean of shape {mean_shape}, variance of shape "
                    f"{variance_shape}")
            if len(mean_shape) > len(axes):
                raise LayerArgumentError(
                    f"Normalization: `mean` and `variance` can have at most one axis per "
                    f"kept axis ({len(axes)}), as Keras requires. Received: mean of shape "
                    f"{mean_shape}, axis={brief(axis)}")
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
        """The input's shape. A given ``mean`` and ``variance`` of one or more axes lie on
        the last kept axes, as Keras 3 reshapes them (its ``build``): each of their sizes
        must be that axis' size (recorded as a condition for a symbolic one) or 1."""
        kept = self.kept_axes(shape)
        given = _shape_of(self.mean) if self.mean is not None else ()
        if len(given) > len(kept):
            raise ShapeError(f"`mean` and `variance` of shape {given} have more axes than "
                             f"the {len(kept)} kept. Received: axis={brief(self.axis)}")
        for i in range(1, len(given) + 1):
            size, axis = given[-i], kept[-i]
            if size != 1:
                check.equal(shape[axis], size,
                            lambda size=size, axis=axis:
                            f"`mean` and `variance` of shape {given} lie on the kept axes "
                            f"from the last: their size {size} must equal the input's axis "
                            f"{axis + 1} ({shape[axis]}) or be 1, as Keras broadcasts them. "
                            f"Received: axis={brief(self.axis)}")
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
