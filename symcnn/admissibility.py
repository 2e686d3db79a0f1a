"""Admissible inputs: which sizes a network accepts, and which ones flooring wastes.

A model records the conditions its symbols must meet for every size to be a valid positive
integer (``model.constraints``, e.g. ``H >= 31`` or ``Eq(Mod(H, 2), 0)``). :func:`admissible`
solves them exactly for one symbol, and compares the network's deepest feature maps at
neighbouring sizes: when ``h`` and the admissible size before it (``h - 1`` where every size
is admissible) give the same feature maps, ``h`` is *redundant*.
In a network that floors (``valid`` windows, pooling), the extra row of a redundant ``h`` is
dropped without being seen; the *distinct* sizes (the smallest of each group of sizes with
equal feature maps) are the ones that use every input row. (Where ``same`` padding rounds up
instead, the largest size of each group is the one that needs no padding.)

>>> import symcnn as sc
>>> m = sc.zoo.textbook.free_width(input_shape=("H", 31, 1))
>>> a = sc.admissible(m, "H")
>>> a.smallest, a.values
(31, Range(31, oo, 1))
>>> a.distinct                              # one useful height in every 8
Range(31, oo, 8)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from .errors import SolveError, brief
from .layers.repeat import repeat_counts
from .quasipoly import IntegerSet, NotQuasiPolynomial, relation_set
from .render.exprs import show
from .structural import exponent_symbols, integer_valued, lower_bound
from .solving import text_value
from .symbols import broken_parity, describe_symbol, least_integer

__all__ = ["admissible", "Admissible"]


@dataclass(frozen=True)
class Admissible:
    """What :func:`admissible` finds for one symbol (every set a SymPy set).

    Attributes:
        symbol: the input-size symbol studied.
        values: every value that makes all sizes of the model valid integers.
        smallest: the least of them (``None`` if there is none).
        redundant: admissible ``h`` whose feature maps equal those of the admissible value
            before it (``h - 1`` where every value is admissible; ``h - 2`` for a symbol
            declared ``even`` or ``odd``, or tied as ``W=H/2``): the extra rows or columns
            are dropped by flooring somewhere in the network. ``None`` where that is not
            decided (see ``note``).
        distinct: admissible values that are not redundant: the smallest size of each group
            with equal feature maps (with floors, the sizes that use every input row);
            ``None`` where ``redundant`` is.
        constraints: the model's conditions on the symbol, after fixing the others (with
            those that keep a value such as ``W=H - 4`` a size); when no value is
            admissible because of the fixed values, the condition they break, as it reads
            with them (``5 <= 3``).
        note: why ``redundant`` and ``distinct`` are ``None``: the feature maps are no
            quasi-polynomials in the symbol (``floor(H/2**L)`` in ``L``) and the values
            are too many to compare one by one; when no value is admissible, which of the
            conditions conflict (``no value of H meets ceiling(H/4) >= 3 and H <= 8
            together``); ``None`` otherwise.

    The values are those the symbol takes: positive integers, from 0 for a symbol declared
    ``nonnegative``, of one parity for one declared ``even`` or ``odd``.

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("H", 8, 3)), sc.Conv2D(8, 5), sc.MaxPooling2D(2)])
    >>> a = sc.admissible(m, "H")
    >>> a.values, a.smallest, a.constraints
    (Range(6, oo, 1), 6, (H >= 6,))
    >>> a.distinct
    Range(6, oo, 2)
    """

    symbol: sympy.Symbol
    values: Any
    smallest: int | None
    redundant: Any
    distinct: Any
    constraints: tuple
    note: str | None = None

    def __contains__(self, value: int) -> bool:
        return bool(self.values.contains(value))

    def __repr__(self) -> str:
        note = f", note={self.note!r}" if self.note else ""
        return (f"Admissible({self.symbol}: values={self.values}, smallest={self.smallest}, "
                f"distinct={self.distinct}{note})")


def _frontier(model, x, table: dict) -> list:
    """Output shapes that depend on ``x`` but feed no layer whose output still does."""
    def depends(t) -> bool:
        return any(x in sympy.sympify(d).xreplace(table).free_symbols for d in t.shape)

    consumers: dict = {}
    for node in model.nodes:
        for t in node.inputs:
            consumers.setdefault(id(t), []).append(node)
    shapes = []
    for node in model.nodes:
        for t in node.outputs:
            if not depends(t):
                continue
            later = consumers.get(id(t), [])
            if not any(depends(o) for n in later for o in n.outputs):
                shapes.append(tuple(sympy.sympify(d).xreplace(table) for d in t.shape))
    return shapes


def admissible(model, symbol, /, **fixed: Any) -> Admissible:
    """The values of an input-size ``symbol`` that ``model`` accepts, and which are redundant.

    Other symbols that share a condition or a feature-map size with ``symbol`` must be fixed
    by keyword (``W=224``); a value may be an expression in ``symbol`` (``W=H`` for square
    inputs, ``W=H/2``, which keeps to even ``H``), also as text (``W="H/2"``, read by
    symcnn's safe expression parser). A number outside the fixed symbol's values (``W=0``;
    ``L=0`` for a ``Repeat``'s count, whose closed forms hold from one repetition on) is a
    :class:`SolveError`.

    >>> import symcnn as sc
    >>> H = sc.symbols("H")
    >>> m = sc.Sequential([sc.Input((H, H, 3)), sc.Conv2D(8, 3), sc.MaxPooling2D(2)])
    >>> a = sc.admissible(m, H)
    >>> a.smallest, a.redundant                 # odd sizes lose their last row to flooring
    (4, Range(5, oo, 2))
    """
    where = f"admissible({getattr(model, 'display_name', 'model')!r})"
    symbols = {s.name: s for s in model.free_symbols}
    x = symbols.get(symbol) if isinstance(symbol, str) else symbol
    if not isinstance(x, sympy.Symbol) or x not in model.free_symbols:
        raise SolveError(f"{where}: the model has no symbol {symbol!r}; its symbols are "
                         f"{', '.join(sorted(symbols)) or 'none'}. Received: symbol={symbol!r}")
    table = {}
    counts = repeat_counts(model)
    relations = []  # the conditions on x: the model's, and those a value in x must meet
    for key, value in fixed.items():
        if key not in symbols or symbols[key] == x:
            raise SolveError(f"{where}: cannot fix {key!r}: it is not another symbol of the "
                             f"model ({', '.join(sorted(symbols))}). Received: {key}={brief(value)}")
        if isinstance(value, str):  # "H", "H/2", "224": read safely, as model.subs reads
            value = text_value(value, symbols, key, where)
        if isinstance(value, (bool, float)) or not isinstance(value, (int, sympy.Expr)):
            raise SolveError(f"{where}: a fixed value is an integer or an expression in "
                             f"{x}, or such an expression as text (\"{x}/2\"). "
                             f"Received: {key}={brief(value)}")
        value = sympy.sympify(value)
        relations += _in_domain(symbols[key], value, x, where, counts)
        table[symbols[key]] = value
    for c in model.constraints:
        fixed_c = c.xreplace(table)
        if fixed_c is sympy.true:
            continue
        if fixed_c is sympy.false:  # the condition as it reads with the values: 5 <= 3
            return _nothing(x, [c.func(*(a.xreplace(table) for a in c.args), evaluate=False)])
        if x in fixed_c.free_symbols:
            _only(fixed_c, x, where, counts)
            relations.append(fixed_c)
    low, _, domain = _domain(x)
    try:
        values = relation_set(relations, x, lo=low).intersection(domain)
    except NotQuasiPolynomial as err:
        raise SolveError(f"{where}: cannot decide {x} exactly: {err.reason}. "
                         f"Received: symbol={symbol!r}") from None
    if values.min() is None:  # nothing admissible: say which conditions conflict
        core = _conflict(relations, x, low, domain)
        shown = " and ".join(show(r) for r in core) or "its domain"
        return Admissible(x, sympy.S.EmptySet, None, sympy.S.EmptySet, sympy.S.EmptySet,
                          tuple(relations), f"no value of {x} meets {shown}"
                          + (" together" if len(core) > 1 else ""))
    # h is redundant when the admissible value before it (h - 1 where every value is
    # admissible; h - 2 for a symbol declared even or odd, or tied as W=H/2) gives the same
    # deepest feature maps
    sizes = []
    for shape in _frontier(model, x, table):
        for d in shape:
            u = sympy.factor(d).as_independent(x, as_Add=False)[1]
            _only(u, x, where, counts)
            sizes.append(u)
    note = None
    try:
        redundant = _redundant(values, sizes, x, low)
    except NotQuasiPolynomial as err:
        redundant = _redundant_by_values(values, sizes, x)
        if redundant is None:
            note = (f"which values are redundant is not decided: {err.reason}, and "
                    f"{'infinitely many' if values.count() is None else values.count()} "
                    f"values are too many to compare one by one (at most {_COMPARED})")
    if redundant is None:
        return Admissible(x, values.to_sympy(), values.min(), None, None, tuple(relations),
                          note)
    return Admissible(x, values.to_sympy(), values.min(), redundant.to_sympy(),
                      values.difference(redundant).to_sympy(), tuple(relations))


def _conflict(relations: list, x, low: int, domain) -> list:
    """A smallest set of ``relations`` that no value of ``x`` meets together, found by
    leaving out one condition at a time while the rest still admit nothing (each
    condition left is needed for the conflict)."""
    core = list(relations)
    for r in list(core):
        rest = [c for c in core if c is not r]
        try:
            empty = relation_set(rest, x, lo=low).intersection(domain).min() is None
        except NotQuasiPolynomial:
            empty = False
        if empty:
            core = rest
    return core


#: The most admissible values :func:`admissible` compares one by one when the feature maps
#: are no quasi-polynomials in the symbol (``floor(H/2**L)`` in ``L``).
_COMPARED = 4096


def _shifted(values: IntegerSet, gap: int) -> IntegerSet:
    """The set ``{v + gap for v in values}``."""
    m, runs = values.modulus, {}
    for r, rs in values.runs.items():
        carry, residue = divmod(r + gap, m)
        runs.setdefault(residue, []).extend(
            (a + carry, None if b is None else b + carry) for a, b in rs)
    return IntegerSet(m, runs)


def _same_maps(sizes: list, x, h: int, before: int) -> bool:
    return all(u.xreplace({x: h}) == u.xreplace({x: before}) for u in sizes)


def _redundant(values: IntegerSet, sizes: list, x, low: int) -> IntegerSet:
    """The admissible values whose feature maps equal those at the admissible value before
    them. Values ``h`` whose predecessor is ``h - gap`` are grouped by ``gap`` (a gap of at
    most the modulus of ``values`` for every value but the first of each run) and decided
    exactly; the few left (the first value of a run after a longer gap) are compared one
    by one. Raises :class:`NotQuasiPolynomial` when the sizes are no quasi-polynomials."""
    empty = IntegerSet.interval(0, -1)
    first = values.min()
    if first is None:
        return empty
    left = values.difference(IntegerSet.interval(first, first))  # values with a predecessor
    found = empty
    for gap in range(1, values.modulus + 1):
        if left.is_empty or (left.is_bounded and left.count() <= _LEFT):
            break
        here = left.intersection(_shifted(values, gap))  # h - gap admissible, none closer
        if here.is_empty:
            continue
        left = left.difference(here)
        if sizes:
            equal = [sympy.Eq(u.xreplace({x: x - gap}), u) for u in sizes]
            found = found.union(here.intersection(relation_set(equal, x, lo=low + gap)))
        else:
            found = found.union(here)
    if not left.is_bounded:  # never expected (a run's values lie within one modulus)
        raise NotQuasiPolynomial(None, "the admissible values have gaps longer than their "
                                       "period")
    for h in left:  # finitely many: each first of a run, or a few values left over
        before = values.intersection(IntegerSet.interval(0, h - 1)).max()
        if _same_maps(sizes, x, h, before):
            found = found.union(IntegerSet.interval(h, h))
    return found


#: At most this many values are left to :func:`_redundant`'s one-by-one comparison.
_LEFT = 64


def _redundant_by_values(values, sizes: list, x):
    """The redundant values among finitely many (at most :data:`_COMPARED`), found by
    evaluating the feature-map sizes at each value and the admissible value before it;
    None if there are more."""
    count = values.count()
    if count is None or count > _COMPARED:
        return None
    found = IntegerSet.interval(0, -1)
    ordered = sorted(values)
    for before, h in zip(ordered, ordered[1:]):
        if _same_maps(sizes, x, h, before):
            found = found.union(IntegerSet.interval(h, h))
    return found


def _domain(x) -> tuple:
    """``(low, step, set)``: the least value the symbol takes (0 for one declared
    non-negative, else 1), the distance between consecutive values (2 for a symbol declared
    even or odd, else 1), and those values as an :class:`IntegerSet`."""
    least = least_integer(x)
    low = 1 if least is None else least
    domain = IntegerSet.interval(low)
    if x.is_even or x.is_odd:
        domain = domain.intersection(IntegerSet(2, {0 if x.is_even else 1: [(0, None)]}))
        return low, 2, domain
    return low, 1, domain


def _in_domain(symbol, value, x, where: str, counts) -> list:
    """Check a value fixed for ``symbol`` against the values the symbol takes (a size is a
    positive integer): a number outside them is a :class:`SolveError` (the model's closed
    forms mean nothing there: ``L = 0`` for a ``Repeat``'s count, whose closed forms hold
    from one repetition on); for an expression in ``x`` (``W=H - 4``), the conditions that
    keep it in them (``H - 4 >= 1``), those its structure does not already prove."""
    integer = symbol.is_integer is True
    low = least_integer(symbol) if integer else None  # a multiplier takes fractions
    if value.is_number:
        if value.is_Rational and (not integer or value.is_Integer) and (
                low is None or value >= low) and (symbol.is_positive is not True or value > 0) \
                and broken_parity(symbol, value) is None:
            return []
        why = (" that counts the repetitions of a Repeat, whose closed forms hold from 1 "
               "repetition on (for none, leave the Repeat out)" if symbol in counts else
               ", where the model's closed forms mean nothing")
        raise SolveError(f"{where}: {symbol}={value} is outside the values of {symbol}, "
                         f"{describe_symbol(symbol)}{why}. Received: {symbol}={value}")
    out = []
    if low is not None:
        least = lower_bound(value)
        if least is None or least < low:
            out.append(sympy.Ge(value, low, evaluate=False))  # as it reads: -H >= 1
    if integer and not integer_valued(value):
        out.append(sympy.Eq(sympy.floor(value), value, evaluate=False))
    for r in out:
        _only(r, x, where, counts)
    return out


def _only(expr, x, where: str, counts=frozenset()) -> None:
    others = expr.free_symbols - {x}
    if others:
        names = sorted(s.name for s in others)
        first = next(s for s in others if s.name == names[0])
        in_exponent = exponent_symbols(expr)
        if first in counts or first in in_exponent:  # a repetition count: a small one
            example = f"{names[0]}=3"
        elif x in counts or x in in_exponent:  # a size beside the count solved for
            example = f"{names[0]}=224"
        else:
            example = f"{names[0]}=224, or {names[0]}={x} for square inputs"
        raise SolveError(f"{where}: {expr} also depends on {', '.join(names)}; fix "
                         f"{'it' if len(names) == 1 else 'them'} by keyword (e.g. "
                         f"{example}). Received: symbol={x}")


def _nothing(x, relations) -> Admissible:
    empty = sympy.S.EmptySet
    return Admissible(x, empty, None, empty, empty, tuple(relations))
