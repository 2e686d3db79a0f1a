"""Whether a claimed closed form equals the model's: exactly, for floor and ceiling too.

``sympy.simplify`` cannot prove ``-(-H//2) == ceiling(H/2)`` (it marked a right answer
wrong) and takes seconds to give up on a large wrong one. :func:`identically_zero` decides
``gap == 0`` for a difference built from integer symbols, other symbols (a multiplier
``a``), rational numbers, ``+``, ``*``, non-negative integer powers, ``floor``,
``ceiling`` and ``Mod`` by a number, as :mod:`symcnn.quasipoly` does for one symbol: with
each integer symbol written ``x = m*y + r`` for every residue ``r`` modulo a period ``m``
(the denominators inside the roundings), ``floor(P/D)`` drops the same remainder for every
``y`` of a class, so on each class the difference is an ordinary polynomial, zero or not.
Everything else (``make_divisible(32*a, 8)``, ``Max``, a power of a symbol below zero) is
an *atom*: a new variable, integer-valued where SymPy knows it is. Zero with atoms still
proves the identity; a non-zero polynomial proves a difference only without atoms, so then
the answer is None and the caller decides as before.

>>> import sympy
>>> from symcnn import symbols
>>> H, W = symbols("H W")
>>> identically_zero(-sympy.floor(-H/2) - sympy.ceiling(H/2))
True
>>> identically_zero(H - sympy.floor(H/2) - sympy.ceiling(H/2))
True
>>> identically_zero(sympy.floor(H/3) - sympy.floor((H + 1)/3))
False
"""

from __future__ import annotations

from fractions import Fraction
from itertools import product
from math import gcd, prod

import sympy

__all__ = ["identically_zero", "MAX_CLASSES", "MAX_DEGREE", "MAX_TERMS", "MAX_WORK"]

#: Beyond this many residue classes (all integer symbols together) nothing is decided.
MAX_CLASSES = 4096
#: Beyond this exponent of a power nothing is decided (networks' counts have degree < 10).
MAX_DEGREE = 256
#: Beyond this many terms in one polynomial nothing is decided.
MAX_TERMS = 20_000
#: Beyond this many products of two terms in all (about a second) nothing is decided.
MAX_WORK = 600_000


class _Undecided(Exception):
    """The difference is outside what is decided here (too large, or a period too long)."""


class _Refine(Exception):
    """A rounding needs a longer period: ``factor`` more classes for each of ``names``."""

    def __init__(self, names: frozenset, factor: int) -> None:
        super().__init__(factor)
        self.names = names
        self.factor = factor


# ------------------------------------------------------------------- the expression tree


class _Compiler:
    """A SymPy expression as a tree of tuples over variables: integer symbols and
    integer-valued atoms (``int``), other symbols and atoms (``real``)."""

    def __init__(self) -> None:
        self.integer: dict = {}  # expression -> index among the integer variables
        self.real: dict = {}     # expression -> index among the other variables
        self.atoms = False       # whether some variable stands for a non-symbol
        self.memo: dict = {}

    def variable(self, expr, atom: bool) -> tuple:
        if atom:
            self.atoms = True
        if expr.is_integer is True:
            return ("int", self.integer.setdefault(expr, len(self.integer)))
        return ("real", self.real.setdefault(expr, len(self.real)))

    def compile(self, expr) -> tuple:
        if expr in self.memo:
            return self.memo[expr]
        node = self._node(expr)
        self.memo[expr] = node
        return node

    def _node(self, expr) -> tuple:
        if expr.is_Rational:
            return ("c", _number(int(expr.p), int(expr.q)))
        if expr.is_Symbol:
            if expr.is_integer is True and (expr.is_even is not None or expr.is_odd is not None):
                raise _Undecided  # a symbol of one parity: not every residue is a value
            return self.variable(expr, atom=False)
        if expr.is_Add or expr.is_Mul:
            return ("add" if expr.is_Add else "mul", tuple(self.compile(a) for a in expr.args))
        if expr.is_Pow and expr.exp.is_Integer and expr.exp >= 0:
            if expr.exp > MAX_DEGREE:
                raise _Undecided
            return ("pow", self.compile(expr.base), int(expr.exp))
        if isinstance(expr, (sympy.floor, sympy.ceiling)):
            inner = self.compile(expr.args[0])
            if _has_real(inner):  # floor(32*a): an integer atom
                return self.variable(expr, atom=True)
            return ("ceil" if isinstance(expr, sympy.ceiling) else "floor", inner)
        if isinstance(expr, sympy.Mod) and expr.args[1].is_Rational and expr.args[1] > 0:
            a, b = self.compile(expr.args[0]), _number(int(expr.args[1].p), int(expr.args[1].q))
            if _has_real(a):
                return self.variable(expr, atom=True)
            # a - b*floor(a/b)
            return ("add", (a, ("mul", (("c", -b), ("floor", ("mul", (("c", _number(1, b)), a)))))))
        return self.variable(expr, atom=True)


def _number(p, q=1):
    """``p/q`` as an int when it is whole (int arithmetic is many times faster than
    Fraction's), else as a Fraction."""
    value = Fraction(p, q)
    return value.numerator if value.denominator == 1 else value


def _has_real(node) -> bool:
    kind = node[0]
    if kind == "real":
        return True
    if kind in ("add", "mul"):
        return any(_has_real(c) for c in node[1])
    if kind in ("pow", "floor", "ceil"):
        return _has_real(node[1])
    return False


# --------------------------------------------------------------- polynomials over Q
#
# A polynomial is a dict {exponents: coefficient}, each coefficient an int or a Fraction,
# over the variables y_0 .. y_{k-1} (the integer variables, each x_i = m_i*y_i + r_i) and
# then the other variables.


def _add(a: dict, b: dict, scale=1) -> dict:
    out = dict(a)
    for e, c in b.items():
        v = out.get(e, 0) + c * scale
        if v:
            out[e] = v
        else:
            out.pop(e, None)
    return out


def _mul(a: dict, b: dict, work: list) -> dict:
    """``a*b``, counting the products of terms in ``work[0]`` (:data:`MAX_WORK` at most)."""
    work[0] += len(a) * len(b)
    if work[0] > MAX_WORK:
        raise _Undecided
    out: dict = {}
    for ea, ca in a.items():
        for eb, cb in b.items():
            e = tuple(x + y for x, y in zip(ea, eb))
            v = out.get(e, 0) + ca * cb
            if v:
                out[e] = v
            else:
                out.pop(e, None)
    if len(out) > MAX_TERMS:
        raise _Undecided
    return out


def _power(a: dict, n: int, one: dict, work: list) -> dict:
    out, base = one, a
    while n:
        if n & 1:
            out = _mul(out, base, work)
        n >>= 1
        if n:
            base = _mul(base, base, work)
    return out


def _floor(q: dict, zero: tuple, k: int, names: list, up: bool) -> dict:
    """``floor(q)`` (``ceiling`` if ``up``) as a polynomial: ``q`` with its constant term
    rounded, when every other coefficient is an integer (so the rest is an integer for
    every integer ``y``); else :class:`_Refine` the integer variables of those terms."""
    need, refine = 1, set()
    for e, c in q.items():
        if e != zero and c.denominator != 1:
            need = need * c.denominator // gcd(need, c.denominator)
            refine.update(names[i] for i in range(k) if e[i])
    if need != 1:
        if not refine:  # only other variables: cannot happen (they are atoms in roundings)
            raise _Undecided
        raise _Refine(frozenset(refine), need)
    out = {e: int(c) for e, c in q.items() if e != zero}  # whole: ints from here on
    c0 = q.get(zero, 0)
    whole = -((-c0.numerator) // c0.denominator) if up else c0.numerator // c0.denominator
    if whole:
        out[zero] = whole
    return out


class _Classes:
    """The tree's polynomial on each residue class. A subtree is worked out once per
    residues of the integer variables it uses (``floor(H/32)`` 32 times, not once per class
    of ``H`` and ``W`` together), so a product of roundings in two symbols costs about the
    sum of their periods, not their product."""

    def __init__(self, tree, names: list, moduli: list, zero: tuple, k: int,
                 work: list) -> None:
        self.names, self.moduli, self.zero, self.k, self.work = names, moduli, zero, k, work
        self.one = {zero: 1}
        self.uses: dict = {}
        self.cache: dict = {}
        self._uses(tree)

    def _uses(self, node) -> tuple:
        key = id(node)
        if key not in self.uses:
            kind = node[0]
            if kind == "int":
                found = {node[1]}
            elif kind in ("add", "mul"):
                found = set().union(*(self._uses(c) for c in node[1]))
            elif kind in ("pow", "floor", "ceil"):
                found = set(self._uses(node[1]))
            else:
                found = set()
            self.uses[key] = tuple(sorted(found))
        return self.uses[key]

    def variable(self, i: int, r: int) -> dict:
        e = [0] * len(self.zero)
        e[i] = 1
        poly = {tuple(e): self.moduli[i]}
        if r:
            poly[self.zero] = r
        return poly

    def evaluate(self, node, residues: tuple) -> dict:
        key = (id(node), tuple(residues[i] for i in self.uses[id(node)]))
        if key in self.cache:
            return self.cache[key]
        kind = node[0]
        if kind == "c":
            out = {self.zero: node[1]} if node[1] else {}
        elif kind == "int":
            out = self.variable(node[1], residues[node[1]])
        elif kind == "real":
            e = [0] * len(self.zero)
            e[self.k + node[1]] = 1
            out = {tuple(e): 1}
        elif kind == "add":
            out = {}
            for child in node[1]:
                out = _add(out, self.evaluate(child, residues))
        elif kind == "mul":
            out = self.one
            for child in node[1]:
                out = _mul(out, self.evaluate(child, residues), self.work)
                if not out:
                    break
        elif kind == "pow":
            out = _power(self.evaluate(node[1], residues), node[2], self.one, self.work)
        else:
            out = _floor(self.evaluate(node[1], residues), self.zero, self.k, self.names,
                         up=kind == "ceil")
        self.cache[key] = out
        return out


def identically_zero(gap) -> bool | None:
    """Whether ``gap`` is 0 for every value of its symbols: True (proved: for every
    integer value of its integer symbols and every value of the others), False (proved
    non-zero on a whole residue class of the integers, so at infinitely many sizes each
    model admits), or None (not decided here: an atom such as ``make_divisible(32*a, 8)``
    in a non-zero difference, a period of more than :data:`MAX_CLASSES` classes, or
    polynomials too large to work out in about a second: :data:`MAX_TERMS`,
    :data:`MAX_WORK`).

    >>> from symcnn import symbols
    >>> H, n = symbols("H n")
    >>> identically_zero(n*(sympy.floor(H/3) - 33)**30)  # 0 for H from 99 to 101 only
    False
    """
    gap = sympy.sympify(gap)
    compiler = _Compiler()
    try:
        tree = compiler.compile(gap)
        names = list(compiler.integer)
        k, j = len(names), len(compiler.real)
        zero = (0,) * (k + j)
        period = dict.fromkeys(names, 1)
        work = [0]  # products of terms so far, for all periods tried
        while True:
            try:
                return _decide(tree, names, period, zero, k, compiler.atoms, work)
            except _Refine as more:
                for name in more.names:
                    period[name] *= more.factor
                if prod(period.values()) > MAX_CLASSES:
                    return None
    except (_Undecided, RecursionError):
        return None


def _decide(tree, names: list, period: dict, zero: tuple, k: int, atoms: bool,
            work: list) -> bool | None:
    moduli = [period[name] for name in names]
    classes = _Classes(tree, names, moduli, zero, k, work)
    for residues in product(*(range(m) for m in moduli)):
        if classes.evaluate(tree, residues):
            return None if atoms else False
    return True
