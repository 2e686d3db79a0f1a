"""Repeat: a shape-preserving block applied a (possibly symbolic) number of times.

A network whose depth is a symbol, such as EfficientNet with a symbolic depth coefficient
(``ceiling(3*d)`` blocks in a stage), cannot be drawn layer by layer. Its blocks after the
first keep their input shape, though, so the stage is its first block followed by
``Repeat(block, ceiling(3*d) - 1)``: the block's shape is checked once, and its parameter
counts are multiplied by the number of repetitions.

>>> import symcnn as sc
>>> x = sc.Input(("H", "W", 32))
>>> y = sc.Conv2D(32, 3, padding="same")(x)
>>> block = sc.Model(x, sc.Add()([x, y]), name="residual")
>>> m = sc.Sequential([sc.Input(("H", "W", 32)), sc.Repeat(block, "n")])
>>> m.params, m.output_shape
(9248*n, (H, W, 32))
>>> m.subs(n=3).params
27744
"""

from __future__ import annotations

from typing import Any

import sympy

from ..derivation.blocks import sym
from ..errors import LayerArgumentError, ShapeError
from ..working import Times
from .base import Checker, Computed, Graph, Layer, format_shape

__all__ = ["Repeat"]


class Repeat(Layer):
    """``block`` (a single-input, single-output model that keeps its input shape) ``times`` times.

    ``times`` is a non-negative integer, a symbol name or an integer SymPy expression
    (``ceiling(3*d) - 1``). Parameters are ``times`` times the block's. The block's
    conditions on the symbols are required even where ``times`` may be 0 (conservative).

    >>> import symcnn as sc
    >>> x = sc.Input((8, 8, 4))
    >>> block = sc.Model(x, sc.Conv2D(4, 3, padding="same", use_bias=False)(x))
    >>> sc.Sequential([sc.Input((8, 8, 4)), sc.Repeat(block, 0)]).params
    0
    """

    def __init__(self, block, times, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        if not isinstance(block, Graph) or len(block.inputs) != 1 or len(block.outputs) != 1:
            raise LayerArgumentError(
                f"Repeat: `block` must be a model with one input and one output. "
                f"Received: block={block!r}"
            )
        self._set(block=block, times=self._size(times, "times", minimum=0))

    def compute(self, input_shapes: list, check: Checker) -> Computed:
        for size, minimum, arg, given in self._requirements:
            check.at_least(size, minimum,
                           f"`{arg}` must be at least {minimum}. Received: {arg}={given!r}")
        (shape,) = input_shapes
        inner = Checker()
        done = self.block.compute([tuple(shape)], inner)
        (out,) = done.output_shapes
        message = (f"the block must keep its input shape to be repeated; it maps "
                   f"{format_shape(tuple(shape))} to {format_shape(out)}. "
                   f"Received: block={self.block.display_name!r}")
        if len(out) != len(shape):
            raise ShapeError(message)
        for a, b in zip(out, shape):
            inner.equal(a, b, message)
        # The block's conditions are kept even when ``times`` may be 0: conservative, so
        # every size the constraints admit is valid.
        check.constraints.extend(inner.constraints)
        times = self.times
        trainable = sympy.expand(times * done.trainable)
        non_trainable = sympy.expand(times * done.non_trainable)
        if not self.trainable:
            trainable, non_trainable = sympy.Integer(0), trainable + non_trainable
        return Computed((tuple(shape),), trainable, non_trainable)

    def inner_graph(self, input_shapes):
        """``(the block on these shapes, times)``: analyses count the block ``times`` times."""
        inner, _ = self.block.inner_graph(input_shapes)
        return inner, self.times

    def derivation_for(self, b, input_shapes, output_shape):
        T, P = sym("T"), sym("P_block")
        block = self.block.compute([input_shapes[0]], Checker())
        b.note("The block keeps its input shape; its parameters count T times.")
        return Times(T, P), {T: self.times, P: block.params}

    def subs(self, mapping: dict) -> "Repeat":
        """The same repetition with symbols replaced in the count and inside the block."""
        block_symbols = self.block.free_symbols
        inner = {k: v for k, v in mapping.items() if k in block_symbols}
        block = self.block.subs(inner) if inner else self.block
        times = self.times.xreplace(mapping)
        if block is self.block and times == self.times:
            return self
        return Repeat(block, sympy.expand(times) if times.is_number else times,
                      name=self.name, trainable=self.trainable)

    @property
    def free_symbols(self) -> set:
        return set(self.times.free_symbols) | self.block.free_symbols

    def __repr__(self) -> str:
        return f"Repeat(block={self.block.display_name!r}, times={self.times})"
