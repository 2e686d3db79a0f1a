"""Solving for a multiplier on a grid of steps, exactly.

A width multiplier ``alpha`` is a positive rational, and researchers ask for it on a grid:
"the largest alpha in steps of 0.05 under 3 M parameters". With ``alpha = k*step`` for a
positive integer ``k``, the channel roundings become functions of ``k``. They are not
polynomials with floors everywhere (``make_divisible`` is at least the divisor and is bumped
up when rounding loses more than 10 %; ``Max(1, alpha)`` switches at 1), but beyond some
``k0`` every such piece has settled into a floor form (``make_divisible(v, 8)`` is
``8*floor(v/8 + 1/2)`` once ``v >= 40``; a ``Max`` is its eventually largest argument, or
stays a ``Max`` of floor forms, split into cases, when that argument takes over only far
out). So the answer is exact for every ``k``: the values below ``k0`` are evaluated one by
one in exact rational arithmetic, the rest are decided by
:func:`symcnn.quasipoly.relation_set`. A power of an integer base in the symbol is one of
the index (``2**L`` on the grid ``L = 2*k`` is ``4**k``), decided as on the integers.

A function settles when its class has ``eventual_form(self) -> (form, requirement)``: the
floor form, valid wherever ``requirement >= 0`` (:class:`symcnn.zoo.scaling.make_divisible`
has one).

>>> import sympy
>>> from symcnn.zoo.scaling import make_divisible
>>> a = sympy.Symbol("a", positive=True, rational=True)
>>> expr, k, k0 = on_grid(make_divisible(32*a, 8) + sympy.Max(1, a), a, sympy.Rational(1, 20))
>>> expr, k0
(_k/20 + 8*floor(_k/5 + 1/2), 26)
"""

from __future__ import annotations

import math
import numbers

import sympy

from .errors import SolveError, brief
from .intsets import IntegerSet
from .quasipoly import NotQuasiPolynomial, relation_set

__all__ = ["on_grid", "settle", "NotSettled", "grid_sets", "largest_on_grid",
           "largest_within", "MAX_BELOW"]


#: Most grid values below ``k0`` evaluated one by one (each costs a few milliseconds on a
#: MobileNet): a step of 1/1000 puts ``k0`` near 2,500 for MobileNetV2, 1e-7 at 12.5 million.
MAX_BELOW = 5000


class NotSettled(Exception):
    """An expression that does not settle into floor form (the reason is the message).

    ``node``, when given, is the expression in the grid index that the reason shows, so
    that the reason can name the index as the user reads it (:func:`_grid_reason`)."""

    def __init__(self, reason: str, node=None) -> None:
        super().__init__(reason)
        self.reason, self.node = reason, node


def _bound(expr, upper: bool):
    """A polynomial bound of ``expr``: ``floor(a) >= a - 1``, ``ceiling(a) <= a + 1``."""
    def fix(e):
        if isinstance(e, sympy.floor):
            return e.args[0] if upper else e.args[0] - 1
        if isinstance(e, sympy.ceiling):
            return e.args[0] + 1 if upper else e.args[0]
        return None

    return sympy.expand(expr.replace(lambda e: fix(e) is not None, fix))


def _from(poly_expr, k) -> int:
    """An integer ``K >= 1`` with ``poly_expr >= 0`` for every integer ``k >= K`` (past its
    largest real root), or :class:`NotSettled`."""
    poly_expr = sympy.expand(poly_expr)
    if not poly_expr.has(k):
        if poly_expr >= 0:
            return 1
        raise NotSettled(f"{poly_expr} >= 0 never holds", poly_expr)
    if not poly_expr.is_polynomial(k) or poly_expr.free_symbols != {k}:
        raise NotSettled(f"{poly_expr} is not a polynomial in the grid index", poly_expr)
    poly = sympy.Poly(poly_expr, k)
    if poly.LC() < 0:
        raise NotSettled(f"{poly_expr} >= 0 fails for large values", poly_expr)
    roots = poly.real_roots()
    return 1 if not roots else max(1, int(sympy.floor(max(roots))) + 1)


def settle(expr, k) -> tuple:
    """``(form, k0)``: ``expr`` in floor form, equal to it for every integer ``k >= k0``."""
    if expr.is_Atom:
        return expr, 1
    parts = [settle(a, k) for a in expr.args]
    start = max((s for _, s in parts), default=1)
    new = expr.func(*(f for f, _ in parts)) if parts else expr
    if isinstance(new, (sympy.Max, sympy.Min)):
        return _settle_extremum(new, k, start)
    hook = getattr(type(new), "eventual_form", None)
    if hook is not None and new.has(k):
        form, requirement = hook(new)
        return form, max(start, _from(_bound(requirement, False), k))
    if new.has(k) and isinstance(new, sympy.Function) and not isinstance(
            new, (sympy.floor, sympy.ceiling, sympy.Mod)):
        raise NotSettled(f"{new.func} has no floor form")
    return new, start


def _settle_extremum(new, k, start: int) -> tuple:
    """``(argument, k0)``: the argument of a ``Max`` (``Min``) that is at least (at most)
    every other one for every ``k >= k0``, proven by polynomial bounds (:func:`_from`).

    The argument largest (smallest) at one large ``k`` is tried first, then the others: a
    value such as ``10**9`` can lie before the crossing, and any argument so proven is
    exact. When none is proven, or only from a ``k0`` with more than :data:`MAX_BELOW`
    values below it (``Max(k, 2*k - 10**10)`` is ``2*k - 10**10`` only from
    ``k = 10**10``), the ``Max`` (``Min``) of the settled arguments stays:
    :func:`~symcnn.quasipoly.relation_set` splits it into cases exactly."""
    is_max = isinstance(new, sympy.Max)
    big = 10**9
    pick = max if is_max else min
    first = pick(new.args, key=lambda a: a.xreplace({k: big}))
    found = []
    for best in (first,) + tuple(a for a in new.args if a is not first):
        at = start
        try:
            for other in new.args:
                if other is not best:
                    gap = (_bound(best, False) - _bound(other, True) if is_max
                           else _bound(other, False) - _bound(best, True))
                    at = max(at, _from(gap, k))
        except NotSettled:
            continue
        found.append((at, best))
    if found and min(at for at, _ in found) - 1 <= MAX_BELOW:
        at, best = min(found, key=lambda pair: pair[0])
        return best, at
    return new, start


def _exponents(expr, k):
    """``expr`` with each power ``b**(c*k + d)`` of an integer base (``c``, ``d`` integers)
    written ``b**d * (b**c)**k``: on the grid ``L = 2*k`` the condition ``64 >= 2**L`` of
    ``L`` halvings is ``64 >= 4**k``, a power of the index that ``relation_set`` decides."""
    if not isinstance(expr, sympy.Basic):
        return expr
    swap = {}
    for power in expr.atoms(sympy.Pow):
        b, exponent = power.base, power.exp
        if not (b.is_Integer and b >= 2 and exponent.has(k) and exponent.is_polynomial(k)
                and sympy.degree(exponent, k) == 1):
            continue
        c, d = sympy.Poly(exponent, k).all_coeffs()
        if c.is_Integer and d.is_Integer:  # c != 0: the degree is 1
            swap[power] = b ** d * sympy.Pow(b ** abs(c), k if c > 0 else -k)
    return expr.xreplace(swap) if swap else expr


def on_grid(expr, symbol, step) -> tuple:
    """``(form, k, k0)``: ``expr`` at ``symbol = k*step`` in floor form, valid for ``k >= k0``.

    ``k`` is a fresh positive-integer symbol; below ``k0`` evaluate ``expr`` itself.
    """
    k = sympy.Dummy("k", integer=True, positive=True)
    grid = expr.xreplace({symbol: k * step})
    form, start = settle(grid, k)
    return sympy.expand(form), k, start


def _step(step, where: str):
    value = step
    if isinstance(step, float):
        value = sympy.Rational(repr(float(step))) if math.isfinite(step) else None  # NumPy's
    elif isinstance(step, numbers.Rational) and not isinstance(step, bool):  # NumPy's too
        value = sympy.Rational(int(step.numerator), int(step.denominator))
    if not (isinstance(value, sympy.Rational) and value > 0):
        raise SolveError(f"{where}: `step` must be a positive rational number such as "
                         f"Fraction(1, 20). Received: step={brief(step)}")
    return value


def _grid_reason(err, k, x, step, problem) -> str:
    """``x = n*step (n = 1, 2, ...): <reason>``, with the grid index named ``n`` (or another
    free name) in the reason, never the internal ``_k``."""
    taken = {s.name for e, b in problem.pairs for s in (e - b).free_symbols} | {x.name}
    name = next(c for c in ("n", "k", "j", "i", "m") + tuple(f"n{i}" for i in range(99))
                if c not in taken)
    index = sympy.Symbol(name, integer=True, positive=True)
    reason = err.reason
    if err.node is not None:
        reason = reason.replace(str(err.node), str(err.node.xreplace({k: index})))
    return f"{x} = {index * step} ({index} = 1, 2, ...): {reason}"


def grid_sets(problem, step) -> tuple:
    """``(within, admissible, k)``: the grid indices ``k`` (``symbol = k*step``) within every
    budget, and those meeting the model's constraints, as :class:`IntegerSet` objects."""
    x, where = problem.symbol, problem.where
    step = _step(step, where)
    # A quantity without x is within its budget for every grid value or for none (a
    # decided relation); the model's constraints then bound x, or nothing does.
    relations = [sympy.Le(e, b, evaluate=not (e - b).has(x)) for e, b in problem.pairs]
    constraints = [c for c in problem.constraints if getattr(c, "free_symbols", set()) >= {x}]
    extra = set().union(*(r.free_symbols for r in relations + constraints)) - {x}
    if extra:
        raise SolveError(f"{where}: the expression still has the free symbol(s) "
                         f"{', '.join(sorted(s.name for s in extra))} besides {x}; fix them by "
                         f"keyword. Received: expr={problem.shown}")
    k = sympy.Dummy("k", integer=True, positive=True)
    sets, start = [], 1
    settled = []
    try:
        for group in (relations, constraints):
            forms = []
            for r in group:
                if isinstance(r, sympy.logic.boolalg.BooleanAtom):  # decided: no x in it
                    forms.append(r)
                    continue
                lhs, s1 = settle(sympy.expand(r.lhs.xreplace({x: k * step})), k)
                rhs, s2 = settle(sympy.expand(r.rhs.xreplace({x: k * step})), k)
                forms.append(r.func(_exponents(lhs, k), _exponents(rhs, k), evaluate=False))
                start = max(start, s1, s2)
            settled.append(forms)
    except NotSettled as err:
        raise SolveError(f"{where}: cannot solve for {x} on the grid "
                         f"{_grid_reason(err, k, x, step, problem)}. "
                         f"Received: expr={problem.shown}") from None
    if start - 1 > MAX_BELOW:
        raise SolveError(f"{where}: on a grid of step {step} the roundings settle only from "
                         f"{x} = {start * step}, and the {start - 1:,} grid values below would "
                         f"be evaluated one by one (at most {MAX_BELOW:,}); take a coarser "
                         f"step. Received: step={step}")
    for group, forms in zip((relations, constraints), settled):
        small = [j for j in range(1, start)
                 if all(bool(r.xreplace({x: j * step})) for r in group)]
        try:
            large = relation_set(forms, k, start) if forms else IntegerSet.interval(start)
        except NotQuasiPolynomial as err:
            raise SolveError(f"{where}: cannot decide {x} exactly on the grid "
                             f"{_grid_reason(err, k, x, step, problem)}. "
                             f"Received: expr={problem.shown}") from None
        large = large.intersection(IntegerSet.interval(start))
        for j in small:
            large = large.union(IntegerSet.interval(j, j))
        sets.append(large)
    return sets[0].intersection(sets[1]), sets[1], step


def largest_within(within, admissible, lo, unbounded, gaps):
    """The largest value of ``within`` when every value of ``admissible`` from ``lo`` up to
    it is in ``within`` too (so it answers a budget); ``None`` when ``within`` is empty;
    otherwise :class:`SolveError` with the message ``unbounded()`` (no largest value) or
    ``gaps()`` (admissible values over budget below values within it).

    >>> within = IntegerSet.interval(1, 5)
    >>> largest_within(within, IntegerSet.interval(1, 9), 1, str, str)
    5
    """
    if within.is_empty:
        return None
    if not within.is_bounded:
        raise SolveError(unbounded())
    top = within.max()
    if admissible.intersection(IntegerSet.interval(lo, top)).count() != within.count():
        raise SolveError(gaps())
    return top


def largest_on_grid(problem, step):
    """The largest ``k*step`` within budget such that every admissible grid value up to it
    is within budget too; ``None`` when none is; :class:`SolveError` otherwise."""
    within, admissible, step = grid_sets(problem, step)
    x, where = problem.symbol, problem.where

    def unbounded() -> str:
        if not any((e - b).has(x) for e, b in problem.pairs):
            takes = ("the model admits arbitrarily large grid values" if any(
                x in getattr(c, "free_symbols", ()) for c in problem.constraints)
                else f"{x} takes arbitrarily large grid values")
            return (f"{where}: the expression does not depend on {x} and is within the "
                    f"budget, so every grid value of {x} is, and {takes}: there is no "
                    f"largest value on the grid. Received: expr={problem.shown}")
        return (f"{where}: the expression stays within the budget for arbitrarily "
                f"large {x}, so there is no largest value on the grid. "
                f"Received: expr={problem.shown}")

    def gaps() -> str:
        values = ", ".join(str(j * step) for j in list(within)[:12])
        return (f"{where}: the expression does not grow with {x} everywhere on the "
                f"grid, so no single largest value answers the question; the grid "
                f"values within budget start {values}. Received: expr={problem.shown}")

    top = largest_within(within, admissible, 1, unbounded, gaps)
    return None if top is None else top * step
