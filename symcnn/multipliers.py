"""Exact values for multipliers: decimals and fractions as rationals, never as floats.

A width multiplier of ``0.35`` means 35/100 = 7/20: :func:`exact_value` reads a decimal
string, a fraction string, a :class:`fractions.Fraction`, an int, or a Python float (taken
as the decimal it prints as, so ``0.35`` is ``7/20`` and not the binary double nearest to
it), and refuses anything that is not a positive number. Text is read with symcnn's safe
expression parser (:func:`symcnn.expr_parser.parse_expression`), never with ``sympify``.

>>> exact_value("0.75", "alpha", "subs"), exact_value("3/4", "alpha", "subs")
(3/4, 3/4)
>>> exact_value(0.35, "alpha", "subs"), exact_value(1, "alpha", "subs")
(7/20, 1)
"""

from __future__ import annotations

import math
import numbers
from decimal import Decimal
from typing import Any

import sympy

from .errors import ExpressionError, LayerArgumentError, brief
from .expr_parser import parse_expression

__all__ = ["exact_value"]


def exact_value(value: Any, arg: str, owner: str) -> sympy.Expr:
    """``value`` as an exact positive SymPy number (a rational), or a positive expression.

    >>> exact_value("1.4", "alpha", "subs"), exact_value(Decimal("0.35"), "alpha", "subs")
    (7/5, 7/20)
    >>> exact_value("-0.5", "alpha", "subs")
    Traceback (most recent call last):
    ...
    symcnn.errors.LayerArgumentError: subs: `alpha` must be a positive number (a decimal such as 0.75 or a fraction such as 3/4). Received: alpha='-0.5'
    """
    message = (f"{owner}: `{arg}` must be a positive number (a decimal such as 0.75 or a "
               f"fraction such as 3/4). Received: {arg}={brief(value)}")
    if isinstance(value, bool) or value is None:
        raise LayerArgumentError(message)
    if isinstance(value, sympy.Float):
        result = sympy.Rational(str(value))
    elif isinstance(value, sympy.Expr):
        result = value
    elif isinstance(value, str):
        try:
            result = parse_expression(value)
        except ExpressionError:
            raise LayerArgumentError(message) from None
    elif isinstance(value, Decimal):  # the decimal it shows, exactly: Decimal("0.35") is 7/20
        if not value.is_finite():
            raise LayerArgumentError(message)
        numerator, denominator = value.as_integer_ratio()
        result = sympy.Rational(numerator, denominator)
    elif isinstance(value, numbers.Rational):  # int, Fraction, NumPy's integers
        result = sympy.Rational(int(value.numerator), int(value.denominator))
    elif isinstance(value, numbers.Real):  # float, NumPy's floats: the decimal they print
        number = float(value)
        if not math.isfinite(number):
            raise LayerArgumentError(message)
        try:  # np.float32(0.35) prints 0.35; float() of it is 0.3499999940395355
            result = sympy.Rational(repr(number) if isinstance(value, float) else str(value))
        except (TypeError, ValueError):
            result = sympy.Rational(repr(number))
    else:
        raise LayerArgumentError(message)
    if result.is_positive is not True or (result.is_number and not result.is_Rational):
        raise LayerArgumentError(message)
    return result
