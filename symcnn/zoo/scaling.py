"""Width and depth multipliers, and the roundings that turn them into layer sizes.

MobileNetV2 and EfficientNet scale a reference network by a width multiplier (MobileNetV2's
``alpha``, EfficientNet's ``width_coefficient``) and, for EfficientNet, a depth multiplier
(``depth_coefficient``). The scaled sizes are rounded:

* channels: ``make_divisible(c*alpha, 8)``, the multiple of 8 nearest to ``c*alpha`` (halves
  round up), at least 8, and bumped up by 8 when rounding lost more than 10 % (torchvision's
  ``_make_divisible``, TensorFlow's ``round_filters``);
* repeats: ``ceiling(n*depth)`` (``round_repeats``).

A multiplier may be a number or a symbol:

* a Python ``float`` (``0.35``) is used as torchvision and Keras use it: the products
  ``c*alpha`` and ``n*d`` and the rounding are carried out in IEEE double arithmetic, so the
  widths are the frameworks' widths even where a product lands just beside a tie
  (``400*0.29`` is ``115.99999999999999`` in floating point, which rounds to 112, where
  ``116`` would round to 120);
* a NumPy float of another width (``np.float32(0.35)``) is read as the decimal it prints as
  (``0.35``), then used as that Python float: the multiplier its writer meant, not the
  binary float32 nearest to it (0.3499999940395355);
* an ``int``, a :class:`fractions.Fraction`, a :class:`decimal.Decimal`, a SymPy rational
  or a number written as text (``"0.35"``, ``"7/20"``) is used exactly;
* with a symbol the rounding cannot be carried out: a channel count stays the unevaluated,
  integer-valued :class:`make_divisible` of a multiple of the symbol, and a repeat count
  stays ``ceiling(n*d)``. Both evaluate as soon as the symbol is replaced by a number, by
  the rules above, so the closed form is exact for every positive value of the symbol.

>>> import sympy
>>> alpha = as_multiplier("alpha", "alpha", "mobilenet_v2")
>>> make_divisible(32*alpha, 8)
make_divisible(32*alpha, 8)
>>> _.subs(alpha, sympy.Rational(7, 20))
16
>>> make_divisible(400*as_multiplier(0.29, "alpha", "f"), 8), make_divisible(116, 8)
(112, 120)
>>> round_repeats(3, as_multiplier(1.1, "depth_coefficient", "efficientnet_b0"))
4
"""

from __future__ import annotations

import numbers
from decimal import Decimal
from fractions import Fraction

import sympy

from ..divisible import make_divisible
from ..errors import LayerArgumentError
from ..multipliers import exact_value
from ..symbols import check_symbol_name, multiplier

__all__ = ["make_divisible", "as_multiplier", "round_repeats"]


def as_multiplier(value, arg: str, owner: str) -> sympy.Expr:
    """A width or depth multiplier as a SymPy value.

    A float becomes a SymPy ``Float`` of 53-bit precision (the same number, so products and
    roundings reproduce the frameworks' float arithmetic); an int or a
    :class:`fractions.Fraction` becomes an exact rational; a string becomes a positive real
    rational symbol (:func:`symcnn.symbols.multiplier`); a SymPy expression must be positive.
    A NumPy float is the Python float of the decimal it prints as (``np.float32(0.35)`` is
    ``0.35``), so it gives the widths the same float in double precision gives. A name that
    reads as infinity or not-a-number (``oo``, ``nan``, ``inf``) is refused: a multiplier so
    named would print as that value.

    >>> from fractions import Fraction
    >>> as_multiplier(0.35, "alpha", "mobilenet_v2"), as_multiplier(Fraction(7, 20), "alpha", "f")
    (0.350000000000000, 7/20)
    >>> as_multiplier("w", "width", "f")
    w
    >>> as_multiplier(0, "alpha", "mobilenet_v2")
    Traceback (most recent call last):
    ...
    symcnn.errors.LayerArgumentError: mobilenet_v2: `alpha` must be a positive number, a symbol name or a positive SymPy expression. Received: alpha=0
    >>> as_multiplier("oo", "alpha", "mobilenet_v2")
    Traceback (most recent call last):
    ...
    symcnn.errors.LayerArgumentError: mobilenet_v2: `alpha` must not use the symbol name 'oo', which is SymPy's infinity; give another name. Received: alpha='oo'
    """
    message = (f"{owner}: `{arg}` must be a positive number, a symbol name or a positive "
               f"SymPy expression. Received: {arg}={value!r}")
    if isinstance(value, bool) or value is None:
        raise LayerArgumentError(message)
    if isinstance(value, str):
        if not value.isidentifier():  # a number written out: "0.35" or "7/20", exactly
            return exact_value(value, arg, owner)
        check_symbol_name(value, arg, owner)
        return multiplier(value)
    if isinstance(value, Decimal):  # exactly, as its text
        if not value.is_finite():
            raise LayerArgumentError(message)
        return exact_value(str(value), arg, owner)
    if isinstance(value, sympy.Basic):
        if not isinstance(value, sympy.Expr):
            raise LayerArgumentError(message)
        result = value
    elif isinstance(value, float):
        result = sympy.Float(value, precision=53)
    elif isinstance(value, (numbers.Rational, Fraction)):  # int, Fraction, NumPy's integers
        result = sympy.Rational(int(value.numerator), int(value.denominator))
    elif isinstance(value, numbers.Real):  # NumPy's float16, float32, longdouble
        result = sympy.Float(_printed_float(value), precision=53)
    else:
        raise LayerArgumentError(message)
    if result.is_positive is not True or result.has(sympy.oo, sympy.zoo, sympy.nan):
        raise LayerArgumentError(message)
    return result


def _printed_float(value: numbers.Real) -> float:
    """The Python float of the decimal ``value`` prints as (NumPy prints the shortest
    decimal that reads back as the same value of its own width), or ``float(value)`` when
    it does not print as a number: ``np.float32(0.35)`` gives 0.35, where ``float()`` gives
    0.3499999940395355.
    """
    try:
        return float(str(value))
    except ValueError:
        return float(value)


def round_repeats(repeats: int, depth) -> sympy.Expr:
    """``ceiling(repeats*depth)``: how many blocks a stage of ``repeats`` has after scaling.

    >>> round_repeats(3, sympy.Symbol("d", positive=True))
    ceiling(3*d)
    """
    return sympy.ceiling(repeats * depth)
