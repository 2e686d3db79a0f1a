"""Closed forms of a size repeated ``L`` times: solving the one-step recurrences of layers.

A layer maps one size to the next by a one-step rule ``x -> f(x)``. Applied ``L`` times, the
rules symcnn's layers produce have closed forms:

=============================  ==============================================
one step ``f(x)``              after ``L`` steps
=============================  ==============================================
``x + c``                      ``x + L*c``   (valid convolution: ``H - 2*L``)
``c`` (no ``x``)               ``c``  for ``L >= 1``   (channels of a convolution)
``a*x + b``, ``a >= 2``        ``a**L*x + b*(a**L - 1)/(a - 1)``   (transposed)
``floor((x + a)/s) + e``       ``floor((x + c)/s**L) - c``,  ``c = -(a + s*e)/(s - 1)``
``ceiling((x + a)/s) + e``     ``ceiling((x + c)/s**L) - c``, same ``c``
=============================  ==============================================

The floor and ceiling rows hold because nested roundings collapse
(``floor(floor(y)/s) = floor(y/s)`` for integer ``y``) once the shift ``c`` is an integer:
``floor(x/2)`` (2x2 pooling) gives ``floor(H/2**L)``, ``ceiling(x/2)`` (a stride-2 ``same``
convolution) ``ceiling(H/2**L)``, and a valid 3x3 stride-2 convolution ``floor((x - 3)/2) +
1`` gives ``floor((H + 1)/2**L) - 1``. Any other rule (a shift ``c`` that is not an integer,
two roundings, a product of sizes) has no closed form here: :class:`NoClosedForm` says so.

>>> import sympy
>>> x, L = sympy.symbols("x L", integer=True, positive=True)
>>> closed_form(x - 2, x, L), closed_form(sympy.floor(x/2), x, L)
(-2*L + x, floor(x/2**L))
>>> closed_form(sympy.ceiling(x/2), x, L), closed_form(sympy.floor(x/2 - 3/sympy.Integer(2)) + 1, x, L)
(ceiling(x/2**L), floor((x + 1)/2**L) - 1)
"""

from __future__ import annotations

import sympy

__all__ = ["closed_form", "NoClosedForm", "kind"]


class NoClosedForm(Exception):
    """The one-step rule has no closed form after ``L`` steps (the reason is the message)."""


def kind(step, x) -> str:
    """``"same"`` (``f(x) = x``), ``"constant"`` (no ``x``) or ``"changes"``."""
    step = sympy.expand(step)
    if step == x:
        return "same"
    return "changes" if step.has(x) else "constant"


def _rounding(step, x):
    """``(func, s, a, e)`` with ``step = func((x + a)/s) + e``, or None."""
    roundings = [t for t in sympy.Add.make_args(step) if t.has(x)]
    if len(roundings) != 1 or not isinstance(roundings[0], (sympy.floor, sympy.ceiling)):
        return None
    (term,) = roundings
    e = sympy.expand(step - term)
    arg = sympy.expand(term.args[0])
    if e.has(x) or not arg.is_polynomial(x) or sympy.degree(arg, x) != 1:
        return None
    slope = arg.coeff(x, 1)
    if not (slope.is_Rational and slope > 0 and (1 / slope).is_Integer and 1 / slope >= 2):
        return None
    s = int(1 / slope)
    return type(term), s, sympy.expand(s * arg.coeff(x, 0)), e


def closed_form(step, x, times) -> sympy.Expr:
    """The size after ``times`` steps ``x -> step``, from ``x``: see the module's table.

    A constant rule's closed form holds for ``times >= 1``; the caller adds that condition.
    The shift ``c`` of ``x + c`` (and ``b`` of ``a*x + b``) may hold other symbols, such as
    an inner count: ``L`` valid 3x3 convolutions repeated ``M`` times leave ``x - 2*L*M``.
    A message shows the size the step receives as ``x``.

    >>> x, L, M = sympy.symbols("x L M", integer=True, positive=True)
    >>> closed_form(x - 2*L, x, M)
    -2*L*M + x
    """
    step = sympy.expand(step)
    if not step.has(x):
        return step
    shown = step.xreplace({x: sympy.Symbol("x")})  # a probe (a Dummy) reads as x
    others = sorted(map(str, step.free_symbols - {x}))
    if step.is_polynomial(x) and sympy.degree(step, x) == 1:
        a, b = step.coeff(x, 1), step.coeff(x, 0)
        if a == 1:
            return sympy.expand(x + times * b)
        if a.is_Integer and a >= 2:
            return sympy.expand(a**times * x + b * (a**times - 1) / (a - 1))
        raise NoClosedForm(f"one repetition maps a size x to {shown}, which scales x by {a}; "
                           f"closed forms are solved for a scale of 1 or a whole number")
    found = _rounding(step, x) if not others else None
    if found is None:
        if others:
            raise NoClosedForm(f"one repetition maps a size x to {shown}, which also depends "
                               f"on {', '.join(others)} and is not x plus a shift; closed "
                               f"forms are solved for x + c, a*x + b and one floor or "
                               f"ceiling of (x + a)/s with numbers a and s")
        raise NoClosedForm(f"one repetition maps a size x to {shown}, which is not x + c, "
                           f"a*x + b or one floor or ceiling of (x + a)/s")
    func, s, a, e = found
    c = -(a + s * e) / (s - 1)
    if not c.is_Integer:
        raise NoClosedForm(f"one repetition maps a size x to {shown}, that is "
                           f"{func.__name__}((x + a)/s) + e with a = {a}, s = {s}, e = {e}; "
                           f"its shift -(a + s*e)/(s - 1) = {c} is not an integer, so nested "
                           f"roundings do not collapse")
    return func((x + c) / s**times) - c
