"""The printers of display forms: SymPy's string and LaTeX printers with terms in the order
the display form gives, and the display rule for large powers inside roundings
(``ceiling(H/2**40)``), which :mod:`symcnn.render.exprs` documents.

>>> import sympy
>>> H = sympy.Symbol("H", integer=True, positive=True)
>>> text_printer().doprint(sympy.ceiling(H / 2**20) * 2**20)
'1048576*ceiling(H/2**20)'
"""

from __future__ import annotations

import math
from functools import lru_cache

import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE, precedence
from sympy.printing.str import StrPrinter

from ..expr_parser import MAX_BITS
from ..ordering import printed_args
from ..safe import int_text

__all__ = ["integer_power", "text_printer", "latex_printer", "InRounding", "POWER_MIN_DIGITS",
           "POWER_BASES"]

#: An integer inside a closed form with at least this many digits is shown as a power
#: ``b**k`` when it is one (:func:`integer_power`); shorter ones stay decimal.
POWER_MIN_DIGITS = 7
#: The bases of those powers, smallest first: an integer is shown as a power of the smallest.
POWER_BASES = tuple(range(2, 11))
_PRIME_BASES = (2, 3, 5, 6, 7, 10)  # the others' powers are powers of these (4**k = 2**2k)


@lru_cache(maxsize=1 << 12)
def integer_power(n: int) -> tuple | None:
    """``(b, k)`` if the display form writes the integer ``n`` as ``b**k`` (``-b**k`` when
    negative), else ``None``.

    It does when ``|n|`` has at least :data:`POWER_MIN_DIGITS` digits and is ``b**k`` for a
    base ``b`` of :data:`POWER_BASES` (the smallest that fits, so ``4**10`` is ``2**20``), as
    long as the safe parser reads ``b**k`` back (its bound on the bits of a power,
    :data:`symcnn.expr_parser.MAX_BITS`; beyond it the decimal text is kept).

    >>> integer_power(2**20), integer_power(-10**9), integer_power(8**7), integer_power(2**19)
    ((2, 20), (10, 9), (2, 21), None)
    >>> integer_power(3 * 2**40), integer_power(2**2048), integer_power(2**2049)
    (None, (2, 2048), None)
    """
    n = abs(int(n))
    if n < 10 ** (POWER_MIN_DIGITS - 1):
        return None
    for b in _PRIME_BASES:
        if b == 2:
            if n & (n - 1):
                continue
            k = n.bit_length() - 1
        else:
            if n % b:
                continue
            k = round(math.log2(n) / math.log2(b))
            k = next((j for j in (k, k - 1, k + 1) if b**j == n), None)
            if k is None:
                continue
        return (b, k) if b.bit_length() * k <= MAX_BITS else None
    return None


class InRounding:
    """Printers' state: how deep inside ``floor``/``ceiling`` the integer being printed is.
    The display rule writes powers only there (``ceiling(H/2**40)``), where strides make
    them; a coefficient outside (``2097152*ceiling(H/32)``, a MAC count) stays decimal, as
    its neighbours in a table are."""

    _rounding_depth = 0

    def _power(self, n):
        return integer_power(n) if self._rounding_depth else None

    def _inside(self, method, expr, *args):
        self._rounding_depth += 1
        try:
            return method(expr, *args)
        finally:
            self._rounding_depth -= 1


def _precedence(item) -> int:
    """SymPy's ``precedence(item)``. A product whose first factor is not a negative number
    has the precedence of ``Mul`` (``precedence_Mul``: ``could_extract_minus_sign`` is False
    then), found without ``-item``, which SymPy looks up in a cache where deep strided
    sizes (``ceiling(H/2**k)``) hash alike in groups."""
    if type(item) is sympy.Mul and not (item.args[0].is_Number
                                        and item.args[0].is_extended_negative):
        return PRECEDENCE["Mul"]
    return precedence(item)


class _TextPrinter(InRounding, StrPrinter):
    """SymPy's string printer, integers inside roundings written by the display rule
    (``ceiling(H/2**500)``)."""

    def _print_floor(self, expr):
        return self._inside(super()._print_Function, expr)

    _print_ceiling = _print_floor

    def parenthesize(self, item, level, strict=False):  # SymPy's, precedence asked once
        prec = _precedence(item)
        if prec < level or not strict and prec <= level:
            return "(%s)" % self._print(item)
        return self._print(item)

    def _print_LatticeOp(self, expr):  # SymPy's, its sort keys kept (symcnn.ordering)
        return expr.func.__name__ + "(%s)" % ", ".join(self._print(a) for a in printed_args(expr))

    def _print_Equality(self, expr):  # a constraint as it reads: H = 32, not Eq(H, 32)
        return f"{self._print(expr.lhs)} = {self._print(expr.rhs)}"

    def _print_Unequality(self, expr):
        return f"{self._print(expr.lhs)} != {self._print(expr.rhs)}"

    def _print_Integer(self, expr):
        power = self._power(expr.p)
        if power is None:
            return int_text(expr.p)  # also beyond Python's 4,300-digit str() limit
        return ("-" if expr.p < 0 else "") + f"{power[0]}**{power[1]}"

    def _print_Rational(self, expr):
        if expr.q == 1:
            return self._print_Integer(expr)
        return f"{self._print(sympy.Integer(expr.p))}/{self._print(sympy.Integer(expr.q))}"


class _LatexPrinter(InRounding, LatexPrinter):
    """SymPy's LaTeX printer, integers inside roundings written by the display rule
    (``2^{500}``), and the parts a table names in its "where" note printed as their names
    (``names``: expression -> Symbol; :func:`symcnn.render.where.call_names`)."""

    names: dict = {}

    _given_depth = 0  # inside a working's value (Given), which groups its integers' digits

    def _print(self, expr, **kwargs):
        name = self.names.get(expr) if self.names and isinstance(expr, sympy.Basic) else None
        if name is None and type(expr).__name__ == "Given":
            self._given_depth += 1
            try:
                return super()._print(expr, **kwargs)
            finally:
                self._given_depth -= 1
        if name is None:
            return super()._print(expr, **kwargs)
        exp = kwargs.get("exp")  # a function's power, which SymPy hands to the function
        return super()._print(name) + ("" if exp is None else f"^{{{exp}}}")

    def _print_floor(self, expr, exp=None):
        return self._over_power(expr, exp) or self._inside(super()._print_floor, expr, exp)

    def _print_ceiling(self, expr, exp=None):
        return self._over_power(expr, exp) or self._inside(super()._print_ceiling, expr, exp)

    def _over_power(self, expr, exp):
        """``\\left\\lceil{\\frac{H}{2^{L}}}\\right\\rceil`` for a rounding over a symbolic power
        (``ceiling(H/2**L)``, a ``Repeat`` of strided layers), which SymPy writes as
        ``H 2^{- L}``; ``None`` for any other rounding. One fraction: the rounding's other
        denominators (``s**2``, ``k``, ``3``) go below the line with the power,
        ``\\frac{H + 3}{2^{L} s^{2}}``, never in a fraction above it."""
        arg = expr.args[0]
        if not arg.is_Mul or not any(_symbolic_reciprocal(f) for f in arg.args):
            return None
        up, down = [], []
        for factor in arg.args:
            if factor.is_Rational and factor.q != 1:  # H/(3*2**L): 1/3 goes below too
                up += [sympy.Integer(factor.p)] * (factor.p != 1)
                factor = sympy.Pow(factor.q, -1, evaluate=False)
            base, power = factor.as_base_exp()
            if not (_symbolic_reciprocal(factor) or power.is_Number and power.is_negative):
                up.append(factor)
                continue
            exponent = -power
            if exponent.is_Add:  # 2**(L + 1): the constant last, as the display orders it
                exponent = sympy.Add(*sorted(exponent.args, key=lambda t: bool(t.is_Number)),
                                     evaluate=False)
            down.append(sympy.Pow(base, exponent, evaluate=not exponent.free_symbols))
        left, right = (r"\lfloor", r"\rfloor") if isinstance(expr, sympy.floor) else \
            (r"\lceil", r"\rceil")
        tex = (rf"\left{left}{{\frac{{{self._print(sympy.Mul(*up))}}}"
               rf"{{{self._print(sympy.Mul(*down))}}}}}\right{right}")
        return tex if exp is None else rf"{tex}^{{{exp}}}"

    def _print_Mul(self, expr):
        """SymPy's; a negative product over a denominator, ``Mul(-K, 1/6)`` (a rounding's
        numerator in display form), as ``- \\frac{K}{6}``, which SymPy writes
        ``\\frac{\\left(-1\\right) K}{6}``."""
        top, below = expr.args[0], expr.args[1:]
        if top.is_Mul and top.args[0].is_Number and top.args[0].is_extended_negative and \
                below and all(f.is_Pow and f.exp.could_extract_minus_sign() for f in below):
            return "- " + super()._print_Mul(sympy.Mul(-top, *below, evaluate=False))
        return super()._print_Mul(expr)

    def _split_super_sub(self, name: str) -> tuple:
        r"""SymPy's split, with a word subscript set upright, as a label: ``H_{\mathrm{in}}``,
        ``d_{\mathrm{model}}``; a one-letter index (``K_{h}``, ``n_{1}``) and a Greek name
        (``x_{\alpha}``) stay as SymPy writes them; several subscripts stand apart by
        commas, as indices do (``N1_out``, the size of axis 1 out: ``N_{1,\mathrm{out}}``,
        which SymPy sets as ``N_{1 \mathrm{out}}``, read "1out"). Kept per name (SymPy
        translates every part of every symbol again on each print: most of a deep
        derivation's time)."""
        if self._settings.get("disable_split_super_sub") or name is None:
            return super()._split_super_sub(name)
        base, supers, subs = _upright_split(name)
        return base, list(supers), list(subs)

    def _print_Max(self, expr, exp=None):  # SymPy's, its sort keys kept (symcnn.ordering)
        tex = r"\%s\left(%s\right)" % (str(expr.func).lower(),
                                       ", ".join(self._print(a) for a in printed_args(expr)))
        return tex if exp is None else r"%s^{%s}" % (tex, exp)

    _print_Min = _print_Max

    def _print_Sum(self, expr):
        r"""``\sum_{t=2}^{M} 2{,}304 \left\lceil{\frac{H}{2^{t}}}\right\rceil ...``: a Repeat's
        cost, in a value (a table's cell, a working's value) its coefficient grouped as that
        value's other integers are (``Given``); elsewhere as SymPy writes it, ``2304``."""
        tex = "".join(rf"\sum_{{{self._print(i)}={self._print(lo)}}}^{{{self._print(hi)}}} "
                      for i, lo, hi in expr.limits)
        term = expr.function
        coeff, rest = term.as_coeff_Mul()
        if self._given_depth and coeff.is_Integer and abs(coeff) >= 1000 and rest != 1:
            inner = self._print(rest)
            body = int_text(int(coeff), "{,}") + " " + (
                rf"\left({inner}\right)" if rest.is_Add else inner)
        else:
            body = self._print(term)
            body = rf"\left({body}\right)" if term.is_Add else body
        return tex + body

    def _print_Integer(self, expr):
        power = self._power(expr.p)
        if power is None:
            return int_text(expr.p)  # as SymPy prints it, also beyond 4,300 digits
        return ("-" if expr.p < 0 else "") + f"{power[0]}^{{{power[1]}}}"

    def _print_Rational(self, expr):
        if expr.q == 1:
            return self._print_Integer(expr)
        if self._power(expr.p) is None and self._power(expr.q) is None and not _long(expr):
            return super()._print_Rational(expr)
        sign = "- " if expr.p < 0 else ""
        return (sign + r"\frac{" + self._print(sympy.Integer(abs(expr.p))) + "}{"
                + self._print(sympy.Integer(expr.q)) + "}")


def _long(expr) -> bool:
    """Whether a rational has a part that SymPy's printers cannot write (Python's int-to-text
    limit, 4,300 digits): :func:`symcnn.safe.int_text` writes it instead."""
    return max(abs(expr.p).bit_length(), expr.q.bit_length()) > 10_000


def _symbolic_reciprocal(factor) -> bool:
    """Whether ``factor`` is a power with a negative symbolic exponent, ``2**(-L)``."""
    power = factor.as_base_exp()[1]
    return power.could_extract_minus_sign() and not power.is_Number


@lru_cache(maxsize=1 << 14)
def _upright_split(name: str) -> tuple:
    base, supers, subs = LatexPrinter()._split_super_sub(name)
    subs = [rf"\mathrm{{{s}}}" if len(s) > 1 and s.isalpha() else s for s in subs]
    return base, tuple(supers), (",".join(subs),) if subs else ()


def text_printer() -> StrPrinter:
    """The string printer of display forms (terms in the order the display form gives)."""
    return _TextPrinter({"order": "none"})


def latex_printer(**settings) -> LatexPrinter:
    """The LaTeX printer of display forms (terms in the order the display form gives)."""
    return _LatexPrinter({"order": "none", **settings})
