"""Bounds of receptive fields: the first and last input position that output position ``O``
reads along one axis, and how a layer composes them (the positions one output position
actually reads, cut to every tensor, are :mod:`symcnn.receptive_reads`).

A bound is linear in ``O`` for every window: :class:`Linear` keeps ``coef*O + const`` and its
other terms unsummed, so that a layer that reads ``a*O + b`` multiplies the coefficient and
appends ``coef*b``'s terms; the terms are summed once, when the bound is read. A layer that
reads a rounding of ``O`` (a strided transposed convolution, upsampling, adaptive pooling)
makes the bound an expression, composed by substitution and re-canonicalised
(:func:`canon`).

A 3-wide convolution with stride 2 and 'same' padding (``2*ceiling(H/2) - H`` before), then a
3-wide one with stride 1 (1 before): the second layer's padding is scaled by the jump 2 and
appended, the first layer's terms kept as they are:

>>> from symcnn import symbols
>>> from symcnn.windows import Window
>>> H = symbols("H")
>>> strided = Window(3, 2, pad_before=2*ceiling(H/2) - H)
>>> lo, hi = window_bounds(IDENTITY, IDENTITY, strided.affine(H))
>>> lo, hi = window_bounds(lo, hi, Window(3, 1, pad_before=1).affine(H))
>>> lo.coef, lo.terms, lo.expr, hi.expr
(2, (H, -2*ceiling(H/2)), H + 2*o - 2*ceiling(H/2) - 2, H + 2*o - 2*ceiling(H/2) + 4)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import sympy
from sympy import ceiling, floor

from .arith import ceil_div, floor_div
from .structural import expanded

__all__ = ["O", "Linear", "IDENTITY", "as_expr", "linear", "compose", "window_bounds", "canon"]

#: The output position along one axis, the variable of the bounds.
O = sympy.Symbol("o", integer=True, nonnegative=True)


@dataclass(frozen=True)
class Linear:
    """A bound ``coef*O + const + sum(terms)``, linear in the output position ``O``.

    Its ``O``-free symbolic part is kept as a tuple of expanded terms, summed once when the
    bound is read. A layer that reads ``a*O + b`` (every window) multiplies the coefficient
    and appends ``coef*b``'s terms, so a deep chain of 'same'-padded strided convolutions,
    whose paddings add a rounding term or two per layer, costs each layer its own terms
    instead of re-expanding the whole bound.

    >>> Linear(2, sympy.Integer(-1), ()).expr
    2*o - 1
    """

    coef: sympy.Integer
    const: sympy.Rational
    terms: tuple

    @cached_property
    def expr(self) -> sympy.Expr:
        return sympy.Add(self.coef * O, self.const, *self.terms)


#: The bound ``O`` itself (an input tensor's positions).
IDENTITY = Linear(sympy.Integer(1), sympy.Integer(0), ())


def as_expr(bound) -> sympy.Expr:
    """A bound as one expression (a :class:`Linear` summed, anything else as it is)."""
    return bound.expr if isinstance(bound, Linear) else bound


def linear(expr) -> Linear | None:
    """``expr`` as a :class:`Linear` when it is ``c*O + rest`` with an integer ``c`` and no
    ``O`` in ``rest``; else None."""
    coef, const, terms = sympy.Integer(0), sympy.Integer(0), []
    for term in sympy.Add.make_args(sympy.sympify(expr)):
        c, factor = term.as_coeff_Mul()
        if factor is O and c.is_Integer:
            coef += c
        elif term.has(O):
            return None
        elif term.is_Number:
            const += term
        else:
            terms.append(term)
    return Linear(coef, const, tuple(terms))


def compose(bound, a):
    """``bound`` with ``O`` replaced by ``a`` (the position the layer reads for output O)."""
    if isinstance(bound, Linear):
        step = linear(a)
        if step is not None:
            return _through_linear(bound, step)
    return canon(as_expr(bound).xreplace({O: a}))


def _through_linear(bound: Linear, step: Linear, scaled: tuple | None = None) -> Linear:
    """``bound`` with ``O`` replaced by ``step``; ``scaled``: ``step``'s terms times
    ``bound.coef``, when already computed."""
    c = bound.coef
    if scaled is None:
        scaled = tuple(c * t for t in step.terms)
    return Linear(c * step.coef, bound.const + c * step.const, bound.terms + scaled)


def _offset(a, b) -> Linear:
    """``a*O + b`` for an integer ``a`` and an expanded ``b`` without ``O``."""
    const, rest = sympy.sympify(b).as_coeff_Add()
    return Linear(a, const, sympy.Add.make_args(rest) if rest else ())


def window_bounds(lo, hi, affine) -> tuple:
    """``(lo, hi)`` after a layer whose output ``o`` reads ``a*o + b`` to ``a*o + b + width``
    (``affine``, from :meth:`~symcnn.windows.AxisMap.affine`), composed without
    substituting; ``b``'s terms are scaled once for both bounds."""
    a, b, width = affine
    lo_step = _offset(a, b)
    if not (isinstance(lo, Linear) and isinstance(hi, Linear)):
        return compose(lo, lo_step.expr), compose(hi, lo_step.expr + width)
    width = sympy.sympify(width)
    if width.is_Number:
        hi_step = Linear(a, lo_step.const + width, lo_step.terms)
    else:
        hi_step = _offset(a, expanded(b + width))
    new_lo = _through_linear(lo, lo_step)
    shared = hi_step.terms is lo_step.terms and hi.coef == lo.coef
    return new_lo, _through_linear(hi, hi_step,
                                   new_lo.terms[len(lo.terms):] if shared else None)


def canon(expr):
    """Re-canonicalise floors and ceilings after a substitution (nested ones collapse)."""
    expr = sympy.sympify(expr)
    if not expr.has(floor, ceiling):
        return sympy.expand(expr)
    if isinstance(expr, (floor, ceiling)):
        num, den = sympy.fraction(sympy.together(canon(expr.args[0])))
        if den.is_Integer and den > 0:
            return (floor_div if isinstance(expr, floor) else ceil_div)(sympy.expand(num), den)
        return type(expr)(num / den)
    return sympy.expand(expr.func(*(canon(a) for a in expr.args)))
