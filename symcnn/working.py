"""Unevaluated arithmetic for worked derivations: the working as a textbook writes it.

SymPy evaluates ``32 + 2*0 - 3`` to ``29`` as soon as it is built, and even an expression
built with ``evaluate=False`` is reordered (and partly evaluated) by the printers. The nodes
here keep a formula exactly as written: :class:`Plus` (with :class:`Minus` terms),
:class:`Times`, :class:`Over`, :class:`Floor`, :class:`Ceiling`, :class:`MinOf`, and
:class:`Given` for a value put into a formula. They are SymPy expressions, so ``xreplace``
substitutes into them and ``doit()`` evaluates them to ordinary SymPy; they print themselves
through SymPy's hooks (``_latex(printer)``, ``_sympystr(printer)``), calling
``printer._print`` for their parts.

>>> import sympy
>>> H, K, S = sympy.symbols("H_in K_h S_h")
>>> size = Plus(Floor(Over(Plus(H, Minus(K)), S)), 1)
>>> print(sympy.latex(size))
\\left\\lfloor \\frac{H_{in} - K_{h}}{S_{h}} \\right\\rfloor + 1
>>> working = size.xreplace({H: Given(32), K: Given(3), S: Given(2)})
>>> print(sympy.sstr(working))
floor((32 - 3)/2) + 1
>>> working.doit()
15
"""

from __future__ import annotations

import sympy

from .render.exprs import display_form

__all__ = ["Plus", "Minus", "Times", "Over", "Floor", "Ceiling", "MinOf", "MaxOf", "Given",
           "group_digits"]


def group_digits(value: int, separator: str) -> str:
    """``1580976`` as ``1{,}580{,}976`` (LaTeX) or ``1,580,976`` (text), sign kept.

    >>> group_digits(1580976, "{,}"), group_digits(-1792, ","), group_digits(64, ",")
    ('1{,}580{,}976', '-1,792', '64')
    """
    return f"{int(value):,}".replace(",", separator)


class _Node(sympy.Expr):
    """Base of the unevaluated nodes: arguments kept as given, evaluated by ``doit``."""

    is_commutative = True

    def __new__(cls, *args):
        return sympy.Basic.__new__(cls, *(sympy.sympify(a) for a in args))

    def _parts(self, **hints):
        # only the unevaluated nodes are evaluated: values are final, and SymPy's doit would
        # re-decide a large Max or Min that was left unevaluated on purpose (its pairwise
        # comparisons took 18 s for 59 arguments)
        return [a.doit(**hints) if isinstance(a, sympy.Basic) and a.has(_Node) else a
                for a in self.args]


def _paren_latex(printer, expr) -> str:
    text = printer._print(expr)
    return rf"\left({text}\right)" if _is_sum(expr) else text


def _paren_str(printer, expr) -> str:
    text = printer._print(expr)
    return f"({text})" if _is_sum(expr) else text


def _is_sum(expr) -> bool:
    if isinstance(expr, Given):
        expr = expr.args[0]
    return isinstance(expr, Plus) or getattr(expr, "is_Add", False) or (
        isinstance(expr, sympy.Number) and expr.is_negative)


def _is_atom(expr) -> bool:
    inner = expr.args[0] if isinstance(expr, Given) else expr
    return isinstance(inner, (sympy.Symbol, sympy.Number))


def _is_numeral(expr) -> bool:
    inner = expr.args[0] if isinstance(expr, Given) else expr
    return isinstance(inner, sympy.Number)


def _needs_parens_in_quotient(expr) -> bool:
    inner = expr.args[0] if isinstance(expr, Given) else expr
    return _is_sum(expr) or isinstance(inner, (Times, Over, sympy.Mul, sympy.Pow, sympy.Rational)
                                       ) and not isinstance(inner, sympy.Integer)


class Minus(_Node):
    """A subtracted term inside :class:`Plus`: ``Plus(a, Minus(b))`` prints ``a - b``."""

    def doit(self, **hints):
        return -self._parts(**hints)[0]

    def _latex(self, printer):
        return "- " + _paren_latex(printer, self.args[0])

    def _sympystr(self, printer):
        return "-" + _paren_str(printer, self.args[0])


class Plus(_Node):
    """A sum whose terms print in the order given; :class:`Minus` terms print as ``- x``."""

    def doit(self, **hints):
        return sympy.Add(*self._parts(**hints))

    def _join(self, printer, paren) -> str:
        out = ""
        for i, term in enumerate(self.args):
            if isinstance(term, Minus):
                sign, body = " - ", term.args[0]
            else:
                sign, body = " + ", term
            text = paren(printer, body)
            if i == 0:
                out = text if sign == " + " else "-" + text
            else:
                out += sign + text
        return out

    def _latex(self, printer):
        return self._join(printer, _paren_latex)

    def _sympystr(self, printer):
        return self._join(printer, _paren_str)


class Times(_Node):
    """A product whose factors print in the order given: ``3 \\cdot 3 \\cdot 64``, ``2 P_h``."""

    def doit(self, **hints):
        return sympy.Mul(*self._parts(**hints))

    def _latex(self, printer):
        out = ""
        for i, factor in enumerate(self.args):
            text = _paren_latex(printer, factor)
            if i:
                left = self.args[i - 1]
                implicit = not _is_numeral(factor) and (
                    isinstance(factor, sympy.Symbol) or _is_atom(factor) and not _is_numeral(left)
                    or _is_sum(factor) and not _is_numeral(left))
                out += " " if implicit else r" \cdot "
            out += text
        return out

    def _sympystr(self, printer):
        return "*".join(f"({printer._print(f)})" if isinstance(f, Over) else
                        _paren_str(printer, f) for f in self.args)


class Over(_Node):
    """A quotient ``num/den``, printed as a fraction; ``doit`` divides exactly."""

    def doit(self, **hints):
        num, den = self._parts(**hints)
        return num / den

    def _latex(self, printer):
        num, den = self.args
        if printer._settings.get("fold_short_frac"):  # inline: (a + b)/c, as in tables
            left, right = printer._print(num), printer._print(den)
            left = left if _is_atom(num) else rf"\left({left}\right)"
            right = right if _is_atom(den) else rf"\left({right}\right)"
            return f"{left} / {right}"
        return rf"\frac{{{printer._print(num)}}}{{{printer._print(den)}}}"

    def _sympystr(self, printer):
        num, den = self.args
        left, right = printer._print(num), printer._print(den)
        if _needs_parens_in_quotient(num):
            left = f"({left})"
        if _needs_parens_in_quotient(den):
            right = f"({right})"
        return f"{left}/{right}"


class Floor(_Node):
    """``floor(x)``, printed ``\\left\\lfloor x \\right\\rfloor``."""

    def doit(self, **hints):
        return sympy.floor(self._parts(**hints)[0])

    def _latex(self, printer):
        return rf"\left\lfloor {printer._print(self.args[0])} \right\rfloor"

    def _sympystr(self, printer):
        return f"floor({printer._print(self.args[0])})"


class Ceiling(_Node):
    """``ceiling(x)``, printed ``\\left\\lceil x \\right\\rceil``."""

    def doit(self, **hints):
        return sympy.ceiling(self._parts(**hints)[0])

    def _latex(self, printer):
        return rf"\left\lceil {printer._print(self.args[0])} \right\rceil"

    def _sympystr(self, printer):
        return f"ceiling({printer._print(self.args[0])})"


class MinOf(_Node):
    """The smaller of its arguments, printed ``\\min\\left(a, b\\right)``."""

    def doit(self, **hints):
        return sympy.Min(*self._parts(**hints))

    def _latex(self, printer):
        return r"\min\left(" + ", ".join(printer._print(a) for a in self.args) + r"\right)"

    def _sympystr(self, printer):
        return "min(" + ", ".join(printer._print(a) for a in self.args) + ")"


class MaxOf(_Node):
    """The larger of its arguments, printed ``\\max\\left(a, b\\right)``."""

    def doit(self, **hints):
        return sympy.Max(*self._parts(**hints))

    def _latex(self, printer):
        return r"\max\left(" + ", ".join(printer._print(a) for a in self.args) + r"\right)"

    def _sympystr(self, printer):
        return "max(" + ", ".join(printer._print(a) for a in self.args) + ")"


class Given(_Node):
    """A value put into a formula (a number or a closed form), kept apart from its neighbours.

    Integers print with thousands grouping in LaTeX (``1{,}792``); a closed form prints as
    SymPy prints it, its integer terms and coefficients grouped.

    >>> import sympy
    >>> print(sympy.latex(Given(1580976)), sympy.latex(Given(160*sympy.Symbol("n") + 48320)))
    1{,}580{,}976 160 n + 48{,}320
    """

    def doit(self, **hints):
        return self._parts(**hints)[0]

    def _latex(self, printer):
        value = display_form(self.args[0])
        if value.is_Integer:
            return group_digits(int(value), "{,}")
        if not value.is_Add:
            return _latex_term(printer, value)
        out = ""
        for i, term in enumerate(printer._as_ordered_terms(value)):
            negative = term.could_extract_minus_sign()
            text = _latex_term(printer, -term if negative else term)
            out += ("-" if negative else "") + text if i == 0 else \
                (" - " if negative else " + ") + text
        return out

    def _sympystr(self, printer):
        value = display_form(self.args[0])
        return str(value) if value.is_Integer else printer._print(value)  # a count: decimal


def _latex_term(printer, term) -> str:
    """One term of a sum, its integer coefficient grouped: ``4{,}096 n``."""
    if term.is_Integer:
        return group_digits(int(term), "{,}")
    coeff, rest = term.as_coeff_Mul()
    if coeff.is_Integer and abs(coeff) >= 1000 and rest != 1:  # a coefficient: decimal
        inner = printer._print(rest)
        if rest.is_Add:
            inner = rf"\left({inner}\right)"
        return group_digits(int(coeff), "{,}") + " " + inner
    return printer._print(term)
