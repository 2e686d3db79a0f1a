"""A small, safe reader of size expressions such as ``"2*w + 1"`` or ``"floor(H/2)"``.

Model files and the command line give sizes and budgets as text. That text is read here by
a hand-written tokenizer and a recursive-descent parser that builds SymPy objects itself;
nothing is ever handed to ``eval``, ``sympify`` or ``parse_expr``. The language is:

- numbers: ``224``, ``1_000``, ``0.5``, ``5e6`` (read exactly: ``5e6`` is the integer 5000000);
- names of declared symbols (``H``, ``n_1``);
- ``+ - * / // % **`` with Python's precedence (``/`` is exact division, ``//`` floor
  division, ``%`` the remainder, as Python's for a positive divisor), unary ``+``/``-`` and
  parentheses;
- the functions ``floor``, ``ceiling`` (alias ``ceil``), ``min`` and ``max`` (aliases ``Min``,
  ``Max``, as SymPy prints them), ``make_divisible(v, d)`` (:mod:`symcnn.divisible`), the
  channel rounding of width multipliers, and ``Mod(a, d)`` (alias ``mod``), the remainder by
  a positive integer ``d`` or a size (``Mod(H, k)``, as ``H % k``), so that printed closed
  forms read back.

Anything else (attribute access, strings, calls of other names, ``__import__``) is refused
with an :class:`~symcnn.errors.ExpressionError` that says where. Input is bounded: at most
:data:`MAX_LENGTH` characters, :data:`MAX_DEPTH` levels of nesting, powers whose result
stays small (:data:`MAX_EXPONENT`, :data:`MAX_BITS`) and a degree of at most
:data:`MAX_DEGREE`.

>>> import symcnn as sc
>>> H, w = sc.symbols("H w")
>>> parse_expression("2*w + 1", {"w": w})
2*w + 1
>>> parse_expression("floor((H - 1)/2) + 1", {"H": H})
ceiling(H/2)
>>> parse_expression("5e6")
5000000
"""

from __future__ import annotations

import math
import re
from typing import Callable, Mapping

import sympy

from . import arith
from .divisible import make_divisible
from .errors import ExpressionError
from .structural import expanded_terms, integer_valued, lower_bound, structure_bounds
from .symbols import reserved_name, size_symbol

__all__ = ["parse_expression", "parse_size", "FUNCTIONS", "MAX_LENGTH", "MAX_DEPTH",
           "MAX_ROUNDINGS", "MAX_EXPONENT", "MAX_BITS", "MAX_ARGS", "MAX_TERMS",
           "MAX_EXPONENT_TERMS", "MAX_DEGREE"]

#: Longest expression text accepted, in characters.
MAX_LENGTH = 10_000
#: Deepest nesting of parentheses, calls, unary signs and powers.
MAX_DEPTH = 64
#: Most uses of ``//``, ``%`` and of functions (``floor``, ``ceiling``, ``min``, ``max``,
#: ``make_divisible``, ``Mod``) in one expression: EfficientNet's closed forms in its two
#: coefficients use about 180. Each costs SymPy a comparison or two, so the bound keeps the
#: worst text of :data:`MAX_LENGTH` characters near a second.
MAX_ROUNDINGS = 256
#: Most arguments of one ``min``/``max`` call.
MAX_ARGS = 64
#: Highest degree of an expression in its symbols, counted from its structure (powers of
#: powers and products of powers included: ``(k**64)**64`` is ``k**4096``).
MAX_DEGREE = 64
#: Largest numeric exponent ``|e|`` in ``a**e``, unless ``a`` is an integer of at least 2:
#: such a power (``2**500``, as display forms write large powers) is bounded by the size of
#: its value alone (:data:`MAX_BITS`), exactly as the same number written out is.
MAX_EXPONENT = 64
#: Largest number of bits of a number built by ``**`` or written as a literal.
MAX_BITS = 4096
#: Most terms an expression may have once expanded (bounded from its structure).
MAX_TERMS = 2000
#: Most terms a symbolic exponent (the ``e`` of ``2**e``) may have once expanded.
MAX_EXPONENT_TERMS = 16

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|//|[-+*/%(),])
""", re.VERBOSE | re.ASCII)


def _tokens(text: str):
    """``(kind, value, position)`` for each token of ``text``, then ``("end", "", len)``."""
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ExpressionError(_where(text, pos, f"unexpected character {text[pos]!r}"))
        kind = m.lastgroup
        if kind != "space":
            yield kind, m.group(), pos
        pos = m.end()
    yield "end", "", pos


def _where(text: str, pos: int, problem: str) -> str:
    shown = text if len(text) <= 60 else text[:57] + "..."
    return f"expression: {problem} at position {pos + 1}. Received: {shown!r}"


def _number(token: str, text: str, pos: int) -> sympy.Rational:
    digits = token.replace("_", "")
    if "__" in token or token.endswith("_") or "_." in token or "._" in token:
        raise ExpressionError(_where(text, pos, f"malformed number {token!r}"))
    mantissa, _, exponent = digits.lower().partition("e")
    whole, _, frac = mantissa.partition(".")
    if len(exponent.lstrip("+-0")) > 6:  # int() of 4,300+ digits fails; 7 already too large
        raise ExpressionError(_where(text, pos, f"number {token[:20]!r} is too large"))
    exp = int(exponent) if exponent else 0
    if abs(exp) > 1000 or len(whole) + len(frac) > 1000:
        raise ExpressionError(_where(text, pos, f"number {token[:20]!r} is too large"))
    value = sympy.Rational(int(whole or "0") * 10 ** len(frac) + int(frac or "0"),
                           10 ** len(frac)) * sympy.Rational(10) ** exp
    if abs(value.p).bit_length() > MAX_BITS:
        raise ExpressionError(_where(text, pos, f"number {token[:20]!r} is too large"))
    return value


def _check_finite(value, text: str, pos: int, what: str):
    if value.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan) or value.has(sympy.I):
        raise ExpressionError(_where(text, pos, f"{what} is not a finite real number"))
    return value


def _is_zero(value) -> bool:
    """Whether ``value`` is zero, decided without SymPy's assumptions (which take seconds on
    a large polynomial, ``(k**32 - 7*k**5 + 3).is_zero``): a number exactly; an expression
    in symbols only when it is literally zero (SymPy folds ``n - n`` to 0 as it is built)."""
    return value.is_number and value.is_zero is True


def _surely_positive(value) -> bool:
    """Whether ``value`` is positive by its structure alone: positive numbers and symbols
    combined by ``+``, ``*`` and powers (no assumptions asked, see :func:`_is_zero`).

    >>> import symcnn as sc
    >>> n = sc.symbols("n")
    >>> _surely_positive(2*n**2 + 3), _surely_positive(n - 1)
    (True, False)
    """
    stack = [value]
    while stack:
        e = stack.pop()
        if e.is_Number:
            if not e > 0:
                return False
        elif e.is_Symbol:
            if e.is_positive is not True:
                return False
        elif e.is_Add or e.is_Mul:
            stack.extend(e.args)
        elif e.is_Pow and e.exp.is_Rational:
            stack.append(e.base)
        else:
            return False
    return True


def _too_many_bits(b: int, e: int) -> bool:
    """Whether ``b**e`` (``b``, ``e`` >= 0) has more than :data:`MAX_BITS` bits, decided
    without building a number of more than twice that many: ``b`` has ``n`` bits, so
    ``b**e`` has between ``(n - 1)*e + 1`` and ``n*e``; only when :data:`MAX_BITS` lies
    between the two (then ``e < MAX_BITS``) is the power computed, to count them exactly.
    The same bound as a number written out (``2**4095`` has 4,096 bits; ``2**4096`` is one
    too many).

    >>> _too_many_bits(2, 3000), _too_many_bits(2, 4095), _too_many_bits(2, 4096)
    (False, False, True)
    >>> _too_many_bits(10, 1233), _too_many_bits(10, 1234), _too_many_bits(9, 9**9)
    (False, True, True)
    """
    if e == 0 or b <= 1:
        return False
    n = b.bit_length()
    if (n - 1) * e + 1 > MAX_BITS:
        return True
    if n * e <= MAX_BITS:
        return False
    return (b**e).bit_length() > MAX_BITS


def _rounded(kind: str, arg):
    """``floor``/``ceiling`` of ``arg``, in symcnn's canonical form when it is a ratio."""
    if arg.is_number:
        return sympy.floor(arg) if kind == "floor" else sympy.ceiling(arg)
    if expanded_terms(arg) <= 32:  # canonical forms expand their argument: keep it as given
        num, den = _integer_ratio(arg) or sympy.fraction(sympy.together(arg))
        if den.is_Integer and den > 0 and num.is_integer:
            return arith.floor_div(num, den) if kind == "floor" else arith.ceil_div(num, den)
    return _kept(kind, arg)


def _integer_ratio(arg):
    """``(num, den)`` with ``arg == num/den``, ``num`` integer-valued by its structure and
    ``den`` a positive integer, when every term of ``arg`` is a rational times such a
    factor (``(H + 1)/2 + floor(W/3)/4``); else None. What ``fraction(together(arg))`` finds
    for these, without its cost (a second for a few hundred polynomials of 30 terms)."""
    terms = []
    den = 1
    for term in sympy.Add.make_args(arg):
        coeff, rest = term.as_coeff_Mul()
        if not (coeff.is_Rational and integer_valued(rest)):
            return None
        terms.append((coeff, rest))
        den = den * coeff.q // math.gcd(den, coeff.q)
    return sympy.Add(*(coeff * den * rest for coeff, rest in terms)), sympy.Integer(den)


def _kept(kind: str, arg):
    """``floor``/``ceiling`` of a symbolic ``arg`` as written, its integer terms taken out
    (``floor(n + k/m)`` is ``n + floor(k/m)``). SymPy's own evaluation is not asked: it
    decides signs of the argument, which takes seconds for a polynomial of high degree."""
    cls = sympy.floor if kind == "floor" else sympy.ceiling
    whole, rest = [], []
    for term in sympy.Add.make_args(arg):
        (whole if integer_valued(term) else rest).append(term)
    if not rest:
        return arg
    return sympy.Add(*whole, cls(sympy.Add(*rest), evaluate=False))


def _min_max(kind: str):
    def apply(*args):
        if not args:
            raise ValueError(f"{kind}() needs at least one argument")
        cls = sympy.Min if kind == "min" else sympy.Max
        if all(a.is_number for a in args):
            return cls(*args)
        # SymPy's evaluation compares the arguments pairwise by deciding signs, which takes
        # up to a tenth of a second for two small polynomials (and 256 calls are allowed):
        # numbers are folded into one, nested calls of the same kind flattened, and an
        # argument dropped where another one exceeds it by a structural lower bound
        # (max(n, 2*n) is 2*n, max(1, n) is n); the rest is kept as written
        flat = [b for a in args for b in (a.args if isinstance(a, cls) else (a,))]
        numbers = [a for a in flat if a.is_number]
        kept = list(dict.fromkeys(a for a in flat if not a.is_number))
        if numbers:
            kept.append(cls(*numbers))
        if len(kept) <= 8 and all(expanded_terms(a) <= 32 for a in kept):
            sign = 1 if kind == "max" else -1
            for a in list(kept):
                if any(b is not a and _at_least_zero(sign * (b - a)) for b in kept):
                    kept.remove(a)
        return cls(*kept, evaluate=False)
    return apply


def _at_least_zero(value) -> bool:
    """``value >= 0`` for every value of its positive-integer symbols, by its structure
    (:func:`symcnn.structural.lower_bound`; no assumptions asked)."""
    if value.is_number:
        return bool(value >= 0)
    bound = lower_bound(value)
    return bound is not None and bound >= 0


def _divisible(v, d):
    if not (d.is_Integer and d > 0):
        raise ValueError(f"the divisor must be a positive integer, got {d}")
    return make_divisible(v, d)


def _mod(a, d):
    """``Mod(a, d)`` and ``a % d``: the remainder of ``a`` by ``d``, as Python's ``%`` gives it
    for a positive divisor (``-7 % 3`` is 2). By a positive integer ``d``: a number is
    evaluated, a symbolic argument is kept as written (SymPy's evaluation decides signs and
    gcds: 10 ms for ``Mod(3*n + 4, 8)``, seconds for a polynomial of 30 terms), so a printed
    ``Mod`` reads back as itself. By a size (a positive integer-valued expression such as
    ``k`` or ``2*s``): ``a - d*floor(a/d)``, the floor kept as ``a // d`` keeps it. A
    fractional divisor, and one that may be 0 or negative (``n - 1``), is refused: its
    remainder is no size.

    >>> import symcnn as sc
    >>> H, k = sc.symbols("H k")
    >>> _mod(sympy.Integer(-7), sympy.Integer(3)), _mod(H, sympy.Integer(2)), _mod(H, k)
    (2, Mod(H, 2), H - k*floor(H/k))
    """
    if d.is_Integer and d > 0:
        return sympy.Mod(a, d, evaluate=bool(a.is_number))
    if d.is_number or not (_surely_positive(d) and integer_valued(d)):
        raise ValueError(f"the divisor must be a positive integer or a size, got {d}")
    return a - d * _rounded("floor", a / d)


#: The functions an expression may call, by name (:data:`symcnn.symbols.FUNCTION_NAMES`: no
#: symbol may take one of these names).
FUNCTIONS: dict = {
    "floor": (1, lambda x: _rounded("floor", x)),
    "ceiling": (1, lambda x: _rounded("ceiling", x)),
    "ceil": (1, lambda x: _rounded("ceiling", x)),
    "min": (None, _min_max("min")),
    "max": (None, _min_max("max")),
    "Min": (None, _min_max("min")),  # as SymPy prints them, so printed forms read back
    "Max": (None, _min_max("max")),
    # the channel rounding of width multipliers, as closed forms print it (symcnn.divisible)
    "make_divisible": (2, _divisible),
    # the remainder by a positive integer or a size, as SymPy prints it (Mod), in lower case
    "Mod": (2, _mod),
    "mod": (2, _mod),
}


class _Parser:
    def __init__(self, text: str, names: Callable[[str, int], sympy.Expr]) -> None:
        self.text = text
        self.names = names
        self.tokens = list(_tokens(text))
        self.i = 0
        self.depth = 0
        self.roundings = 0
        self.memo: dict = {}

    # -- helpers ------------------------------------------------------------------------------

    @property
    def current(self):
        return self.tokens[self.i]

    def take(self, value: str | None = None) -> bool:
        kind, tok, _ = self.current
        if kind == "op" and tok == value:
            self.i += 1
            return True
        return False

    def expect(self, value: str) -> None:
        if not self.take(value):
            kind, tok, pos = self.current
            found = "the end" if kind == "end" else repr(tok)
            raise ExpressionError(_where(self.text, pos, f"expected {value!r}, found {found}"))

    def rounding(self, pos: int) -> None:
        self.roundings += 1
        if self.roundings > MAX_ROUNDINGS:
            raise ExpressionError(_where(self.text, pos, f"more than {MAX_ROUNDINGS} uses of //, "
                                                         f"floor, ceiling, min, max, "
                                                         f"make_divisible, Mod and %"))

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(_where(self.text, self.current[2],
                                         f"nesting deeper than {MAX_DEPTH} levels"))

    # -- grammar ------------------------------------------------------------------------------

    def parse(self) -> sympy.Expr:
        if self.current[0] == "end":
            raise ExpressionError("expression: the text is empty. Received: ''"
                                  if not self.text else _where(self.text, 0, "no expression"))
        value = self.sum()
        kind, tok, pos = self.current
        if kind != "end":
            raise ExpressionError(_where(self.text, pos, f"unexpected {tok!r}"))
        return value

    def sum(self):
        terms = [self.product()]
        while True:
            if self.take("+"):
                terms.append(self.product())
            elif self.take("-"):
                terms.append(-self.product())
            else:
                return sympy.Add(*terms) if len(terms) > 1 else terms[0]

    def product(self):
        factors = [self.unary()]
        while True:
            kind, tok, pos = self.current
            if kind != "op" or tok not in ("*", "/", "//", "%"):
                return sympy.Mul(*factors) if len(factors) > 1 else factors[0]
            self.i += 1
            right = self.unary()
            if tok == "*":
                factors.append(right)
                self.bounded(factors, pos)
                continue
            if _is_zero(right):
                raise ExpressionError(_where(self.text, pos, "division by zero"))
            if tok == "/":
                self.bounded([*factors, sympy.Pow(right, -1, evaluate=False)], pos)
                factors.append(1 / right)
                continue
            self.rounding(pos)
            if tok == "%":  # Python's remainder, left to right with * / //: a % b * c
                try:
                    value = _mod(sympy.Mul(*factors), right)
                except ValueError as err:
                    raise ExpressionError(_where(self.text, pos, f"%: {err}")) from None
                self.bounded([value], pos)
                factors = [self.checked(value, pos, "the remainder")]
                continue
            value = sympy.Mul(*factors) / right
            # a divisor that may be 0 for some values (n - 1) keeps the quotient as written
            value = _rounded("floor", value) if right.is_number or _surely_positive(right) \
                else _kept("floor", value)
            factors = [value]

    def unary(self):
        if self.take("-"):
            self.enter()
            value = -self.unary()
            self.depth -= 1
            return value
        if self.take("+"):
            self.enter()
            value = self.unary()
            self.depth -= 1
            return value
        return self.power()

    def power(self):
        base = self.atom()
        pos = self.current[2]
        if not self.take("**"):
            return base
        self.enter()
        exponent = self.unary()
        self.depth -= 1
        if exponent.is_number:
            if not exponent.is_Integer or abs(int(exponent)) > MAX_EXPONENT and not (
                    base.is_Integer and base > 1):  # the bit bound below bounds b**e
                raise ExpressionError(_where(
                    self.text, pos, f"exponent {exponent} is not an integer in "
                    f"[-{MAX_EXPONENT}, {MAX_EXPONENT}]"))
            if exponent < 0 and _is_zero(base):
                raise ExpressionError(_where(self.text, pos, "division by zero"))
        elif base.is_number:
            if not (base.is_Integer and base > 0):
                raise ExpressionError(_where(
                    self.text, pos, f"a symbolic exponent needs a positive integer base; "
                    f"got {base}"))
            if expanded_terms(exponent, self.memo) > MAX_EXPONENT_TERMS:
                raise ExpressionError(_where(
                    self.text, pos, f"a symbolic exponent may expand to at most "
                    f"{MAX_EXPONENT_TERMS} terms (deciding signs of larger ones takes minutes)"))
        else:
            raise ExpressionError(_where(self.text, pos, "both base and exponent are symbolic"))
        if base.is_Rational and exponent.is_Integer and any(  # numerator and denominator
                _too_many_bits(abs(int(b)), abs(int(exponent))) for b in (base.p, base.q)):
            raise ExpressionError(_where(self.text, pos,
                                         f"exponent {exponent} makes the power larger "
                                         f"than {MAX_BITS} bits"))
        # the bounds first, from the structure alone: building b**e and asking about it can
        # take SymPy seconds for a large base (its assumptions), refused or not
        self.bounded([sympy.Pow(base, exponent, evaluate=False)], pos)
        value = base ** exponent
        self.bounded([value], pos)
        return self.checked(value, pos, "the power")

    def atom(self):
        kind, tok, pos = self.current
        if kind == "number":
            self.i += 1
            return _number(tok, self.text, pos)
        if kind == "name":
            self.i += 1
            if self.current[:2] == ("op", "("):
                return self.call(tok, pos)
            return self.names(tok, pos)
        if self.take("("):
            self.enter()
            value = self.sum()
            self.expect(")")
            self.depth -= 1
            return value
        found = "the end" if kind == "end" else repr(tok)
        raise ExpressionError(_where(self.text, pos, f"expected a number, a name or '(', "
                                                     f"found {found}"))

    def call(self, name: str, pos: int):
        if name not in FUNCTIONS:
            raise ExpressionError(_where(
                self.text, pos, f"unknown function {name!r}; allowed: "
                f"{', '.join(sorted(FUNCTIONS))}"))
        arity, fn = FUNCTIONS[name]
        self.rounding(pos)
        self.expect("(")
        self.enter()
        args = []
        if not self.take(")"):
            args.append(self.sum())
            while self.take(","):
                if len(args) >= MAX_ARGS:
                    raise ExpressionError(_where(self.text, self.current[2],
                                                 f"more than {MAX_ARGS} arguments"))
                args.append(self.sum())
            self.expect(")")
        self.depth -= 1
        if (arity is not None and len(args) != arity) or not args:
            raise ExpressionError(_where(
                self.text, pos, f"{name}() takes {arity or 'at least 1'} argument(s), "
                f"got {len(args)}"))
        try:
            value = fn(*args)
        except (TypeError, ValueError, ArithmeticError) as err:
            raise ExpressionError(_where(self.text, pos, f"{name}(): {err}")) from None
        return self.checked(value, pos, f"{name}()")

    def bounded(self, factors: list, pos: int) -> None:
        count, degree = 1, 0
        for f in factors:
            terms, power = structure_bounds(f, self.memo)
            count, degree = count * terms, degree + power
            if count > MAX_TERMS:
                raise ExpressionError(_where(self.text, pos, f"the expression would expand to "
                                                             f"more than {MAX_TERMS:,} terms"))
        if degree > MAX_DEGREE:
            raise ExpressionError(_where(self.text, pos, f"the expression has degree {degree} "
                                                         f"in its symbols (at most {MAX_DEGREE})"))

    def checked(self, value, pos: int, what: str):
        return _check_finite(value, self.text, pos, what)


def parse_expression(text: str, symbols: Mapping[str, sympy.Symbol] | None = None, *,
                     declare: bool = False) -> sympy.Expr:
    """Read ``text`` as a SymPy expression over the given symbols, safely.

    ``symbols`` maps the names the text may use to SymPy symbols. With ``declare=True`` an
    unknown name becomes a new positive-integer symbol (as ``sc.symbols`` makes), unless it
    reads as a value (``inf``, ``nan``, ``oo``, ``None``: :func:`symcnn.symbols.reserved_name`);
    otherwise it is an error that lists the declared names.

    >>> import symcnn as sc
    >>> n = sc.symbols("n")
    >>> parse_expression("160*n + 48_320", {"n": n})
    160*n + 48320
    >>> parse_expression("max(2**k, 8) // 2", declare=True)
    floor(Max(8, 2**k)/2)
    >>> parse_expression("__import__('os')")
    Traceback (most recent call last):
    ...
    symcnn.errors.ExpressionError: expression: unexpected character "'" at position 12. Received: "__import__('os')"
    """
    if not isinstance(text, str):
        raise ExpressionError(f"expression: expected text. Received: {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"expression: longer than {MAX_LENGTH:,} characters; write it in a shorter form. "
            f"Received: text of {len(text):,} characters starting {text[:30]!r}")
    table = dict(symbols or {})

    def lookup(name: str, pos: int):
        if name in table:
            return table[name]
        if name in FUNCTIONS:
            raise ExpressionError(_where(text, pos, f"{name!r} is a function; call it as "
                                                    f"{name}(...)"))
        if declare and not name.startswith("__"):
            meaning = reserved_name(name)  # inf, nan, oo, None, True: they read as values
            if meaning is not None:
                raise ExpressionError(_where(text, pos, f"the name {name!r} cannot be a new "
                                                        f"symbol: it is {meaning}"))
            table[name] = size_symbol(name)
            return table[name]
        known = ", ".join(sorted(table)) or "none"
        raise ExpressionError(_where(text, pos, f"unknown name {name!r} (declared symbols: "
                                                f"{known})"))

    try:
        return _Parser(text, lookup).parse()
    except RecursionError:  # pragma: no cover - MAX_DEPTH keeps recursion shallow
        raise ExpressionError(_where(text, 0, "nesting too deep")) from None


def parse_size(value, symbols: Mapping[str, sympy.Symbol] | None = None, *,
               declare: bool = False):
    """A size given as an int or as expression text: a Python ``int`` when it is a number.

    >>> parse_size("3*4"), parse_size(7), parse_size("H + 1", declare=True)
    (12, 7, H + 1)
    """
    if isinstance(value, bool):
        raise ExpressionError(f"expression: expected a number or expression text. "
                              f"Received: {value!r}")
    if isinstance(value, int):
        return value
    expr = parse_expression(value, symbols, declare=declare)
    return int(expr) if expr.is_Integer else expr
