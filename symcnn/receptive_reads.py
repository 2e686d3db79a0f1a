"""The input positions one output position reads, for :func:`symcnn.receptive.input_span`.

``input_span`` walks back from one output position to the input and keeps, per tensor and
axis, the set of positions that are read: an arithmetic progression ``first, first + step,
..., last`` (:class:`Positions`), cut to each tensor's ``0 .. size - 1`` on the way, so that
a later layer's padding never lands on positions a crop removed or a strided layer left
out. Where symbolic sizes leave the order of two bounds open, a bound is an
:class:`Extreme` (the largest or smallest of several), compared part by part. The bounds of
the windows themselves are :mod:`symcnn.receptive_bounds`.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy import ceiling, floor

from .arith import bound_below, ceil_div
from .quasipoly import NotQuasiPolynomial, relation_set
from .receptive_bounds import canon
from .signs import decide_sign
from .structural import expanded

__all__ = ["Facts", "Positions", "Undecided", "clip", "copied", "unite", "positions_through",
           "bound_expr"]


class Undecided(Exception):
    """A comparison of bounds that depends on the symbols, where the answer needs it."""


class Facts:
    """What is known of the symbols: the model's conditions (``H >= 7``, and that the output
    position asked for exists). Comparisons are proved structurally
    (:func:`~symcnn.signs.decide_sign`, with the single-symbol lower bounds among the
    conditions); what that leaves open in one symbol is decided exactly, residue class by
    residue class (:func:`~symcnn.quasipoly.relation_set`), over the values the conditions
    allow.

    >>> from symcnn import symbols
    >>> H = symbols("H")
    >>> facts = Facts([H >= 7])
    >>> facts.lower, facts.nonnegative(H - 7), facts.nonnegative(H - 8), facts.nonnegative(-H)
    ({H: 7}, True, None, False)
    >>> facts.nonnegative(H - 1 - (6 - floor((3*ceiling(H/3) - H)/2)))
    True
    >>> c = symbols("c")
    >>> Facts([H - 2*c >= 1]).nonnegative(H - c - 1), Facts().nonnegative(H - c - 1)
    (True, None)
    """

    def __init__(self, relations=()) -> None:
        self.relations = [r for r in relations if isinstance(r, sympy.core.relational.Relational)]
        self.lower: dict = {}
        for rel in self.relations:
            below = bound_below(rel)
            if below is not None and below[1].is_number:
                sym, bound, strict = below
                low = int(floor(bound)) + 1 if strict else int(ceiling(bound))
                self.lower[sym] = max(self.lower.get(sym, low), low)
        #: each condition in several symbols as ``g >= 0`` (``a > b`` is ``a - b - 1 >= 0``)
        self.slacks = []
        for rel in self.relations:
            kinds = {sympy.GreaterThan: (1, 0), sympy.StrictGreaterThan: (1, 1),
                     sympy.LessThan: (-1, 0), sympy.StrictLessThan: (-1, 1)}
            if type(rel) in kinds:
                sign, strict = kinds[type(rel)]
                if len(rel.free_symbols) > 1:  # one symbol's: its lower bound, or exactly
                    self.slacks.append(expanded(sign * (rel.lhs - rel.rhs) - strict))
        self._memo: dict = {}
        self._allowed: dict = {}
        self._values: dict = {}

    def nonnegative(self, expr) -> bool | None:
        """``expr >= 0`` wherever the conditions hold: True, False (nowhere), None."""
        expr = expanded(sympy.sympify(expr))
        if expr.is_number:
            return bool(expr >= 0)
        if expr not in self._memo:
            self._memo[expr] = self._decide(expr)
        return self._memo[expr]

    def _decide(self, expr) -> bool | None:
        sign = decide_sign(expr, self.lower)
        if sign:
            return sign == 1
        for g in self.slacks:  # expr >= g >= 0, or expr <= -1 - g < 0
            if decide_sign(expanded(expr - g), self.lower) == 1:
                return True
            if decide_sign(expanded(-1 - expr - g), self.lower) == 1:
                return False
        return self.exactly(lambda at: self.value(expr, at), lambda: expr, [expr])

    def value(self, expr, at: dict):
        """``expr`` at the numbers ``at`` (kept: the same bounds are sampled again and again)."""
        key = (expr, tuple(at.items()))
        if key not in self._values:
            self._values[key] = sympy.sympify(expr).xreplace(at)
        return self._values[key]

    def exactly(self, value, build, parts) -> bool | None:
        """In one symbol ``x``: whether ``value({x: v}) >= 0`` at every ``v`` the conditions
        allow, residue class by residue class; ``build()`` gives the expression, made of the
        expressions ``parts``. None at once where sampled values show both signs (then it
        depends on ``x``), and for an exponent in ``x`` (a count of repetitions)."""
        symbols = set().union(*(p.free_symbols for p in parts))
        if len(symbols) != 1 or any(
                isinstance(n, sympy.Pow) and n.exp.free_symbols
                for p in parts for n in sympy.preorder_traversal(p)):
            return None
        (x,) = symbols
        domain = [r for r in self.relations if r.free_symbols <= {x}]
        low = self.lower.get(x, 1 if x.is_positive else 0)
        signs = set()  # sampled first: two signs among the allowed values decide it (None)
        samples = (*range(low, low + 12), *(low + 2**k + j for k in range(4, 31, 2) for j in (0, 1)))
        for v in samples:
            at = {x: sympy.Integer(v)}
            if all(bool(r.xreplace(at)) for r in domain):
                signs.add(bool(value(at) >= 0))
                if len(signs) == 2:
                    return None
        if x not in self._allowed:
            try:
                self._allowed[x] = relation_set(domain, x, lo=low)
            except NotQuasiPolynomial:
                self._allowed[x] = None
        allowed = self._allowed[x]
        if allowed is None:
            return None
        try:
            holds = allowed.intersection(
                relation_set([sympy.Ge(build(), 0, evaluate=False)], x, lo=low))
        except NotQuasiPolynomial:
            return None
        if allowed.difference(holds).is_empty:
            return True
        return False if holds.is_empty else None


@dataclass(frozen=True)
class Extreme:
    """The largest (``kind="max"``) or smallest of ``args``, whose order depends on the
    symbols; ``args`` are bounds (expressions or extremes)."""

    kind: str
    args: tuple


def bound_expr(bound) -> sympy.Expr:
    """A bound as one SymPy expression (``Max`` and ``Min`` for extremes)."""
    if isinstance(bound, Extreme):
        return (sympy.Max if bound.kind == "max" else sympy.Min)(
            *(bound_expr(a) for a in bound.args))
    return canon(bound)


def _all_any(values, every: bool):
    """Three-valued ``all`` (``every``) or ``any`` over True / False / None."""
    if every:
        return False if False in values else True if all(v is True for v in values) else None
    return True if True in values else False if all(v is False for v in values) else None


def _value(bound, at, facts: Facts):
    """A bound's value at ``at`` (every symbol given a number)."""
    if isinstance(bound, Extreme):
        return (max if bound.kind == "max" else min)(_value(a, at, facts) for a in bound.args)
    return facts.value(bound, at)


def _parts(bound) -> list:
    if isinstance(bound, Extreme):
        return [p for a in bound.args for p in _parts(a)]
    return [sympy.sympify(bound)]


def bound_le(a, b, facts: Facts) -> bool | None:
    """Whether ``a <= b`` wherever the conditions hold: True, False (nowhere), None.

    >>> from symcnn import symbols
    >>> H = symbols("H")
    >>> bound_le(Extreme("max", (H - 3, sympy.Integer(0))), H - 1, Facts())
    True
    """
    if isinstance(a, Extreme):
        found = _all_any([bound_le(x, b, facts) for x in a.args], a.kind == "max")
    elif isinstance(b, Extreme):
        found = _all_any([bound_le(a, y, facts) for y in b.args], b.kind == "min")
    else:
        return facts.nonnegative(sympy.sympify(b) - sympy.sympify(a))
    if found is None:  # the parts alone do not decide it; the whole may (one symbol)
        found = facts.exactly(lambda at: _value(b, at, facts) - _value(a, at, facts),
                              lambda: bound_expr(b) - bound_expr(a), _parts(a) + _parts(b))
    return found


def extreme(kind: str, bounds, facts: Facts):
    """The largest (``"max"``) or smallest of ``bounds``, without those another one is
    proved to pass; a single survivor is returned as it is."""
    flat = []
    for b in bounds:
        flat.extend(b.args if isinstance(b, Extreme) and b.kind == kind else (b,))
    kept: list = []
    for b in flat:
        below = (lambda x, y: bound_le(x, y, facts)) if kind == "max" else \
            (lambda x, y: bound_le(y, x, facts))
        if any(below(b, k) is True for k in kept):
            continue
        kept = [k for k in kept if below(k, b) is not True]
        kept.append(b)
    return kept[0] if len(kept) == 1 else Extreme(kind, tuple(kept))


def map_bound(f, bound, facts: Facts):
    """``f`` (nondecreasing) applied to a bound: to every part of an extreme."""
    if isinstance(bound, Extreme):
        return extreme(bound.kind, [map_bound(f, a, facts) for a in bound.args], facts)
    return canon(f(bound))


def _integers(*values) -> bool:
    return all(getattr(v, "is_Integer", False) for v in values)


@dataclass(frozen=True)
class Positions:
    """Positions ``first, first + step, ..., last`` along one axis (``last - first`` a
    multiple of ``step``); ``step`` None: ``first`` and ``last`` are read, which positions
    between them are is not known (symbolic sizes only). An empty set is None; a set of
    numbers that is no progression is a frozenset.

    >>> from symcnn.windows import Window
    >>> Positions.single(3).through(Window(2, 2, dilation=2, pad_before=1), 10, Facts())
    Positions(first=5, last=7, step=2)
    """

    first: object
    last: object
    step: sympy.Expr | None

    @staticmethod
    def single(o) -> "Positions":
        o = sympy.sympify(o)
        return Positions(o, o, sympy.Integer(1))

    @property
    def numeric(self) -> bool:
        return _integers(self.first, self.last, self.step)

    def listed(self) -> range:
        return range(int(self.first), int(self.last) + 1, int(self.step))

    def spread(self):
        """``last - first``, None when either is an :class:`Extreme`."""
        if isinstance(self.first, Extreme) or isinstance(self.last, Extreme):
            return None
        return expanded(self.last - self.first)

    def through(self, axis_map, size, facts: Facts):
        """The positions of a layer's input (``size`` positions along the axis, padding
        included: see :func:`clip`) that these positions of its output read."""
        lo = map_bound(lambda x: axis_map.reads(x, size)[0], self.first, facts)
        hi = map_bound(lambda x: axis_map.reads(x, size)[1], self.last, facts)
        spread = self.spread()
        if spread is not None and spread == 0:
            step = sympy.sympify(axis_map.reads(self.first, size)[2])
        else:
            step = None if self.step is None else axis_map.image_step(spread, self.step)
        if step is None and self.numeric:
            return _listed_through(self.listed(), axis_map, size, facts)
        if step is not None and not isinstance(lo, Extreme) and not isinstance(hi, Extreme) \
                and expanded(hi - lo) == 0:
            step = sympy.Integer(1)
        return Positions(lo, hi, step)


def compact(values):
    """A set of integers as :class:`Positions` when it is an arithmetic progression, else
    as a frozenset; None when empty.

    >>> compact({4, 6, 8}), compact({1, 2, 5}), compact(set())
    (Positions(first=4, last=8, step=2), frozenset({1, 2, 5}), None)
    """
    if not values:
        return None
    ordered = sorted(values)
    steps = {b - a for a, b in zip(ordered, ordered[1:])}
    if len(steps) <= 1:
        return Positions(sympy.Integer(ordered[0]), sympy.Integer(ordered[-1]),
                         sympy.Integer(steps.pop() if steps else 1))
    return frozenset(ordered)


def _listed_through(values, axis_map, size, facts: Facts):
    """The positions that the listed output positions ``values`` read, listed."""
    found: set = set()
    for x in values:
        a, b, step = axis_map.reads(sympy.Integer(x), size)
        if not _integers(a, b, step):  # a symbolic layer: first and last only
            hull = Positions(sympy.Integer(min(values)), sympy.Integer(max(values)), None)
            return hull.through(axis_map, size, facts)
        found.update(range(int(a), int(b) + 1, int(step)))
    return compact(found)


def positions_through(pos, axis_map, size, facts: Facts):
    """``pos`` (:class:`Positions`, a frozenset, or None) through one layer's map."""
    if pos is None:
        return None
    if isinstance(pos, frozenset):
        return _listed_through(pos, axis_map, size, facts)
    return pos.through(axis_map, size, facts)


def clip(pos, size, facts: Facts):
    """The positions of ``pos`` inside ``0 .. size - 1`` (the others are padding, or were
    cropped away). Raises :class:`Undecided` where that depends on the symbols in a way no
    closed form here states (whether any is left, or a cut through unknown gaps)."""
    if pos is None:
        return None
    size = sympy.sympify(size)
    top = expanded(size - 1)
    if isinstance(pos, frozenset):
        inside = [bound_le(x, top, facts) for x in pos]
        if None in inside:
            raise Undecided("which listed positions lie inside the axis")
        return compact({x for x, ok in zip(pos, inside) if ok and x >= 0})
    low_ok, high_ok = bound_le(0, pos.first, facts), bound_le(pos.last, top, facts)
    if low_ok is True and high_ok is True:
        return pos
    if pos.step is None:
        raise Undecided("a cut through positions whose gaps are not known")
    g, first, last = pos.step, pos.first, pos.last
    if low_ok is not True:  # the first position of the progression at or after 0
        up = sympy.Integer(0) if g == 1 else map_bound(lambda c: c + g * ceil_div(-c, g),
                                                      first, facts)
        first = up if low_ok is False else extreme("max", [first, up], facts)
    if high_ok is not True:  # the last one at or before size - 1
        down = top if g == 1 else map_bound(lambda c: c - g * ceil_div(c - top, g), last, facts)
        last = down if high_ok is False else extreme("min", [last, down], facts)
    nonempty = bound_le(first, last, facts)
    if nonempty is None:
        raise Undecided("whether any position is left")
    if not nonempty:
        return None
    single = not isinstance(first, Extreme) and not isinstance(last, Extreme) and \
        expanded(last - first) == 0
    return Positions(first, last, sympy.Integer(1) if single else g)


def copied(pos, axis_map, size, facts: Facts):
    """The input positions that ``pos`` (positions of a layer's padded input, in the input's
    coordinates) hold, where the padding copies input positions
    (:class:`~symcnn.windows.Copied`: reflect, replicate, circular): positions inside
    ``0 .. size - 1`` are themselves, padding positions the ones they copy. Raises
    :class:`Undecided` where ``pos`` may reach into the padding and the sizes are symbols.

    >>> from symcnn.windows import Copied, Window
    >>> pad = Copied(Window(3, pad_before=2), "reflect")
    >>> copied(Positions(sympy.Integer(-2), sympy.Integer(0), sympy.Integer(1)), pad, 8, Facts())
    Positions(first=0, last=2, step=1)
    """
    if pos is None:
        return None
    size = sympy.sympify(size)
    if isinstance(pos, Positions) and bound_le(0, pos.first, facts) is True and \
            bound_le(pos.last, expanded(size - 1), facts) is True:
        return pos  # inside the input: no padding read
    listed = pos if isinstance(pos, frozenset) else pos.listed() if pos.numeric else None
    if listed is None or not size.is_Integer:
        raise Undecided(f"{axis_map.layer or 'a layer'} pads with mode={axis_map.mode!r}, "
                        f"copies of input positions that depend on the sizes")
    return compact({axis_map.source(int(q), int(size)) for q in listed})


def unite(a, b, facts: Facts):
    """The union of two sets of positions (None: empty)."""
    if a is None or b is None:
        return b if a is None else a
    if all(isinstance(p, frozenset) or p.numeric for p in (a, b)):
        return compact(set(a if isinstance(a, frozenset) else a.listed()) |
                       set(b if isinstance(b, frozenset) else b.listed()))
    a, b = (Positions(sympy.Integer(min(p)), sympy.Integer(max(p)), None)
            if isinstance(p, frozenset) else p for p in (a, b))
    first = extreme("min", [a.first, b.first], facts)
    last = extreme("max", [a.last, b.last], facts)
    step = None
    for p, q in ((a, b), (b, a)):  # every position of p, and q within one of its ends
        if (p.step == 1 or p.spread() == 0) and bound_le(
                map_bound(lambda c: c - 1, p.first, facts), q.first, facts) is True and \
                bound_le(q.last, map_bound(lambda c: c + 1, p.last, facts), facts) is True:
            return Positions(first, last, sympy.Integer(1))
    steps = {p.step for p in (a, b) if p.spread() is None or p.spread() != 0}
    if None not in steps and len(steps) <= 1:  # one progression when aligned and touching
        g = steps.pop() if steps else sympy.Integer(1)
        aligned = g == 1 or (a.spread() is not None and b.spread() is not None
                             and expanded((b.first - a.first) / g).is_integer)
        if aligned and all(bound_le(q.first, map_bound(lambda c, g=g: c + g, p.last, facts),
                                    facts) is True for p, q in ((a, b), (b, a))):
            step = g
    return Positions(first, last, step)
