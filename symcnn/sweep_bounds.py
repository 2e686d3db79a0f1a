"""The bounds of a sweep, checked before anything is evaluated (issue 15).

A sweep plans its work from the grid and the compiled expression: the number of points,
the size of the values (from interval bounds on every intermediate result) and the memory
of its arrays. Each bound exceeded is a :class:`~symcnn.errors.SolveError` that says what to
change, instead of minutes of work or a ``MemoryError``.

>>> _points((20,), {"n": range(20)})
20
"""

from __future__ import annotations

from functools import lru_cache

import sympy

from .codegen import INT64_MAX
from .errors import SolveError, brief
from .safe import MAX_RESULT_BITS

__all__ = ["MAX_POINTS", "MAX_SLOW_POINTS", "MAX_BYTES"]

#: Most grid points of one sweep.
MAX_POINTS = 10_000_000
#: Most grid points evaluated one by one with SymPy (expressions outside the integer code
#: generator, such as ``sqrt(n)`` or ``2**n``).
MAX_SLOW_POINTS = 2_000
#: Largest memory a sweep may plan for its arrays, in bytes (estimated before evaluating).
MAX_BYTES = 500_000_000


def _short(expr) -> str:
    text = str(expr)
    return text if len(text) <= 60 else text[:57] + "..."


def _points(shape: tuple, axes: dict) -> int:
    points = 1
    for k, size in zip(axes, shape):
        points *= size
        if points > MAX_POINTS:
            raise SolveError(f"sweep: more than {MAX_POINTS:,} grid points; sweep a coarser "
                             f"range (e.g. range(1, N, step)). Received: "
                             + ", ".join(f"{name}: {len(v):,} values" for name, v in axes.items()))
    return points


@lru_cache(maxsize=512)
def _largest_power(expr):
    """The power of a base with symbols that has the largest integer exponent, or None (one
    walk per expression: sweeping the same closed form again costs nothing here)."""
    best = None
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Pow) and node.exp.is_Integer and node.base.free_symbols:
            if best is None or abs(int(node.exp)) > abs(int(best.exp)):
                best = node
    return best


def _check_powers(exprs: list, bounds: tuple) -> None:
    """Refuse, before any code is generated, powers whose values could not be built."""
    top = max((max(abs(lo), abs(hi)) for lo, hi in bounds), default=1)
    for e in exprs:
        node = _largest_power(e)
        bits = abs(int(node.exp)) * max(top.bit_length(), 1) if node is not None else 0
        if bits > MAX_RESULT_BITS:
            raise SolveError(f"sweep: the power {_short(node)} would build numbers of "
                             f"about {bits:,} bits over this grid (at most "
                             f"{MAX_RESULT_BITS:,}). Received: exponent "
                             f"{brief(int(node.exp))}")


def _check_memory(points: int, peak: int, source: str, count: int, dens) -> None:
    per_value = 8 if peak <= INT64_MAX else 40 + peak.bit_length() // 8
    if peak.bit_length() > MAX_RESULT_BITS:
        raise SolveError(f"sweep: values over this grid reach about 2**{peak.bit_length():,}, "
                         f"more than {MAX_RESULT_BITS:,} bits (about 4,300 digits). "
                         f"Received: a peak of {peak.bit_length():,} bits")
    arrays = source.count("\n") + 2 * count + 2
    need = points * per_value * arrays
    if need > MAX_BYTES:
        raise SolveError(f"sweep: this grid would need about {need / 1e6:,.0f} MB of arrays "
                         f"(at most {MAX_BYTES / 1e6:,.0f} MB); sweep fewer points. "
                         f"Received: {points:,} points of values up to "
                         f"{peak.bit_length():,} bits")
