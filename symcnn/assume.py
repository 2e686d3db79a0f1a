"""Readability by assumption: "assume H and W are divisible by 32".

A closed form such as ``ceiling(H/32)`` is exact for every ``H``; a lecture often assumes the
input is a multiple of 32 and writes ``H/32``. :class:`AssumeDivisible` makes that rewrite
exactly: it substitutes ``H = 32*h`` (``h`` a positive integer), lets SymPy evaluate every
floor and ceiling it can, and writes ``h`` back as ``H/32``. The result equals the original
for every ``H`` that is a multiple of 32, and for no other claim. The renderers that accept
``assume_divisible=`` state the assumptions they used in every output they change.

>>> import symcnn as sc
>>> H = sc.symbols("H")
>>> assume = AssumeDivisible({H: 32})
>>> assume(sc.arith.ceil_div(H, 32)), assume(sc.arith.floor_div(H - 3, 2) + 1)
(H/32, H/2 - 1)
>>> assume(sc.arith.floor_div(H, 64))
floor(H/64)
>>> assume.describe()
'H divisible by 32'
"""

from __future__ import annotations

from typing import Iterable, Mapping

import sympy

from .errors import SymbolError

__all__ = ["AssumeDivisible"]


class AssumeDivisible:
    """Treat each given symbol as an exact multiple of its divisor (``{H: 32, W: 32}``).

    Keys are symbols or their names; names are looked up in ``symbols`` (the free symbols of
    the model being rendered) when given. Divisors are positive integers.

    >>> import symcnn as sc
    >>> H, W = sc.symbols("H W")
    >>> AssumeDivisible({"H": 32, "W": 32}, symbols={H, W}).describe()
    'H and W divisible by 32'
    >>> AssumeDivisible({"X": 32}, symbols={H, W}, owner="to_latex")
    Traceback (most recent call last):
    ...
    symcnn.errors.SymbolError: to_latex: `assume_divisible` names a symbol the model does not
    have: X. Free symbols: H, W. Received: assume_divisible={'X': 32}
    """

    def __init__(self, divisors: Mapping, symbols: Iterable | None = None,
                 owner: str = "assume_divisible") -> None:
        if not isinstance(divisors, Mapping):
            raise SymbolError(
                f"{owner}: `assume_divisible` must be a mapping from symbols (or their names) "
                f"to positive integers, such as {{'H': 32, 'W': 32}}. "
                f"Received: assume_divisible={divisors!r}"
            )
        known = None if symbols is None else {s.name: s for s in symbols}
        table = {}
        for key, divisor in divisors.items():
            if isinstance(key, str) and known is not None:
                if key not in known:
                    raise SymbolError(
                        f"{owner}: `assume_divisible` names a symbol the model does not have: "
                        f"{key}. Free symbols: {', '.join(sorted(known)) or 'none'}. "
                        f"Received: assume_divisible={dict(divisors)!r}"
                    )
                key = known[key]
            elif isinstance(key, str):
                key = sympy.Symbol(key, integer=True, positive=True)
            if not isinstance(key, sympy.Symbol) or key.is_integer is not True:
                raise SymbolError(
                    f"{owner}: `assume_divisible` keys must be integer symbols or their names. "
                    f"Received: assume_divisible={dict(divisors)!r}"
                )
            if isinstance(divisor, bool) or not isinstance(divisor, (int, sympy.Integer)) \
                    or int(divisor) < 1:
                raise SymbolError(
                    f"{owner}: `assume_divisible` divisors must be positive integers. "
                    f"Received: assume_divisible={dict(divisors)!r}"
                )
            table[key] = int(divisor)
        self.divisors: dict = table
        self._cache: dict = {}  # expression -> (rewritten, symbols used)

    def __bool__(self) -> bool:
        return bool(self.divisors)

    def __call__(self, expr):
        """``expr`` rewritten under the assumption (unchanged when nothing applies)."""
        return self.apply(expr)[0]

    def apply(self, expr):
        """``(rewritten, symbols_that_changed_it)``.

        >>> import symcnn as sc
        >>> H, W = sc.symbols("H W")
        >>> AssumeDivisible({H: 2, W: 2}).apply(sc.arith.ceil_div(H, 2) + W)
        (H/2 + W, {H})
        """
        expr = sympy.sympify(expr)
        if expr in self._cache:
            rewritten, used = self._cache[expr]
            return rewritten, set(used)
        original, used = expr, set()
        for symbol, divisor in self.divisors.items():
            if divisor == 1 or symbol not in expr.free_symbols:
                continue
            multiple = sympy.Dummy(f"{symbol.name}_q", integer=True, positive=True)
            rewritten = expr.xreplace({symbol: divisor * multiple})
            rewritten = sympy.expand(rewritten.xreplace({multiple: symbol / divisor}))
            if rewritten != sympy.expand(expr):
                used.add(symbol)
                expr = rewritten
        self._cache[original] = (expr, frozenset(used))
        return expr, used

    def describe(self, used: Iterable | None = None) -> str:
        """The assumption in words, e.g. ``H and W divisible by 32`` (only ``used`` symbols).

        >>> import symcnn as sc
        >>> H, W, n = sc.symbols("H W n")
        >>> AssumeDivisible({H: 32, W: 32, n: 4}).describe()
        'H and W divisible by 32; n divisible by 4'
        """
        parts = []
        for syms, divisor in self.groups(used):
            names = [s.name for s in syms]
            joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            parts.append(f"{joined} divisible by {divisor}")
        return "; ".join(parts)

    def groups(self, used: Iterable | None = None) -> list:
        """``[(symbols, divisor), ...]``, symbols sorted by name, for printers."""
        chosen = self.divisors if used is None else {s: d for s, d in self.divisors.items()
                                                     if s in set(used)}
        groups: dict = {}
        for symbol, divisor in chosen.items():
            groups.setdefault(divisor, []).append(symbol)
        return [(tuple(sorted(syms, key=lambda s: s.name)), d) for d, syms in groups.items()]

    def __repr__(self) -> str:
        return f"AssumeDivisible({{{', '.join(f'{s}: {d}' for s, d in self.divisors.items())}}})"
