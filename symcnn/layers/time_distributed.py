"""TimeDistributed: one layer applied to every step of a sequence (Keras ``TimeDistributed``).

An input ``(T, *rest)`` becomes ``(T, *out)``, where ``out`` is what the wrapped layer makes
of ``rest``; the steps share the layer's weights, so the parameters are the layer's and the
multiply-accumulates ``T`` times its own.

>>> import symcnn as sc
>>> m = sc.Sequential([sc.Input(("T", 16)), sc.TimeDistributed(sc.Dense(4))])
>>> m.output_shape, m.params, m.macs
((T, 4), 68, 64*T)
"""

from __future__ import annotations

from typing import Any

import sympy

from ..errors import LayerArgumentError, ShapeError, brief
from .base import Checker, Computed, Graph, Layer, format_shape, subs_own

__all__ = ["TimeDistributed"]


class TimeDistributed(Layer):
    """Apply ``layer`` to every step of axis 1 (Keras ``TimeDistributed``), weights shared.

    What it keeps for backward is not stated (Keras 3 runs the layer step by step and stacks
    the steps, which keeps other tensors than one call of the layer): training memory says
    so, naming the layer.

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input((5, "H", "H", 3)),
    ...                    sc.TimeDistributed(sc.Conv2D(8, 3, strides=2, padding="same"))])
    >>> m.output_shape, m.params
    ((5, ceiling(H/2), ceiling(H/2), 8), 224)
    """

    wrapped_arguments = ("layer",)

    def __init__(self, layer, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        if not isinstance(layer, Layer) or isinstance(layer, Graph) or layer.n_inputs != 1:
            raise LayerArgumentError(
                f"TimeDistributed: `layer` must be a layer of one input (not a model). "
                f"Received: layer={brief(layer)}")
        self._set(layer=layer)

    def _step_shape(self, shape) -> tuple:
        if len(shape) < 2:
            raise ShapeError(
                f"expects an input of rank 2 or more (steps, then the layer's input, without "
                f"the batch axis). Received: input of rank {len(shape)}, "
                f"shape={format_shape(shape)}")
        return tuple(shape[1:])

    def compute(self, input_shapes: list, check: Checker) -> Computed:
        (shape,) = input_shapes
        inner = self.layer.compute([self._step_shape(shape)], check)
        if len(inner.output_shapes) != 1:
            raise ShapeError(f"the wrapped layer must have one output. Received: "
                             f"{len(inner.output_shapes)} outputs from {self.layer.type_name}")
        trainable, non_trainable = inner.trainable, inner.non_trainable
        if not self.trainable:
            trainable, non_trainable = sympy.Integer(0), trainable + non_trainable
        return Computed(((shape[0], *inner.output_shapes[0]),), trainable, non_trainable)

    def macs_for(self, input_shapes, output_shape):
        """The layer's MACs on one step, times the steps."""
        steps = input_shapes[0][0]
        return sympy.expand(steps * self.layer.macs_for(
            [self._step_shape(input_shapes[0])], tuple(output_shape[1:])))

    def ptflops_ops_for(self, input_shapes, output_shape):
        steps = input_shapes[0][0]
        return sympy.expand(steps * self.layer.ptflops_ops_for(
            [self._step_shape(input_shapes[0])], tuple(output_shape[1:])))

    def window_for(self, input_shape):
        """Steps pass through; the other axes are the layer's windows."""
        inner = self.layer.window_for(self._step_shape(input_shape))
        return None if inner is None else (None, *inner)

    def derivation_for(self, b, input_shapes, output_shape):
        b.note("Every step runs the layer, with the same weights.")
        return self.layer.derivation_for(b, [self._step_shape(input_shapes[0])],
                                         tuple(output_shape[1:]))

    @property
    def free_symbols(self) -> set:
        return set(self.layer.free_symbols)

    def subs(self, mapping: dict) -> "Layer":
        inner = subs_own(self.layer, mapping)
        if inner is self.layer:
            return self
        return type(self)(**dict(self.get_config(), layer=inner))
