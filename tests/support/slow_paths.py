"""The general paths that symcnn's structural fast paths replace (issue 16), kept verbatim
as references: property tests compare the fast results with these, expression for
expression (``==`` is structural equality in SymPy, so results must be identical)."""

from __future__ import annotations

import math

import sympy
from sympy import Add, Integer, ceiling, floor


def _has_rounding(expr) -> bool:
    return expr.has(floor, ceiling)


def _peel(num, d: int):
    whole, rest = [], []
    for term in Add.make_args(num):
        coeff, factor = term.as_coeff_Mul()
        if coeff.is_Integer and factor.is_integer:
            q, r = divmod(int(coeff), d)
            if q:
                whole.append(q * factor)
            if r:
                rest.append(r * factor)
        else:
            rest.append(term)
    return Add(*whole), Add(*rest)


def _single_rounding(expr):
    terms = Add.make_args(expr)
    rounded = [t for t in terms if _has_rounding(t)]
    if len(rounded) != 1 or not isinstance(rounded[0], (floor, ceiling)):
        return None
    r = rounded[0]
    b = expr - r
    if _has_rounding(b) or b.is_integer is not True:
        return None
    y, a = sympy.fraction(sympy.together(r.args[0]))
    if not (a.is_Integer and a > 0) or _has_rounding(y) or y.is_integer is not True:
        return None
    return type(r), sympy.expand(y), int(a), b


def _rounding_node(rest, d: int):
    const, core = rest.as_coeff_Add()
    coeffs = [t.as_coeff_Mul()[0] for t in Add.make_args(core)]
    if all(c.is_Integer for c in coeffs):
        g = math.gcd(d, *(int(c) for c in coeffs))
        if g > 1:
            return floor_div(sympy.expand(core / g) + int(const) // g, d // g)
    if const == d - 1:
        return ceiling(core / d, evaluate=False)
    return floor(rest / d, evaluate=False)


def floor_div(num, den):
    """symcnn.arith.floor_div before issue 16's fast paths."""
    num, den = sympy.sympify(num), sympy.sympify(den)
    if den == 1:
        return num
    if num.is_Integer and den.is_Integer:
        return Integer(int(num) // int(den))
    if not (den.is_Integer and den > 0):
        return floor(num / den)
    d = int(den)
    whole, rest = _peel(sympy.expand(num), d)
    if rest == 0:
        return whole
    single = _single_rounding(rest)
    if single is not None:
        kind, y, a, b = single
        if kind is ceiling:
            y = y + a - 1
        return whole + floor_div(sympy.expand(y + a * b), Integer(a * d))
    if _has_rounding(rest) or rest.is_integer is not True:
        return whole + floor(rest / d)
    return whole + _rounding_node(rest, d)


def ceil_div(num, den):
    num, den = sympy.sympify(num), sympy.sympify(den)
    if den.is_Integer:
        return floor_div(sympy.expand(num + den - 1), den)
    return ceiling(num / den)


def effective_kernel(kernel, dilation=1):
    return sympy.expand(dilation * (sympy.sympify(kernel) - 1) + 1)


def padding_amounts(padding, kernel=1, dilation=1):
    if padding == "valid":
        return (Integer(0), Integer(0))
    if padding == "causal":
        return (effective_kernel(kernel, dilation) - 1, Integer(0))
    if isinstance(padding, (tuple, list)):
        left, right = padding
        return (sympy.sympify(left), sympy.sympify(right))
    return (sympy.sympify(padding), sympy.sympify(padding))


def window_output_size(size, kernel, stride=1, padding="valid", dilation=1, ceil_mode=False):
    """symcnn.formulas.window_output_size before issue 16's fast paths."""
    size = sympy.sympify(size)
    if padding == "same":
        return ceil_div(size, stride)
    left, right = padding_amounts(padding, kernel, dilation)
    span = sympy.expand(size + left + right - effective_kernel(kernel, dilation))
    if not ceil_mode:
        return floor_div(span, stride) + 1
    rounded_up = sympy.expand(span + stride - 1)
    last_start = sympy.expand(size + left - 1)
    gap = sympy.expand(rounded_up - last_start)
    if gap.is_number:
        top = last_start if gap > 0 else rounded_up
    else:
        top = sympy.Min(rounded_up, last_start)
    return floor_div(top, stride) + 1


def window_requirement(size, kernel, padding="valid", dilation=1):
    size = sympy.sympify(size)
    if padding == "same":
        return size, Integer(1)
    left, right = padding_amounts(padding, kernel, dilation)
    return sympy.expand(size + left + right), effective_kernel(kernel, dilation)


def expanded_product(values, divisor=1):
    result = Integer(1)
    for v in values:
        result = result * v
    return sympy.expand(result / divisor)
