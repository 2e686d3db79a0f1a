"""Facts about closed forms read off their structure, without SymPy's assumption system.

Building a network asks the same few questions of every size over and over: is it an
integer, is it already expanded, is it at least some bound. SymPy answers them through its
assumption queries and ``expand``, which cost tens of microseconds on a fresh expression.
Sizes have a simple shape (integer-coefficient polynomials in positive-integer symbols,
with floors and ceilings of such), so the answer can usually be read off the tree directly.

Each function here is *conservative*: it answers only what the structure proves (``True``
or a number), and otherwise says it does not know (``False`` or ``None``), so callers fall
back to the general path. None of them is ever wrong.

>>> from symcnn import symbols
>>> from sympy import ceiling
>>> H, W = symbols("H W")
>>> integer_valued(3*ceiling(H/4) - W), is_expanded(ceiling(H/4) + 2), lower_bound(ceiling(H/4) + 2)
(True, True, 3)
>>> is_expanded(W*(H + 1)), lower_bound(H - W)
(False, None)
"""

from __future__ import annotations

import sympy
from sympy import Add, Integer, Mul, Pow, Rational, S, Symbol, ceiling, floor

__all__ = ["integer_valued", "is_expanded", "expanded", "lower_bound", "positive_integer_symbol",
           "as_int"]


def positive_integer_symbol(expr) -> bool:
    """``expr`` is a Symbol declared integer and positive (as ``symcnn.symbols`` makes).

    >>> from symcnn import symbols
    >>> import sympy
    >>> positive_integer_symbol(symbols("n")), positive_integer_symbol(sympy.Symbol("x"))
    (True, False)
    """
    return isinstance(expr, Symbol) and expr.is_integer is True and expr.is_positive is True


def integer_valued(expr) -> bool:
    """True when ``expr`` is an integer for every value of its symbols, by its structure:
    integers, integer symbols, floors and ceilings, and sums, products and nonnegative
    integer powers of these. False means *not shown* (SymPy may still know better).

    >>> from symcnn import symbols
    >>> H = symbols("H")
    >>> integer_valued(H**2 - 3*H + 1), integer_valued(H/2), integer_valued(ceiling(H/2))
    (True, False, True)
    """
    if isinstance(expr, Integer):
        return True
    if isinstance(expr, Symbol):
        return expr.is_integer is True
    if isinstance(expr, (floor, ceiling)):
        return True
    if isinstance(expr, (Add, Mul)):
        return all(integer_valued(a) for a in expr.args)
    if isinstance(expr, Pow):
        e = expr.exp
        return isinstance(e, Integer) and e >= 0 and integer_valued(expr.base)
    return False


def _expanded_factor(f) -> bool:
    if isinstance(f, (Rational, Symbol)):
        return True
    if isinstance(f, Pow):
        return isinstance(f.exp, Integer) and f.exp > 0 and isinstance(f.base, Symbol)
    if isinstance(f, (floor, ceiling)):
        return is_expanded(f.args[0])
    return False


def _expanded_term(t) -> bool:
    if isinstance(t, Mul):
        return all(_expanded_factor(f) for f in t.args)
    return _expanded_factor(t)


def is_expanded(expr) -> bool:
    """True when ``sympy.expand(expr)`` is ``expr`` itself, by structure: sums of products
    of numbers, symbols, positive integer powers of symbols, and floors or ceilings whose
    arguments are themselves expanded. False means *not shown*.

    >>> from symcnn import symbols
    >>> H, W = symbols("H W")
    >>> is_expanded(H**2*W + 3), is_expanded((H + 1)**2), is_expanded(ceiling(W*(H + 1)/2))
    (True, False, False)
    """
    if isinstance(expr, Add):
        return all(_expanded_term(t) for t in expr.args)
    return _expanded_term(expr)


def _monomial_of_positive_symbols(m) -> bool:
    return all(positive_integer_symbol(f) or (
        isinstance(f, Pow) and isinstance(f.exp, Integer) and f.exp > 0
        and positive_integer_symbol(f.base)) for f in Mul.make_args(m))


def expanded(expr):
    """``sympy.expand(expr)``, skipped when :func:`is_expanded` shows it changes nothing.

    >>> from symcnn import symbols
    >>> H = symbols("H")
    >>> expanded(H*(H + 1)), expanded(ceiling(H/2) - 1)
    (H**2 + H, ceiling(H/2) - 1)
    """
    return expr if is_expanded(expr) else sympy.expand(expr)


def as_int(value) -> int | None:
    """``value`` as a Python int when it is an int or a SymPy Integer (not a bool), else None.

    >>> as_int(3), as_int(Integer(-2)), as_int(True), as_int(Rational(1, 2))
    (3, -2, None, None)
    """
    if isinstance(value, Integer):
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def _positive_linear(arg) -> bool:
    """``arg > 0`` for every value: nonnegative rational coefficients, not all zero, on
    products of positive integer symbols (each at least 1)."""
    positive = False
    for t in Add.make_args(arg):
        coeff, rest = t.as_coeff_Mul()
        if not (isinstance(coeff, Rational) and coeff.p >= 0):
            return False
        if rest is not S.One and not _monomial_of_positive_symbols(rest):
            return False
        positive = positive or coeff.p > 0
    return positive


def _at_least_one(f) -> bool:
    """``f >= 1`` for every value: a positive integer symbol, the ceiling of a positive
    quantity, or a positive integer power of either."""
    if isinstance(f, Pow):
        return isinstance(f.exp, Integer) and f.exp > 0 and _at_least_one(f.base)
    if isinstance(f, ceiling):
        return _positive_linear(f.args[0])
    return positive_integer_symbol(f)


def lower_bound(expr) -> int | None:
    """An integer ``L`` with ``expr >= L`` for every value of its (positive integer)
    symbols, read off the structure: a constant plus positive-integer multiples of products
    of factors that are each at least 1. None when ``expr`` is not of that shape.

    >>> from symcnn import symbols
    >>> H, W = symbols("H W")
    >>> lower_bound(4*ceiling(H/32)*ceiling(W/32) + H - 1), lower_bound(floor(H/2))
    (4, None)
    """
    total = 0
    for t in Add.make_args(expr):
        coeff, rest = t.as_coeff_Mul()
        if not isinstance(coeff, Integer):
            return None
        c = int(coeff)
        if rest is S.One or c > 0 and all(_at_least_one(f) for f in Mul.make_args(rest)):
            total += c
        else:
            return None
    return total

