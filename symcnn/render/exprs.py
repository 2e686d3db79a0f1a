"""How printers show closed forms: rounding arguments over one common denominator.

SymPy distributes ``(H + 20)/32`` into ``H/32 + 5/8``, so a stored ``floor((H + 20)/32)``
prints as ``floor(H/32 + 5/8)``. :func:`display_form` rebuilds each floor/ceiling argument
as an unevaluated ``numerator/denominator`` for display only; the result is equal to the
input (``expand`` gives it back) and is never used for further computation.

>>> import sympy
>>> from symcnn import symbols
>>> H = symbols("H")
>>> display_form(sympy.floor(H/32 + sympy.Rational(5, 8)))
floor((H + 20)/32)
>>> sympy.latex(display_form(sympy.ceiling(H/2) - 1))
'\\\\left\\\\lceil{\\\\frac{H}{2}}\\\\right\\\\rceil - 1'
"""

from __future__ import annotations

from functools import lru_cache

import sympy
from sympy import ceiling, floor

__all__ = ["display_form", "show"]


def _over_common_denominator(e):
    num, den = sympy.fraction(sympy.together(e.args[0]))
    if not (den.is_Integer and den > 1 and num.is_Add):
        return e
    quotient = sympy.Mul(num, sympy.Pow(den, -1, evaluate=False), evaluate=False)
    return type(e)(quotient, evaluate=False)


def display_form(expr):
    """``expr`` with every floor/ceiling argument written as one fraction (for printing)."""
    expr = sympy.sympify(expr)
    if not expr.has(floor, ceiling):
        return expr
    return expr.replace(lambda e: isinstance(e, (floor, ceiling)), _over_common_denominator)


def show(expr) -> str:
    """The text form of a closed form, as summaries and messages print it.

    >>> from symcnn import symbols
    >>> show(symbols("n") * 160 + 48320)
    '160*n + 48320'
    """
    return _show(sympy.sympify(expr))


@lru_cache(maxsize=4096)
def _show(expr) -> str:
    # Printing is slow (about 0.1 ms per size) and models repeat the same sizes many times.
    return str(display_form(expr))
