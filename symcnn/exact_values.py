"""Exact values and linear forms of closed forms, read off their tree (issue 16).

Deep strided models carry sizes ``ceiling(H/2**k)`` for hundreds of ``k``, which SymPy
hashes alike every 61 values of ``k`` (the hash of the rational ``1/2**k``; Python hashes
integers modulo ``2**61 - 1``): SymPy's substitution and arithmetic look their arguments up
in caches keyed by value, where such sizes compare deep expressions with the others of
their group. The readings here use Python ints and Fractions instead; each answers what
SymPy's general path answers, or says it cannot (``None``), and tests compare the two.
"""

from __future__ import annotations

import math
from fractions import Fraction

from sympy import Integer, Pow, Rational, Symbol, ceiling, floor

from .structural import IdentityMemo

__all__ = ["values_at", "linear_form", "number"]


def number(value) -> int | Fraction:
    """A rational number (a SymPy one, or an int) as a Python int or Fraction.

    >>> number(Integer(3)), number(Rational(-1, 4)), number(7)
    (3, Fraction(-1, 4), 7)
    """
    if isinstance(value, int):
        return value
    return int(value) if value.is_Integer else Fraction(int(value.p), int(value.q))


def values_at(expr, points: list, memo: IdentityMemo | None = None) -> tuple | None:
    """``expr``'s exact values at ``points`` (dicts from each symbol to an int), as ints and
    Fractions, read off its tree (sums, products, integer powers, floors and ceilings of
    integers, rationals and symbols): what ``expr.xreplace(point)`` gives, without SymPy's
    arithmetic or its caches (deep strided models' sizes hash alike in groups). ``None`` when
    ``expr`` holds anything else. ``memo`` keeps subexpressions' values by identity across
    calls with the same ``points``.

    >>> import sympy
    >>> from symcnn import symbols
    >>> H, W = symbols("H W")
    >>> values_at(3*ceiling(H/2)*W**2 - 1, [{H: 5, W: 2}, {H: 8, W: 1}])
    (35, 11)
    >>> values_at(sympy.sqrt(H), [{H: 4}]) is None
    True
    """
    memo = IdentityMemo() if memo is None else memo
    try:
        return _values(expr, points, memo)
    except (KeyError, ZeroDivisionError):  # a symbol without a value; 1/0 (SymPy: zoo)
        return None


def _values(e, points: list, memo: IdentityMemo):
    seen = memo.get(e)
    if seen is not None:
        return seen
    if isinstance(e, Rational):
        out = (number(e),) * len(points)
    elif isinstance(e, Symbol):
        out = tuple(p[e] for p in points)
    elif e.is_Add or e.is_Mul:
        parts = [_values(a, points, memo) for a in e.args]
        if None in parts:
            return None
        if e.is_Add:
            out = tuple(sum(column) for column in zip(*parts))
        else:
            out = tuple(math.prod(column) for column in zip(*parts))
    elif isinstance(e, Pow) and isinstance(e.exp, Integer):
        base, k = _values(e.base, points, memo), int(e.exp)
        if base is None:
            return None
        out = tuple(b**k if k >= 0 else Fraction(1) / Fraction(b) ** -k for b in base)
    elif isinstance(e, (floor, ceiling)):
        inner = _values(e.args[0], points, memo)
        if inner is None:
            return None
        rounding = math.floor if isinstance(e, floor) else math.ceil
        out = tuple(rounding(v) for v in inner)
    else:
        return None
    return memo.put(e, out)


def linear_form(expr) -> tuple | None:
    """``expr`` as ``(constant, {symbol: coefficient})`` (Fractions) when it is a rational
    constant plus rational multiples of symbols (a rounding's argument, ``H/2**k + 1/2``),
    read off its tree without SymPy's arithmetic; ``None`` otherwise.

    >>> from symcnn import symbols
    >>> H, W = symbols("H W")
    >>> linear_form(H/8 + W + Rational(1, 2)), linear_form(H*W) is None
    ((Fraction(1, 2), {W: Fraction(1, 1), H: Fraction(1, 8)}), True)
    """
    const, coeffs = Fraction(0), {}
    for term in (expr.args if expr.is_Add else (expr,)):
        if isinstance(term, Rational):
            const += Fraction(int(term.p), int(term.q))
            continue
        if isinstance(term, Symbol):
            c, sym = Fraction(1), term
        elif term.is_Mul and len(term.args) == 2 and isinstance(term.args[0], Rational) \
                and isinstance(term.args[1], Symbol):
            c, sym = Fraction(int(term.args[0].p), int(term.args[0].q)), term.args[1]
        else:
            return None
        coeffs[sym] = coeffs.get(sym, 0) + c
    return const, coeffs
