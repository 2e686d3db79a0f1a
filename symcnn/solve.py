"""Solving for budgets: the largest size that keeps a quantity within a budget.

>>> import symcnn as sc
>>> n = sc.symbols("n")
>>> solve_budget(160*n + 48320, 100_000, n)
323
"""

from __future__ import annotations

from typing import Any

import sympy

from .errors import SolveError

__all__ = ["solve_budget"]


def _evaluate(expr: sympy.Expr, symbol: sympy.Symbol, value: int) -> sympy.Integer:
    result = expr.xreplace({symbol: sympy.Integer(value)})
    if not result.is_number:
        raise SolveError(f"solve_budget: the expression still has free symbols "
                         f"{sorted(map(str, result.free_symbols))} once {symbol} is set; fix "
                         f"them by keyword (e.g. H=224). Received: expr={expr}")
    return result


def solve_budget(expr, budget, symbol, **fixed: Any) -> int | None:
    """The largest positive integer value of ``symbol`` with ``expr <= budget``.

    Other symbols are fixed by keyword (``H=224``). The expression must not decrease as the
    symbol grows over the positive integers; otherwise :class:`SolveError` says so. Returns
    ``None`` when even ``symbol = 1`` exceeds the budget.

    >>> import symcnn as sc
    >>> n, H = sc.symbols("n H")
    >>> solve_budget(n**2 + H*n, 1000, n, H=10)  # 27**2 + 270 = 999
    27
    """
    expr = sympy.sympify(expr)
    if isinstance(symbol, str):
        matches = [s for s in expr.free_symbols if s.name == symbol]
        symbol = matches[0] if matches else sympy.Symbol(symbol, integer=True, positive=True)
    if fixed:
        by_name = {s.name: s for s in expr.free_symbols}
        unknown = [k for k in fixed if k not in by_name]
        if unknown:
            raise SolveError(f"solve_budget: no symbol named {', '.join(unknown)} in the "
                             f"expression. Received: {', '.join(f'{k}={fixed[k]!r}' for k in unknown)}")
        expr = expr.xreplace({by_name[k]: sympy.Integer(v) for k, v in fixed.items()})
    if symbol not in expr.free_symbols:
        raise SolveError(f"solve_budget: the expression does not depend on {symbol}, so every "
                         f"value or none is within the budget. Received: expr={expr}")
    budget = sympy.Integer(budget) if not isinstance(budget, sympy.Basic) else budget
    if _evaluate(expr, symbol, 1) > budget:
        return None
    diff = sympy.expand(expr.xreplace({symbol: symbol + 1}) - expr)
    if expr.is_polynomial(symbol) and diff.is_nonnegative is not True:
        poly = sympy.Poly(expr, symbol)
        if any(c < 0 for c in poly.coeffs()[:-1] if c.is_number):
            raise SolveError(f"solve_budget: {expr} does not grow with {symbol} for every "
                             f"positive integer, so a single largest value may not exist. Use "
                             f"sc.solve for the full answer set.")
    lo, hi = 1, 2
    while _evaluate(expr, symbol, hi) <= budget:
        lo, hi = hi, hi * 2
        if hi > 2 ** 256:
            raise SolveError(f"solve_budget: {expr} stays within {budget} beyond {symbol} = "
                             f"2**256; it does not grow with {symbol}.")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _evaluate(expr, symbol, mid) <= budget:
            lo = mid
        else:
            hi = mid
    return lo
