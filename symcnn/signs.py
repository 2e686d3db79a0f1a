"""Signs and orderings of closed forms: the one decision procedure of symcnn.

Layer checks (:func:`symcnn.arith.require_at_least`), peak activation memory
(:func:`symcnn.memory.max_of`) and receptive fields ask it whether ``expr >= 0`` holds for
every admissible value of the symbols (each symbol at least its lower bound: 1 for positive
symbols, 0 for nonnegative ones, unless given). It is sound: it answers only what it proves
(``False`` from :func:`prove_nonnegative` means *not proved*, and :func:`decide_sign` says 0),
never by sampling, and it asks no SymPy assumption query, so its cost is linear in the size of
the expression. ``symcnn.arith`` re-exports it.

>>> from symcnn import symbols
>>> H, W = symbols("H W")
>>> decide_sign(H*W - ceiling(H/2)*ceiling(W/2)), decide_sign(H - 3), decide_sign(-H)
(1, 0, -1)
"""

from __future__ import annotations

import sympy
from sympy import Add, Integer, ceiling, floor

from .exact_values import linear_form
from .structural import IdentityMemo, as_int, expanded, positive_integer_symbol

__all__ = ["terms", "prove_nonnegative", "decide_sign", "nonnegative_monomial"]


def _has_rounding(expr) -> bool:
    return expr.has(floor, ceiling)


def terms(expr) -> dict:
    """``expr`` expanded, as ``{monomial: coefficient}`` (the constant under the key 1).

    >>> from symcnn import symbols
    >>> H = symbols("H")
    >>> terms(2*(H + 1)*H - 3)
    {1: -3, H: 2, H**2: 2}
    """
    out: dict = {}
    for term in Add.make_args(expanded(expr)):
        coeff, monomial = term.as_coeff_Mul()
        out[monomial] = out.get(monomial, 0) + coeff
    return {m: c for m, c in out.items() if c != 0}


def nonnegative_monomial(monomial) -> bool:
    """Every factor of ``monomial`` is >= 0 for every admissible value (structurally).

    >>> from symcnn import symbols
    >>> H = symbols("H")
    >>> nonnegative_monomial(H * sympy.ceiling(H / 2)), nonnegative_monomial(H - 3)
    (True, False)

    Kept by identity first: a lookup by value compares deep strided sizes, which hash alike
    in groups (``ceiling(H/2**k)``, period 61 in ``k``)."""
    seen = _CACHE.get(monomial)
    if seen is not None:
        return seen
    return _CACHE.put(monomial, all(_nonnegative_factor(f) for f in sympy.Mul.make_args(monomial)))


_CACHE = IdentityMemo(size=1 << 16)


def _variable(expr):
    """``expr`` if it is a product of powers of positive or nonnegative symbols, else None."""
    for f in sympy.Mul.make_args(expr):
        base = f.base if isinstance(f, sympy.Pow) and f.exp.is_Integer and f.exp > 0 else f
        if not (isinstance(base, sympy.Symbol) and base.is_nonnegative):
            return None
    return expr


def _nonnegative_linear(arg) -> bool:
    form = linear_form(arg) if _SHORTCUTS else None  # H/2**k read as Fractions (no SymPy
    if form is not None:  # arithmetic on rationals whose hashes collide in deep models)
        return form[0] >= 0 and all(c >= 0 and _variable(s) is not None
                                    for s, c in form[1].items())
    if _has_rounding(arg):
        return False
    return all(c >= 0 and (k == 1 or _variable(k) is not None)
               for k, c in expanded(arg).as_coefficients_dict().items())


def _nonnegative_factor(f) -> bool:
    if f is sympy.S.One:
        return True
    if isinstance(f, sympy.Pow) and f.exp.is_Integer and f.exp > 0:
        return _nonnegative_factor(f.base)
    if isinstance(f, (floor, ceiling)):
        return _nonnegative_linear(f.args[0])
    return _variable(f) is not None


def _bound(f, upper: bool):
    if isinstance(f, sympy.Pow):
        return _bound(f.base, upper) ** f.exp
    if isinstance(f, floor):
        return f.args[0]  # floor(x) <= x (upper); lower bounds of floors are not used
    if isinstance(f, ceiling):
        return f.args[0] + 1 if upper else f.args[0]
    return f


def _least(symbol, lower) -> int:
    """A symbol's least admissible value: its ``lower`` entry, else 1 for a positive integer
    (a size), else 0 (a multiplier is positive, but may be below 1)."""
    given = (lower or {}).get(symbol)
    if given is not None:
        return int(given)
    return 1 if symbol.is_positive is True and symbol.is_integer is True else 0


def _lows(symbols, lower) -> dict:
    """Each symbol's least admissible value (:func:`_least`)."""
    return {s: Integer(_least(s, lower)) for s in symbols}


def _lower_polynomial(expr, lower):
    """A rounding-free polynomial ``Q`` in symbols ``t >= 0`` with ``expr >= Q`` for every
    admissible value (``Q`` is ``expr`` with every symbol written ``low + t``, floors and
    ceilings bounded in the direction that keeps the bound sound), or None."""
    symbols = expr.free_symbols
    if any(p.exp.free_symbols and p.exp.has(sympy.Pow) for p in expr.atoms(sympy.Pow)):
        return None  # 2**(2**(n**64)): shifting n makes SymPy's assumptions take minutes (issue 15)
    low = {s: _least(s, lower) for s in symbols}
    shift = {s: s + (low[s] - 1) for s in symbols if low[s] > 1}
    if shift:
        expr = sympy.expand(expr.xreplace(shift))
    bound = []
    for term in Add.make_args(expr):
        coeff, rest = term.as_coeff_Mul()
        if not _has_rounding(rest):
            bound.append(term)
            continue
        factors = sympy.Mul.make_args(rest)
        if not all(_nonnegative_factor(f) for f in factors):
            return None
        if coeff < 0:  # an upper bound of the term's magnitude keeps the bound sound
            bound.append(coeff * sympy.Mul(*(_bound(f, upper=True) for f in factors)))
        elif not rest.has(floor):
            bound.append(coeff * sympy.Mul(*(_bound(f, upper=False) for f in factors)))
        # any other positive term is bounded below by 0: dropped
    poly = sympy.expand(Add(*bound))
    if poly.has(floor, ceiling, sympy.Max, sympy.Min):
        return None
    to_zero = {}
    for s in poly.free_symbols:
        if not (isinstance(s, sympy.Symbol) and s.is_nonnegative):
            return None
        if s.is_positive and s.is_integer:
            to_zero[s] = s + 1
    return sympy.expand(poly.xreplace(to_zero)) if to_zero else poly


def _factors(monomial) -> list:
    """``monomial``'s factors with powers written out (``H**2*n`` -> ``[H, H, n]``)."""
    out = []
    for f in sympy.Mul.make_args(monomial):
        if isinstance(f, sympy.Pow) and f.exp.is_Integer and f.exp > 0:
            out.extend([f.base] * int(f.exp))
        else:
            out.append(f)
    return out


def _integer_symbol(f) -> bool:
    return isinstance(f, sympy.Symbol) and f.is_integer is True


def _factor_at_least(a, b, lower) -> bool:
    """``a >= b`` for two nonnegative factors (symbols, floors, ceilings), structurally:
    ``ceiling`` and ``floor`` are monotone, ``ceiling(x) <= n`` iff ``x <= n`` for integers."""
    if a == b:
        return True
    if isinstance(a, sympy.Symbol) and isinstance(b, sympy.Symbol):
        return False
    x = a.args[0] if isinstance(a, (floor, ceiling)) else a
    y = b.args[0] if isinstance(b, (floor, ceiling)) else b
    if isinstance(a, floor) and not isinstance(b, floor):
        return False  # floor(x) >= ceiling(y) or >= a symbol needs more than x >= y
    if not (isinstance(a, (floor, ceiling)) or _integer_symbol(a)):
        return False
    if not (isinstance(b, (floor, ceiling)) or _integer_symbol(b)):
        return False
    fast = _affine_at_least(x, y, lower) if _SHORTCUTS else None
    return prove_nonnegative(expanded(x - y), lower) if fast is None else fast


#: Off only in tests, which compare the shortcuts with the general path.
_SHORTCUTS = True


def _affine_at_least(x, y, lower) -> bool | None:
    """``x >= y`` for every admissible value when both are affine in positive integer
    symbols, each at least 1 (``ceiling(H/2**j)`` against ``ceiling(H/2**k)``): every
    coefficient of ``x - y`` nonnegative and ``x - y`` at the lower bounds nonnegative, the
    answer :func:`prove_nonnegative` gives, computed in Fractions (SymPy's arithmetic on
    ``H/2**k`` looks it up in caches where deep strided sizes hash alike). None: not affine."""
    fx, fy = linear_form(x), linear_form(y)
    if fx is None or fy is None:
        return None
    diff = dict(fx[1])
    for s, c in fy[1].items():
        diff[s] = diff.get(s, 0) - c
    at_low = fx[0] - fy[0]
    lows = [as_int((lower or {}).get(s, 1)) for s in diff]
    if not all(positive_integer_symbol(s) and low is not None and low >= 1
               for s, low in zip(diff, lows)):
        return None
    if any(c < 0 for c in diff.values()):
        return False
    return at_low + sum(c * low for c, low in zip(diff.values(), lows)) >= 0


def _at_least_one(f, lower) -> bool:
    low = (lower or {}).get(f, 1 if f.is_positive else 0) if isinstance(f, sympy.Symbol) else 0
    if _integer_symbol(f):
        return low >= 1
    if isinstance(f, (floor, ceiling)):
        arg = f.args[0]
        return prove_nonnegative(expanded(arg - 1), lower) or (
            isinstance(f, ceiling) and prove_nonnegative(arg, lower, strict=True))
    return False


def _monomial_at_least(a, b, lower) -> bool:
    """``a >= b`` for monomials of nonnegative factors: every factor of ``b`` matched with a
    distinct factor of ``a`` at least as large, the unmatched factors of ``a`` at least 1."""
    left = _factors(a)
    for fb in _factors(b) if b is not sympy.S.One else ():
        match = next((i for i, fa in enumerate(left) if _factor_at_least(fa, fb, lower)), None)
        if match is None:
            return False
        left.pop(match)
    return all(_at_least_one(f, lower) for f in left)


def _covered(items: dict, lower) -> bool:
    """Termwise proof of ``sum >= 0``: each negative term is paid for by positive terms whose
    monomials are at least as large (greedily, exact monomials first)."""
    supply = {m: c for m, c in items.items() if c > 0}
    if not all(nonnegative_monomial(m) for m in items):
        return False
    for m, c in items.items():
        need = -c
        if need <= 0:
            continue
        order = sorted(supply, key=lambda k: k != m)
        for k in order:
            if supply[k] > 0 and (k == m or _monomial_at_least(k, m, lower)):
                take = min(need, supply[k])
                supply[k] -= take
                need -= take
                if need == 0:
                    break
        if need > 0:
            return False
    return True


def prove_nonnegative(expr, lower: dict | None = None, strict: bool = False) -> bool:
    """True when ``expr >= 0`` (``> 0`` if ``strict``) is proved for every admissible value.

    Admissible: every symbol at least its ``lower`` entry, else 1 for positive symbols and
    0 for nonnegative ones. Sound, never sampled: False means *not proved*. A sum of
    nonnegative terms is decided at once; otherwise symbols are written ``low + t``
    (``t >= 0``), floors and ceilings bounded (``floor(x) <= x``, ``x <= ceiling(x) <= x + 1``)
    and the resulting polynomial must have nonnegative coefficients. ``expr`` may also be
    a :func:`terms` dictionary. No SymPy assumption queries: linear in the size of ``expr``.

    >>> from symcnn import symbols
    >>> H, n = symbols("H n")
    >>> prove_nonnegative(n**2 - n), prove_nonnegative(H - 3), prove_nonnegative(H - 3, {H: 3})
    (True, False, True)
    >>> prove_nonnegative(2*ceiling(H/2) - H), prove_nonnegative(-H, strict=True)
    (True, False)
    """
    items = expr if isinstance(expr, dict) else terms(expr)
    const = items.get(sympy.S.One, 0)
    rest = [(m, c) for m, c in items.items() if m is not sympy.S.One]
    if (const > 0 or const >= 0 and not strict) and all(
            c > 0 and nonnegative_monomial(m) for m, c in rest):
        return True
    if not rest:
        return False
    if all(c < 0 and not _has_rounding(m) and nonnegative_monomial(m) for m, c in rest):
        return False  # decreasing without bound in every symbol
    if all(c > 0 and not _has_rounding(m) and nonnegative_monomial(m) for m, c in rest):
        # increasing in every symbol: smallest with every symbol at its lower bound
        at_low = const + sum(c * m.xreplace(_lows(m.free_symbols, lower)) for m, c in rest)
        return bool(at_low > 0 or at_low >= 0 and not strict)
    if not strict and _covered(items, lower):
        return True
    expr = Add(*(c * m for m, c in items.items()))
    poly = _lower_polynomial(expr, lower)
    if poly is None:
        return False
    low_const, core = poly.as_coeff_Add()
    if not (low_const > 0 or low_const >= 0 and not strict):
        return False
    return all(term.as_coeff_Mul()[0] >= 0 for term in Add.make_args(core))


def decide_sign(expr, lower: dict | None = None) -> int:
    """1 if ``expr >= 0`` is proved for every admissible value, -1 if ``expr < 0`` is, else 0.

    >>> from symcnn import symbols
    >>> H = symbols("H")
    >>> decide_sign(H - 1), decide_sign(-H), decide_sign(H - 3)
    (1, -1, 0)
    """
    items = expr if isinstance(expr, dict) else terms(expr)
    if prove_nonnegative(items, lower):
        return 1
    if prove_nonnegative({m: -c for m, c in items.items()}, lower, strict=True):
        return -1
    return 0
