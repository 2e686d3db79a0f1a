"""Facts about closed forms read off their structure, without SymPy's assumption system.

Building a network asks the same few questions of every size over and over: is it an
integer, is it already expanded, is it at least some bound. SymPy answers them through its
assumption queries and ``expand``, which cost tens of microseconds on a fresh expression.
Sizes have a simple shape (integer-coefficient polynomials in positive-integer symbols,
with floors and ceilings of such), so the answer can usually be read off the tree directly.

Each function here is *conservative*: it answers only what the structure proves (``True``
or a number), and otherwise says it does not know (``False`` or ``None``), so callers fall
back to the general path. None of them is ever wrong. Two build results directly, in the
very form the general path gives (tests compare them expression for expression):
:func:`expanded_product` (a count such as a layer's MACs) and :func:`affine_floor` (a window
on one rounded symbol plus a constant).

>>> from symcnn import symbols
>>> from sympy import ceiling
>>> H, W = symbols("H W")
>>> integer_valued(3*ceiling(H/4) - W), is_expanded(ceiling(H/4) + 2), lower_bound(ceiling(H/4) + 2)
(True, True, 3)
>>> is_expanded(W*(H + 1)), lower_bound(H - W)
(False, None)
"""

from __future__ import annotations

import math
from fractions import Fraction

import sympy
from sympy import Add, Basic, Integer, Mul, Pow, Rational, S, Symbol, ceiling, floor
from sympy.core.add import _addsort

from .errors import ExpressionError

__all__ = ["integer_valued", "is_expanded", "expanded", "lower_bound", "positive_integer_symbol",
           "as_int", "as_fraction", "expanded_product", "affine_floor", "total", "ValueKey",
           "IdentityMemo", "expanded_terms", "structural_degree", "structure_bounds",
           "check_expandable", "MAX_EXPANDED_TERMS", "upper_bound", "value_range"]


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
    if isinstance(expr, Basic) and (expr.is_Add or expr.is_Mul):
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
    if isinstance(expr, Basic) and expr.is_Add:
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


def total(values) -> sympy.Expr:
    """``sympy.expand(sympy.Add(*values))``; integers (a numeric model's counts) are summed
    as Python ints, without SymPy's n-ary ``Add``.

    >>> from symcnn import symbols
    >>> H = symbols("H")
    >>> total([Integer(3), 4, Integer(5)]), total([H*(H + 1), Integer(2)])
    (12, H**2 + H + 2)
    """
    values = list(values)
    ints = [as_int(v) for v in values]
    if None not in ints:
        return Integer(sum(ints))
    many = _SHORTCUTS and sum(len(v.args) if v.is_Add else 1 for v in values) > MANY_TERMS
    fast = _sum_of_expanded(values) if many else None
    return expanded(Add(*values) if fast is None else fast)


#: Off only in tests, which compare the shortcuts with the general path.
_SHORTCUTS = True
#: Above this many terms a total keeps its terms as they are (:func:`_sum_of_expanded`):
#: SymPy's cache holds 1,000 entries, and below that its ``Add`` is the faster (a network's
#: totals, a few hundred terms over a few distinct monomials).
MANY_TERMS = 1000


def _sum_of_expanded(values: list):
    """``Add(*values)`` for expanded sums of monomials that SymPy built, or None: the terms
    collected as ``Add.flatten`` collects them, each term that no other term joins kept as
    the object it is. ``Add`` would rebuild every ``c*n`` (``n`` a symbol) through ``Mul``,
    whose cache (1,000 entries) a total of thousands of width symbols no longer holds."""
    coeff, terms, first = S.Zero, {}, {}
    for value in values:
        if not is_expanded(value):
            return None
        for o in Add.make_args(value):
            if o.is_Rational:
                coeff += o
                continue
            if not o.is_commutative or o.is_number:
                return None
            if o.is_Mul:
                c, rest = o.as_coeff_Mul()
                if not c.is_Rational or rest.is_number:
                    return None
            elif o.is_Symbol or isinstance(o, (floor, ceiling)) or o.is_Pow and not (
                    o.base.is_Number):
                c, rest = S.One, o
            else:
                return None
            if rest in terms:
                terms[rest] += c
                first[rest] = None  # joined: rebuilt below, as Add.flatten builds it
            else:
                terms[rest], first[rest] = c, o
    newseq = []
    for rest, c in terms.items():
        if c.is_zero:
            continue
        if first[rest] is not None:
            newseq.append(first[rest])
        elif c is S.One:
            newseq.append(rest)
        elif rest.is_Mul:
            newseq.append(rest._new_rawargs(*((c,) + rest.args)))
        else:
            newseq.append(Mul(c, rest))
    _addsort(newseq)
    if coeff is not S.Zero:
        newseq.insert(0, coeff)
    return Add._from_args(newseq)


def as_fraction(arg):
    """``(y, a)`` with ``arg == y/a``, ``y`` expanded and ``a`` a positive integer, as
    ``sympy.fraction(sympy.together(arg))`` gives them for a sum of rational multiples of
    products (read off the coefficients: ``a`` is the least common denominator); else the
    general ``together``.

    >>> from symcnn import symbols
    >>> H, W = symbols("H W")
    >>> as_fraction(H/4 + W/6 + Rational(1, 2))
    (3*H + 2*W + 6, 12)
    """
    pairs = [t.as_coeff_Mul() for t in Add.make_args(arg)]
    if all(c.is_Rational and is_expanded(m) and not m.is_Add for c, m in pairs):
        a = math.lcm(*(int(c.q) for c, _ in pairs))
        return Add(*(Integer(int(c.p) * (a // int(c.q))) * m for c, m in pairs)), Integer(a)
    return sympy.fraction(sympy.together(arg))


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


#: Largest exponent :func:`_least_factor` raises a base to: a bound it states stays small,
#: and a smaller bound is still a bound.
_MAX_LEAST_EXPONENT = 64


def _least_factor(f) -> int | None:
    """The least value of ``f``, at least 1, for every value of its symbols: 1 for a
    positive integer symbol or the ceiling of a positive quantity, ``b**k`` for a power of
    such a factor ``b`` or of an integer ``b >= 1`` whose exponent is at least ``k >= 0``
    (``2**L`` is at least 2). None when the structure does not show it is at least 1."""
    if isinstance(f, Pow):
        if isinstance(f.base, Integer):
            base = int(f.base) if f.base >= 1 else None
        else:
            base = _least_factor(f.base)
        power = int(f.exp) if isinstance(f.exp, Integer) and f.exp > 0 else lower_bound(f.exp)
        if base is None or power is None or power < 0:
            return None
        return base ** min(power, _MAX_LEAST_EXPONENT)
    if isinstance(f, ceiling):
        return 1 if _positive_linear(f.args[0]) else None
    return 1 if positive_integer_symbol(f) else None


def lower_bound(expr) -> int | None:
    """An integer ``L`` with ``expr >= L`` for every value of its (positive integer)
    symbols, read off the structure: a constant plus positive-integer multiples of products
    of factors that are each at least 1 (a power of 2 with a positive exponent, at least 2).
    None when ``expr`` is not of that shape.

    >>> from symcnn import symbols
    >>> H, W, L = symbols("H W L")
    >>> lower_bound(4*ceiling(H/32)*ceiling(W/32) + H - 1), lower_bound(floor(H/2))
    (4, None)
    >>> lower_bound(2**L), lower_bound(3*4**(L + 1) - 5)
    (2, 43)
    """
    total = 0
    for t in Add.make_args(expr):
        coeff, rest = t.as_coeff_Mul()
        if not isinstance(coeff, Integer):
            return None
        c = int(coeff)
        if rest is S.One:
            total += c
            continue
        if c <= 0:
            return None
        least = c
        for f in Mul.make_args(rest):
            factor = _least_factor(f)
            if factor is None:
                return None
            least *= factor
        total += least
    return total


def value_range(expr) -> tuple:
    """``(lo, hi)``, rationals (``fractions.Fraction``) with ``lo <= expr <= hi`` for every
    value of its symbols (a positive integer symbol is at least 1 and unbounded above), read
    off the structure; an end is None where the structure does not bound it. Numbers,
    symbols, sums, a rational times a product of nonnegative factors, nonnegative integer
    powers up to 64, ``Min``, ``Max``, ``floor``, ``ceiling`` and ``Mod`` by a positive
    integer are read; anything else is unbounded. Each end stops at the first part that
    leaves it open (``H - 2`` has no upper end after one look at ``H``).

    >>> from symcnn import symbols
    >>> n, H = symbols("n H")
    >>> value_range(sympy.Min(n, 2) - 2), value_range(floor(H/2) + 1)
    ((Fraction(-1, 1), Fraction(0, 1)), (Fraction(1, 1), None))
    """
    return _end(expr, False), _end(expr, True)


def _end(expr, upper: bool):
    """The upper (``upper``) or lower end of :func:`value_range`, or None."""
    if expr.is_Rational:
        return Fraction(int(expr.p), int(expr.q))
    if expr.is_Symbol:
        if upper:
            return None
        return Fraction(1) if expr.is_integer is True and expr.is_positive is True else \
            Fraction(0) if expr.is_nonnegative is True else None
    if expr.is_Add:
        out = Fraction(0)
        for a in expr.args:
            end = _end(a, upper)
            if end is None:
                return None
            out += end
        return out
    if expr.is_Mul:
        coeff, rest = expr.as_coeff_Mul()
        if not coeff.is_Rational:
            return None
        c = Fraction(int(coeff.p), int(coeff.q))
        want = upper if c >= 0 else not upper  # a negative coefficient swaps the ends
        out = Fraction(1)
        for f in Mul.make_args(rest):
            least = _end(f, False)
            if least is None or least < 0:  # a product of nonnegative factors only
                return None
            end = least if not want else _end(f, True)
            if end is None:
                return None
            out *= end
        return c * out
    if expr.is_Pow:
        e = expr.exp
        if not (isinstance(e, Integer) and 0 <= e <= _MAX_LEAST_EXPONENT):
            return None
        least = _end(expr.base, False)
        if least is None or least < 0:
            return None
        end = least if not upper else _end(expr.base, True)
        return None if end is None else end ** int(e)
    if isinstance(expr, (sympy.Min, sympy.Max)):
        ends = [_end(a, upper) for a in expr.args]
        if isinstance(expr, sympy.Min) == upper:  # below the least upper end of any argument
            known = [v for v in ends if v is not None]
            if not known:
                return None
            return min(known) if upper else max(known)
        if None in ends:  # below every argument's upper end: needs them all
            return None
        return max(ends) if upper else min(ends)
    if isinstance(expr, (floor, ceiling)):
        end = _end(expr.args[0], upper)
        if end is None:
            return None
        return Fraction(math.floor(end) if isinstance(expr, floor) else math.ceil(end))
    if isinstance(expr, sympy.Mod) and isinstance(expr.args[1], Integer) and expr.args[1] > 0:
        if not upper:
            return Fraction(0)  # below the divisor; at most one less for an integer dividend
        return Fraction(int(expr.args[1]) - (1 if integer_valued(expr.args[0]) else 0))
    return None


def upper_bound(expr) -> int | None:
    """An integer ``U`` with ``expr <= U`` for every value of its (positive integer)
    symbols, read off the structure (:func:`value_range`; the end rounded down for an
    integer-valued ``expr``, else up), or None when the structure does not bound it:
    ``Min(n, 2) - 2`` is at most 0, so it is never a size.

    >>> from symcnn import symbols
    >>> n, H = symbols("n H")
    >>> upper_bound(sympy.Min(n, 2) - 2), upper_bound(3 - floor(H/2)), upper_bound(H - 2)
    (0, 3, None)
    """
    hi = _end(expr, True)
    if hi is None or hi.denominator == 1:
        return None if hi is None else int(hi)
    # a fractional end: rounded down only for an integer, which cannot exceed it by a fraction
    return math.floor(hi) if integer_valued(expr) or expr.is_integer is True else math.ceil(hi)


def exponent_symbols(expr) -> set:
    """The symbols in an exponent of ``expr``: ``L`` in ``H >= 2**L``, the count of a
    ``Repeat`` of halvings (a count takes small values, which the solvers' hints say).

    >>> from symcnn import symbols
    >>> H, L = symbols("H L")
    >>> exponent_symbols(H - 2**L), exponent_symbols(H**2 + 1)
    ({L}, set())
    """
    return {s for p in expr.atoms(Pow) for s in p.exp.free_symbols}


def expanded_product(values, divisor=1):
    """``sympy.expand(prod(values) / divisor)``, with the integer factors multiplied as
    Python ints into one coefficient and ``expand`` skipped when the product is already
    expanded (a coefficient times symbols, floors and ceilings).

    >>> from symcnn import symbols
    >>> H = symbols("H")
    >>> expanded_product([3, H - 2, 64], 2), expanded_product([ceiling(H/2), 4])
    (96*H - 192, 4*ceiling(H/2))
    """
    coeff, symbolic = 1, []
    for v in values:
        i = as_int(v)
        if i is None:
            symbolic.append(v)
        else:
            coeff *= i
    d = as_int(divisor)
    if d is None or d == 0:
        return sympy.expand(sympy.Mul(*values) / divisor)
    if all(is_expanded(f) for f in symbolic):
        return _distributed(sympy.Rational(coeff, d), symbolic)
    return expanded(sympy.Mul(sympy.Rational(coeff, d), *symbolic))


#: Most terms a layer's count or size may expand to. A model file bounds each size at 2,000
#: terms, but a product of two such sizes is 4 million terms and minutes of SymPy; above
#: this bound the count is refused before anything expands (a real network stays far below).
MAX_EXPANDED_TERMS = 100_000


def check_expandable(expr, what: str = "the expression") -> None:
    """Raise an :class:`~symcnn.errors.ExpressionError` when expanding ``expr`` could give
    more than :data:`MAX_EXPANDED_TERMS` terms (a bound read from its structure).

    >>> import symcnn as sc
    >>> H, W = sc.symbols("H W")
    >>> check_expandable((H + W + 1)**40 * (H + W + 2)**40, "params")
    Traceback (most recent call last):
    ...
    symcnn.errors.ExpressionError: params would expand to more than 100,000 terms (about 741,321); symcnn refuses sizes this large rather than spend minutes expanding them. Received: an expression with 2 symbols
    """
    terms = expanded_terms(expr)
    if terms > MAX_EXPANDED_TERMS:
        raise ExpressionError(
            f"{what} would expand to more than {MAX_EXPANDED_TERMS:,} terms (about "
            f"{terms:,}); symcnn refuses sizes this large rather than spend minutes expanding "
            f"them. Received: an expression with {len(expr.free_symbols)} symbols")


def _distributed(coeff, factors) -> sympy.Expr:
    """``sympy.expand(coeff*prod(factors))`` for expanded factors: every term of one times
    every term of the others, summed once (``expand`` reaches the same sum through
    intermediate products whose assumptions it deduces one by one)."""
    if math.prod(len(Add.make_args(f)) for f in factors) > MAX_EXPANDED_TERMS:
        check_expandable(sympy.Mul(*factors), "a product of sizes")
    terms = [coeff]
    for f in factors:
        terms = [sympy.Mul(t, u) for t in terms for u in Add.make_args(f)]
    return Add(*terms)


def affine_floor(num: sympy.Expr, d: int, extra: int = 0):
    """``(q, node)`` with ``floor((num + extra)/d) == q + node`` in canonical form, written
    directly, when ``num`` is ``R + c``: ``c`` an integer and ``R`` an integer symbol ``s`` or
    ``floor(s/a)`` or ``ceiling(s/a)`` (what a chain of windows makes of one input size);
    else None. The general path (:func:`floor_div`) reaches the same expression in several
    steps: ``floor((ceiling(s/a) + c)/d) == floor((s + a - 1 + a*c)/(a*d))``, ``floor((floor(s/a)
    + c)/d) == floor((s + a*c)/(a*d))``, and ``floor((s + k)/D)`` is ``q + floor((s + r)/D)``
    with ``k = q*D + r``, written ``ceiling(s/D)`` when ``r = D - 1``.

    >>> from symcnn import symbols
    >>> H = symbols("H")
    >>> affine_floor(ceiling(H/4) - 1, 2), affine_floor(H, 2, 6)
    ((-1, ceiling(H/8)), (3, floor(H/2)))
    """
    c, rounded = extra, None
    for term in Add.make_args(num):
        if isinstance(term, Integer):
            c += int(term)
        elif rounded is None:
            rounded = term
        else:
            return None
    if isinstance(rounded, Symbol):
        s, a, k = rounded, 1, c
    elif isinstance(rounded, (floor, ceiling)):
        arg = rounded.args[0]
        if not (isinstance(arg, Mul) and len(arg.args) == 2):
            return None
        inverse, s = arg.args
        if not (isinstance(inverse, Rational) and inverse.p == 1 and inverse.q > 1):
            return None
        a = int(inverse.q)
        k = a * c + (a - 1 if isinstance(rounded, ceiling) else 0)
    else:
        return None
    if not (isinstance(s, Symbol) and s.is_integer is True):
        return None
    big = a * d
    q, r = divmod(k, big)
    unit = Rational(1, big)  # times 1/D: what dividing by D makes, one step less
    if r == big - 1:
        return q, ceiling(unit * s, evaluate=False)
    return q, floor(unit * (s + r), evaluate=False)


class ValueKey:
    """A closed form as a cache key (``.expr``) whose hash also reads its rationals' sizes: SymPy hashes
    ``ceiling(H/2**k)`` like ``1/2**k``, and Python hashes integers modulo ``2**61 - 1``, so
    a deep strided model's sizes collide in groups (period 61 in ``k``) and every lookup by
    value compares deep expressions with the others of its group."""

    __slots__ = ("expr", "_hash")

    def __init__(self, expr) -> None:
        self.expr = expr
        salt, stack = 0, [expr]
        while stack:
            e = stack.pop()
            if e.is_Rational:
                salt = salt * 31 + e.q.bit_length() + 7 * e.p.bit_length()
            else:
                stack.extend(e.args)
        self._hash = hash((expr, salt))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other) -> bool:
        return isinstance(other, ValueKey) and self._hash == other._hash and \
            self.expr == other.expr


class IdentityMemo:
    """Values kept by the identity of the object they were computed from, the object held
    with its value so that its id is not reused; cleared when ``size`` objects are kept.
    A model's sizes and results are shared objects, met again and again; looking them up
    by value would compare deep strided sizes, whose SymPy hashes collide in groups.

    >>> memo = IdentityMemo(size=2)
    >>> x = [1]
    >>> memo.get(x) is None, memo.put(x, "seen"), memo.get(x), memo.get([1]) is None
    (True, 'seen', 'seen', True)
    """

    __slots__ = ("_items", "size")

    def __init__(self, size: int = 1 << 16) -> None:
        self._items: dict = {}
        self.size = size

    def get(self, obj, default=None):
        """The value kept for this very object, else ``default``."""
        seen = self._items.get(id(obj))
        return seen[1] if seen is not None and seen[0] is obj else default

    def put(self, obj, value):
        """Keep ``value`` for ``obj``; returns ``value``."""
        if len(self._items) >= self.size:
            self._items.clear()
        self._items[id(obj)] = (obj, value)
        return value

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


def expanded_terms(expr, memo: dict | None = None) -> int:
    """An upper bound on the number of terms of ``expand(expr)``, found without expanding.

    >>> import symcnn as sc
    >>> H, W = sc.symbols("H W")
    >>> expanded_terms((H + W + 1)**2), len(sympy.expand((H + W + 1)**2).args)
    (6, 6)
    """
    return structure_bounds(expr, {} if memo is None else memo)[0]


def structural_degree(expr, memo: dict | None = None) -> int:
    """An upper bound on the degree of ``expr`` in its symbols, read from its structure:
    a product adds its factors' degrees, ``b**e`` multiplies ``b``'s by ``|e|``, sums,
    roundings, ``min`` and ``max`` keep their largest argument's.

    >>> import symcnn as sc
    >>> k, H = sc.symbols("k H")
    >>> structural_degree(k**3*H + sympy.floor(H**2/2)), structural_degree(1/k**2)
    (4, 2)
    """
    return structure_bounds(expr, {} if memo is None else memo)[1]


def structure_bounds(expr, memo: dict) -> tuple:
    """``(terms, degree)``: :func:`expanded_terms` and :func:`structural_degree` of
    ``expr``, found in one walk (shared subexpressions once, through ``memo``): the bounds
    the expression reader and the exact solver (:mod:`symcnn.quasipoly`) check."""
    if expr in memo:
        return memo[expr]
    parts = [structure_bounds(a, memo) for a in expr.args]
    if expr.is_Atom:
        out = (1, 1 if expr.is_Symbol else 0)
    elif expr.is_Add or isinstance(expr, (sympy.Min, sympy.Max)):
        out = (sum(t for t, _ in parts), max(d for _, d in parts))
    elif expr.is_Mul:
        out = (math.prod(t for t, _ in parts), sum(d for _, d in parts))
    elif expr.is_Pow and expr.exp.is_Integer:
        (t, d), e = parts[0], int(expr.exp)
        terms = (math.comb(t + e - 1, e) if t > 1 else 1) if e > 0 else t  # x**-k: one term
        out = (terms, d * abs(e))
    else:  # 2**k, floor(...): one term over whatever its arguments hold; their degree
        out = (max(t for t, _ in parts), max(d for _, d in parts))
    memo[expr] = out
    return out
