"""Normalization layers, counted as Keras counts them.

BatchNormalization has ``4*C`` parameters: gamma and beta are trainable, the moving mean and
variance (``2*C``) are not. PyTorch keeps the latter as buffers, so its ``parameters()``
matches symcnn's ``trainable_params``.

>>> import symcnn as sc
>>> m = sc.Sequential([sc.Input(("H", "W", 64)), sc.BatchNormalization()])
>>> m.params, m.trainable_params, m.non_trainable_params
(256, 128, 128)
"""

from __future__ import annotations

from typing import Any

import sympy

from .. import formulas
from ..errors import LayerArgumentError, ShapeError
from .base import Checker, Layer, format_shape

__all__ = ["BatchNormalization", "LayerNormalization", "GroupNormalization"]


class _AxisLayer(Layer):
    def _axes(self, axis: Any):
        axes = axis if isinstance(axis, (list, tuple)) else (axis,)
        if not axes or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
            raise LayerArgumentError(
                f"{self.type_name}: `axis` must be an int or a list of ints. Received: axis={axis!r}"
            )
        return axis if isinstance(axis, int) else tuple(axes)

    def _features(self, shape) -> sympy.Expr:
        """Product of the sizes along ``axis``; axes count the batch axis as Keras does."""
        axes = (self.axis,) if isinstance(self.axis, int) else self.axis
        total = sympy.Integer(1)
        rank = len(shape) + 1  # with the batch axis
        for a in axes:
            index = a if a >= 0 else rank + a
            if index <= 0 or index >= rank:
                raise ShapeError(
                    f"`axis` {a} is out of range for an input of rank {len(shape)} "
                    f"(shape {format_shape(shape)}, axes counted with the batch axis as 0). "
                    f"Received: axis={self.axis!r}"
                )
            total = total * shape[index - 1]
        return total

    def output_shape_for(self, shape, check: Checker):
        self._features(shape)
        return shape


class BatchNormalization(_AxisLayer):
    """Batch normalization (Keras ``BatchNormalization``): ``2C`` trainable + ``2C`` not."""

    def __init__(self, axis=-1, momentum=0.99, epsilon=0.001, center: bool = True,
                 scale: bool = True, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, momentum=momentum, epsilon=epsilon, **kwargs)
        self._set(axis=self._axes(axis), center=self._flag(center, "center"),
                  scale=self._flag(scale, "scale"))

    def params_for(self, shape):
        return formulas.batch_norm_params(self._features(shape), self.center, self.scale)


class LayerNormalization(_AxisLayer):
    """Layer normalization (Keras ``LayerNormalization``): gamma and beta over ``axis``."""

    def __init__(self, axis=-1, epsilon=0.001, center: bool = True, scale: bool = True,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, epsilon=epsilon, **kwargs)
        self._set(axis=self._axes(axis), center=self._flag(center, "center"),
                  scale=self._flag(scale, "scale"))

    def params_for(self, shape):
        return (int(self.center) + int(self.scale)) * self._features(shape), sympy.Integer(0)


class GroupNormalization(_AxisLayer):
    """Group normalization (Keras ``GroupNormalization``): gamma and beta per channel."""

    def __init__(self, groups=32, axis=-1, epsilon=0.001, center: bool = True,
                 scale: bool = True, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, epsilon=epsilon, **kwargs)
        self._set(groups=self._size(groups, "groups"), axis=self._axes(axis),
                  center=self._flag(center, "center"), scale=self._flag(scale, "scale"))
        if not isinstance(self.axis, int):
            raise LayerArgumentError(
                f"GroupNormalization: `axis` must be a single int. Received: axis={axis!r}"
            )

    def output_shape_for(self, shape, check: Checker):
        channels = self._features(shape)
        check.divisible(channels, self.groups,
                        f"the channels ({channels}) must be divisible by `groups`. "
                        f"Received: groups={self.groups}")
        return shape

    def params_for(self, shape):
        return (int(self.center) + int(self.scale)) * self._features(shape), sympy.Integer(0)
