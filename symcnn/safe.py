"""Values from outside, made safe: text read only by symcnn's own parser, numbers bounded.

Every string that becomes an expression in the Python API goes through
:func:`to_expr`, which reads it with :func:`symcnn.expr_parser.parse_expression` (never
``eval``, ``sympify`` or ``parse_expr``). Integers are bounded (:data:`MAX_DIGITS`), and
:func:`bounded_subs` substitutes values into an expression while refusing, *before* it is
built, any power whose result would exceed :data:`MAX_RESULT_BITS`.

>>> to_expr("2*n + 1", "sweep", "a")
2*n + 1
>>> to_expr("__import__('os')", "sweep", "a")
Traceback (most recent call last):
...
symcnn.errors.ExpressionError: sweep: `a` is text that is not a size expression: expression: unexpected character "'" at position 12. Received: "__import__('os')"
>>> brief(10**5000)
'<an integer of 5,001 digits>'
"""

from __future__ import annotations

import math
from typing import Any

import sympy

from .errors import ExpressionError, _digits, brief
from .expr_parser import parse_expression

__all__ = ["MAX_DIGITS", "MAX_RESULT_BITS", "to_expr", "brief", "int_text", "check_int",
           "bounded_subs", "BoundError", "MAX_COUNT_TERMS", "MAX_SIZE_PRODUCT_TERMS",
           "expansion_terms", "check_expansion", "check_sizes", "literal_digits"]

#: Most decimal digits of an integer symcnn reads or writes (Python's own limit is 4,300).
MAX_DIGITS = 4300
#: Most bits of a number built by substituting values into an expression (about 4,300 digits).
MAX_RESULT_BITS = 14_000
#: Most terms a layer's count (its parameters, its MACs, the elements of its tensors) may
#: expand to. SymPy expands a power of a sum at about a millisecond per term, so 2,000
#: terms (the bound on one expression a model file may write) cost a few seconds at worst;
#: a product of two such sizes, a million terms and minutes, is refused before it expands.
#: Real networks stay far below: the zoo's widest closed forms, with symbolic input sizes
#: and width multipliers, have under 100 terms per layer.
MAX_COUNT_TERMS = 2_000
#: Most terms the product of a layer's largest input's and output's sizes and its size
#: arguments may expand to (:func:`check_sizes`). That product is a loose upper bound on
#: what its counts multiply (a ``Flatten`` multiplies one of the two, a convolution the
#: output and part of the input), so its bound is looser: models whose every layer
#: argument is a symbol (products of about 25,000 terms) pass, sizes of 55 terms each on a
#: ``Conv2D`` (millions) do not.
MAX_SIZE_PRODUCT_TERMS = 200_000
#: Term counts stop growing here (their message says "more than").
_TERMS_CAP = 10**12


class BoundError(ExpressionError):
    """A value or an expression would exceed one of symcnn's documented bounds.

    >>> import symcnn as sc
    >>> n = sc.symbols("n")
    >>> sc.sweep(2**2**n, n=[40])
    Traceback (most recent call last):
    ...
    symcnn.safe.BoundError: sweep: the value of 2**(2**n) at n=40 would have about 1,099,511,627,776 bits; symcnn builds numbers of at most 14,000 bits (about 4,300 digits). Received: n=40
    """


def int_text(value: int, sep: str = "") -> str:
    """The exact decimal text of ``value``, also beyond Python's 4,300-digit limit.

    >>> int_text(2**20000)[:12], len(int_text(2**20000))
    ('398027684033', 6021)
    >>> int_text(1234567, ",")
    '1,234,567'
    """
    value = int(value)
    if abs(value).bit_length() < 10_000:
        return f"{value:,}".replace(",", sep) if sep else str(value)
    sign, value = ("-" if value < 0 else ""), abs(value)
    chunks = []
    while value:
        value, low = divmod(value, 10**1000)
        chunks.append(low)
    text = str(chunks[-1]) + "".join(f"{c:01000d}" for c in reversed(chunks[:-1]))
    if sep:
        head = len(text) % 3 or 3
        text = text[:head] + "".join(sep + text[i:i + 3] for i in range(head, len(text), 3))
    return sign + text


def decimal_text(value, sep: str = "") -> str | None:
    """The exact decimal text of a rational number whose decimals end (its denominator has
    no prime factor but 2 and 5), else ``None``: how a budget the user wrote as ``100000.5``
    is shown back, rather than as ``200001/2``.

    A long decimal of few digits is written in scientific notation, as exactly
    (``1e-400``, never a 400-digit ``0.000...1``).

    >>> decimal_text(sympy.Rational(200001, 2), ","), decimal_text(sympy.Rational(-3, 40))
    ('100,000.5', '-0.075')
    >>> decimal_text(sympy.Rational(1, 3)) is None
    True
    >>> decimal_text(sympy.Rational(1, 10**400)), decimal_text(sympy.Rational(-25, 10**30))
    ('1e-400', '-2.5e-29')
    """
    p, q = int(sympy.numer(value)), int(sympy.denom(value))
    twos, fives = (q & -q).bit_length() - 1, 0
    rest = q >> twos
    while rest % 5 == 0:
        rest, fives = rest // 5, fives + 1
    if rest != 1:
        return None
    places = max(twos, fives)
    sign = "-" if p < 0 else ""
    whole, frac = divmod(abs(p) * 10**places // q, 10**places)
    if places > 20 and whole == 0:  # 0.000...: its digits, and where they stand
        digits = int_text(frac)
        exponent = len(digits) - 1 - places
        short = digits[0] + (f".{digits[1:]}" if len(digits) > 1 else "") + f"e{exponent}"
        if len(short) < places:
            return sign + short
    text = int_text(whole, sep) + (f".{frac:0{places}d}" if places else "")
    return sign + text


def literal_digits(expr) -> int:
    """The digits of the longest number written in ``expr`` where one has more than
    :data:`MAX_DIGITS` (Python writes no longer integer as text), else 0: what a printer
    or an evaluator that goes through text checks first.

    >>> n = sympy.Symbol("n")
    >>> literal_digits(10**5000 * n + 3), literal_digits(10**40 * n)
    (5001, 0)
    """
    longest = 0
    for number in expr.atoms(sympy.Rational):
        for part in (int(number.p), int(number.q)):
            if abs(part).bit_length() > MAX_DIGITS * 3.32:
                longest = max(longest, _digits(part))
    return longest if longest > MAX_DIGITS else 0


def check_int(value: int, where: str, arg: str) -> int:
    """``value`` if it has at most :data:`MAX_DIGITS` digits, else a :class:`BoundError`."""
    if abs(int(value)).bit_length() > MAX_DIGITS * 3.33 and _digits(int(value)) > MAX_DIGITS:
        raise BoundError(f"{where}: `{arg}` has {_digits(int(value)):,} digits; symcnn reads "
                         f"integers of at most {MAX_DIGITS:,} digits. "
                         f"Received: {arg}={brief(value)}")
    return value


def to_expr(value: Any, where: str, arg: str) -> sympy.Expr:
    """A SymPy expression from a number, an expression or expression *text* (safely parsed).

    Text may use any name (each becomes a positive-integer symbol, as ``sc.symbols`` makes).
    """
    if isinstance(value, str):
        try:
            return parse_expression(value, declare=True)
        except ExpressionError as err:
            raise ExpressionError(f"{where}: `{arg}` is text that is not a size expression: "
                                  f"{err}") from None
    if isinstance(value, bool) or value is None:
        raise ExpressionError(f"{where}: `{arg}` must be a number, a SymPy expression or "
                              f"expression text. Received: {arg}={brief(value)}")
    if isinstance(value, int):
        return sympy.Integer(check_int(value, where, arg))
    try:
        expr = sympy.sympify(value, strict=True)  # strict: never parses text
    except (sympy.SympifyError, TypeError, ValueError):
        raise ExpressionError(f"{where}: `{arg}` must be a number, a SymPy expression or "
                              f"expression text. Received: {arg}={brief(value)}") from None
    if not isinstance(expr, sympy.Expr):
        raise ExpressionError(f"{where}: `{arg}` must be a number, a SymPy expression or "
                              f"expression text. Received: {arg}={brief(value)}")
    return expr


def bounded_subs(expr, table: dict, where: str = "subs"):
    """``expr.xreplace(table)``, refusing powers whose value would be too large to build.

    Numeric powers are checked from the sizes of base and exponent before they are
    computed, so ``2**n`` at ``n = 10**10`` or ``2**2**2**n`` at ``n = 5`` is a
    :class:`BoundError` at once, not minutes and gigabytes.

    >>> n = sympy.Symbol("n", integer=True, positive=True)
    >>> bounded_subs(2**n + 1, {n: 10})
    1025
    >>> bounded_subs(2**2**2**n, {n: 5})
    Traceback (most recent call last):
    ...
    symcnn.safe.BoundError: subs: the value of 2**(2**(2**n)) at n=5 would have about 4,294,967,296 bits; symcnn builds numbers of at most 14,000 bits (about 4,300 digits). Received: n=5
    """
    if not isinstance(expr, sympy.Basic) or not table:
        return expr
    table = {k: sympy.sympify(v, strict=True) for k, v in table.items()}
    if not any(isinstance(node, sympy.Pow) for node in sympy.preorder_traversal(expr)):
        return _checked_size(expr.xreplace(table), expr, table, where)
    return _checked_size(_subs(expr, table, expr, where, {}), expr, table, where)


def _subs(node, table, whole, where, memo):
    if node in memo:
        return memo[node]
    if node in table:
        out = sympy.sympify(table[node], strict=True)
    elif node.is_Atom:
        out = node
    elif isinstance(node, sympy.Pow):
        base = _subs(node.base, table, whole, where, memo)
        exp = _subs(node.exp, table, whole, where, memo)
        if base.is_Number and exp.is_Integer and abs(base) != 1 and base != 0:
            bits = max(abs(sympy.Rational(base).p).bit_length(),
                       abs(sympy.Rational(base).q).bit_length()) if base.is_Rational else 64
            size = (bits - 1 if bits > 1 else 1) * abs(int(exp)) if abs(exp) < 10**30 else 10**30
            if size > MAX_RESULT_BITS:
                shown = ", ".join(f"{k}={brief(v)}" for k, v in table.items())
                raise BoundError(f"{where}: the value of {_short(whole)} at {shown} would have "
                                 f"about {size:,} bits; symcnn builds numbers of at most "
                                 f"{MAX_RESULT_BITS:,} bits (about {MAX_DIGITS:,} digits). "
                                 f"Received: {shown}")
        out = node.func(base, exp)
    else:
        out = node.func(*(_subs(a, table, whole, where, memo) for a in node.args))
    memo[node] = out
    return out


def _checked_size(value, whole, table, where):
    for node in sympy.preorder_traversal(value):
        if node.is_Rational and max(abs(node.p).bit_length(),
                                    abs(node.q).bit_length()) > MAX_RESULT_BITS:
            shown = ", ".join(f"{k}={brief(v)}" for k, v in table.items())
            raise BoundError(f"{where}: the value of {_short(whole)} at {shown} has more than "
                             f"{MAX_RESULT_BITS:,} bits (about {MAX_DIGITS:,} digits). "
                             f"Received: {shown}")
    return value


def _short(expr) -> str:
    try:
        text = str(expr)
    except ValueError:  # a number over Python's 4,300-digit str() limit
        return f"a closed form with a number of more than {MAX_DIGITS:,} digits"
    return text if len(text) <= 80 else text[:77] + "..."


# --------------------------------------------------------------------------- expansion bounds


def expansion_terms(expr, memo: dict | None = None) -> int:
    """An upper bound on the terms of ``sympy.expand(expr)``, read from its structure
    without expanding (and on the largest sum it expands inside a rounding, a ``min`` or a
    power with a negative exponent): a sum adds its parts' counts, a product multiplies
    them, ``s**k`` of a sum of ``t`` terms has at most ``comb(t + k - 1, k)``; a rounding,
    ``min``, ``max`` or any other function is one term, whose arguments expand on their own.
    (:func:`~symcnn.structural.expanded_terms`, which the expression reader bounds, counts
    a rounding as the terms of its argument: a bound on one expression, not on what a
    product of sizes with roundings expands to.)

    >>> a, b, c = sympy.symbols("a b c")
    >>> e = (a + b + c)**4 * (a + 1) + sympy.floor((a + b)**2 / 3)
    >>> expansion_terms(e), len(sympy.expand(e).args)
    (31, 31)
    """
    outer, inner = _terms(expr, {} if memo is None else memo)
    return max(outer, inner)


def _terms(expr, memo: dict) -> tuple:
    """``(terms, inner)``: terms of the expansion, and of the largest sum expanded inside
    a function or a denominator."""
    if not isinstance(expr, sympy.Basic) or expr.is_Atom:
        return 1, 0
    hit = memo.get(expr)
    if hit is not None:
        return hit
    if expr.is_Add or expr.is_Mul:
        parts = [_terms(a, memo) for a in expr.args]
        counts = [t for t, _ in parts]
        terms = min(sum(counts) if expr.is_Add else math.prod(counts), _TERMS_CAP)
        out = (terms, max(i for _, i in parts))
    elif expr.is_Pow and expr.exp.is_Integer:
        t, inner = _terms(expr.base, memo)
        terms = _multisets(t, abs(int(expr.exp)))
        out = (terms, inner) if expr.exp > 0 else (1, max(inner, terms))
    else:
        parts = [_terms(a, memo) for a in expr.args]
        out = (1, max((max(p) for p in parts), default=0))
    memo[expr] = out
    return out


def _multisets(t: int, k: int) -> int:
    """``comb(t + k - 1, k)``, the monomials of degree ``k`` in ``t`` terms, capped."""
    if t <= 1 or k == 0:
        return 1
    low = min(k, t - 1)
    return _TERMS_CAP if low > 64 else min(math.comb(t + k - 1, low), _TERMS_CAP)


def _size_terms(size, memo: dict) -> int:
    """:func:`expansion_terms` of one size (1 for a Python number)."""
    return max(_terms(size, memo))


def _about(terms: int) -> str:
    return f"more than {_TERMS_CAP:,}" if terms >= _TERMS_CAP else f"about {terms:,}"


def _symbols(count: int) -> str:
    return f"{count:,} symbol{'' if count == 1 else 's'}"


def check_expansion(expr, what: str, limit: int = MAX_COUNT_TERMS) -> None:
    """A :class:`BoundError` when ``expr`` could expand to more than ``limit`` terms
    (:func:`expansion_terms`), said as ``what`` would be: checked before a
    layer's count is expanded, which costs SymPy about a millisecond per term.

    >>> a, b, c, d = sympy.symbols("a b c d")
    >>> check_expansion((a + b + c + d)**5, "the parameter count")  # 56 terms
    >>> check_expansion((a + b + c + d)**30, "the parameter count")
    Traceback (most recent call last):
    ...
    symcnn.safe.BoundError: the parameter count would expand to about 5,456 terms (limit 2,000); symcnn refuses counts this large rather than spend minutes expanding them. Received: a count over 4 symbols
    """
    terms = expansion_terms(expr)
    if terms > limit:
        raise BoundError(f"{what} would expand to {_about(terms)} terms (limit {limit:,}); "
                         f"symcnn refuses counts this large rather than spend minutes "
                         f"expanding them. Received: a count over "
                         f"{_symbols(len(expr.free_symbols))}")


def check_sizes(inputs, outputs, arguments=(), limit: int = MAX_SIZE_PRODUCT_TERMS) -> None:
    """A :class:`BoundError` when a layer's sizes multiply past ``limit`` terms once
    expanded: the sizes of its largest input and output and its size arguments (those not
    among them), which its MACs and memory counts multiply (a convolution's MACs are its
    output's elements times its input channels and kernel). Each size may be a large
    expression (a model file bounds one at 2,000 terms); their product is what costs.

    >>> s = sympy.Add(*sympy.symbols("a:j", integer=True, positive=True))**2  # 55 terms
    >>> check_sizes([(32, 32, 3)], [(30, 30, 8)], [8, 3, 3])
    >>> check_sizes([(s, s, s)], [(s, s, s)], [s])
    Traceback (most recent call last):
    ...
    symcnn.safe.BoundError: its sizes (its largest input's and output's and its size arguments, as its MAC and memory counts multiply them) would expand to about 293,930 terms (limit 200,000); symcnn refuses sizes this large rather than spend minutes expanding them. Received: sizes of up to 55 terms over 10 symbols
    """
    if len(_SIZE_TERMS) > 20_000:
        _SIZE_TERMS.clear()
    memo = _SIZE_TERMS
    (n_in, shape_in), (n_out, shape_out) = (_largest(inputs, memo), _largest(outputs, memo))
    seen = {d for d in (*shape_in, *shape_out) if isinstance(d, sympy.Basic)}
    kept = [a for a in arguments if isinstance(a, sympy.Basic) and a not in seen]
    estimate = n_in * n_out
    for a in kept:
        estimate *= _size_terms(a, memo)
    if estimate <= limit:
        return
    sizes = [d for d in (*shape_in, *shape_out, *kept) if isinstance(d, sympy.Basic)]
    terms = expansion_terms(sympy.Mul(*sizes))
    if terms > limit:
        largest = max(_size_terms(d, memo) for d in sizes)
        names = set().union(*(d.free_symbols for d in sizes))
        raise BoundError(f"its sizes (its largest input's and output's and its size "
                         f"arguments, as its MAC and memory counts multiply them) would expand "
                         f"to {_about(terms)} terms (limit {limit:,}); symcnn refuses sizes "
                         f"this large rather than spend minutes expanding them. Received: "
                         f"sizes of up to {largest:,} terms over {_symbols(len(names))}")


#: :func:`_terms` of the sizes seen, shared by every layer (a network's sizes recur).
_SIZE_TERMS: dict = {}


def _largest(shapes, memo: dict) -> tuple:
    """``(terms, shape)``: the shape among ``shapes`` whose sizes multiply to the most terms
    (a product of their counts: an upper bound)."""
    best, pick = 1, ()
    for shape in shapes:
        count = 1
        for d in shape:
            count = min(count * _size_terms(d, memo), _TERMS_CAP)
        if count > best:
            best, pick = count, tuple(shape)
    return best, pick
