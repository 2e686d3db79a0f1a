"""Sweeps: closed forms evaluated over a grid of integer values, fast and exactly.

A closed form is compiled once into straight-line Python with integer arithmetic only:
``floor(a/b)`` becomes ``a // b`` (with ``a`` an integer-valued numerator), ``ceiling(a/b)``
becomes ``-(-a // b)``, rational coefficients are cleared to one common denominator, and
repeated sub-expressions are computed once. The grid is evaluated with NumPy broadcasting in
``int64`` when interval bounds prove that no intermediate value can overflow, and with NumPy
object arrays of Python integers otherwise, so counts beyond ``2**63`` stay exact. Without
NumPy, plain Python loops return nested lists.

>>> import symcnn as sc
>>> n = sc.symbols("n")
>>> sc.sweep(160*n + 48320, n=[1, 323, 324]).tolist()
[48480, 100000, 100160]
>>> big = sc.sweep(n**5, n=[2**13])          # 2**65: beyond int64, still exact
>>> int(big[0]) == 2**65, big.dtype
(True, dtype('O'))
"""

from __future__ import annotations

import itertools
import math
import numbers
import operator
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any, Mapping

import sympy

from .codegen import INT64_MAX, Unsupported, build, compiled
from .costs import quantity
from .errors import SolveError, SymcnnError, brief
from .exact_values import number, values_at
from .multipliers import exact_value
from .safe import MAX_DIGITS, BoundError, bounded_subs, check_int, literal_digits, to_expr
from .solving import MAX_SUM_TERMS, _written_out
from .structural import IdentityMemo, exponent_symbols
from .symbols import MAX_SIZE_BITS, describe_symbol, least_integer
from .sweep_bounds import (MAX_BYTES, MAX_POINTS, MAX_SLOW_POINTS, _check_memory, _check_powers,
                           _largest_power, _points, _short)

__all__ = ["sweep", "Sweep", "MAX_POINTS", "MAX_SLOW_POINTS", "MAX_BYTES"]


# ------------------------------------------------------------------------------- grid


def _numpy():
    try:
        import numpy
    except ImportError:  # pragma: no cover - numpy ships with every extra we test
        return None
    return numpy


def _grid_values(name: str, values: Any):
    """A scalar (a fixed value), or an axis: a ``range``, 1-D integer array or tuple. Values
    are ints; one that is not a whole number given as an int (``0.5``, ``Fraction(1, 2)``,
    ``"3/4"``, a float array) is read exactly (:func:`symcnn.multipliers.exact_value`: 0.25
    is 1/4) as a :class:`~fractions.Fraction`, which only a multiplier takes
    (:func:`_check_fractions`, once the symbols are known)."""
    def bad():
        return SolveError(f"sweep: `{name}` must be an integer or an iterable of integers "
                          f"(e.g. range(1, 100)), or for a multiplier positive numbers (e.g. "
                          f"[0.5, 0.75, 1]). Received: {name}={brief(values)}")

    if isinstance(values, (bool, bytes)):
        raise bad()
    if isinstance(values, (str, float, Fraction, Decimal)) or (
            isinstance(values, sympy.Basic) and not values.is_Integer):
        return _fraction(values, bad)
    if isinstance(values, sympy.Basic):
        return _within_size(int(values), name)
    try:
        return _within_size(check_int(operator.index(values), "sweep", name), name)
    except TypeError:
        pass
    if isinstance(values, numbers.Real):  # NumPy's floats
        return _fraction(values, bad)
    if isinstance(values, range):
        check_int(values.start, "sweep", name)
        check_int(values.stop, "sweep", name)
        axis = values
    elif type(values).__module__ == "numpy" and hasattr(values, "dtype"):
        if values.ndim != 1 or values.dtype.kind not in "iuf":
            raise bad()
        axis = values if values.dtype.kind in "iu" else tuple(
            _fraction(v, bad) for v in values.tolist())
    else:
        try:
            items = list(values)
        except TypeError:
            raise bad() from None
        out = []
        for v in items:
            if isinstance(v, bool):
                raise bad()
            if isinstance(v, (str, float, Fraction, Decimal, numbers.Real)) and not isinstance(
                    v, numbers.Integral) or isinstance(v, sympy.Basic) and not v.is_Integer:
                out.append(_fraction(v, bad))
                continue
            try:
                out.append(int(v) if isinstance(v, sympy.Basic) else operator.index(v))
            except TypeError:
                raise bad() from None
        axis = tuple(v if isinstance(v, Fraction) else
                     _within_size(check_int(v, "sweep", name), name) for v in out)
    count = _length(axis)
    if count == 0:
        raise SolveError(f"sweep: `{name}` is empty. Received: {name}={values!r}")
    if count > MAX_POINTS:  # said before any len(), which fails past sys.maxsize
        raise SolveError(f"sweep: more than {MAX_POINTS:,} grid points; sweep a coarser "
                         f"range (e.g. range(1, N, step)). Received: {name}: {count:,} values")
    if isinstance(axis, range):  # its values lie between its first and its last
        _within_size(axis.start, name)
        _within_size(axis.start + (count - 1) * axis.step, name)
    return axis


def _length(axis) -> int:
    """The number of values of an axis; a range's by arithmetic, also past ``sys.maxsize``
    (``len(range(1, 10**30))`` is an OverflowError)."""
    if not isinstance(axis, range):
        return len(axis)
    start, stop, step = axis.start, axis.stop, axis.step
    span = stop - start if step > 0 else start - stop
    return max(0, (span + abs(step) - 1) // abs(step))


def _within_size(value: int, name: str) -> int:
    """``value``, or the error ``model.subs`` gives for a size beyond ``2**MAX_SIZE_BITS``
    (a model's sizes take no larger value, and a sweep of one evaluates the same forms)."""
    if abs(value).bit_length() > MAX_SIZE_BITS:
        raise BoundError(f"sweep: `{name}` takes a value larger than 2**{MAX_SIZE_BITS} in size "
                         f"(about 1,233 digits), the largest size symcnn takes, as model.subs "
                         f"refuses it. Received: {name}={brief(value)}")
    return value


def _fraction(value, bad) -> Fraction:
    """A value that is not given as an int, exactly: ``0.25`` (a float, as it prints), ``"1/4"``
    or ``Fraction(1, 4)`` is 1/4; anything else (text that is no number, nan, a symbol) is
    ``bad()``. Positivity is checked with the symbol (:func:`_check_fractions`)."""
    try:
        exact = exact_value(value, "value", "sweep")
    except SymcnnError:
        if isinstance(value, (int, Fraction, Decimal, float)) and not isinstance(value, bool) \
                and math.isfinite(value) and value <= 0:
            return Fraction(value)  # refused with its symbol's domain, below
        raise bad() from None
    if not exact.is_Rational:
        raise bad()
    return Fraction(int(exact.p), int(exact.q))


def _fractional(value) -> bool:
    """Whether a grid value (a scalar or an axis) holds a value given as a non-int."""
    if isinstance(value, Fraction):
        return True
    return isinstance(value, tuple) and any(isinstance(v, Fraction) for v in value)


def _check_fractions(values: dict, symbols: dict, grid: dict) -> None:
    """Values given as non-ints (``alpha=[0.5, 1]``) are for a multiplier only (a positive
    rational symbol, :func:`symcnn.multiplier`), and each is positive; an integer size is
    refused as before, with the reason."""
    for name, value in values.items():
        if not _fractional(value):
            continue
        symbol = symbols.get(name)
        if symbol is None or symbol.is_integer or not symbol.is_rational:
            what = describe_symbol(symbol) if symbol is not None else "no symbol of it"
            raise SolveError(f"sweep: `{name}` must be an integer or an iterable of integers "
                             f"(e.g. range(1, 100)): {name} is {what}, and only a multiplier "
                             f"(sc.multiplier) takes fractional values. "
                             f"Received: {name}={brief(grid[name])}")
        items = value if isinstance(value, tuple) else (value,)
        bad = next((v for v in items if v <= 0), None)
        if bad is not None:
            raise SolveError(f"sweep: {name} is {describe_symbol(symbol)}, so its values are "
                             f"positive, and {bad} is not one of them. "
                             f"Received: {name}={brief(grid[name])}")


def _bounds(axis) -> tuple:
    if isinstance(axis, range):
        return (min(axis[0], axis[-1]), max(axis[0], axis[-1]))
    if isinstance(axis, tuple):
        return min(axis), max(axis)
    return int(axis.min()), int(axis.max())


def _domain(symbol) -> tuple:
    """``(low, high, parity)`` of the integers ``symbol`` may take, from its assumptions:
    ``low`` 1 for a positive symbol (as ``sc.symbols`` makes), 0 for a non-negative one;
    ``high`` -1 or 0 for a negative or non-positive one; ``parity`` 0 or 1 for an even or
    odd one; each None when the assumptions leave it open."""
    low = least_integer(symbol)
    high = -1 if symbol.is_negative else 0 if symbol.is_nonpositive else None
    parity = 0 if symbol.is_even else 1 if symbol.is_odd else None
    return low, high, parity


def _outside(axis, low, high, parity):
    """A value of ``axis`` (an int, a range, a tuple or a 1-D integer array) outside
    ``low..high`` or of the other ``parity``, else None: a range by its ends and its step
    (O(1)), an array at once, a tuple value by value."""
    if isinstance(axis, int):
        values = (axis,)
    elif isinstance(axis, range):
        first, last = axis[0], axis[-1]
        ends = sorted((first, last))
        if low is not None and ends[0] < low:
            return ends[0]
        if high is not None and ends[1] > high:
            return ends[1]
        if parity is not None:
            if first % 2 != parity:
                return first
            if axis.step % 2 and len(axis) > 1:
                return axis[1]
        return None
    elif isinstance(axis, tuple):
        values = axis
    else:  # a NumPy array: its least and largest values first (no temporary array)
        if (low is None or int(axis.min()) >= low) and (high is None or int(axis.max()) <= high) \
                and (parity is None or not (axis % 2 != parity).any()):
            return None
        values = axis.tolist()  # a refusal: the first value outside, in order
    for v in values:
        if low is not None and v < low or high is not None and v > high or \
                parity is not None and v % 2 != parity:
            return v
    return None


def _check_domain(values: dict, symbols: dict, grid: dict) -> None:
    """Refuse a value outside its symbol's domain (:func:`_domain`): an expression of a
    positive-integer symbol means nothing at 0 or below (as ``model.subs(n=0)`` refuses it),
    and its value there is no answer to give. Names the symbol, the value and the grid."""
    for name, axis in values.items():
        symbol = symbols.get(name)
        if symbol is None:
            continue
        low, high, parity = _domain(symbol)
        if low is None and high is None and parity is None:
            continue
        bad = _outside(axis, low, high, parity)
        if bad is None:
            continue
        kind = ", ".join(part for part in (
            f"at least {low}" if low is not None else "", f"at most {high}" if high is not None
            else "", ("even" if parity == 0 else "odd") if parity is not None else "") if part)
        example = f" (e.g. {name}=range({low}, 100))" if low is not None and parity is None \
            else ""
        raise SolveError(f"sweep: {name} is {describe_symbol(symbol)}, so its values are "
                         f"{kind}, and {bad} is not one of them: the expression means nothing "
                         f"there. Sweep values in its domain{example}. "
                         f"Received: {name}={brief(grid[name])}")


#: Ranges of at most this many values keep their int64 array (read-only) for the next sweep
#: over the same range: sweeping several quantities, or again, does not rebuild the grid.
_KEPT_AXIS = 2**21


@lru_cache(maxsize=2)
def _kept_range(np, start: int, stop: int, step: int):
    out = np.arange(start, stop, step, dtype=np.int64)
    out.setflags(write=False)
    return out


def _array(np, axis, dtype):
    if isinstance(axis, range) and dtype is not object:
        if len(axis) <= _KEPT_AXIS and dtype is np.int64:
            return _kept_range(np, axis.start, axis.stop, axis.step)
        return np.arange(axis.start, axis.stop, axis.step, dtype=dtype)
    if not isinstance(axis, (range, tuple)):
        return axis.astype(dtype) if dtype is not object else np.array(
            [int(v) for v in axis.tolist()], dtype=object)
    out = np.empty(len(axis), dtype=dtype)
    out[:] = list(axis)
    return out


def _evaluate(exprs: list, axes: dict, fixed: dict, symbols: dict) -> list:
    """Each expression over the grid ``axes`` (name -> tuple) with ``fixed`` substituted."""
    exprs = [sympy.sympify(e) for e in exprs]
    names = list(axes)
    split = [k for k in names if _fractional(axes[k])]
    if split:  # a multiplier's fractional values: substituted one at a time (below)
        return _per_value(exprs, axes, fixed, symbols, split,
                          "a multiplier's fractional values")
    exact = {symbols[k]: sympy.Rational(v.numerator, v.denominator)
             for k, v in fixed.items() if isinstance(v, Fraction) and k in symbols}
    if exact:  # the integer code takes integer values: a multiplier's is substituted first
        exprs = [bounded_subs(e, exact, "sweep") for e in exprs]
        fixed = {k: v for k, v in fixed.items() if not isinstance(v, Fraction)}
    syms = tuple(symbols[k] for k in names)
    shape = tuple(len(axes[k]) for k in names)
    points = _points(shape, axes)
    point = {symbols[k]: v for k, v in fixed.items() if k in symbols}
    np = _numpy()
    if any(e.has(sympy.Sum) for e in exprs):  # a sum over the repetitions of a Repeat:
        table = {s: sympy.Integer(v) for s, v in point.items()}  # written out once its
        exprs = [_written_out(bounded_subs(e, table, "sweep")) for e in exprs]  # count is fixed
        for e in exprs:
            _check_written_out(e, fixed)
    if np is not None and len(names) == 1 and isinstance(axes[names[0]], range):
        ranges = [_polynomial_range(np, e, syms[0], axes[names[0]], point) for e in exprs]
        if all(r is not None for r in ranges):
            return ranges  # no substitution, no generated code, no temporary arrays
    table = {s: sympy.Integer(v) for s, v in point.items()}
    exprs = [bounded_subs(e, table, "sweep") for e in exprs]  # no power too large to build
    bounds = tuple(_bounds(axes[k]) for k in names)
    _check_powers(exprs, bounds)
    digits = _literal_digits(tuple(exprs))
    if digits:  # the integer code writes its numbers as text: at most 4,300 digits each
        return _point_by_point(exprs, names, syms, axes, shape, points,
                               f"a closed form holds a number of {digits:,} digits, more than "
                               f"the exact integer evaluator writes ({MAX_DIGITS:,})")
    try:
        source, dens, peak = compiled(tuple(exprs), syms, bounds)
    except Unsupported as err:
        outside = err.node  # handled below: errors raised there are not "during" this one
    else:
        outside = None
    if outside is not None:
        if isinstance(outside, sympy.Symbol):
            _missing(outside)
        for e in exprs:  # a symbol inside a sum's limits, say, that the code never reached
            for s in sorted(e.free_symbols - set(syms), key=lambda s: s.name):
                _missing(s)
        split = _split_names(exprs, names, symbols)
        if split:
            return _per_value(exprs, axes, fixed, symbols, split,
                              "counts of a sum's terms or exponents")
        return _point_by_point(exprs, names, syms, axes, shape, points,
                               f"{_short(outside)} is outside the exact integer evaluator (+, *, "
                               f"integer powers, floor, ceiling, Mod, min, max)")
    _check_memory(points, peak, source, len(exprs), dens)
    if np is None:
        fn = build(source, vectorised=False)
        rows = [fn(*point) for point in itertools.product(*(axes[k] for k in names))]
        return [_nest([_divide(r[i], d) for r in rows], shape) for i, d in enumerate(dens)]
    fast = peak <= INT64_MAX
    dtype = np.int64 if fast else object
    arrays = []
    for i, k in enumerate(names):
        a = _array(np, axes[k], dtype)
        arrays.append(_along(a, i, len(names)))
    fn = build(source, vectorised=True)
    out: list = []
    for value, den in zip(fn(*arrays), dens):
        if (isinstance(value, np.ndarray) and value.shape == shape and value.dtype == dtype
                and not any(value is a for a in arrays) and not any(value is o for o in out)):
            full = value  # already a fresh array of the grid's shape: no copy (issue 16)
        else:
            full = np.empty(shape, dtype=dtype)
            full[...] = value
        out.append(_divide_array(np, full, den))
    return out


def _polynomial_range(np, expr, symbol, axis: range, point: dict):
    """An integer polynomial in ``symbol`` over a ``range`` of it, the other symbols at their
    values in ``point``: a quadratic by its differences (:func:`_quadratic_range`), else by
    Horner's scheme whose first step ``a*x + b`` is itself a range: one ``arange`` writes it
    (an affine form needs nothing more), then each further step multiplies by the grid and
    adds in place, with no temporary array, where the generated code reads the grid for every
    step and NumPy allocates. The coefficients are read off the tree at ``point``
    (:func:`_coefficients`: no SymPy substitution), and every intermediate value of Horner's
    scheme is bounded by int64 over the range. ``None`` for any other expression, or when
    the bound is exceeded (the general path then decides)."""
    power = _largest_power(expr)
    if power is not None and abs(int(power.exp)) > 64:  # not built here: the general path
        return None                                     # bounds it first
    ints = _coefficients(expr, symbol, point)
    if ints is None or len(ints) < 2:
        return None
    largest, bound = max(abs(axis[0]), abs(axis[-1])), 0
    for c in reversed(ints):  # Horner's intermediate values are at most this in size
        bound = bound * largest + abs(c)
    if bound > INT64_MAX:
        return None
    if len(ints) == 3:
        quadratic = _quadratic_range(np, ints, axis)
        if quadratic is not None:
            return quadratic
    a, b = ints[-1], ints[-2]
    start, stop, step = a * axis.start + b, a * axis.stop + b, a * axis.step
    if max(map(abs, (start, stop, step, *ints))) > INT64_MAX:  # the stop may lie beyond
        return None
    out = np.arange(start, stop, step, dtype=np.int64)
    if len(out) != len(axis):  # NumPy sizes it in floating point
        return None
    if len(ints) > 2:
        x = _array(np, axis, np.int64)
        for c in reversed(ints[:-2]):
            np.multiply(out, x, out=out)
            if c:
                np.add(out, c, out=out)
    return out


def _coefficients(expr, symbol, point: dict) -> list | None:
    """``[c_0, c_1, ..., c_d]``, ints with ``c_d != 0``, when ``expr`` is a polynomial of
    degree 1 to 64 in ``symbol`` whose coefficients take integer values at ``point`` (every
    other symbol's value), read off each term's other factors with
    :func:`~symcnn.exact_values.values_at`; else None.

    >>> from symcnn import symbols
    >>> w, H = symbols("w H")
    >>> _coefficients(3*sympy.ceiling(H/4)*w**2 + H*w + 5, w, {H: 224})
    [5, 224, 168]
    >>> _coefficients(w**2/2, w, {}), _coefficients(sympy.ceiling(w/2), w, {})
    (None, None)
    """
    sums: dict = {}
    memo = IdentityMemo()
    for term in sympy.Add.make_args(expr):
        k, value = 0, 1
        for factor in sympy.Mul.make_args(term):
            if factor == symbol:
                k += 1
            elif factor.is_Pow and factor.base == symbol and factor.exp.is_Integer and \
                    1 <= factor.exp <= 64:
                k += int(factor.exp)
            elif symbol in factor.free_symbols:
                return None
            else:
                got = values_at(factor, [point], memo)
                if got is None:
                    return None
                value *= got[0]
        sums[k] = sums.get(k, 0) + value
    degree = max((k for k, c in sums.items() if c), default=0)
    if not 1 <= degree <= 64 or any(isinstance(c, Fraction) and c.denominator != 1
                                    for c in sums.values()):
        return None
    return [int(sums.get(k, 0)) for k in range(degree + 1)]


def _quadratic_range(np, ints: list, axis: range):
    """``c2*x**2 + c1*x + c0`` over a ``range`` from its differences, with one array and no
    grid: consecutive values differ by an affine sequence, which one ``arange`` writes (after
    the first value), and its running sum in place (``cumsum``) is the values. Every partial
    sum is a value of the polynomial, which the caller has bounded by int64; the differences
    lie between the ``arange``'s ends, checked here. ``None`` when they do not fit or the
    range is empty."""
    c0, c1, c2 = ints
    x0, step, n = axis.start, axis.step, len(axis)
    beta = 2 * c2 * step * step  # the differences' own difference
    first = 2 * c2 * step * x0 + c2 * step * step + c1 * step - beta  # replaced by the value
    stop = first + n * beta
    value = (c2 * x0 + c1) * x0 + c0
    if n < 1 or max(map(abs, (first, stop, beta, value))) > INT64_MAX:
        return None
    out = np.arange(first, stop, beta, dtype=np.int64)
    if len(out) != n:  # NumPy sizes it in floating point
        return None
    out[0] = value
    np.cumsum(out, out=out)
    return out


def _missing(symbol):
    raise SolveError(f"sweep: give values for {symbol} (e.g. {symbol}=range(1, 100)), or "
                     f"fix it with .subs(...). Received: no values for {symbol}")


def _divide(value: int, den: int):
    if den == 1:
        return value
    return value // den if value % den == 0 else Fraction(value, den)


def _divide_array(np, values, den: int):
    if den == 1:
        return values
    if (values % den == 0).all():
        return values // den
    out = np.empty(values.size, dtype=object)
    out[:] = [Fraction(int(v), den) for v in values.ravel()]
    return out.reshape(values.shape)


def _nest(flat: list, shape: tuple):
    if len(shape) <= 1:
        return flat if shape else flat[0]
    step = len(flat) // shape[0]
    return [_nest(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


@lru_cache(maxsize=256)
def _literal_digits(exprs: tuple) -> int:
    """:func:`~symcnn.safe.literal_digits` of the longest number in ``exprs``."""
    return max((literal_digits(e) for e in exprs), default=0)


def _point_by_point(exprs, names, syms, axes, shape, points: int, why: str) -> list:
    """``exprs`` evaluated exactly at each point (:func:`_slow`), for a reason ``why`` the
    integer code generator does not take them; refused beyond :data:`MAX_SLOW_POINTS`."""
    if points > MAX_SLOW_POINTS:
        raise SolveError(f"sweep: {why}, so it is evaluated point by point, which is limited "
                         f"to {MAX_SLOW_POINTS:,} points. Received: {points:,} points")
    return [_slow(e, names, syms, axes, shape) for e in exprs]


def _slow(expr, names, syms, axes, shape):
    """Exact per-point substitution for expressions outside the integer code generator."""
    values = []
    for point in itertools.product(*(axes[k] for k in names)):
        try:
            v = bounded_subs(expr, {s: sympy.Integer(p) for s, p in zip(syms, point)}, "sweep")
        except ZeroDivisionError:  # SymPy's Mod(a, 0)
            _undefined(expr, dict(zip(names, point)), "it takes a remainder modulo 0 there")
        v = _written_out(v)
        _check_written_out(v, dict(zip(names, point)))
        if not v.is_Rational and v.has(*_NOT_NUMBERS):
            what = next(text for value, text in _NOT_NUMBERS.items() if v.has(value))
            _undefined(expr, dict(zip(names, point)), f"its value there is {what}")
        values.append(number(v) if v.is_Rational else v)
    np = _numpy()
    if np is None:
        return _nest(values, shape)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out.reshape(shape)


#: SymPy's values that are no numbers, and how a message names each.
_NOT_NUMBERS = {sympy.zoo: "zoo, complex infinity, as a division by zero gives",
                sympy.nan: "nan, not a number", sympy.oo: "oo, infinite",
                -sympy.oo: "-oo, infinite"}


def _undefined(expr, point: dict, why: str):
    """Refuse a point where ``expr`` has no value (``1/(n - 3)`` at ``n = 3``): a sweep
    answers numbers, never SymPy's ``zoo``; ``why`` says what happens there."""
    at = ", ".join(f"{k}={v}" for k, v in point.items())
    raise SolveError(f"sweep: {_short(expr)} is undefined at {at} ({why}); sweep values "
                     f"where it is defined. Received: {at}")


def _check_written_out(expr, point: dict) -> None:
    """Refuse a sum whose limits are numbers and that was left a sum: it has more terms
    than are written out (:data:`symcnn.solving.MAX_SUM_TERMS`)."""
    if not expr.has(sympy.Sum):
        return
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Sum) and not any(
                lo.free_symbols or hi.free_symbols for _, lo, hi in node.limits):
            lo, hi = int(node.limits[0][1]), int(node.limits[0][2])
            count = hi - lo + 1 if hi >= lo - 1 else lo - hi - 1  # SymPy's convention
            at = ", ".join(f"{k}={v}" for k, v in point.items())
            raise SolveError(f"sweep: the sum {_short(node)} has {count:,} terms, "
                             f"more than the {MAX_SUM_TERMS:,} written out term by term. "
                             f"Received: {at}")


def _split_names(exprs: list, names: list, symbols: dict) -> list:
    """The swept names that keep the expressions from the code generator until they are
    fixed: a count of a sum's terms (``Sum(..., (t, 1, L))``), an exponent (``2**L``)."""
    found: set = set()
    for e in exprs:
        found |= exponent_symbols(e)
        for node in e.atoms(sympy.Sum):
            found |= set().union(*(set().union(lo.free_symbols, hi.free_symbols)
                                   for _, lo, hi in node.limits))
    return [k for k in names if symbols[k] in found]


def _per_value(exprs: list, axes: dict, fixed: dict, symbols: dict, split: list,
               why: str) -> list:
    """The expressions evaluated once per combination of values of the ``split`` axes
    (the count of a sum written out, an exponent a number, a multiplier's fraction), each
    over the other axes with the generated code, and laid out along every axis in order.
    ``why`` says what the split axes are (for the message when there are too many)."""
    names = list(axes)
    combos = 1
    for k in split:
        combos *= len(axes[k])
    if combos > MAX_SLOW_POINTS:
        raise SolveError(f"sweep: the closed forms are evaluated once per value of "
                         f"{', '.join(split)} ({why}), which is limited to "
                         f"{MAX_SLOW_POINTS:,} values. Received: {combos:,} values of "
                         f"{', '.join(split)}")
    rest = {k: v for k, v in axes.items() if k not in split}
    at = [names.index(k) for k in split]
    shape = tuple(len(axes[k]) for k in names)
    parts = []  # (indices along the split axes, [value per expression])
    for index in itertools.product(*(range(len(axes[k])) for k in split)):
        values = {k: axes[k][i] for k, i in zip(split, index)}
        parts.append((index, _evaluate(exprs, rest, {**fixed, **values}, symbols)))
    np = _numpy()
    out = []
    for i in range(len(exprs)):
        pieces = [(index, got[i]) for index, got in parts]
        if np is None:
            flat = {index: _flatten(value) for index, value in pieces}
            rest_shape = tuple(len(v) for v in rest.values())
            values = []
            for full in itertools.product(*(range(n) for n in shape)):
                index = tuple(full[j] for j in at)
                inner = [full[j] for j in range(len(names)) if j not in at]
                position = 0
                for j, n in zip(inner, rest_shape):
                    position = position * n + j
                values.append(flat[index][position])
            out.append(_nest(values, shape))
            continue
        fast = all(getattr(v, "dtype", None) == np.int64 for _, v in pieces)
        full = np.empty(shape, dtype=np.int64 if fast else object)
        for index, value in pieces:
            where = [slice(None)] * len(names)
            for j, k in zip(at, index):
                where[j] = k
            value = np.asarray(value)
            if value.ndim == 0:  # every axis split: one value (a Python int when not int64)
                value = value if fast else value.item()
            elif not fast and value.dtype != object:
                value = value.astype(object)  # Python ints, as the object arrays hold
            full[tuple(where)] = value
        out.append(full)
    return out


# ----------------------------------------------------------------------------- public


class Sweep(Mapping):
    """Quantities of a model (or named expressions) over a grid: a mapping name -> array.

    ``axes`` maps each swept symbol name to its values, in axis order; ``fixed`` holds the
    scalar values given. For a model, ``valid`` is a boolean array (True where every
    constraint of the model holds); where it is False the quantity arrays are masked
    (``numpy.ma``), because the closed forms mean nothing for an invalid network.

    >>> import symcnn as sc
    >>> s = sc.sweep(sc.zoo.textbook.free_width(), n=range(322, 325))
    >>> s["params"].tolist(), s.axes
    ([99840, 100000, 100160], {'n': range(322, 325)})
    """

    def __init__(self, values: dict, axes: dict, fixed: dict, valid=None) -> None:
        self._values, self.axes, self.fixed, self.valid = values, axes, fixed, valid

    def __getitem__(self, name: str):
        return self._values[name]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __getattr__(self, name: str):
        values = self.__dict__.get("_values", {})
        if name in values:
            return values[name]
        raise AttributeError(name)

    def __repr__(self) -> str:
        axes = ", ".join(f"{k}: {len(v)} values" for k, v in self.axes.items())
        return f"<Sweep {', '.join(self._values)} over {axes or 'no axis'}>"


def _quantity(model, name: str):
    value = quantity(model, name)
    if value is None:
        raise SolveError(f"sweep: {name!r} is not a scalar quantity of the model (params, "
                         f"trainable_params, macs, flops, ...). Received: {name!r}")
    return value


def sweep(target, /, *quantities: str, **grid: Any):
    """Evaluate closed forms exactly over a grid of integer values.

    ``grid`` maps symbol names to values: an iterable (``range``, list, NumPy array) makes
    an axis, in keyword order; an integer fixes the symbol. The result:

    - for an expression: an array with one axis per iterable (NumPy ``int64`` when no value
      can overflow, else an object array of exact Python ints; nested lists without NumPy);
    - for a model: a :class:`Sweep` of the named ``quantities`` (default ``"params"``; any
      scalar attribute such as ``"macs"`` or ``"flops"``), masked where the model's
      constraints fail;
    - for a dict ``{name: expr}``: a :class:`Sweep` of those expressions.

    An expression is swept over its symbols' domains only: a value outside one (below 1 for
    a size symbol from ``sc.symbols``; a model masks it instead) is a
    :class:`~symcnn.errors.SolveError` naming the symbol and the value, and so is a point
    where an expression is undefined (``1/(n - 3)`` at ``n = 3``).

    >>> import symcnn as sc
    >>> H, n = sc.symbols("H n")
    >>> sc.sweep(n * sympy.floor(H/8 + sympy.Rational(1, 8)), n=[1, 10], H=[31, 38, 39]).tolist()
    [[4, 4, 5], [40, 40, 50]]
    >>> m = sc.zoo.textbook.free_width(input_shape=("H", 31, 1))
    >>> s = sc.sweep(m, "params", "macs", H=[30, 31, 39], n=10)
    >>> s.valid.tolist(), s["params"].tolist()
    ([False, True, True], [None, 49120, 49920])
    """
    values = {k: _grid_values(k, v) for k, v in grid.items()}
    axes = {k: v for k, v in values.items() if not isinstance(v, (int, Fraction))}
    fixed = {k: v for k, v in values.items() if isinstance(v, (int, Fraction))}
    constraints: list = []
    strict = False  # a model names its symbols; an expression is constant along other names
    if hasattr(type(target), "free_symbols") and hasattr(type(target), "constraints") and (
            not isinstance(target, sympy.Basic)):  # the class: a model computes them on access
        names = list(quantities) or ["params"]
        exprs = {q: _quantity(target, q) for q in names}
        constraints = list(target.constraints)
        pool, strict = set(target.free_symbols), True
    elif isinstance(target, Mapping):
        if quantities:
            raise SolveError("sweep: quantity names apply to a model, not to a dict of "
                             f"expressions. Received: {quantities!r}")
        exprs = {str(k): to_expr(v, "sweep", str(k)) for k, v in target.items()}
        pool = set().union(*(e.free_symbols for e in exprs.values()))
    else:
        if quantities:
            raise SolveError("sweep: quantity names apply to a model; pass an expression's "
                             f"grid by keyword. Received: {quantities!r}")
        try:
            expr = sympy.sympify(target, strict=True)
        except (sympy.SympifyError, TypeError):
            total = " (sweep a training memory's total: sc.sweep(mem.total, ...))" \
                if hasattr(target, "total") else ""
            raise SolveError(f"sweep: the target must be a SymPy expression, a dict of them "
                             f"or a model{total}. Received: {brief(target)}") from None
        exprs, pool = {"": expr}, set(expr.free_symbols)
    symbols = {s.name: s for s in pool}
    unknown = [k for k in values if k not in symbols]
    if unknown and strict:
        raise SolveError(f"sweep: no symbol named {unknown[0]!r}; the symbols are "
                         f"{', '.join(sorted(symbols)) or 'none'}. "
                         f"Received: {unknown[0]}={grid[unknown[0]]!r}")
    _check_fractions(values, symbols, grid)
    if not strict:  # a model masks such values instead (``valid``), as documented
        _check_domain({k: v for k, v in values.items() if not _fractional(v)}, symbols, grid)
    for k in unknown:  # an expression that does not contain the name is constant along it
        symbols[k] = sympy.Symbol(k, integer=True, positive=True)
    results = _evaluate(list(exprs.values()), axes, fixed, symbols)
    if list(exprs) == [""]:
        return results[0]
    out = dict(zip(exprs, results))
    valid = None
    if strict:
        valid = _valid(constraints, axes, fixed, symbols)
        out = {k: _mask(v, valid) for k, v in out.items()}
    return Sweep(out, axes, fixed, valid)


def _valid(constraints: list, axes: dict, fixed: dict, symbols: dict):
    """A boolean grid: every constraint that only involves swept or fixed symbols holds, and
    every size symbol is at least 1 (``n = 0`` is no network: ``model.subs`` refuses it)."""
    known = {symbols[k] for k in list(axes) + list(fixed)}
    exprs = []
    for c in constraints:
        if not c.free_symbols <= known or not hasattr(c, "lhs"):
            continue
        exprs.append((type(c), sympy.expand(c.lhs - c.rhs)))
    given = {**axes, **fixed}
    low = {k: 1 if symbols[k].is_positive else 0 for k in given
           if symbols[k].is_nonnegative and not _fractional(given[k])}
    # (a multiplier's fractional values were checked positive: _check_fractions)
    in_domain = all(v >= low[k] for k, v in fixed.items() if k in low)
    shape = tuple(len(v) for v in axes.values())
    np = _numpy()
    tests = {sympy.GreaterThan: operator.ge, sympy.StrictGreaterThan: operator.gt,
             sympy.LessThan: operator.le, sympy.StrictLessThan: operator.lt,
             sympy.Equality: operator.eq, sympy.Unequality: operator.ne}
    diffs = _evaluate([d for _, d in exprs], axes, fixed, symbols) if exprs else []
    if np is None:
        points = itertools.product(*axes.values())
        flags = [in_domain and all(v >= low[k] for k, v in zip(axes, at) if k in low)
                 for at in points]
        if exprs:
            flags = [ok and all(tests[kind](v, 0) for (kind, _), v in zip(exprs, point))
                     for ok, point in zip(flags, zip(*(_flatten(d) for d in diffs)))]
        return _nest(flags, shape)
    ok = np.full(shape, in_domain, dtype=bool)
    for i, (k, axis) in enumerate(axes.items()):  # the domain along each axis
        # a range wholly in the domain (its ends are: O(1), not a pass over it) masks nothing
        if k in low and not (isinstance(axis, range) and axis and
                             min(axis[0], axis[-1]) >= low[k]):
            ok &= _along(_at_least(np, axis, low[k]), i, len(axes))
    for (kind, _), diff in zip(exprs, diffs):
        ok &= tests[kind](np.asarray(diff), 0)
    return ok


def _along(values, i: int, n: int):
    """A 1-D array as axis ``i`` of ``n`` (broadcast along the others)."""
    return values.reshape((1,) * i + (-1,) + (1,) * (n - i - 1))


def _at_least(np, axis, low: int):
    """``axis >= low`` as a boolean array: a range's values at least ``low`` are one run of
    indices, found by division; other axes are compared as they are."""
    if not isinstance(axis, range):  # an integer array, or a tuple of (possibly huge) ints
        return (axis if hasattr(axis, "dtype") else np.array(axis, dtype=object)) >= low
    out = np.zeros(len(axis), dtype=bool)
    if axis.step > 0:
        out[max(0, -((axis.start - low) // axis.step)):] = True
    else:
        out[:max(0, (axis.start - low) // -axis.step + 1)] = True
    return out


def _flatten(values) -> list:
    if not isinstance(values, list):
        return [values]
    return [v for item in values for v in _flatten(item)]


def _mask(values, valid):
    np = _numpy()
    if np is None:
        flags = _flatten(valid)
        if all(flags):
            return values
        return _nest([v if ok else None for v, ok in zip(_flatten(values), flags)],
                     _shape_of(valid))
    if bool(valid.all()):
        return values
    return np.ma.masked_array(values, mask=~valid)


def _shape_of(values) -> tuple:
    shape = []
    while isinstance(values, list):
        shape.append(len(values))
        values = values[0] if values else None
    return tuple(shape)
