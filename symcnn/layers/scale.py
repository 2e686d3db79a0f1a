"""Scaling layers of modern blocks: ``LayerScale``, ``CustomScaleLayer``, and ``Elementwise``
(``keras.ops`` arithmetic with a constant, as Keras 3 records ``x + 3.0`` in a model).

None of them multiply-accumulates: their products are element-wise (0 MACs, as PyTorch's
``FlopCounterMode`` counts them).

>>> import symcnn as sc
>>> x = sc.Input(("H", "W", 96))
>>> m = sc.Model(x, sc.LayerScale(1e-6, 96)(x))
>>> m.params, m.macs
(96, 0)
"""

from __future__ import annotations

from typing import Any

import sympy

from ..errors import LayerArgumentError, brief
from ..derivation.blocks import sym
from .base import Checker, Layer
from .merge import _Merge
from .saved import NOTHING, kept_input, kept_new, kept_output

__all__ = ["LayerScale", "CustomScaleLayer", "Elementwise"]

ZERO = sympy.Integer(0)


def _number(layer: Layer, value, arg: str):
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise LayerArgumentError(f"{layer.type_name}: `{arg}` must be a number. "
                                 f"Received: {arg}={brief(value)}")
    return value


class LayerScale(Layer):
    """Multiplies each channel (the last axis) by a learned factor (ConvNeXt's and CaiT's
    layer scale; Keras applications' ``LayerScale``, ``keras.src.applications.convnext``):
    ``projection_dim`` parameters, which must equal the input's width (left out, it is that
    width). As Keras multiplies by a vector of that length, a ``projection_dim`` of 1 is one
    factor broadcast over every channel (1 parameter), and an input of one channel is
    broadcast to ``projection_dim`` channels; any other mismatch is an error, as in Keras.

    >>> import symcnn as sc
    >>> x = sc.Input((7, 7, 16))
    >>> sc.Model(x, sc.LayerScale(1e-6, 1)(x)).params
    1
    >>> sc.LayerScale(1e-6, 32)(x)
    Traceback (most recent call last):
    ...
    symcnn.errors.ShapeError: LayerScale layer on input shape (7, 7, 16): the input's last axis (16) must equal `projection_dim`, or one of them be 1 (Keras broadcasts the factors over the channels). Received: projection_dim=32
    """

    def __init__(self, init_values=1e-6, projection_dim=None, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self._set(init_values=_number(self, init_values, "init_values"),
                  projection_dim=None if projection_dim is None else
                  self._size(projection_dim, "projection_dim"))

    def _broadcast(self, channels) -> str | None:
        """How the factors meet ``channels``: ``"factor"`` (one factor for every channel),
        ``"input"`` (the input's one channel widened to ``projection_dim``), or None (one
        factor per channel)."""
        dim = self.projection_dim
        if dim is None or sympy.sympify(dim - channels).is_zero:
            return None
        if dim == 1:
            return "factor"
        return "input" if channels == 1 else None

    def output_shape_for(self, shape, check: Checker):
        broadcast = self._broadcast(shape[-1])
        if broadcast == "input":
            return (*shape[:-1], self.projection_dim)
        if broadcast is None and self.projection_dim is not None:
            check.equal(shape[-1], self.projection_dim,
                        lambda: f"the input's last axis ({shape[-1]}) must equal "
                                f"`projection_dim`, or one of them be 1 (Keras broadcasts the "
                                f"factors over the channels). "
                                f"Received: projection_dim={self.projection_dim}")
        return shape

    def params_for(self, shape):
        broadcast = self._broadcast(shape[-1])
        return (shape[-1] if broadcast is None else self.projection_dim), ZERO

    def derivation_for(self, b, input_shapes, output_shape):
        """One factor per channel: ``C``; one factor in all with ``projection_dim=1``."""
        broadcast = self._broadcast(input_shapes[0][-1])
        if broadcast == "factor":
            b.note("projection_dim = 1: one factor, broadcast over every channel.")
            return sympy.Integer(1), {}
        C = sym("C")
        if broadcast == "input":
            b.note("The input's one channel is broadcast to projection_dim channels, one "
                   "factor each.")
            return C, {C: self.projection_dim}
        return C, {C: input_shapes[0][-1]}

    def macs_for(self, input_shapes, output_shape) -> sympy.Expr:
        """Element-wise products: no multiply-accumulates."""
        return ZERO

    def window_for(self, input_shape):
        """Element-wise: every position passes through."""
        return (None,) * len(input_shape)

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """The input, for the factors' gradient only (the factors are weights): a frozen
        ``LayerScale`` keeps nothing (Keras keeps the factors for the input's gradient)."""
        return (kept_input(when="weights"),)


class CustomScaleLayer(_Merge):
    """``inputs[0] + inputs[1]*scale`` (Keras InceptionResNetV2's residual scaling): the
    shape of its two equal-shaped inputs, no weights.

    >>> import symcnn as sc
    >>> x = sc.Input((35, 35, 320))
    >>> sc.CustomScaleLayer(0.17)([x, x]).shape
    (35, 35, 320)
    """

    n_inputs = 2

    def __init__(self, scale, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self._set(scale=_number(self, scale, "scale"))

    def macs_for(self, input_shapes, output_shape) -> sympy.Expr:
        """Element-wise: no multiply-accumulates."""
        return ZERO


_OPS = ("add", "subtract", "multiply", "divide", "true_divide", "power", "maximum", "minimum")


class _ElementwiseBase(Layer):
    """An element-wise layer: the same shape out, no multiply-accumulates (its products and
    sums are element-wise), every position passes through, nothing to derive. Subclasses
    state their weights and what they keep for backward."""

    def output_shape_for(self, shape, check: Checker):
        return shape

    def macs_for(self, input_shapes, output_shape) -> sympy.Expr:
        """Element-wise products and sums: no multiply-accumulates."""
        return ZERO

    def window_for(self, input_shape):
        """Element-wise: every position passes through."""
        return (None,) * len(input_shape)

    def derivation_for(self, b, input_shapes, output_shape):
        return sympy.Integer(0), {}


class Elementwise(_ElementwiseBase):
    """One tensor combined element-wise with a constant: ``op`` is one of ``add``,
    ``subtract``, ``multiply``, ``divide``, ``true_divide``, ``power``, ``maximum``,
    ``minimum``. Same shape, no weights, no MACs. ``from_keras`` makes these from the
    ``keras.ops`` calls Keras 3 records in a model (MobileNetV3's hard sigmoid,
    ``(x + 3) * (1/6)``).

    >>> import symcnn as sc
    >>> y = sc.Elementwise("add", 3.0)(sc.Input((1, 1, 16)))
    >>> y.shape
    (1, 1, 16)
    >>> Elementwise("modulo", 2)
    Traceback (most recent call last):
    ...
    symcnn.errors.LayerArgumentError: Elementwise: `op` must be one of 'add', 'subtract', 'multiply', 'divide', 'true_divide', 'power', 'maximum', 'minimum'. Received: op='modulo'
    """

    def __init__(self, op, constant=None, constant_first: bool = False,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        constant = None if constant is None else _number(self, constant, "constant")
        self._set(op=self._choice(op, "op", _OPS), constant=constant)
        if not isinstance(constant_first, bool):
            raise LayerArgumentError(f"{self.type_name}: `constant_first` must be True or "
                                     f"False. Received: constant_first={brief(constant_first)}")
        if constant_first:  # ``3.0 - x``: the constant is the first operand
            self._set(constant_first=True)

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """What Keras 3's ``keras.ops`` call keeps on the torch backend, where the constant
        becomes a 0-d tensor: nothing for ``add``, ``subtract`` and the divisions; the
        constant for ``multiply``; the input and the constant for ``maximum`` and ``minimum``;
        the input, the constant and the output for ``power``. With the constant first
        (``6.0 / x``, ``2.0 ** x``), the division keeps the input, and the power the input,
        the constant and the output (measured on Keras' calls with saved_tensors_hooks)."""
        scalar = kept_new(1, per_example=False)
        if getattr(self, "constant_first", False) and self.op != "subtract":
            if self.op in ("divide", "true_divide"):
                return (kept_input(),)
            if self.op == "power":
                return (kept_input(), scalar, kept_output())
        return {"multiply": (scalar,), "maximum": (kept_input(), scalar),
                "minimum": (kept_input(), scalar),
                "power": (kept_input(), scalar, kept_output())}.get(self.op, NOTHING)
