"""Exact integer analysis of one-symbol quasi-polynomials (the engine behind the solvers).

Every size and count symcnn produces is built from a symbol ``x``, rational numbers, ``+``,
``*``, non-negative integer powers, ``floor``, ``ceiling`` and ``Mod`` by an integer. Such an
expression is a *quasi-polynomial*: on each residue class ``x = m*y + r`` (``0 <= r < m``,
``y = 0, 1, 2, ...``) it equals an ordinary polynomial in ``y``, because for a polynomial
``P`` with integer coefficients ``P(y + D) == P(y) (mod D)``, so ``floor(P(y)/D)`` drops the
same remainder on every ``y`` of a class modulo ``D``.

On each piece the sign of a polynomial over the integers ``y >= y0`` is decided exactly:
Descartes' rule of signs after shifting to ``y0`` settles the usual cases (no or one sign
change) with an integer binary search; otherwise SymPy's exact real-root isolation gives the
critical integers. Nothing is evaluated in floating point. The results are
:class:`IntegerSet` objects: unions of arithmetic progressions, with exact set algebra.

>>> import sympy
>>> from symcnn import symbols
>>> x = symbols("x")
>>> s = relation_set([sympy.Le(160*x + 48320, 100_000)], x, lo=1)
>>> s.max(), s.count()
(323, 323)
>>> relation_set([sympy.Eq(sympy.floor(x/2), 3)], x).to_sympy()
Range(6, 8, 1)
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd

import sympy
from sympy import Mod, ceiling, floor

from .intsets import IntegerSet, complement_runs, intersect_runs
from .structural import structural_degree

__all__ = ["NotQuasiPolynomial", "IntegerSet", "relation_set", "period"]

#: Beyond this many residue classes the analysis refuses (the caller suggests a sweep).
MAX_PERIOD = 20_000
#: Beyond this degree in ``x`` the analysis refuses: its polynomial arithmetic is quadratic
#: in the degree (``x**4096`` took 10 s, ``x**256`` 0.1 s); networks' counts have degree
#: below 10.
MAX_DEGREE = 256


class NotQuasiPolynomial(Exception):
    """Internal: ``node`` is outside the quasi-polynomial language (or the period is huge)."""

    def __init__(self, node, reason: str) -> None:
        super().__init__(reason)
        self.node = node
        self.reason = reason


class _Refine(Exception):
    def __init__(self, factor: int) -> None:
        self.factor = factor


def _lcm(a: int, b: int) -> int:
    return a * b // gcd(a, b)


# ----------------------------------------------------------------------------- compilation


def _compile(expr, x, memo: dict):
    """A SymPy expression as a tree of tuples (shared subtrees stay shared)."""
    key = expr
    if key in memo:
        return memo[key]
    if expr == x:
        node = ("x",)
    elif expr.is_Rational:
        node = ("c", Fraction(int(expr.p), int(expr.q)))
    elif expr.is_Symbol:
        raise NotQuasiPolynomial(expr, f"the symbol {expr} has no value")
    elif expr.is_Add:
        node = ("add", tuple(_compile(a, x, memo) for a in expr.args))
    elif expr.is_Mul:
        node = ("mul", tuple(_compile(a, x, memo) for a in expr.args))
    elif expr.is_Pow:
        base, exp = expr.args
        if not (exp.is_Integer and exp >= 0):
            raise NotQuasiPolynomial(expr, f"the power {expr} is not a non-negative integer power")
        node = ("pow", _compile(base, x, memo), int(exp))
    elif isinstance(expr, (floor, ceiling)):
        node = ("floor" if isinstance(expr, floor) else "ceil", _compile(expr.args[0], x, memo))
    elif isinstance(expr, Mod):
        a, b = expr.args
        if not (b.is_Rational and b > 0):
            raise NotQuasiPolynomial(expr, f"{expr} is not a remainder by a positive number")
        node = ("mod", _compile(a, x, memo), Fraction(int(b.p), int(b.q)))
    elif expr.is_Float and expr.is_finite:  # 0.1 is not 1/10 in binary: which was meant?
        exact = sympy.Rational(str(expr))
        raise NotQuasiPolynomial(
            expr, f"{expr} is a floating-point number, not an exact one (write it exactly, "
                  f"as sympy.Rational({exact.p}, {exact.q}) or the fraction string "
                  f"sympy.Rational(\"{exact}\"))")
    else:
        raise NotQuasiPolynomial(
            expr, f"{expr} is not built from +, *, integer powers, floor, ceiling and Mod")
    memo[key] = node
    return node


# ------------------------------------------------------------------- polynomials over Q


def _trim(p: list) -> tuple:
    while p and p[-1] == 0:
        p.pop()
    return tuple(p)


def _padd(a: tuple, b: tuple) -> tuple:
    if len(a) < len(b):
        a, b = b, a
    out = list(a)
    for i, c in enumerate(b):
        out[i] += c
    return _trim(out)


def _pmul(a: tuple, b: tuple) -> tuple:
    if not a or not b:
        return ()
    out = [Fraction(0)] * (len(a) + len(b) - 1)
    for i, ca in enumerate(a):
        if ca:
            for j, cb in enumerate(b):
                out[i + j] += ca * cb
    return _trim(out)


def _pscale(a: tuple, c) -> tuple:
    return _trim([v * c for v in a]) if c else ()


def _peval(p: tuple, y):
    value = 0
    for c in reversed(p):
        value = value * y + c
    return value


def _floor_poly(q: tuple, up: bool) -> tuple:
    """``floor(q(y))`` (``ceiling`` if ``up``) as a polynomial, or raise :class:`_Refine`."""
    need = 1
    for c in q[1:]:
        need = _lcm(need, c.denominator)
    if need == 1:
        c0 = q[0] if q else Fraction(0)
        whole = -((-c0.numerator) // c0.denominator) if up else c0.numerator // c0.denominator
        return _trim([Fraction(whole), *q[1:]])
    if all(_peval(q, Fraction(y)).denominator == 1 for y in range(len(q))):
        return q  # integer-valued, e.g. y*(y + 1)/2
    raise _Refine(need)


def _evaluate(node, piece: tuple, memo: dict) -> tuple:
    key = id(node)
    if key in memo:
        return memo[key]
    kind = node[0]
    if kind == "x":
        out = piece
    elif kind == "c":
        out = _trim([node[1]])
    elif kind == "add":
        out = ()
        for child in node[1]:
            out = _padd(out, _evaluate(child, piece, memo))
    elif kind == "mul":
        out = (Fraction(1),)
        for child in node[1]:
            out = _pmul(out, _evaluate(child, piece, memo))
    elif kind == "pow":
        base, out = _evaluate(node[1], piece, memo), (Fraction(1),)
        for _ in range(node[2]):
            out = _pmul(out, base)
    elif kind in ("floor", "ceil"):
        out = _floor_poly(_evaluate(node[1], piece, memo), up=kind == "ceil")
    else:  # mod: a - b*floor(a/b)
        a, b = _evaluate(node[1], piece, memo), node[2]
        out = _padd(a, _pscale(_floor_poly(_pscale(a, 1 / b), up=False), -b))
    memo[key] = out
    return out


def _pieces(exprs: list, x, lo: int):
    """``(m, [(r, y0, [poly per expression]) ...])``: every expression as a polynomial on
    each class."""
    memo: dict = {}
    trees = [_compile(e, x, memo) for e in exprs]
    degrees: dict = {}
    degree = max((structural_degree(e, degrees) for e in exprs), default=0)
    if degree > MAX_DEGREE:
        raise NotQuasiPolynomial(None, f"its degree ({degree}) exceeds {MAX_DEGREE}")
    m = 1
    while True:
        try:
            pieces = []
            for r in range(m):
                piece = _trim([Fraction(r), Fraction(m)])
                memo: dict = {}
                polys = [_evaluate(t, piece, memo) for t in trees]
                pieces.append((r, max(0, -((r - lo) // m)), polys))
            return m, pieces
        except _Refine as need:
            m *= need.factor
            if m > MAX_PERIOD:
                raise NotQuasiPolynomial(None, f"its period exceeds {MAX_PERIOD} residue "
                                               f"classes") from None


def period(expr, x) -> int:
    """The number of residue classes on which ``expr`` is piecewise polynomial in ``x``.

    >>> from symcnn import symbols
    >>> x = symbols("x")
    >>> period(sympy.floor(x/8 + sympy.Rational(1, 8)) * sympy.ceiling(x/2), x)
    8
    """
    return _pieces([sympy.sympify(expr)], x, 0)[0]


# -------------------------------------------------------------------- sign analysis


def _integer_coeffs(p: tuple) -> list:
    den = 1
    for c in p:
        den = _lcm(den, c.denominator)
    return [int(c * den) for c in p]


def _shift(p: list, y0: int) -> list:
    """Coefficients of ``p(y0 + t)`` (Horner's rule on polynomials in ``t``)."""
    out: list = []
    for c in reversed(p):
        res = [0] * (len(out) + 1)  # out(t) * (y0 + t) + c
        for i, v in enumerate(out):
            res[i] += v * y0
            res[i + 1] += v
        res[0] += c
        out = res
    return out


def _ieval(p: list, t: int) -> int:
    value = 0
    for c in reversed(p):
        value = value * t + c
    return value


def _sign(v) -> int:
    return (v > 0) - (v < 0)


def _roots_floor_points(h: list) -> list:
    """Integers where the sign of ``h`` over t >= 0 may change (exact, via SymPy)."""
    t = sympy.Dummy("t")
    points = set()
    for root in sympy.Poly(list(reversed(h)), t).real_roots():
        k = int(sympy.floor(root))
        if k + 1 >= 0:
            points.update(v for v in (k, k + 1) if v >= 0)
    return sorted(points)


def _nonpositive_runs(p: tuple, y0: int) -> list:
    """Integer runs ``[(a, b|None)]`` of ``y >= y0`` with ``p(y) <= 0``, exactly."""
    h = _shift(_integer_coeffs(p), y0) if p else []
    while h and h[-1] == 0:
        h.pop()
    if len(h) <= 1:
        return [(y0, None)] if not h or h[0] <= 0 else []
    signs = [_sign(c) for c in h if c]
    changes = sum(1 for a, b in zip(signs, signs[1:]) if a != b)
    lead = signs[-1]
    if changes == 0:  # no root in t > 0: the sign there is `lead`
        if lead < 0:
            return [(y0, None)]
        return [(y0, y0)] if h[0] == 0 else []
    if changes == 1:  # exactly one simple root rho > 0: find k = floor(rho) by search
        hi = 1
        while _sign(_ieval(h, hi)) != lead:
            hi *= 2
        lo = 0  # invariant: sign(h(hi)) == lead; every t in (0, lo] has sign != lead
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _sign(_ieval(h, mid)) == lead:
                hi = mid
            else:
                lo = mid
        points = sorted({0, lo, lo + 1})
    else:
        points = sorted({0} | set(_roots_floor_points(h)))
    return _runs_from_points(h, points, y0)


def _runs_from_points(h: list, points: list, y0: int) -> list:
    """Runs of ``h(t) <= 0`` given every integer where the sign may change (and t=0).

    Between consecutive critical points the sign is constant; the integer just after each
    point represents its gap, and the tail after the last point is represented by last+1.
    """
    flags = []  # (t, included) at each critical point and at each gap's first integer
    for i, p in enumerate(points):
        flags.append((p, _ieval(h, p) <= 0))
        nxt = points[i + 1] if i + 1 < len(points) else None
        if nxt is None or nxt > p + 1:
            flags.append((p + 1, _ieval(h, p + 1) <= 0))
    runs: list = []
    for i, (t, inside) in enumerate(flags):
        end = flags[i + 1][0] - 1 if i + 1 < len(flags) else None
        if not inside:
            continue
        if runs and runs[-1][1] is not None and runs[-1][1] + 1 >= t:
            runs[-1] = (runs[-1][0], end)
        else:
            runs.append((t, end))
    return [(a + y0, None if b is None else b + y0) for a, b in runs]


# ------------------------------------------------------------------------ relations


_OPS = {sympy.LessThan: "le", sympy.StrictLessThan: "lt", sympy.GreaterThan: "ge",
        sympy.StrictGreaterThan: "gt", sympy.Equality: "eq", sympy.Unequality: "ne"}


def _relation_runs(kind: str, g: tuple, y0: int) -> list:
    neg = _pscale(g, -1)
    if kind == "le":
        return _nonpositive_runs(g, y0)
    if kind == "ge":
        return _nonpositive_runs(neg, y0)
    if kind == "eq":
        return intersect_runs(_nonpositive_runs(g, y0), _nonpositive_runs(neg, y0))
    # strict and "not equal": complements within y >= y0
    below = intersect_runs(complement_runs(_relation_runs(
        {"lt": "ge", "gt": "le", "ne": "eq"}[kind], g, y0)), [(y0, None)])
    return below


def relation_set(relations, x, lo: int = 0) -> IntegerSet:
    """The integers ``x >= lo`` satisfying every relation (SymPy relations in ``x`` only).

    ``Max`` and ``Min`` (peak memory, for instance) are handled by splitting into cases.
    Raises :class:`NotQuasiPolynomial` naming the first unsupported piece.

    >>> from symcnn import symbols
    >>> x = symbols("x")
    >>> relation_set([x**2 - 10*x <= 11], x, lo=1).to_sympy()
    Range(1, 12, 1)
    >>> relation_set([sympy.Eq(sympy.Mod(x, 4), 0), x < 20], x, lo=1).to_sympy()
    Range(4, 20, 4)
    >>> relation_set([sympy.Max(3*x, x**2) <= 30], x, lo=1).to_sympy()
    Range(1, 6, 1)
    """
    plain, split, powers, settled = [], [], [], []
    for rel in relations:
        if rel is sympy.true or rel is True:
            continue
        if rel is sympy.false or rel is False:
            return IntegerSet.interval(0, -1)
        kind = _OPS.get(type(rel))
        if kind is None:
            raise NotQuasiPolynomial(rel, f"{rel} is not a single comparison")
        diff = sympy.expand(rel.lhs - rel.rhs)
        if _rounded_powers(diff, x):  # ceiling(132/2**L): settles once 2**L passes 132
            settled.append((kind, diff))
            continue
        power = _one_power(diff, x)
        if power is not None:
            powers.append((kind, power))
            continue
        (split if diff.has(sympy.Max, sympy.Min) else plain).append((kind, diff))
    result = _plain_set(plain, x, lo)
    for kind, power in powers:
        result = result.intersection(_power_set(kind, *power, lo))
    for kind, diff in settled:
        if result.is_empty:
            break
        result = result.intersection(_settled_set(kind, diff, x, lo))
    for kind, diff in split:
        if result.is_empty:
            break
        result = result.intersection(_minmax_set(kind, diff, x, lo))
    return result


def _one_power(diff, x):
    """``(b, A, B)`` when ``diff`` is ``A + B*b**x`` (``A``, ``B`` rational, ``b`` an integer
    of 2 or more: the condition of ``x`` halvings, ``H >= 2**L``), or ``A + B*b**(-x)``,
    read as ``diff*b**x == B + A*b**x`` (a positive factor keeps the sign); else None."""
    found = {p for p in diff.atoms(sympy.Pow) if x in p.exp.free_symbols}
    if len(found) != 1:
        return None
    (power,) = found
    base, exp = power.args
    if not (base.is_Integer and base >= 2) or exp not in (x, -x):
        return None
    p = sympy.Dummy("p")
    linear = sympy.expand(diff.xreplace({power: p}))
    if x in linear.free_symbols:
        return None
    a, b = linear.as_independent(p, as_Add=True)
    b = b / p if b != 0 else sympy.Integer(0)
    if not (a.is_Rational and b.is_Rational):
        return None
    a, b = Fraction(int(a.p), int(a.q)), Fraction(int(b.p), int(b.q))
    return (int(base), b, a) if exp == -x else (int(base), a, b)


def _rounded_powers(diff, x) -> list:
    """The powers with ``x`` in the exponent inside a ``floor`` or ``ceiling`` of ``diff``."""
    return [p for r in diff.atoms(floor, ceiling) if x in r.free_symbols
            for p in r.args[0].atoms(sympy.Pow) if x in p.exp.free_symbols]


def _decaying(arg, x):
    """``(b, A, B)`` when ``arg`` is ``A + B*b**(-x)`` (``A``, ``B`` rational, ``B`` not 0,
    ``b`` an integer of 2 or more), else None."""
    found = {p for p in arg.atoms(sympy.Pow) if x in p.exp.free_symbols}
    if len(found) != 1:
        return None
    (power,) = found
    base, exp = power.args
    if not (base.is_Integer and base >= 2) or exp != -x:
        return None
    p = sympy.Dummy("p")
    linear = sympy.expand(arg.xreplace({power: p}))
    if x in linear.free_symbols or not linear.is_polynomial(p) or \
            sympy.degree(linear, p) != 1:
        return None
    a, b = linear.as_independent(p, as_Add=True)
    b = b / p
    if not (a.is_Rational and b.is_Rational):
        return None
    return int(base), Fraction(int(a.p), int(a.q)), Fraction(int(b.p), int(b.q))


def _limit(kind, a: Fraction, b: Fraction) -> tuple:
    """``(c, t)``: the value ``kind(a + b*p)`` (``kind`` floor or ceiling) takes for every
    ``0 < p < t`` (``t > 0``): its limit as ``p`` falls to 0."""
    lower, upper = a.numerator // a.denominator, -(-a.numerator // a.denominator)
    if kind is ceiling:
        if b > 0:  # a + b*p <= c
            c = lower + 1
            return c, (c - a) / b
        c = upper  # a + b*p > c - 1
        return c, (a - c + 1) / -b
    if b > 0:  # a + b*p < c + 1
        c = lower
        return c, (c + 1 - a) / b
    c = upper - 1  # a + b*p >= c
    return c, (a - c) / -b


#: Most values of ``x`` looked at one by one before roundings of ``b**(-x)`` settle.
MAX_SETTLING = 4096


def _settled_set(kind: str, diff, x, lo: int) -> IntegerSet:
    """The integers ``x >= lo`` where ``diff <kind> 0``, ``diff`` holding roundings of
    ``A + B*b**(-x)`` (``ceiling(132/2**L)``, a size after ``L`` halvings of a size fixed
    at 132). Each such rounding takes one value once ``b**x`` is large enough (1 from
    ``2**L >= 132`` on): before that point the values of ``x`` are looked at one by one
    (as many as ``B`` has digits in base ``b``), after it the rounding is that value and
    the rest is solved as usual.

    >>> from symcnn import symbols
    >>> L = symbols("L")
    >>> _settled_set("ge", sympy.ceiling(132/2**L) - 5, L, 1).to_sympy()  # 2**L <= 32
    Range(1, 6, 1)
    """
    start, reduced = lo, diff
    while True:
        inner = [r for r in reduced.atoms(floor, ceiling) if x in r.free_symbols
                 and not any(x in q.free_symbols for q in r.args[0].atoms(floor, ceiling))]
        found = [(r, form) for r in inner for form in [_decaying(r.args[0], x)] if form]
        if not found:
            break
        for r, (base, a, b) in found:
            c, t = _limit(type(r), a, b)
            at = lo
            while Fraction(1, base ** at) >= t:
                at += 1
                if at - lo > MAX_SETTLING:
                    raise NotQuasiPolynomial(r, f"a rounding of {base}**(-{x}) settles "
                                                f"only after more than {MAX_SETTLING} "
                                                f"values of {x}")
            start = max(start, at)
            reduced = sympy.expand(reduced.xreplace({r: sympy.Integer(c)}))
    left = _rounded_powers(reduced, x)
    if left:
        raise NotQuasiPolynomial(left[0], f"the power {left[0]} is not a non-negative "
                                          f"integer power")
    holds, runs = _HOLDS[kind], []
    for value in range(lo, start):
        v = diff.xreplace({x: value})
        if not v.is_Rational:
            raise NotQuasiPolynomial(diff, f"{diff} has no rational value at {x} = {value}")
        if holds(Fraction(int(v.p), int(v.q))):
            runs.append((value, value))
    head = IntegerSet(1, {0: runs})
    if x not in reduced.free_symbols:
        if not reduced.is_Rational:
            raise NotQuasiPolynomial(diff, f"{reduced} is not a rational number")
        tail = IntegerSet.interval(start) if holds(Fraction(int(reduced.p), int(reduced.q))) \
            else IntegerSet.interval(0, -1)
    else:
        tail = relation_set([_RELATIONS[kind](reduced, 0, evaluate=False)], x, start)
    return head.union(tail)


_RELATIONS = {kind: cls for cls, kind in _OPS.items()}

_HOLDS = {"le": lambda v: v <= 0, "lt": lambda v: v < 0, "ge": lambda v: v >= 0,
          "gt": lambda v: v > 0, "eq": lambda v: v == 0, "ne": lambda v: v != 0}


def _power_set(kind: str, base: int, a: Fraction, b: Fraction, lo: int) -> IntegerSet:
    """The integers ``x >= lo`` where ``a + b*base**x <kind> 0``. The sign is that of ``b``
    wherever ``|b|*base**x > |a|``, so only the values of ``x`` before that point are looked
    at one by one (a few dozen: as many as ``a`` has digits in base ``base``)."""
    holds, runs, x, power = _HOLDS[kind], [], lo, Fraction(base) ** lo
    while b != 0 and abs(b) * power <= abs(a):
        if holds(a + b * power):
            runs.append((x, x))
        x, power = x + 1, power * base
    if holds(b if b != 0 else a):  # from x on, the sign of b (of a when b is 0)
        runs.append((x, None))
    return IntegerSet(1, {0: runs})


def _plain_set(pairs: list, x, lo: int) -> IntegerSet:
    """Relations ``diff <kind> 0`` without Max/Min, all analysed on the same pieces."""
    result = IntegerSet.interval(lo)
    if not pairs:
        return result
    m, pieces = _pieces([diff for _, diff in pairs], x, lo)
    runs = {}
    for r, y0, polys in pieces:
        current = [(y0, None)]
        for (kind, _), g in zip(pairs, polys):
            current = intersect_runs(current, _relation_runs(kind, g, y0))
            if not current:
                break
        runs[r] = current
    return IntegerSet(m, runs).intersection(result)


def _minmax_set(kind: str, diff, x, lo: int) -> IntegerSet:
    """``diff <kind> 0`` where ``diff`` contains Max/Min: distribute or split into cases."""
    if not diff.has(sympy.Max, sympy.Min):
        return _plain_set([(kind, diff)], x, lo)
    terms = sympy.Add.make_args(diff)
    special = [t for t in terms if t.has(sympy.Max, sympy.Min)]
    if len(special) == 1 and kind in ("le", "lt", "ge", "gt"):
        coeff, node = special[0].as_coeff_Mul()
        if coeff in (1, -1) and isinstance(node, (sympy.Max, sympy.Min)):
            rest = diff - special[0]
            is_max = isinstance(node, sympy.Max) == (coeff == 1)  # -Min(a, b) = Max(-a, -b)
            every = is_max == (kind in ("le", "lt"))  # max <= 0 iff every argument is
            sets = [_minmax_set(kind, sympy.expand(coeff * a + rest), x, lo) for a in node.args]
            out = sets[0]
            for other in sets[1:]:
                out = out.intersection(other) if every else out.union(other)
            return out
    node = next(n for n in sympy.preorder_traversal(diff) if isinstance(n, (sympy.Max, sympy.Min)))
    order = "ge" if isinstance(node, sympy.Max) else "le"
    out = IntegerSet.interval(0, -1)
    for i, a in enumerate(node.args):  # case: argument i is the max (min)
        case = _minmax_set(kind, sympy.expand(diff.xreplace({node: a})), x, lo)
        for j, b in enumerate(node.args):
            if j != i and not case.is_empty:
                case = case.intersection(_minmax_set(order, sympy.expand(a - b), x, lo))
        out = out.union(case)
    return out
