"""SymPy's canonical order of arguments, with each sort key computed once.

``Max`` and ``Min`` keep their arguments in ``sympy.ordered`` order (by node count, then
``default_sort_key``) and SymPy's printers sort them again by ``default_sort_key``. That key
is cached by SymPy in a cache of 1,000 entries: a peak memory's ``Max`` of 4,000 arguments
(a 2,000-block chain with a width symbol per block) misses it for every argument at every
sort, and a deep strided model's ``ceiling(H/2**k)`` hash alike every 61 values of ``k``, so
the lookups compare deep expressions. Here each key is kept by the expression's identity,
then by its value (:class:`symcnn.structural.ValueKey`), so that building a ``Max``, its
display form and its text sort with keys computed once. The results are SymPy's own:
:func:`lattice` builds the very object ``cls(*args, evaluate=False)`` builds, and
:func:`printed_args` gives the order SymPy's printers use.

>>> import sympy
>>> from symcnn import symbols
>>> H, W = symbols("H W")
>>> m = lattice(sympy.Max, [3*H*W, W + 1, 2*H])
>>> m == sympy.Max(3*H*W, W + 1, 2*H, evaluate=False), m.args, printed_args(m)
(True, (2*H, W + 1, 3*H*W), (2*H, 3*H*W, W + 1))
"""

from __future__ import annotations

import re
from functools import lru_cache

import sympy
from sympy import Expr
from sympy.core.sorting import _nodes, default_sort_key

from .structural import ValueKey

__all__ = ["sort_key", "natural_key", "lattice", "printed_args", "CACHE_SIZE"]

#: Sort keys kept (by identity and by value) before the memo starts afresh.
CACHE_SIZE = 1 << 16

#: ``id(expr) -> (expr, key)`` (the expression kept, so its id is not reused) and
#: ``ValueKey(expr) -> key``; ``workloads.py --clear`` empties caches named ``_CACHE``.
_CACHE: dict = {}


def sort_key(expr):
    """``sympy.default_sort_key(expr)``, kept by identity and by value.

    >>> from symcnn import symbols
    >>> sort_key(symbols("H") + 1) == sympy.default_sort_key(symbols("H") + 1)
    True
    """
    seen = _CACHE.get(id(expr))
    if seen is not None and seen[0] is expr:
        return seen[1]
    if not isinstance(expr, sympy.Basic):
        return default_sort_key(expr)
    value = ValueKey(expr)
    key = _CACHE.get(value)
    if key is None:
        key = default_sort_key(expr)
        if len(_CACHE) >= CACHE_SIZE:
            _CACHE.clear()
        _CACHE[value] = key
    _CACHE[id(expr)] = (expr, key)
    return key


#: A run of digits in a symbol's name, compared as a number by :func:`natural_key`.
_DIGITS = re.compile(r"[0-9]+")
#: The width the runs are padded to (longer runs compare by their length first).
_DIGITS_WIDTH = 24


def natural_key(expr):
    """:func:`sort_key` with the numbers in symbol names compared as numbers: ``c_24`` before
    ``c_288``, ``r_2`` before ``r_10`` (SymPy compares names as strings). The order in
    which the display form writes terms and factors; stored expressions keep SymPy's.

    >>> from symcnn import symbols
    >>> c = symbols("c_288 c_24 c_16 c_40")
    >>> [str(s) for s in sorted(c, key=natural_key)], sorted(c, key=sort_key)[:2]
    (['c_16', 'c_24', 'c_40', 'c_288'], [c_16, c_24])
    """
    if not isinstance(expr, sympy.Basic):
        return default_sort_key(expr)
    named = {s: _padded(s) for s in expr.free_symbols if _DIGITS.search(s.name)}
    if not named:
        return sort_key(expr)
    return default_sort_key(expr.xreplace(named))


@lru_cache(maxsize=1 << 12)
def _padded(symbol):
    """A symbol of the same kind whose name has each run of digits padded with zeros, so
    that names compare as :func:`natural_key` says (a Dummy stays a Dummy: SymPy sorts the
    two kinds apart)."""
    name = _DIGITS.sub(lambda m: m.group().rjust(_DIGITS_WIDTH, "0"), symbol.name)
    return sympy.Dummy(name) if isinstance(symbol, sympy.Dummy) else sympy.Symbol(name)


def lattice(cls, args):
    """``cls(*args, evaluate=False)`` for ``sympy.Max`` or ``sympy.Min``: the same object
    (arguments in ``sympy.ordered`` order), each argument's sort key computed once.

    >>> from symcnn import symbols
    >>> H = symbols("H")
    >>> lattice(sympy.Min, [H + 1, 3]), lattice(sympy.Max, [H]), lattice(sympy.Max, [])
    (Min(3, H + 1), H, -oo)
    """
    argset = frozenset(sympy.sympify(a) for a in args)
    if not argset:
        return cls.identity
    if len(argset) == 1:
        return next(iter(argset))
    # sympy.ordered: by node count, ties by default_sort_key, remaining ties in the order
    # met (a stable sort over the same frozenset gives the same)
    ordered = sorted(argset, key=lambda a: (_nodes(a), sort_key(a)))
    obj = Expr.__new__(cls, *ordered)
    obj._argset = argset
    return obj


def printed_args(expr) -> tuple:
    """``expr``'s arguments in the order SymPy's printers write a ``Max``/``Min``:
    ``sorted(expr.args, key=default_sort_key)``.

    >>> from symcnn import symbols
    >>> H = symbols("H")
    >>> W = symbols("W")
    >>> m = sympy.Max(W**2 + 5, H + W + 2)
    >>> m.args, printed_args(m), str(m)
    ((H + W + 2, W**2 + 5), (W**2 + 5, H + W + 2), 'Max(W**2 + 5, H + W + 2)')
    """
    return tuple(sorted(expr.args, key=sort_key))
