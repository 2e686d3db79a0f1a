"""Shapes that print in display form, as ``torch.Size`` prints for PyTorch.

A :class:`Shape` is a tuple of sizes (SymPy expressions), so it equals and hashes as the
plain tuple does and unpacks, indexes and slices as one; only its ``repr`` differs: each
size in display form (:func:`symcnn.show`), a one-element shape with its comma.

>>> import sympy
>>> from symcnn import symbols
>>> H = symbols("H")
>>> s = Shape((sympy.floor(H/8 + sympy.Rational(1, 2)) - 1, 16))
>>> s
(floor((H + 4)/8) - 1, 16)
>>> s == (sympy.floor((H + 4)/8) - 1, 16), s[1], Shape((1000,))
(True, 16, (1000,))
"""

from __future__ import annotations

from .render.exprs import show

__all__ = ["Shape", "as_shape"]


class Shape(tuple):
    """A tuple of sizes whose ``repr`` is the display form (``(H - 2, W - 2, 64)``).

    >>> import symcnn as sc
    >>> shape = sc.Sequential([sc.Input(("H", "W", 3)), sc.Conv2D(64, 5, strides=2)]).output_shape
    >>> shape, type(shape).__name__
    ((ceiling(H/2) - 2, ceiling(W/2) - 2, 64), 'Shape')
    >>> shape[-1], shape == tuple(shape), hash(shape) == hash(tuple(shape))
    (64, True, True)
    """

    __slots__ = ()

    def __repr__(self) -> str:
        parts = [show(d) for d in self]
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"

    __str__ = __repr__

    def _repr_pretty_(self, p, cycle) -> None:  # IPython
        p.text(repr(self))


def as_shape(value):
    """``value`` as a :class:`Shape`, or a list of them for several shapes.

    >>> as_shape([(1, 2), (3,)])
    [(1, 2), (3,)]
    """
    if isinstance(value, list):
        return [as_shape(v) for v in value]
    return Shape(value)
