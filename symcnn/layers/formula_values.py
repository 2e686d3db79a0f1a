"""The value of a layer's stated parameter formula, computed with Python integers.

A layer states its parameter count once, as a formula of the working
(:mod:`symcnn.working`: ``Times(C_in, K_h, K_w, F)`` with ``C_in``, ``K_h``, ... bound to
the layer's values), and :func:`symcnn.derivation.blocks.value_of` evaluates it with SymPy.
When every bound value is an integer, as in almost every network, the same value is a few
Python multiplications: :func:`integer_value` computes it so, and says None otherwise (a
symbol, an inexact quotient, a node it does not know), leaving the case to ``value_of``.

>>> from symcnn.derivation.blocks import sym
>>> from symcnn.working import Plus, Times
>>> C, F = sym("C_in"), sym("F")
>>> integer_value(Plus(Times(C, 3, 3, F), F), {C: 64, F: 128})
73856
>>> integer_value(Times(C, F), {C: sym("n"), F: 2}) is None
True
"""

from __future__ import annotations

import math

import sympy

from ..structural import as_int
from ..working import Minus, Over, Plus, Times

__all__ = ["integer_value"]


def integer_value(formula, bindings: dict) -> int | None:
    """``formula``'s value as a Python int when every symbol in it is bound to an integer
    and every node is a sum, difference, product or exact quotient; else None."""
    if isinstance(formula, sympy.Symbol):
        return as_int(bindings.get(formula))
    value = as_int(formula)
    if value is not None:
        return value
    kind = type(formula)
    if kind not in (Plus, Times, Minus, Over):
        return None
    parts = [integer_value(a, bindings) for a in formula.args]
    if None in parts:
        return None
    if kind is Plus:
        return sum(parts)
    if kind is Times:
        return math.prod(parts)
    if kind is Minus:
        return -parts[0]
    num, den = parts
    return num // den if den and num % den == 0 else None
