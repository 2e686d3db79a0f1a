"""Whether a claimed closed form equals the model's when :mod:`~symcnn.teach.identity` cannot
decide it: a rounding by a symbol (``ceiling(H/s)``, a pooling size ``k``), ``Max``/``Min``
that the model's constraints settle, ``Mod`` by a symbol. :func:`compare` gives a
:class:`Verdict`:

1. a proof, where one is found: the difference is zero once both sides are in a normal form
   (:func:`normal_form`: for an integer ``a`` and a positive integer ``s``,
   ``ceiling(a/s) = floor((a - 1)/s) + 1``, ``floor((a + j*s)/s) = floor(a/s) + j``,
   ``-floor(-a/s) = ceiling(a/s)``, ``Mod(a, s) = a - s*floor(a/s)``; ``Max(H - 4, 1)`` is
   ``H - 4`` where the model needs ``H >= 8``), or :func:`~symcnn.teach.identity.identically_zero`
   refutes it;
2. else the two sides evaluated exactly at many admissible sizes (every symbol at least its
   lower bound, every constraint of the model met; a symbolic divisor from 1 to
   :data:`MAX_DIVISOR`, a size over :data:`PERIODS` of its periods): a size where they
   differ refutes the claim (the verdict names it), and agreement at every one credits it,
   saying so: "equal at every one of N sizes tried; not proved".

A right answer is never called wrong: only a proof or a size where the two differ does that.

>>> import symcnn as sc
>>> H, s = sc.symbols("H s")
>>> compare(sympy.ceiling(H/s), -sympy.floor(-H/s)).equal
True
>>> v = compare(sympy.ceiling(H/s), sympy.floor(H/s))
>>> v.equal, v.note
(False, 'differs at H = 1, s = 2: yours is 0, expected 1')
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from itertools import islice, product

import sympy

from ..arith import bound_below
from ..errors import SymcnnError
from ..signs import prove_nonnegative
from ..structural import integer_valued, positive_integer_symbol
from .identity import identically_zero

__all__ = ["Verdict", "compare", "normal_form", "MAX_POINTS", "MAX_DIVISOR", "PERIODS",
           "MULTIPLIERS"]

#: At most this many admissible sizes are tried (fewer for a large expression: MAX_WORK).
MAX_POINTS = 4000
#: A symbol that divides (``H/s``, ``Mod(H, k)``) is tried from its lower bound to this.
MAX_DIVISOR = 36
#: A size is tried over this many periods of the roundings it is in (at least 48 values).
PERIODS = 3
#: Operations of exact arithmetic spent on the sizes tried, at most (about a second).
MAX_WORK = 600_000
#: The values tried for a multiplier (a positive rational symbol, ``sc.multiplier``).
MULTIPLIERS = tuple(Fraction(p, q) for p, q in (
    (1, 1), (1, 2), (3, 4), (1, 4), (5, 4), (3, 2), (2, 1), (1, 3), (2, 3), (7, 8), (1, 8),
    (7, 20), (5, 2), (3, 1), (9, 8), (11, 10)))


@dataclass(frozen=True)
class Verdict:
    """Whether a claimed value equals the expected one, and how that is known: ``proved``
    (a proof, or a size where the two differ: ``point``, with both values there), or not
    (equal at each of ``tried`` sizes in ``ranges``)."""

    equal: bool
    proved: bool = True
    tried: int = 0
    ranges: str = ""
    point: tuple = ()  # ((name, value), ...): a size where the two differ
    yours: str = ""
    expected: str = ""

    @property
    def note(self) -> str | None:
        """What the report says of it: the size where the two differ, or that equality was
        only tried; None for a proof."""
        if self.point:
            at = ", ".join(f"{name} = {value}" for name, value in self.point)
            return f"differs at {at}: yours is {self.yours}, expected {self.expected}"
        if self.equal and not self.proved:
            return (f"equal at every one of {self.tried:,} sizes tried ({self.ranges}); "
                    f"not proved")
        return None


EQUAL = Verdict(True)
UNEQUAL = Verdict(False)


def compare(expected, claimed, constraints=()) -> Verdict:
    """Whether ``claimed`` equals ``expected`` at every admissible size of their symbols
    (every symbol a positive integer, or a positive rational for a multiplier, and every
    relation in ``constraints``, the model's, met).

    >>> import symcnn as sc
    >>> H, k = sc.symbols("H k")
    >>> compare(sympy.floor((H - k)/k) + 1, sympy.ceiling((H + 1)/k) - 1).equal
    True
    >>> compare(H - 4, sympy.Max(H - 4, 1), [H >= 8]).equal
    True
    >>> v = compare(sympy.ceiling(H/k), sympy.floor(H/k) + sympy.Min(1, sympy.Mod(H, k)))
    >>> v.equal, v.proved
    (True, False)
    >>> print(v.note)
    equal at every one of 3,888 sizes tried (H from 1 to 108, k from 1 to 36); not proved
    """
    expected, claimed = sympy.sympify(expected), sympy.sympify(claimed)
    gap = expected - claimed
    if gap == 0:
        return EQUAL
    if gap.is_number:
        return Verdict(gap.is_zero is True)
    decided = identically_zero(gap)
    if decided is not None:  # False: proved on a whole residue class of sizes
        return EQUAL if decided else UNEQUAL
    facts = _facts(tuple(constraints))
    a, b = normal_form(expected, facts), normal_form(claimed, facts)
    if a == b or identically_zero(a - b) is True:
        return EQUAL
    tried = _sample(expected, claimed, tuple(constraints))
    if tried is None:  # symbols that cannot be tried (not positive): SymPy's word only
        return Verdict(bool(sympy.simplify(gap) == 0))
    return tried


# ------------------------------------------------------------------------- normal forms


def _facts(constraints: tuple) -> tuple:
    """``(lower, known)``: the least value of each symbol that a constraint bounds by a
    number (``H >= 8``), and each constraint ``e >= 0`` as its ``e`` (``H - k``)."""
    lower, known = {}, []
    for rel in constraints:
        bound = bound_below(rel)
        if bound is not None and bound[1].is_Integer and positive_integer_symbol(bound[0]):
            least = int(bound[1]) + bool(bound[2])
            lower[bound[0]] = max(lower.get(bound[0], 1), least)
        if isinstance(rel, (sympy.GreaterThan, sympy.StrictGreaterThan)):
            known.append(rel.lhs - rel.rhs)
        elif isinstance(rel, (sympy.LessThan, sympy.StrictLessThan)):
            known.append(rel.rhs - rel.lhs)
    return lower, tuple(known)


def normal_form(expr, facts: tuple = ({}, ())):
    """``expr`` with each rounding by a symbol in one normal form, ``Mod`` written out and
    each ``Max``/``Min`` argument that ``facts`` (:func:`_facts` of the model's
    constraints) prove never to win dropped. Equal normal forms are a proof; different ones
    prove nothing (the form is not unique: ``floor((H + W)/s)`` is kept as it is).

    ``floor(N/D)``, for an integer-valued polynomial ``N`` and ``D = c*m`` (``c`` a positive
    integer, ``m`` a product of size symbols), is ``Q + floor(R/D)``: the common factor of
    ``D`` and ``N``'s coefficients divided out (``floor((2H + 1)/(2s)) = floor(H/s)``), each
    term of ``N`` divisible by ``m`` reduced modulo ``c*m`` into ``Q``, and ``R``'s leading
    term positive (``floor(R/D) = -floor((-R - 1)/D) - 1``); ``ceiling(x)`` is ``-floor(-x)``.

    >>> import symcnn as sc
    >>> H, s = sc.symbols("H s")
    >>> normal_form(sympy.ceiling(H/s)), normal_form(sympy.floor((H + s - 1)/s))
    (floor((H - 1)/s) + 1, floor((H - 1)/s) + 1)
    >>> normal_form(H - s*sympy.floor(H/s)) == normal_form(sympy.Mod(H, s))
    True
    >>> normal_form(sympy.Max(H - 4, 1), ({H: 8}, ()))
    H - 4
    """
    memo: dict = {}

    def walk(e):
        if e.is_Atom or not e.args:
            return e
        if e in memo:
            return memo[e]
        args = [walk(a) for a in e.args]
        if isinstance(e, sympy.Mod):
            out = args[0] - args[1] * _floor(args[0] / args[1])
        elif isinstance(e, sympy.ceiling):
            out = -_floor(-args[0])
        elif isinstance(e, sympy.floor):
            out = _floor(args[0])
        elif isinstance(e, (sympy.Max, sympy.Min)):
            out = _extremum(type(e), args, facts)
        elif args != list(e.args):
            out = e.func(*args)
        else:
            out = e
        memo[e] = out
        return out

    return walk(sympy.sympify(expr))


def _floor(x):
    """``floor(x)`` in the normal form of :func:`normal_form` where ``x`` is ``N/D`` with a
    symbol in ``D``; else kept as written (:mod:`~symcnn.teach.identity` reads those)."""
    if x.is_number:
        return sympy.floor(x)
    if not any(p.exp.is_negative and p.base.free_symbols for p in x.atoms(sympy.Pow)):
        return sympy.floor(x, evaluate=False)
    num, den = sympy.fraction(sympy.together(x))
    c, m = den.as_coeff_Mul()
    if c < 0:
        c, num = -c, -num
    if not (c.is_Integer and _size_monomial(m)):
        return sympy.floor(x, evaluate=False)
    terms = [t.as_coeff_Mul() for t in sympy.Add.make_args(sympy.expand(num))]
    if not all(k.is_Integer and integer_valued(t) for k, t in terms):
        return sympy.floor(x, evaluate=False)
    return _floor_ratio({t: int(k) for k, t in terms}, int(c), m)


def _size_monomial(m) -> bool:
    """``m`` is a product of powers of size symbols (positive integers), not 1."""
    powers = m.as_powers_dict()
    return m != 1 and all(positive_integer_symbol(b) and e.is_Integer and e > 0
                          for b, e in powers.items())


def _floor_ratio(num: dict, c: int, m):
    """``floor(N/(c*m))`` for ``N`` given as ``{monomial: integer coefficient}``."""
    one = sympy.S.One
    rest = {t: k for t, k in num.items() if t != one and k}
    g = math.gcd(c, *rest.values()) if rest else c
    if g > 1:  # floor((g*N' + r)/(g*D')) = floor((N' + r//g)/D')
        const = num.get(one, 0)
        num = {t: k // g for t, k in rest.items()}
        num[one] = const // g
        c //= g
    quotient, rem = [], {}
    for t, k in num.items():
        if not k:
            continue
        q = t / m if t != one else None
        if q is not None and all(e.is_nonnegative for e in q.as_powers_dict().values()):
            whole, k = divmod(k, c)
            if whole:
                quotient.append(whole * q)
        if k:
            rem[t] = k
    if not rem:
        return sympy.Add(*quotient)
    lead = max(rem, key=lambda t: (t != one, sympy.default_sort_key(t)))
    if rem[lead] < 0:  # floor(R/D) = -floor((-R - 1)/D) - 1
        flipped = {t: -k for t, k in rem.items()}
        flipped[one] = flipped.get(one, 0) - 1
        return sympy.Add(*quotient) - 1 - _floor_ratio(flipped, c, m)
    r = sympy.Add(*(k * t for t, k in rem.items()))
    return sympy.Add(*quotient, sympy.floor(r / (c * m), evaluate=False))


def _at_least_zero(d, facts: tuple) -> bool:
    """``d >= 0`` proved for every admissible size, under the model's constraints."""
    if d == 0:
        return True
    lower, known = facts
    try:
        return prove_nonnegative(d, lower) or any(prove_nonnegative(d - k, lower)
                                                  for k in known)
    except (SymcnnError, TypeError, ValueError, ArithmeticError):
        return False


def _extremum(cls, args: list, facts: tuple):
    """``Max``/``Min`` of ``args`` without the arguments another one is proved to beat."""
    kept = list(dict.fromkeys(args))
    sign = 1 if cls is sympy.Max else -1
    for a in list(kept):
        if any(b is not a and _at_least_zero(sympy.expand(sign * (b - a)), facts)
               for b in kept):
            kept.remove(a)
    return kept[0] if len(kept) == 1 else cls(*kept, evaluate=False)


# ----------------------------------------------------------------- sizes tried, exactly


class _Unsupported(Exception):
    """An expression that cannot be evaluated exactly here (a real power, a relation)."""


def _compile(e, index: dict, memo: dict):
    """A function of a tuple of values (ints, Fractions) giving ``e`` exactly, and its
    number of operations."""
    if e in memo:
        return memo[e]
    if e.is_Integer:
        v = int(e)
        out = (lambda p: v), 1
    elif e.is_Rational:
        v = Fraction(int(e.p), int(e.q))
        out = (lambda p: v), 1
    elif e.is_Symbol:
        if e not in index:
            raise _Unsupported(e)
        i = index[e]
        out = (lambda p: p[i]), 1
    elif e.is_Add or e.is_Mul or isinstance(e, (sympy.Max, sympy.Min)):
        parts = [_compile(a, index, memo) for a in e.args]
        fs, cost = [f for f, _ in parts], sum(c for _, c in parts) + len(parts)
        if e.is_Add:
            out = (lambda p: sum(f(p) for f in fs)), cost
        elif e.is_Mul:
            out = (lambda p: math.prod(f(p) for f in fs)), cost
        else:
            pick = max if isinstance(e, sympy.Max) else min
            out = (lambda p: pick(f(p) for f in fs)), cost
    elif e.is_Pow and e.exp.is_Integer:
        f, cost = _compile(e.base, index, memo)
        n = int(e.exp)
        out = ((lambda p: Fraction(f(p)) ** n) if n < 0 else (lambda p: f(p) ** n)), cost + 1
    elif isinstance(e, (sympy.floor, sympy.ceiling, sympy.Abs)):
        f, cost = _compile(e.args[0], index, memo)
        op = {sympy.floor: math.floor, sympy.ceiling: math.ceil, sympy.Abs: abs}[type(e)]
        out = (lambda p: op(f(p))), cost + 1
    elif isinstance(e, sympy.Mod):
        (f, c1), (g, c2) = _compile(e.args[0], index, memo), _compile(e.args[1], index, memo)
        out = (lambda p: f(p) % g(p)), c1 + c2 + 1
    elif isinstance(e, sympy.Function) and e.args:  # make_divisible(32*a, 8): SymPy's value
        parts = [_compile(a, index, memo) for a in e.args]
        fs, func = [f for f, _ in parts], e.func

        def call(p):
            value = func(*(sympy.Rational(v.numerator, v.denominator)
                           if isinstance(v, Fraction) else sympy.Integer(v) for v in
                           (f(p) for f in fs)))
            if not value.is_Rational:
                raise _Unsupported(value)
            return int(value) if value.is_Integer else Fraction(int(value.p), int(value.q))
        out = call, sum(c for _, c in parts) + 50
    else:
        raise _Unsupported(e)
    memo[e] = out
    return out


@lru_cache(maxsize=2048)
def _compiled(expr, symbols: tuple):
    """``(function, cost)`` of ``expr`` over values of ``symbols`` in order (cached: the
    variants of a layer are compared with the same expected value again and again)."""
    return _compile(expr, {s: i for i, s in enumerate(symbols)}, {})


def _holds(rel, symbols: tuple, p: tuple) -> bool:
    """Whether the constraint ``rel`` holds at the size ``p`` (False if it cannot say)."""
    kinds = {sympy.GreaterThan: lambda v: v >= 0, sympy.StrictGreaterThan: lambda v: v > 0,
             sympy.LessThan: lambda v: v <= 0, sympy.StrictLessThan: lambda v: v < 0,
             sympy.Equality: lambda v: v == 0, sympy.Unequality: lambda v: v != 0}
    test = kinds.get(type(rel))
    if test is None:
        return False
    try:
        return test(_compiled(rel.lhs - rel.rhs, symbols)[0](p))
    except (_Unsupported, ZeroDivisionError, TypeError, ValueError, ArithmeticError):
        return False


def _divisors(expr) -> set:
    """The symbols that divide in ``expr`` (in a denominator, or the divisor of a Mod)."""
    out = set()
    for p in expr.atoms(sympy.Pow):
        if p.exp.is_negative:
            out |= p.base.free_symbols
    for m in expr.atoms(sympy.Mod):
        out |= m.args[1].free_symbols
    return out


def _period(expr) -> int:
    """The least common multiple of the numbers that divide in ``expr`` (at most 64)."""
    period = 1
    for r in expr.atoms(sympy.Rational):
        period = math.lcm(period, int(r.q))
    for m in expr.atoms(sympy.Mod):
        if m.args[1].is_Integer:
            period = math.lcm(period, int(m.args[1]))
    return min(period, 64)


def _fmt(v) -> str:
    return str(v) if not isinstance(v, Fraction) or v.denominator != 1 else str(v.numerator)


@lru_cache(maxsize=256)
def _sizes(symbols: tuple, divisors: frozenset, period: int, constraints: tuple) -> tuple:
    """``(points, ranges)``: up to :data:`MAX_POINTS` admissible sizes (tuples in the order
    of ``symbols``), every one of a small grid or, when that is too large, its corner and
    sizes drawn from it with a fixed seed; ``ranges`` says what was tried."""
    lower, _ = _facts(constraints)
    values, ranges = [], []
    for s in symbols:
        if s.is_integer:
            lo = max(lower.get(s, 1), 1)
            span = MAX_DIVISOR if s in divisors else max(
                PERIODS * (max(period, MAX_DIVISOR) if divisors else period), 48)
            values.append(range(lo, lo + span))
            ranges.append(f"{s} from {lo} to {lo + span - 1}")
        else:
            values.append(MULTIPLIERS)
            ranges.append(f"{s} from {min(MULTIPLIERS)} to {max(MULTIPLIERS)}")
    relevant = [r for r in constraints if r.free_symbols <= set(symbols)]
    total = math.prod(len(v) for v in values)
    if total <= MAX_POINTS:
        candidates = product(*values)
    else:
        corner = product(*(v[:3] for v in values))
        rng = random.Random(total)
        drawn = (tuple(rng.choice(v) for v in values) for _ in range(20 * MAX_POINTS))
        candidates = (p for source in (corner, drawn) for p in source)
    seen, points = set(), []
    for p in candidates:
        if p not in seen and all(_holds(r, symbols, p) for r in relevant):
            seen.add(p)
            points.append(p)
            if len(points) >= MAX_POINTS:
                break
    return tuple(points), ", ".join(ranges)


def _sample(expected, claimed, constraints: tuple) -> Verdict | None:
    """The two sides at many admissible sizes: a size where they differ (``claimed``
    undefined there counts), else equal at each of them and not proved; None when their
    symbols cannot be tried (a symbol that is not positive) or nothing can be evaluated."""
    symbols = set(expected.free_symbols | claimed.free_symbols)
    if not all(s.is_positive for s in symbols):
        return None
    grown = True
    while grown:  # the symbols of the constraints on these symbols, and of theirs
        more = set().union(*(r.free_symbols for r in constraints if r.free_symbols & symbols))
        grown = not more <= symbols
        symbols |= more
    symbols = tuple(sorted(symbols, key=str))
    if not all(s.is_positive for s in symbols):
        return None
    relevant = tuple(r for r in constraints if r.free_symbols <= set(symbols))
    try:
        (f, c1), (g, c2) = _compiled(expected, symbols), _compiled(claimed, symbols)
    except (_Unsupported, RecursionError):
        return None
    points, ranges = _sizes(symbols, frozenset(_divisors(expected) | _divisors(claimed)),
                            math.lcm(_period(expected), _period(claimed)), relevant)
    tried = 0
    for p in islice(points, max(MAX_WORK // (c1 + c2), 64)):
        try:
            want = f(p)
        except (ZeroDivisionError, _Unsupported, TypeError, ValueError, ArithmeticError):
            continue  # the model's own value is not defined there: not an admissible size
        try:
            got = g(p)
        except (ZeroDivisionError, _Unsupported, TypeError, ValueError, ArithmeticError):
            got = None
        tried += 1
        if got != want:
            return Verdict(False, True, point=tuple((str(s), _fmt(v)) for s, v in
                                                    zip(symbols, p)),
                           yours="undefined" if got is None else _fmt(got),
                           expected=_fmt(want))
    if not tried:
        return None
    return Verdict(True, False, tried, ranges)
