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

import sympy
from sympy import Expr
from sympy.core.sorting import _nodes, default_sort_key

from .structural import ValueKey

__all__ = ["sort_key", "lattice", "printed_args", "CACHE_SIZE"]

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
