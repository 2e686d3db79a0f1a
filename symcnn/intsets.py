"""Sets of non-negative integers as unions of arithmetic progressions, with exact algebra.

The solvers describe answers ("every n up to 323", "every height but one in 8") as an
:class:`IntegerSet`: for each residue class ``r`` modulo ``modulus``, sorted runs of ``y``
meaning ``x = modulus*y + r``. Intersections, unions and complements are exact, and
:meth:`IntegerSet.to_sympy` prints the set readably: a finite part, then a periodic tail.

>>> IntegerSet.interval(1, 323).to_sympy()
Range(1, 324, 1)
>>> IntegerSet(8, {r: [(4, None)] for r in range(7)}).to_sympy()   # every x >= 32 but 39 mod 8
Complement(Range(32, oo, 1), Range(39, oo, 8))
"""

from __future__ import annotations

from math import gcd

import sympy

__all__ = ["IntegerSet", "merge_runs", "intersect_runs", "complement_runs"]


def merge_runs(runs: list) -> list:
    """Sorted, disjoint, non-adjacent runs ``(first, last|None)``."""
    out: list = []
    for a, b in sorted(runs, key=lambda r: r[0]):
        if b is not None and b < a:
            continue
        if out and (out[-1][1] is None or out[-1][1] + 1 >= a):
            last = out[-1]
            out[-1] = (last[0], None if last[1] is None or b is None else max(last[1], b))
        else:
            out.append((a, b))
    return out


def intersect_runs(a: list, b: list) -> list:
    out = []
    for a0, a1 in a:
        for b0, b1 in b:
            hi = a1 if b1 is None else b1 if a1 is None else min(a1, b1)
            if hi is None or max(a0, b0) <= hi:
                out.append((max(a0, b0), hi))
    return merge_runs(out)


def complement_runs(a: list) -> list:
    """The runs of non-negative integers not covered by the merged runs ``a``."""
    out, start = [], 0
    for a0, a1 in a:
        if a0 > start:
            out.append((start, a0 - 1))
        if a1 is None:
            return out
        start = a1 + 1
    out.append((start, None))
    return out


class IntegerSet:
    """Non-negative integers: per residue ``r`` mod ``modulus``, runs of ``y`` (``x =
    modulus*y + r``), each ``(first, last)`` with ``last=None`` for an unbounded run.

    >>> s = IntegerSet.interval(4, 9).intersection(IntegerSet(2, {0: [(0, None)]}))
    >>> list(s), s.to_sympy(), 6 in s
    ([4, 6, 8], Range(4, 10, 2), True)
    """

    def __init__(self, modulus: int, runs: dict) -> None:
        self.modulus = modulus
        self.runs = {r: merge_runs(list(runs.get(r, []))) for r in range(modulus)}

    @classmethod
    def interval(cls, lo: int, hi: int | None = None) -> "IntegerSet":
        """The integers ``lo..hi`` (``hi=None``: unbounded); empty when ``hi < lo``."""
        return cls(1, {0: [(max(lo, 0), hi)]})

    def lifted(self, modulus: int) -> "IntegerSet":
        """The same set described modulo a multiple of :attr:`modulus`."""
        k = modulus // self.modulus
        if k == 1:
            return self
        runs: dict = {}
        for r, rs in self.runs.items():
            for j in range(k):
                for a, b in rs:  # y = k*y' + j
                    lo, hi = -((j - a) // k), None if b is None else (b - j) // k
                    if hi is None or lo <= hi:
                        runs.setdefault(r + self.modulus * j, []).append((lo, hi))
        return IntegerSet(modulus, runs)

    def _pair(self, other: "IntegerSet"):
        m = self.modulus * other.modulus // gcd(self.modulus, other.modulus)
        return m, self.lifted(m), other.lifted(m)

    def intersection(self, other: "IntegerSet") -> "IntegerSet":
        m, a, b = self._pair(other)
        return IntegerSet(m, {r: intersect_runs(a.runs[r], b.runs[r]) for r in range(m)})

    def union(self, other: "IntegerSet") -> "IntegerSet":
        m, a, b = self._pair(other)
        return IntegerSet(m, {r: a.runs[r] + b.runs[r] for r in range(m)})

    def complement(self) -> "IntegerSet":
        """The non-negative integers not in the set."""
        return IntegerSet(self.modulus, {r: complement_runs(rs) for r, rs in self.runs.items()})

    def difference(self, other: "IntegerSet") -> "IntegerSet":
        return self.intersection(other.complement())

    @property
    def is_empty(self) -> bool:
        return not any(self.runs.values())

    @property
    def is_bounded(self) -> bool:
        return all(rs[-1][1] is not None for rs in self.runs.values() if rs)

    def min(self) -> int | None:
        firsts = [self.modulus * rs[0][0] + r for r, rs in self.runs.items() if rs]
        return min(firsts) if firsts else None

    def max(self) -> int | None:
        """The largest element; ``None`` when empty or unbounded."""
        if self.is_empty or not self.is_bounded:
            return None
        return max(self.modulus * rs[-1][1] + r for r, rs in self.runs.items() if rs)

    def count(self) -> int | None:
        """How many elements (``None`` when unbounded)."""
        if not self.is_bounded:
            return None
        return sum(b - a + 1 for rs in self.runs.values() for a, b in rs)

    def __contains__(self, value) -> bool:
        if value < 0:
            return False
        y, r = divmod(int(value), self.modulus)
        return any(a <= y and (b is None or y <= b) for a, b in self.runs[r])

    def __iter__(self):
        if not self.is_bounded:
            raise ValueError("cannot list an unbounded set")
        return iter(sorted(self.modulus * y + r for r, rs in self.runs.items()
                           for a, b in rs for y in range(a, b + 1)))

    def __eq__(self, other) -> bool:
        if not isinstance(other, IntegerSet):
            return NotImplemented
        return self.difference(other).is_empty and other.difference(self).is_empty

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"IntegerSet({self.to_sympy()})"

    # -- printing ---------------------------------------------------------------------------

    def _tail_start(self) -> int:
        """The least ``t`` from which membership depends only on the residue class."""
        m, t = self.modulus, 0
        for r, rs in self.runs.items():
            if rs and rs[-1][1] is None:
                t = max(t, m * (rs[-1][0] - 1) + r + 1)
            elif rs:
                t = max(t, m * rs[-1][1] + r + 1)
        return t

    def to_sympy(self) -> sympy.Set:
        """The set as SymPy ``Range``/``FiniteSet`` pieces: a finite part, then a periodic
        tail (a ``Complement`` when it leaves out fewer classes than it keeps)."""
        m = self.modulus
        if self.is_empty:
            return sympy.S.EmptySet
        t = self._tail_start()
        spans = [(m * a + r, m * b + r if b is not None else None, r)
                 for r, rs in self.runs.items() for a, b in rs]
        finite = [(s, min(e, t - 1) if e is not None else t - 1, r) for s, e, r in spans
                  if s < t]
        parts, singles = _finite_parts(finite, m)
        tail = sorted(r for r, rs in self.runs.items() if rs and rs[-1][1] is None)
        if tail:
            first = min(t + (r - t) % m for r in tail)
            if len(tail) == m:
                if parts and isinstance(parts[-1], sympy.Range) and parts[-1].step == 1 \
                        and parts[-1].sup + 1 == first:
                    first = int(parts.pop().inf)
                parts.append(sympy.Range(first, sympy.oo))
            elif 2 * len(tail) <= m:
                parts.extend(sympy.Range(t + (r - t) % m, sympy.oo, m) for r in tail)
            else:
                gaps = [sympy.Range(first + (r - first) % m, sympy.oo, m)
                        for r in range(m) if r not in tail]
                parts.append(sympy.Complement(sympy.Range(first, sympy.oo),
                                              gaps[0] if len(gaps) == 1 else sympy.Union(*gaps),
                                              evaluate=False))
        if singles:
            parts.insert(0, sympy.FiniteSet(*singles))
        return parts[0] if len(parts) == 1 else sympy.Union(*parts, evaluate=False)


def _finite_parts(spans: list, m: int):
    """Contiguous ``Range`` blocks, progressions and single points of bounded spans."""
    if not spans:
        return [], []
    cuts = sorted({s for s, _, _ in spans} | {e + 1 for _, e, _ in spans})
    parts, singles, block = [], [], None
    for p, q in zip(cuts, cuts[1:]):
        firsts = {r: p + (r - p) % m for r in range(m)}
        present = {r for r, f in firsts.items() if f < q}
        active = {r for s, e, r in spans if r in present and s <= firsts[r] <= e}
        if active and active == present:
            block = (block[0] if block else p, q)
            continue
        if block:
            _flush(block, parts, singles)
            block = None
        for r in sorted(active):
            if firsts[r] + m >= q:
                singles.append(firsts[r])
            else:
                parts.append(sympy.Range(firsts[r], q, m))
    if block:
        _flush(block, parts, singles)
    return parts, sorted(singles)


def _flush(block: tuple, parts: list, singles: list) -> None:
    if block[1] - block[0] == 1:
        singles.append(block[0])
    else:
        parts.append(sympy.Range(block[0], block[1]))
