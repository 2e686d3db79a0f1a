"""Floor and ceiling division in canonical form, and constraints on sizes.

Every window operation divides an integer size by a stride and rounds. Chained, these
roundings nest: ``floor((floor((H - 1)/2) + 1 - 1)/2) + 1``. Because
``floor((floor(y/a) + b)/c) == floor((y + a*b)/(a*c))`` for integers ``y, b`` and positive
integers ``a, c`` (and ``ceiling(y/a) == floor((y + a - 1)/a)``), such a nest collapses to a
single rounding of a polynomial. :func:`floor_div` and :func:`ceil_div` apply this rule as they
build, so a ResNet-50 stack on ``H`` ends with one ``ceiling(H/32)``.

Canonical form of ``floor(P/d)`` (``P`` a polynomial with integer coefficients, ``d`` a
positive integer): multiples of ``d`` are taken out of the floor, a common factor of the
remaining coefficients and ``d`` is cancelled, and ``floor((Q + d - 1)/d)`` is written
``ceiling(Q/d)``.

>>> from symcnn import symbols
>>> H = symbols("H")
>>> floor_div(H - 3, 2) + 1
ceiling(H/2) - 1
>>> ceil_div(ceil_div(ceil_div(H, 2), 2), 8)
ceiling(H/32)
>>> floor_div(H - 3, 1)
H - 3
"""

from __future__ import annotations

import math
from functools import lru_cache

import sympy
from sympy import Add, Integer, ceiling, floor

from .signs import decide_sign, prove_nonnegative, terms
from .structural import expanded as _expanded
from .structural import affine_floor, integer_valued, lower_bound, upper_bound
from .structural import as_fraction as _as_fraction

__all__ = [
    "floor_div",
    "ceil_div",
    "Infeasible",
    "require_at_least",
    "decide_equal",
    "divisible",
    "ConstraintSet",
    "bound_below",
    "terms",
    "prove_nonnegative",
    "decide_sign",
]


class Infeasible(Exception):
    """Internal: a requirement is false for every admissible value of the symbols."""


def _is_rounding(expr) -> bool:
    return isinstance(expr, (floor, ceiling))


def _has_rounding(expr) -> bool:
    return expr.has(floor, ceiling)


def _integer(expr) -> bool:
    """``expr`` is integer-valued: read off its structure, else asked of SymPy."""
    return integer_valued(expr) or expr.is_integer is True


def _peel(num: sympy.Expr, d: int):
    """Split ``num`` into ``d*whole + rest``, ``whole`` integer-valued, ``rest`` reduced mod d."""
    whole, rest = [], []
    for term in Add.make_args(num):
        coeff, factor = term.as_coeff_Mul()
        if coeff.is_Integer and _integer(factor):
            q, r = divmod(int(coeff), d)
            if q:
                whole.append(q * factor)
            if r:
                rest.append(r * factor)
        else:
            rest.append(term)
    return Add(*whole), Add(*rest)


def _rounding_and_rest(expr):
    """``(R(u), b)`` when ``expr == R(u) + b`` with one rounding ``R`` of coefficient 1 and
    ``b`` rounding-free and integer-valued; else None."""
    terms = Add.make_args(expr)
    rounded = [t for t in terms if _has_rounding(t)]
    if len(rounded) != 1 or not _is_rounding(rounded[0]):
        return None
    b = Add(*(t for t in terms if t is not rounded[0]))
    if _has_rounding(b) or not _integer(b):
        return None
    return rounded[0], b


def _single_rounding(expr):
    """``expr == R(y/a) + b`` with R floor or ceiling (coefficient 1), else None.

    Returns ``(R, y, a, b)`` with ``y`` a rounding-free integer polynomial, ``a`` a positive
    int and ``b`` rounding-free and integer-valued.
    """
    split = _rounding_and_rest(expr)
    if split is None:
        return None
    r, b = split
    y, a = _as_fraction(r.args[0])
    if not (a.is_Integer and a > 0) or _has_rounding(y) or not _integer(y):
        return None
    return type(r), _expanded(y), int(a), b


def _negated_rounding(expr):
    """``expr`` with a rounding of coefficient -1 written as the opposite rounding:
    ``H - 1 - floor(H/2)`` as ``H - 1 + ceiling(-H/2)`` (``-floor(u) == ceiling(-u)``), so
    that :func:`_single_rounding` reads it; None when it has no such term."""
    out, changed = [], False
    for term in Add.make_args(expr):
        coeff, factor = term.as_coeff_Mul()
        if coeff == -1 and _is_rounding(factor):
            opposite = ceiling if isinstance(factor, floor) else floor
            term, changed = opposite(-factor.args[0], evaluate=False), True
        out.append(term)
    return Add(*out) if changed else None


def _rounding_node(rest: sympy.Expr, d: int) -> sympy.Expr:
    """``floor(rest/d)`` for a rounding-free, peeled polynomial ``rest``, readably."""
    const, core = rest.as_coeff_Add()
    coeffs = [t.as_coeff_Mul()[0] for t in Add.make_args(core)]
    if all(c.is_Integer for c in coeffs):
        g = math.gcd(d, *(int(c) for c in coeffs))
        if g > 1:  # floor((g*Q + r)/d) == floor((Q + r//g)/(d/g)) for integer Q
            return floor_div(sympy.expand(core / g) + int(const) // g, d // g)
    if const == d - 1:
        return ceiling(core / d, evaluate=False)
    return floor(rest / d, evaluate=False)


@lru_cache(maxsize=8192)
def _floor_div(num: sympy.Expr, den: sympy.Expr) -> sympy.Expr:
    if den == 1:
        return num
    if num.is_Integer and den.is_Integer:
        return Integer(int(num) // int(den))
    if not (den.is_Integer and den > 0):
        return floor(num / den)
    d = int(den)
    direct = affine_floor(num, d)
    if direct is not None:
        return Integer(direct[0]) + direct[1]
    whole, rest = _peel(_expanded(num), d)
    if rest == 0:
        return whole
    single = _single_rounding(rest)
    if single is not None:
        kind, y, a, b = single
        shift = a * b + (a - 1 if kind is ceiling else 0)  # ceiling(y/a) == floor((y+a-1)/a)
        return whole + _floor_div(_expanded(y + shift), Integer(a * d))
    if _has_rounding(rest) or not _integer(rest):
        return whole + floor(rest / d)
    return whole + _rounding_node(rest, d)


def floor_div(num, den) -> sympy.Expr:
    """``floor(num/den)`` for an integer-valued ``num`` and positive ``den``, canonical.

    >>> from symcnn import symbols
    >>> H = symbols("H")
    >>> floor_div(H - 1, 2) + 1
    ceiling(H/2)
    >>> floor_div(2*H + 1, 4)
    floor(H/2)
    >>> floor_div(17, 5)
    3
    """
    return _floor_div(sympy.sympify(num), sympy.sympify(den))


def ceil_div(num, den) -> sympy.Expr:
    """``ceiling(num/den)`` for an integer-valued ``num`` and positive ``den``, canonical.

    >>> from symcnn import symbols
    >>> ceil_div(symbols("H"), 2)
    ceiling(H/2)
    >>> ceil_div(7, 2)
    4
    """
    num, den = sympy.sympify(num), sympy.sympify(den)
    if den.is_Integer:
        return _floor_div(_expanded(Add(num, den - 1)), den)
    return ceiling(num / den)


# --------------------------------------------------------------------------- constraints


def _all_positive_integer_symbols(expr) -> bool:
    return all(s.is_integer and s.is_positive for s in expr.free_symbols)


def _nonnegative(diff: sympy.Expr):
    """Decide ``diff >= 0``: None if always true, a relation if undecided; raise if never."""
    if diff.is_number:
        if diff >= 0:
            return None
        raise Infeasible
    single = _single_rounding(diff)
    if single is None:
        negated = _negated_rounding(diff)
        single = None if negated is None else _single_rounding(negated)
    if single is None:
        single = _over_symbol(diff)
    if single is not None:
        kind, y, a, b = single
        if kind is floor:  # floor(y/a) >= -b  <=>  y >= -a*b   (b integer)
            return _nonnegative(sympy.expand(y + a * b))
        # ceiling(y/a) >= -b  <=>  y > -a*(b + 1)
        return _nonnegative(sympy.expand(y + a * b + a - 1))
    items = terms(diff)
    sign = decide_sign(items)  # structural, before SymPy's slower assumption queries
    if sign == 1:
        return None
    if sign == -1:
        raise Infeasible
    most = upper_bound(diff)  # Min(2, n) - 5: below 0 for every n, which SymPy does not see
    if most is not None and most < 0:
        raise Infeasible
    if not _has_rounding(diff) and diff.is_polynomial() and _all_positive_integer_symbols(diff):
        const, core = diff.as_coeff_Add()
        monomials = [m for m in items if m is not sympy.S.One]
        if len(monomials) == 1 and isinstance(monomials[0], sympy.Symbol):
            return _line_at_least(items[monomials[0]], monomials[0], const, 0)
        return sympy.Ge(core, -const, evaluate=False)
    if diff.is_nonnegative:
        return None
    if diff.is_negative:
        raise Infeasible
    relation = _readable_ge(diff)
    if relation is sympy.true:
        return None
    if relation is sympy.false:
        raise Infeasible
    return relation


def _over_symbol(expr):
    """``expr == R(y/a) + b`` (:func:`_single_rounding`) where the divisor ``a`` is a
    positive integer-valued expression, ``2**L`` or a stride ``s``: ``(R, y, a, b)``, else
    None. The same equivalences hold (``floor(y/a) >= n`` iff ``y >= a*n`` for ``a > 0``)."""
    split = _rounding_and_rest(expr)
    if split is None:
        return None
    r, b = split
    y, a = sympy.fraction(sympy.together(r.args[0]))
    if a.is_Number or _has_rounding(y) or _has_rounding(a) or not _integer(y) \
            or not (a.is_integer and a.is_positive):
        return None
    return type(r), _expanded(y), a, b


def _readable_ge(diff):
    """``diff >= 0`` as it reads best: the integer content of the coefficients divided out
    and the terms of negative coefficient on the right, ``H >= 2**L`` for
    ``2*H - 2*2**L >= 0``, ``floor(H/3) >= 2`` for ``floor(H/3) - 2 >= 0``."""
    coeffs = [t.as_coeff_Mul()[0] for t in Add.make_args(diff)]
    if all(c.is_Integer for c in coeffs):
        content = math.gcd(*(int(c) for c in coeffs))
        if content > 1:
            diff = _expanded(diff / content)
    terms = Add.make_args(diff)
    left = [t for t in terms if not t.could_extract_minus_sign()]
    right = [-t for t in terms if t.could_extract_minus_sign()]
    if not (left and right):
        return sympy.Ge(diff, 0)
    return sympy.Ge(Add(*left), Add(*right))


def require_at_least(expr, bound):
    """Decide ``expr >= bound`` for integer-valued sizes.

    Returns ``None`` when it holds for every admissible value of the symbols, the
    condition as a readable SymPy relation when it depends on them, and raises
    :class:`Infeasible` when it can never hold.

    >>> from symcnn import symbols
    >>> H = symbols("H")
    >>> require_at_least(ceil_div(H, 2) - 1, 1)
    H >= 3
    >>> require_at_least(H + 2, 3) is None
    True
    """
    expr = sympy.sympify(expr)
    if isinstance(bound, int) or getattr(bound, "is_Integer", False):
        least = lower_bound(expr)  # structural: most size checks hold by their shape
        if least is not None and least >= bound:
            return None
        linear = _one_symbol_line(expr)
        if linear is not None:
            return _line_at_least(*linear, int(bound))
    return _nonnegative(sympy.expand(expr - bound))


def _one_symbol_line(expr):
    """``(a, s, c)`` when ``expr`` is ``a*s + c`` as written (``H - 2*L`` is not: two
    symbols), ``a`` and ``c`` integers, ``s`` a positive integer symbol; else None. Read off
    the expression's arguments, without expanding (a deep chain of valid convolutions asks
    this of every size it builds)."""
    const, term = (expr.args if expr.is_Add and len(expr.args) == 2 else (Integer(0), expr))
    if not const.is_Integer:
        return None
    a, s = term.as_coeff_Mul()
    if not (a.is_Integer and a != 0 and s.is_Symbol and s.is_integer and s.is_positive):
        return None
    return int(a), s, int(const)


def _line_at_least(a, s, c, bound):
    """``a*s + c >= bound`` over the positive integers ``s`` (``a``, ``c``, ``bound``
    rational, ``a`` not 0): None, ``s >= n``, ``s <= n`` or :class:`Infeasible`. The one
    rule for a line, :func:`require_at_least`'s shortcut and :func:`_nonnegative`'s alike."""
    if a > 0:
        if a + c >= bound:
            return None
        return sympy.Ge(s, Integer(-((c - bound) // a)), evaluate=False)  # ceil((bound - c)/a)
    most = (c - bound) // -a  # floor((c - bound)/|a|)
    if most < 1:
        raise Infeasible
    return sympy.Le(s, Integer(most), evaluate=False)


def decide_equal(a, b):
    """True if ``a == b`` identically, False if never equal as numbers, None if it depends.

    >>> from symcnn import symbols
    >>> H = symbols("H")
    >>> decide_equal(floor_div(H - 1, 2) + 1, ceil_div(H, 2))
    True
    >>> decide_equal(H, 2*H), decide_equal(H, 2*floor_div(H, 2))
    (False, None)
    """
    diff = sympy.expand(sympy.sympify(a) - sympy.sympify(b))
    if diff == 0:
        return True
    if diff.is_number:
        return False
    if decide_sign(-diff) == -1 or decide_sign(diff) == -1:
        return False
    if diff.is_zero is False:
        return False
    return None


def divisible(expr, d):
    """Decide whether ``d`` divides ``expr``: True, False, or the condition ``Eq(Mod(...), 0)``.

    >>> from symcnn import symbols
    >>> n = symbols("n")
    >>> divisible(4*n, 2), divisible(7, 2), divisible(n, 4), divisible(2*n, 6)
    (True, False, Eq(Mod(n, 4), 0), Eq(Mod(n, 3), 0))
    """
    expr, d = sympy.sympify(expr), sympy.sympify(d)
    if d == 1:
        return True
    if expr.is_Integer and d.is_Integer:
        return int(expr) % int(d) == 0
    if d.is_Integer and expr.is_polynomial() and not _has_rounding(expr):
        poly_coeffs = [t.as_coeff_Mul()[0] for t in Add.make_args(sympy.expand(expr))]
        if all(c.is_Integer and int(c) % int(d) == 0 for c in poly_coeffs):
            return True
    quotient = sympy.expand(expr / d)
    if quotient.is_integer:
        return True
    # SymPy writes Mod(2*e, 6) as 2*Mod(e, 3): the factor changes nothing (= 0 either way),
    # and without it the condition is the one the other widths already state
    coeff, rest = sympy.Mod(expr, d).as_coeff_Mul()
    return sympy.Eq(rest if coeff.is_nonzero else coeff * rest, 0)


def bound_below(relation):
    """``(s, other, strict)`` when ``relation`` bounds a symbol ``s`` from below, however it
    is written (``s >= other``, ``other < s``); else None.

    >>> from symcnn import symbols
    >>> H, L = symbols("H L")
    >>> bound_below(H >= 2**L), bound_below(3 < H), bound_below(H <= 5)
    ((H, 2**L, False), (H, 3, True), None)
    """
    if isinstance(relation, (sympy.GreaterThan, sympy.StrictGreaterThan)):
        s, other = relation.lhs, relation.rhs
    elif isinstance(relation, (sympy.LessThan, sympy.StrictLessThan)):
        s, other = relation.rhs, relation.lhs
    else:
        return None
    if not isinstance(s, sympy.Symbol):
        return None
    return s, other, isinstance(relation, (sympy.StrictGreaterThan, sympy.StrictLessThan))


def _expression_bound(relation):
    """``(direction, e, bound)`` when ``relation`` says ``e >= bound`` (direction 1) or ``e <=
    bound`` (direction -1) for an integer ``bound``, ``e`` the difference of its sides less
    its constant term; None for an equation or a strict inequality whose ``e`` may take
    values between integers. ``H - K >= 4`` and ``H >= K + 12`` bound the same ``H - K``.

    >>> from symcnn import symbols
    >>> H, K = symbols("H K")
    >>> _expression_bound(H >= K + 12), _expression_bound(H - K > 3)
    ((1, H - K, 12), (1, H - K, 4))
    """
    if isinstance(relation, (sympy.GreaterThan, sympy.StrictGreaterThan)):
        direction = 1
    elif isinstance(relation, (sympy.LessThan, sympy.StrictLessThan)):
        direction = -1
    else:
        return None
    const, core = _expanded(relation.lhs - relation.rhs).as_coeff_Add()
    if not const.is_Integer or core.is_number:
        return None
    bound = -const
    if isinstance(relation, (sympy.StrictGreaterThan, sympy.StrictLessThan)):
        if not _integer(core):
            return None
        bound += direction  # over the integers, e > 3 is e >= 4 and e < 3 is e <= 2
    return direction, core, bound


class ConstraintSet:
    """An ordered, de-duplicated set of conditions on the symbols.

    Bounds on a single symbol are merged (``H >= 3`` and ``H >= 5`` keep ``H >= 5``; an
    integer symbol's strict bound counts as the bound it means, ``H > 5`` as ``H >= 6``,
    and is kept as written), and a contradiction between them raises :class:`Infeasible`.
    Bounds on one expression are merged alike, where the two sides differ by the same
    expression and a constant (``H - K >= 0`` and ``H - K >= 12`` keep ``H - K >= 12``, in
    the place of the first; :func:`_expression_bound`): the weaker one says nothing more.

    >>> from symcnn import symbols
    >>> H, K = symbols("H K")
    >>> cs = ConstraintSet()
    >>> cs.add(H >= 3); cs.add(H >= 5); cs.add(H >= 4)
    >>> cs.as_list()
    [H >= 5]
    >>> ConstraintSet([H - K >= 0, H - K >= 12, H - K >= 4]).as_list()
    [H - K >= 12]
    """

    def __init__(self, relations=()):
        self._lower: dict = {}
        self._upper: dict = {}
        self._other: list = []
        self._bounds: dict = {}  # (direction, expression) -> (bound, index in _other)
        for r in relations:
            self.add(r)

    def add(self, relation) -> None:
        if relation is None or relation is sympy.true:
            return
        if relation is sympy.false:
            raise Infeasible
        lhs, rhs = relation.lhs, relation.rhs
        if isinstance(lhs, sympy.Symbol) and rhs.is_Integer:
            # over the integers, H > 5 is H >= 6 and H < 5 is H <= 4 (kept as written)
            strict = lhs.is_integer and isinstance(relation, (sympy.StrictGreaterThan,
                                                             sympy.StrictLessThan))
            if isinstance(relation, sympy.GreaterThan) or \
                    strict and isinstance(relation, sympy.StrictGreaterThan):
                bound = rhs + 1 if strict else rhs
                if lhs not in self._lower or bound > self._lower[lhs][0]:
                    self._lower[lhs] = (bound, relation)
                self._check(lhs)
                return
            if isinstance(relation, sympy.LessThan) or strict:
                bound = rhs - 1 if strict else rhs
                if lhs not in self._upper or bound < self._upper[lhs][0]:
                    self._upper[lhs] = (bound, relation)
                self._check(lhs)
                return
        if relation in self._other:
            return
        bound = _expression_bound(relation)
        if bound is not None:
            key, value = bound[:2], bound[2]
            kept = self._bounds.get(key)
            if kept is not None:  # the same expression bounded again: keep the stronger
                if (value > kept[0]) if key[0] > 0 else (value < kept[0]):
                    self._other[kept[1]] = relation
                    self._bounds[key] = (value, kept[1])
                return
            self._bounds[key] = (value, len(self._other))
        self._other.append(relation)

    def _check(self, s) -> None:
        if s in self._lower and s in self._upper and self._lower[s][0] > self._upper[s][0]:
            raise Infeasible

    def update(self, relations) -> None:
        for r in relations:
            self.add(r)

    def as_list(self) -> list:
        implied = self._implied_lower()
        out = []
        for s in sorted(set(self._lower) | set(self._upper), key=lambda s: s.name):
            if s in self._lower and implied.get(s, -math.inf) < self._lower[s][0]:
                out.append(self._lower[s][1])
            if s in self._upper:
                out.append(self._upper[s][1])
        return out + list(self._other)

    def _implied_lower(self) -> dict:
        """For each symbol, the largest bound the other conditions imply on it by their
        structure: ``H >= 2**L`` implies ``H >= 2`` (``L`` is a positive integer), so a
        plain ``H >= 2`` beside it says nothing more and is not listed."""
        implied: dict = {}
        for r in self._other:
            below = bound_below(r)
            if below is None or not below[0].is_integer:
                continue
            s, other, strict = below
            least = lower_bound(other)
            if least is not None:
                least += strict
                implied[s] = max(implied.get(s, least), least)
        return implied

    def lower_bound(self, s):
        """The least value ``s`` may take (1 when unconstrained)."""
        return self._lower[s][0] if s in self._lower else Integer(1)

    def __iter__(self):
        return iter(self.as_list())

    def __len__(self) -> int:
        return len(self.as_list())
