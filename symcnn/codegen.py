"""Closed forms compiled to straight-line Python with integer arithmetic only.

``floor(a/b)`` becomes ``a // b`` (``a`` an integer-valued numerator), ``ceiling(a/b)``
becomes ``-(-a // b)``, rational coefficients are cleared to one common denominator, ``Max``
and ``Min`` become ``max``/``min`` (NumPy's ``maximum``/``minimum`` when vectorised), and
sub-expressions used more than once are computed once. Interval bounds of every intermediate
value are tracked over a box of symbol values, so a caller knows when ``int64`` cannot
overflow. Used by :func:`symcnn.sweep`.

>>> from symcnn import symbols
>>> H = symbols("H")
>>> f, den = compile_expr(sympy.ceiling(H/32)**2 + H/2, [H])
>>> f(224), den                               # (49 + 112) * 2
(322, 2)
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from math import gcd

import sympy

__all__ = ["compile_expr", "compiled", "build", "Unsupported", "INT64_MAX",
           "polynomial_coefficients"]

INT64_MAX = 2**63 - 1


def polynomial_coefficients(e, x) -> dict | None:
    """``{k: c_k}`` (rational ``c_k``, no zeros) when ``e`` is the expanded polynomial
    ``sum c_k * x**k`` of degree at most 64 in the symbol ``x``, else None.

    >>> from symcnn import symbols
    >>> w = symbols("w")
    >>> polynomial_coefficients(3*w**2 + w/2 + 7, w), polynomial_coefficients(w*(w + 1), w)
    ({0: 7, 1: 1/2, 2: 3}, None)
    """
    coeffs: dict = {}
    for term in sympy.Add.make_args(e):
        coeff, rest = term.as_coeff_Mul()
        if rest == 1:
            k = 0
        elif rest == x:
            k = 1
        elif rest.is_Pow and rest.base == x and rest.exp.is_Integer and 2 <= rest.exp <= 64:
            k = int(rest.exp)
        else:
            return None
        if not coeff.is_Rational or k in coeffs or coeff == 0:
            return None
        coeffs[k] = coeff
    return coeffs or None


class Unsupported(Exception):
    def __init__(self, node) -> None:
        self.node = node


class _Code:
    __slots__ = ("text", "den", "lo", "hi")

    def __init__(self, text: str, den: int, lo: int, hi: int) -> None:
        self.text, self.den, self.lo, self.hi = text, den, lo, hi


def _mul_bounds(a: tuple, b: tuple) -> tuple:
    c = (a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1])
    return min(c), max(c)


def _pow_bounds(lo: int, hi: int, k: int) -> tuple:
    if k == 0:
        return 1, 1
    if lo >= 0 or k % 2:
        return lo**k, hi**k
    if hi <= 0:
        return hi**k, lo**k
    return 0, max(lo**k, hi**k)


class _Emitter:
    """Straight-line integer code for an expression; tracks the largest magnitude reached."""

    _SHARED = (sympy.floor, sympy.ceiling, sympy.Mod, sympy.Pow, sympy.Max, sympy.Min,
               sympy.Add, sympy.Mul)

    def __init__(self, names: dict, bounds: dict, exprs: list) -> None:
        self.names, self.bounds = names, bounds
        self.lines: list = []
        self.temps: dict = {}
        self.peak = max((max(abs(lo), abs(hi)) for lo, hi in bounds.values()), default=0)
        self.counts: Counter = Counter()
        for e in exprs:
            for node in sympy.preorder_traversal(e):
                if isinstance(node, self._SHARED):
                    self.counts[node] += 1

    def _note(self, lo: int, hi: int) -> None:
        self.peak = max(self.peak, abs(lo), abs(hi))

    def emit(self, e) -> _Code:
        if e in self.temps:
            return self.temps[e]
        code = self._emit(e)
        self._note(code.lo, code.hi)
        if self.counts.get(e, 0) > 1 and not code.text.isidentifier():
            name = f"_t{len(self.temps)}"
            self.lines.append(f"{name} = {code.text}")
            code = _Code(name, code.den, code.lo, code.hi)
            self.temps[e] = code
        return code

    def _horner(self, e) -> _Code | None:
        """A polynomial of degree 2 or more in one symbol, as Horner's scheme: ``(a*x + b)*x
        + c`` takes two products where the expanded form takes a power and two products."""
        symbols = e.free_symbols
        if len(symbols) != 1:
            return None
        x = next(iter(symbols))
        if x not in self.names:
            return None
        coeffs = polynomial_coefficients(e, x)
        if coeffs is None:
            return None
        degree = max(coeffs)
        if degree < 2:
            return None
        den = 1
        for c in coeffs.values():
            den = den * int(c.q) // gcd(den, int(c.q))
        ints = [int(coeffs.get(k, 0) * den) for k in range(degree + 1)]
        name, xb = self.names[x], self.bounds[x]
        text, lo, hi = str(ints[degree]), ints[degree], ints[degree]
        for k in range(degree - 1, -1, -1):
            lo, hi = _mul_bounds((lo, hi), xb)
            self._note(lo, hi)
            a = ints[k]
            text = f"({text}*{name})" if a == 0 else f"({text}*{name} + {a})" if a > 0 \
                else f"({text}*{name} - {-a})"
            lo, hi = lo + a, hi + a
            self._note(lo, hi)
        return _Code(text, den, lo, hi)

    def _emit(self, e) -> _Code:  # noqa: C901  (one branch per kind of node)
        if e.is_Integer:
            v = int(e)
            return _Code(str(v) if v >= 0 else f"({v})", 1, v, v)
        if e.is_Rational:
            p, q = int(e.p), int(e.q)
            return _Code(str(p) if p >= 0 else f"({p})", q, p, p)
        if e.is_Symbol:
            if e not in self.names:
                raise Unsupported(e)
            lo, hi = self.bounds[e]
            return _Code(self.names[e], 1, lo, hi)
        if e.is_Add:
            horner = self._horner(e)
            if horner is not None:
                return horner
            parts = [self.emit(a) for a in e.args]
            den = 1
            for p in parts:
                den = den * p.den // gcd(den, p.den)
            texts, lo, hi = [], 0, 0
            for p in parts:
                k = den // p.den
                texts.append(p.text if k == 1 else f"{p.text}*{k}")
                self._note(p.lo * k, p.hi * k)
                lo, hi = lo + p.lo * k, hi + p.hi * k
                self._note(lo, hi)
            return _Code("(" + " + ".join(texts) + ")", den, lo, hi)
        if e.is_Mul:
            coeff, rest = e.as_coeff_Mul()
            if not coeff.is_Rational:
                raise Unsupported(e)
            factors = sympy.Mul.make_args(rest)
            parts = [self.emit(f) for f in factors]
            p, q = int(sympy.Rational(coeff).p), int(sympy.Rational(coeff).q)
            texts, den, bounds = ([] if p == 1 else [f"({p})" if p < 0 else str(p)]), q, (p, p)
            for part in parts:
                texts.append(part.text)
                den *= part.den
                bounds = _mul_bounds(bounds, (part.lo, part.hi))
                self._note(*bounds)
            return _Code("(" + "*".join(texts) + ")", den, *bounds)
        if e.is_Pow:
            base, exp = e.args
            if not (exp.is_Integer and exp >= 0):
                raise Unsupported(e)
            k, b = int(exp), self.emit(base)
            text = f"({b.text})**{k}"
            if 2 <= k <= 4:  # NumPy's integer power is several times slower than products
                name = b.text
                if not name.isidentifier():
                    name = f"_p{len(self.lines)}"
                    self.lines.append(f"{name} = {b.text}")
                text = "(" + "*".join([name] * k) + ")"
                for j in range(2, k):  # the partial products, for the overflow bound
                    self._note(*_pow_bounds(b.lo, b.hi, j))
            return _Code(text, b.den**k, *_pow_bounds(b.lo, b.hi, k))
        if isinstance(e, (sympy.floor, sympy.ceiling)):
            a = self.emit(e.args[0])
            if a.den == 1:
                return a
            if isinstance(e, sympy.floor):
                return _Code(f"({a.text}//{a.den})", 1, a.lo // a.den, a.hi // a.den)
            return _Code(f"(-((-{a.text})//{a.den}))", 1, -(-a.lo // a.den), -(-a.hi // a.den))
        if isinstance(e, sympy.Mod):
            a, b = e.args
            if b.is_Integer and b > 0:
                c = self.emit(a)
                m = int(b) * c.den
                return _Code(f"({c.text} % {m})", c.den, 0, m - 1)
            raise Unsupported(e)
        if isinstance(e, (sympy.Max, sympy.Min)):
            parts = [self.emit(a) for a in e.args]
            den = 1
            for p in parts:
                den = den * p.den // gcd(den, p.den)
            fn, pick = ("_max", max) if isinstance(e, sympy.Max) else ("_min", min)
            texts = [p.text if den == p.den else f"{p.text}*{den // p.den}" for p in parts]
            for p in parts:
                self._note(p.lo * (den // p.den), p.hi * (den // p.den))
            lo = pick(p.lo * (den // p.den) for p in parts)
            hi = pick(p.hi * (den // p.den) for p in parts)
            text = texts[0]
            for t in texts[1:]:
                text = f"{fn}({text}, {t})"
            return _Code(text, den, lo, hi)
        if isinstance(e, sympy.Abs):
            a = self.emit(e.args[0])
            lo = 0 if a.lo <= 0 <= a.hi else min(abs(a.lo), abs(a.hi))
            return _Code(f"abs({a.text})", a.den, lo, max(abs(a.lo), abs(a.hi)))
        raise Unsupported(e)


@lru_cache(maxsize=256)
def compiled(exprs: tuple, symbols: tuple, bounds: tuple):
    """``(source, [den per expr], peak)`` for ``exprs`` over ``symbols`` within ``bounds``."""
    names = {s: f"_s{i}" for i, s in enumerate(symbols)}
    emitter = _Emitter(names, dict(zip(symbols, bounds)), list(exprs))
    results = [emitter.emit(e) for e in exprs]
    body = "".join(f"    {line}\n" for line in emitter.lines)
    source = (f"def _f({', '.join(names[s] for s in symbols)}):\n{body}"
              f"    return ({', '.join(r.text for r in results)},)\n")
    return source, [r.den for r in results], emitter.peak


def compile_expr(expr, symbols, vectorised: bool = False):
    """A Python function computing ``expr`` exactly from integer values of ``symbols``.

    The function returns the integer numerator; divide by ``den`` (returned alongside) for
    the value. With ``vectorised`` it accepts NumPy arrays.

    >>> from symcnn import symbols
    >>> H = symbols("H")
    >>> f, den = compile_expr(sympy.ceiling(H/32)**2 + H/2, [H])
    >>> f(224), den                               # (49 + 112) * 2
    (322, 2)
    """
    symbols = tuple(symbols)
    source, dens, _ = compiled((sympy.sympify(expr),), symbols, ((0, 0),) * len(symbols))
    fn = build(source, vectorised)
    return (lambda *args: fn(*args)[0]), dens[0]


@lru_cache(maxsize=256)
def build(source: str, vectorised: bool):
    if vectorised:
        import numpy as np

        namespace = {"_max": np.maximum, "_min": np.minimum}
    else:
        namespace = {"_max": max, "_min": min}
    exec(compile(source, "<symcnn sweep>", "exec"), namespace)  # our own generated code
    return namespace["_f"]
