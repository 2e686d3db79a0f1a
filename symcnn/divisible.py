"""``make_divisible``: the rounding that turns a multiplied width into a channel count.

A width multiplier scales a channel count ``c`` to ``c*alpha``, which is then rounded to a
multiple of 8 (torchvision's ``_make_divisible``, TensorFlow's ``round_filters``). With a
symbolic multiplier the rounding stays an unevaluated, integer-valued function of the
closed form; it is an algebra piece like ``floor`` and ``ceiling``, so the expression reader
(:mod:`symcnn.expr_parser`) reads it back, and :mod:`symcnn.zoo.scaling` builds on it.

>>> a = sympy.Symbol("a", positive=True)
>>> make_divisible(32*a, 8).subs(a, sympy.Rational(7, 20))
16
"""

from __future__ import annotations

import sympy

__all__ = ["make_divisible"]


class make_divisible(sympy.Function):  # noqa: N801 (a SymPy function, named as in torchvision)
    """``make_divisible(v, d)``: the channel count a multiplied width ``v`` is rounded to.

    For a number ``v`` and a positive integer ``d``: ``n = max(d, floor(v + d/2) // d * d)``,
    plus ``d`` when ``n < 0.9*v``: torchvision's ``_make_divisible``, in exact arithmetic for a
    rational ``v`` and in IEEE double arithmetic, as torchvision computes it, for a SymPy
    ``Float`` of 53-bit precision. The value is a positive multiple of ``d``, so a positive
    integer; SymPy knows that even when ``v`` is symbolic, and an integer multiple of a
    ``make_divisible`` value rounds to itself.

    >>> make_divisible(sympy.Rational(56, 5), 8), make_divisible(36, 8), make_divisible(3, 8)
    (16, 40, 8)
    >>> a = sympy.Symbol("a", positive=True)
    >>> make_divisible(6*make_divisible(16*a, 8), 8)
    6*make_divisible(16*a, 8)
    """

    nargs = 2

    @classmethod
    def eval(cls, v, d):
        if not (d.is_Integer and d > 0):
            return None
        if v.is_Float:
            return sympy.Integer(_make_divisible_float(float(v), int(d)))
        if v.is_Rational:  # for v <= 0 the rule gives d, as torchvision's does
            n = max(int(d), int(sympy.floor(v + sympy.Rational(d, 2))) // int(d) * int(d))
            if n < sympy.Rational(9, 10) * v:
                n += int(d)
            return sympy.Integer(n)
        coeff, rest = v.as_coeff_Mul()
        if isinstance(rest, cls) and rest.args[1] == d and coeff.is_Integer and coeff > 0:
            return v  # already a positive multiple of d
        return None

    def eventual_form(self):
        """``(d*floor(v/d + 1/2), v - 5*d)``: the value is that floor form wherever
        ``v >= 5*d`` (rounding to the nearest multiple then never loses 10 %, and the result
        is at least ``d``); :mod:`symcnn.grids` solves on a grid with it.

        >>> a = sympy.Symbol("a", positive=True)
        >>> make_divisible(32*a, 8).eventual_form()
        (8*floor(4*a + 1/2), 32*a - 40)
        """
        v, d = self.args
        return d * sympy.floor(v / d + sympy.Rational(1, 2)), v - 5 * d

    def _eval_is_integer(self):
        return True if self.args[1].is_Integer and self.args[1] > 0 else None

    def _eval_is_positive(self):
        return self._eval_is_integer()

    def _latex(self, printer, exp=None):
        r"""One upright name (SymPy would set ``divisible`` as a subscript of ``make``), the
        power after the parentheses, which are plain so that a narrow table column may
        break the line after the comma (TeX never breaks inside ``\left( ... \right)``).

        >>> a = sympy.Symbol("alpha", positive=True)
        >>> print(sympy.latex(make_divisible(16*a, 8)**2))
        \operatorname{make\_divisible}(16 \alpha,\allowbreak 8)^{2}
        """
        args = r",\allowbreak ".join(printer._print(a) for a in self.args)
        text = rf"\operatorname{{make\_divisible}}({args})"
        return text if exp is None else rf"{text}^{{{exp}}}"


def _make_divisible_float(v: float, d: int) -> int:
    """torchvision's ``_make_divisible`` on a float, step by step in float arithmetic."""
    n = max(d, int(v + d / 2) // d * d)
    if n < 0.9 * v:
        n += d
    return n
