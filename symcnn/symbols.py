"""Symbols and the coercion of user-given sizes to SymPy expressions.

A size may be given as an ``int``, as a string naming a symbol (which becomes a positive
integer symbol), or as a SymPy expression known to be an integer. Floats, bools and
``None`` are refused with a message that names the argument.

>>> import symcnn as sc
>>> H, W = sc.symbols("H W")
>>> H.is_integer, H.is_positive
(True, True)
>>> sc.symbols("n") is sc.symbols("n") or sc.symbols("n") == sc.symbols("n")
True
"""

from __future__ import annotations

import re
import string
from functools import lru_cache
from typing import Any, Union

import sympy
from sympy.core.assumptions import _assume_defined
from sympy.core.facts import InconsistentAssumptions

from .errors import LayerArgumentError, SymbolError, brief
from .signs import nonnegative_monomial
from .structural import positive_integer_symbol, upper_bound
from .suggest import did_you_mean

#: Largest size symcnn takes, in bits (the same bound as numbers in expression text).
MAX_SIZE_BITS = 4096

__all__ = ["symbols", "size_symbol", "as_size", "as_size_tuple", "SizeLike", "input_sizes",
           "UNKNOWN_AXIS_NAMES", "value_name", "check_symbol_name", "VALUE_NAMES",
           "FUNCTION_NAMES", "reserved_name", "MAX_SYMBOLS", "UnknownSize", "describe_symbol",
           "symbol_clash", "least_integer", "broken_parity"]

#: What users may pass where a size is expected.
SizeLike = Union[int, str, sympy.Expr]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

#: Names that read as infinity or as not-a-number, to SymPy (``sympify("oo")``) and to
#: Python's ``float`` (``inf``, ``nan`` in any case): a symbol so named prints as that
#: value (``make_divisible(16*oo, 8)`` reads as infinite). Other names SymPy knows (``E``,
#: ``I``, ``pi``, ``lambda``) stay plain symbols: symcnn's own reader takes them as names.
VALUE_NAMES = {"oo": "SymPy's infinity", "zoo": "SymPy's complex infinity",
               "nan": "not a number", "inf": "infinity", "infinity": "infinity"}


#: The functions of symcnn's expression language (:data:`symcnn.expr_parser.FUNCTIONS`):
#: the model-file reader and the command line read ``floor`` as the function, so a symbol
#: of that name could be written to a file but never read back.
FUNCTION_NAMES = frozenset({"floor", "ceiling", "ceil", "min", "max", "Min", "Max",
                            "make_divisible", "Mod", "mod"})

#: Python's constants: a symbol ``None`` prints as Python's ``None`` (``Input(("None",))``
#: showed the shape ``(None,)``, Keras' "any size").
PYTHON_CONSTANTS = {"None": "Python's None", "True": "Python's True", "False": "Python's False"}

#: Most symbols one call of :func:`symbols` makes (``"x:10000"``); SymPy's ranges would make
#: a million in 20 s (``"x:1000000"``).
MAX_SYMBOLS = 10_000


def value_name(name: str) -> str | None:
    """What ``name`` reads as when it reads as infinity or not-a-number, else None.

    >>> value_name("oo"), value_name("NaN"), value_name("alpha"), value_name("pi")
    ("SymPy's infinity", 'not a number', None, None)
    """
    if name in VALUE_NAMES:
        return VALUE_NAMES[name]
    lower = name.lower()  # Python's float reads these in any case
    return VALUE_NAMES[lower] if lower in ("nan", "inf", "infinity") else None


def reserved_name(name: str) -> str | None:
    """What ``name`` means when it cannot name a symbol, else None: a value
    (:func:`value_name`: ``inf``, ``nan``, ``oo``), a Python constant (``None``, ``True``,
    ``False``), a function of the expression language (:data:`FUNCTION_NAMES`: ``floor``,
    ``max``, ...), a special name of Python (``__x``) or a name that LaTeX and HTML would
    misprint (``n__2`` as a power, ``_x`` and ``n_`` with an empty subscript: SymPy's printers
    read ``__`` and ``_`` as superscript and subscript; ``n_1`` is :math:`n_{1}`). Every place
    that makes a symbol from a name refuses these: ``sc.symbols``, sizes given as text, model
    files, the command line.
    Other names SymPy knows stay plain symbols (``E``, ``I``, ``pi``, ``lambda``).

    >>> reserved_name("inf"), reserved_name("None"), reserved_name("ceil"), reserved_name("E")
    ('infinity', "Python's None", 'a function of symcnn expressions (ceil(x))', None)
    >>> reserved_name("n__2"), reserved_name("n_1")
    ('printed as a power in LaTeX and HTML (n__2 reads as n squared)', None)
    """
    meaning = value_name(name)
    if meaning is not None:
        return meaning
    if name in PYTHON_CONSTANTS:
        return PYTHON_CONSTANTS[name]
    if name in FUNCTION_NAMES:
        return f"a function of symcnn expressions ({name}(x))"
    if name.startswith("__"):
        return "a special name of Python (it starts with __)"
    if "__" in name:  # SymPy's printers read what follows as a superscript
        return "printed as a power in LaTeX and HTML (n__2 reads as n squared)"
    if name.startswith("_") or name.endswith("_"):  # an underscore opens a subscript
        return "printed with a misplaced subscript in LaTeX and HTML (_x, n_)"
    return None


def check_symbol_name(name: str, arg: str, owner: str, given: Any = None) -> None:
    """Refuse a name that cannot name a symbol (:func:`reserved_name`), naming the argument.

    >>> check_symbol_name("nan", "width", "vgg16")
    Traceback (most recent call last):
    ...
    symcnn.errors.LayerArgumentError: vgg16: `width` must not use the symbol name 'nan', which is not a number; give another name. Received: width='nan'
    """
    meaning = reserved_name(name)
    if meaning is not None:
        raise LayerArgumentError(
            f"{owner}: `{arg}` must not use the symbol name {brief(name)}, which is {meaning}; "
            f"give another name. Received: {arg}={brief(name if given is None else given)}")


def symbols(names: str, **assumptions: Any):
    """Create symbols the way :func:`sympy.symbols` does, as positive integers by default.

    >>> H, W, n = symbols("H W n")
    >>> (H + W).is_integer
    True
    >>> symbols("k")
    k

    Each name is an ASCII identifier (``n``, ``H_in``, ``alpha``: LaTeX shows it as
    :math:`\\alpha`), so that model files, the command line and
    :func:`symcnn.parse_expression` read it back:

    >>> symbols("1x")
    Traceback (most recent call last):
    ...
    symcnn.errors.LayerArgumentError: symbols: '1x' is not a symbol name; a name is ASCII letters, digits and underscores, not starting with a digit (e.g. 'n', 'H_in', 'alpha'). Received: names='1x'

    and not one that reads as a value or a function of those readers
    (:func:`reserved_name`: ``inf``, ``None``, ``floor``, ``max``, ...). SymPy's ranges make
    at most :data:`MAX_SYMBOLS` symbols (``"x:10"`` is ``x0, ..., x9``); keyword arguments
    are SymPy's assumptions, ``seq`` and ``cls`` (a kind of symbol), and an assumption that
    contradicts ``integer=True, positive=True`` is a :class:`~symcnn.errors.SymbolError`:

    >>> symbols("n", real=False)
    Traceback (most recent call last):
    ...
    symcnn.errors.SymbolError: symbols: the assumptions real=False contradict those of a size, integer=True and positive=True, which sc.symbols adds; leave them out, or override those too (e.g. integer=None). Received: real=False
    """
    if not isinstance(names, str):
        raise LayerArgumentError(f"symbols: `names` must be a string such as 'H W n'. "
                                 f"{_received('names', names)}")
    _check_options(assumptions)
    count = _symbol_count(names)
    if count > MAX_SYMBOLS:
        raise SymbolError(f"symbols: {brief(names)} would make {count:,} symbols, more than "
                          f"the {MAX_SYMBOLS:,} one call makes. {_received('names', names)}")
    opts = {"integer": True, "positive": True}
    opts.update(assumptions)
    try:
        made = sympy.symbols(names, **opts)
    except InconsistentAssumptions:
        given = ", ".join(f"{k}={brief(v)}" for k, v in assumptions.items() if k not in ("cls", "seq"))
        raise SymbolError(
            f"symbols: the assumptions {given} contradict those of a size, integer=True and "
            f"positive=True, which sc.symbols adds; leave them out, or override those too "
            f"(e.g. integer=None). Received: {given}") from None
    except ValueError as exc:  # "no symbols given", a bad range such as "x:"
        raise LayerArgumentError(f"symbols: {exc}. {_received('names', names)}") from None
    for symbol in (made,) if isinstance(made, sympy.Symbol) else sympy.flatten(made):
        if not _NAME.match(symbol.name):
            raise LayerArgumentError(
                f"symbols: {brief(symbol.name)} is not a symbol name; a name is ASCII letters, "
                f"digits and underscores, not starting with a digit (e.g. 'n', 'H_in', 'alpha'). "
                f"{_received('names', names)}")
        check_symbol_name(symbol.name, "names", "symbols", names)
        _MADE.add(symbol.name)
    return made


#: The assumptions SymPy knows (``integer``, ``positive``, ``real``, ...).
_ASSUMPTIONS = frozenset(_assume_defined)


def _check_options(options: dict) -> None:
    """Refuse keyword arguments of :func:`symbols` that would not make size symbols: ``cls``
    other than a kind of symbol, unknown assumptions, values other than True, False, None."""
    for key, value in options.items():
        if key == "cls":
            if not (isinstance(value, type) and issubclass(value, sympy.Symbol)):
                raise SymbolError(
                    f"symbols: `cls` must be sympy.Symbol or a subclass of it (a size is a "
                    f"symbol, not a function). Received: "
                    f"cls={value.__name__ if isinstance(value, type) else brief(value)}")
        elif key == "seq":
            if not isinstance(value, bool):
                raise SymbolError(f"symbols: `seq` must be True or False. "
                                  f"{_received('seq', value)}")
        elif key not in _ASSUMPTIONS:
            raise SymbolError(
                f"symbols: unknown assumption {brief(key)} (SymPy's are integer, positive, "
                f"rational, real, ...).{did_you_mean(key, sorted(_ASSUMPTIONS))} "
                f"{_received(key, value)}")
        elif value is not None and not isinstance(value, bool):
            raise SymbolError(f"symbols: the assumption `{key}` must be True, False or None. "
                              f"{_received(key, value)}")


#: SymPy's ranges in symbol names (``sympy.core.symbol._range``): ``x:10``, ``a:d``.
_RANGE = re.compile(r"([0-9]*:[0-9]+|[a-zA-Z]?:[a-zA-Z])")


def _symbol_count(names: str) -> int:
    """How many symbols ``sympy.symbols(names)`` makes, counted without making them
    (SymPy's syntax: names split at commas and spaces, each range multiplying a name).

    >>> _symbol_count("H W"), _symbol_count("x:10"), _symbol_count("x(:3):4 a:c")
    (2, 10, 15)
    """
    total = 0
    for name in re.split(r"[\s,]+", names):
        count = 1
        for part in _RANGE.findall(name):
            start, _, stop = part.partition(":")
            if stop[-1].isdigit():
                if max(len(start), len(stop)) > 4000:  # int() reads at most 4,300 digits
                    return MAX_SYMBOLS + 1
                count *= max(0, int(stop) - int(start or 0))
            else:
                letters = string.ascii_letters
                count *= max(0, letters.index(stop) - letters.index(start or "a") + 1)
            if count > MAX_SYMBOLS:
                return count
        total += count if name else 0
    return total


def multiplier(name: str) -> sympy.Symbol:
    """A width or depth multiplier: a positive rational symbol (``alpha`` in MobileNet).

    Sizes built from it (``make_divisible(32*alpha, 8)``) are integers; ``model.subs``
    takes its values exactly (``"0.75"`` is ``3/4``), and ``sc.solve_budget(..., step=...)``
    solves for it on a grid.

    >>> alpha = multiplier("alpha")
    >>> alpha.is_rational, alpha.is_positive, alpha.is_integer
    (True, True, None)
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise LayerArgumentError(f"multiplier: `name` must be a symbol name such as 'alpha'. "
                                 f"Received: name={brief(name)}")
    check_symbol_name(name, "name", "multiplier")
    _MADE.add(name)
    return sympy.Symbol(name, positive=True, rational=True)


@lru_cache(maxsize=None)
def size_symbol(name: str) -> sympy.Symbol:
    """The positive-integer symbol called ``name`` (what a string size becomes).

    >>> size_symbol("W_in")
    W_in
    """
    _MADE.add(name)
    return sympy.Symbol(name, integer=True, positive=True)


#: The names of the symbols made so far in this session through symcnn (:func:`symbols`,
#: :func:`multiplier`, :func:`size_symbol`: sizes given as text, model files, the command
#: line): an unknown input size takes a name none of them has (:func:`input_sizes`).
_MADE: set = set()


def _received(arg: str, value: Any) -> str:
    return f"Received: {arg}={brief(value)}"


def _bounded(value: int, arg: str, owner: str) -> None:
    if abs(int(value)).bit_length() > MAX_SIZE_BITS:
        raise LayerArgumentError(f"{owner}: `{arg}` is larger than 2**{MAX_SIZE_BITS} (about 1,233 "
                                 f"digits), the largest size symcnn takes. {_received(arg, value)}")


#: Plain ints below this need no bound check (``MAX_SIZE_BITS`` is far larger).
_SMALL = 2**62


def _at_most(value: sympy.Expr, bound: int) -> bool:
    """Whether ``value`` (an integer) is provably at most ``bound`` (0 or -1) for every value
    of its symbols: SymPy's assumptions for a sum of a few terms; for a longer one (a
    polynomial substituted for a size, where SymPy looks for real roots: seconds) its largest
    value read off the terms, each monomial at least 1 (positive-integer symbols) or 0,
    where no term can grow. First of all, an upper bound read off the structure
    (:func:`~symcnn.structural.upper_bound`: ``Min(n, 2) - 2`` is at most 0), which SymPy's
    assumptions do not see."""
    most = upper_bound(value)
    if most is not None and most <= bound:
        return True
    terms = value.as_coefficients_dict()
    if len(terms) <= 4:
        return value.is_positive is False if bound == 0 else bool(value.is_negative)
    largest = 0
    for monomial, coeff in terms.items():
        if not coeff.is_Rational:
            return False
        if monomial == 1:
            largest += coeff
        elif coeff > 0 or not nonnegative_monomial(monomial):
            return False  # a term that grows, or one of unknown sign: not provable here
        elif all(positive_integer_symbol(b) for b in monomial.as_powers_dict()):
            largest += coeff  # a product of positive integers is at least 1
    return largest <= bound


def as_size(value: Any, arg: str, owner: str, minimum: int = 1) -> sympy.Expr:
    """Coerce ``value`` to a SymPy integer expression, checking what can be checked.

    ``owner`` names who asks (e.g. ``"Conv2D"``) and ``arg`` the argument, for the error
    message. Numbers below ``minimum`` are refused. A symbolic value is accepted when SymPy
    knows it is an integer; whether it reaches ``minimum`` is the caller's constraint.

    >>> as_size(3, "filters", "Conv2D")
    3
    >>> as_size("n", "units", "Dense")
    n
    >>> as_size(2.5, "filters", "Conv2D")
    Traceback (most recent call last):
    ...
    symcnn.errors.LayerArgumentError: Conv2D: `filters` must be a positive integer, a symbol name or a positive-integer SymPy expression. Received: filters=2.5
    """
    if type(value) is int and minimum <= value < _SMALL:  # the common case, checked first
        return sympy.Integer(value)
    expected = _expected(arg, owner, minimum)
    if isinstance(value, bool) or value is None:
        raise LayerArgumentError(f"{expected} {_received(arg, value)}")
    if isinstance(value, int):
        if value < minimum:
            raise LayerArgumentError(f"{expected} {_received(arg, value)}")
        _bounded(value, arg, owner)
        return sympy.Integer(value)
    if isinstance(value, str):
        if not _NAME.match(value):
            raise LayerArgumentError(
                f"{expected} A string must be a symbol name such as 'H' or 'n_1'; build "
                f"expressions with SymPy (e.g. 2*n + 1). {_received(arg, value)}"
            )
        check_symbol_name(value, arg, owner)
        return size_symbol(value)
    if isinstance(value, sympy.Basic):
        if not isinstance(value, sympy.Expr) or value.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
            raise LayerArgumentError(f"{expected} {_received(arg, value)}")
        if value.is_Integer:
            if int(value) < minimum:
                raise LayerArgumentError(f"{expected} {_received(arg, value)}")
            _bounded(value, arg, owner)
            return value
        if value.is_integer is not True:
            bad = sorted(
                (s.name for s in value.free_symbols if s.is_integer is not True), key=str
            )
            hint = (
                f" Symbol(s) {', '.join(bad)} lack the integer assumption: create them with "
                f"symcnn.symbols(...) (integer=True, positive=True)."
                if bad
                else " It is not known to be an integer for every value of its symbols."
                + _integer_hint(value)
            )
            raise LayerArgumentError(f"{expected}{hint} {_received(arg, value)}")
        if minimum >= 1 and _at_most(value, 0) or minimum == 0 and _at_most(value, -1):
            names = ", ".join(sorted(s.name for s in value.free_symbols))
            raise LayerArgumentError(f"{expected} It is below {min(minimum, 1)} for every "
                                     f"value of {names}. {_received(arg, value)}")
        return value
    try:  # numpy integers and similar
        import operator

        return as_size(operator.index(value), arg, owner, minimum)
    except TypeError:
        pass
    raise LayerArgumentError(f"{expected} {_received(arg, value)}")


#: Largest denominator whose residues :func:`_integer_hint` tries one by one.
_HINT_RESIDUES = 4096


def _integer_hint(value: sympy.Expr) -> str:
    """How to write a fractional size of one symbol over a new one: ``H/2`` is a size
    where ``H = 2*k`` (then it is ``k``), ``(H + 1)/3`` where ``H = 3*k - 1`` (then it is
    ``k``); or that no value makes it an integer (``(2*H + 1)/4``).

    The size is ``P(H)/d`` for a polynomial ``P`` with integer coefficients; as ``P(d*k +
    r)`` and ``P(r)`` leave the same remainder modulo ``d``, it is an integer for every
    ``k`` exactly when ``d`` divides ``P(r)``, so the residues ``r`` are tried one by one.

    >>> H = sympy.Symbol("H", integer=True, positive=True)
    >>> print(_integer_hint((H + 1)/3).strip())
    To use it, write H over a new symbol: H = 3*k - 1 makes it k.
    >>> print(_integer_hint((2*H + 1)/4).strip())
    It is an integer for no value of H.
    """
    symbols = value.free_symbols
    if len(symbols) != 1:
        return ""
    (symbol,) = symbols
    numerator, denominator = sympy.fraction(sympy.together(value))
    if not denominator.is_Integer or not 1 < denominator <= _HINT_RESIDUES or \
            not numerator.is_polynomial(symbol):
        return ""
    poly = sympy.Poly(numerator, symbol)
    if not poly.domain.is_ZZ:
        return ""
    d = int(denominator)
    fits = [r for r in range(d) if int(poly.eval(r)) % d == 0]
    if not fits:
        return f" It is an integer for no value of {symbol}."
    if len(fits) == d:  # H*(H + 1)/2
        return (f" It is an integer for every value of {symbol}, which SymPy does not see: "
                f"write it as floor({value}), which equals it.")
    # H = d*k - (d - r), k >= 1, reaches every positive H of the residue r (from r itself)
    r = fits[0]
    new = sympy.Symbol("k" if symbol.name != "k" else "m", integer=True, positive=True)
    written = d * new - (d - r) if r else d * new
    size = sympy.expand(value.subs(symbol, written))
    return (f" To use it, write {symbol} over a new symbol: {symbol} = {written} "
            f"makes it {size}.")


def _expected(arg: str, owner: str, minimum: int) -> str:
    kind = "a positive integer" if minimum >= 1 else "a non-negative integer"
    if minimum > 1:
        kind = f"an integer >= {minimum}"
    return (
        f"{owner}: `{arg}` must be {kind}, a symbol name or a "
        f"{'positive' if minimum >= 1 else 'non-negative'}-integer SymPy expression."
    )


def as_size_tuple(value: Any, n: int, arg: str, owner: str, minimum: int = 1) -> tuple:
    """Coerce an int/str/Expr or a length-``n`` sequence of them to an ``n``-tuple.

    >>> as_size_tuple(3, 2, "kernel_size", "Conv2D")
    (3, 3)
    >>> as_size_tuple((5, "k"), 2, "kernel_size", "Conv2D")
    (5, k)
    """
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise LayerArgumentError(
                f"{owner}: `{arg}` must be a single size or a tuple of {n}. "
                f"{_received(arg, value)}"
            )
        return tuple(as_size(v, arg, owner, minimum) for v in value)
    return (as_size(value, arg, owner, minimum),) * n


#: The names of unknown (``None``) input sizes by the shape's rank, channels last: an
#: image ``(None, None, 3)`` gets ``H_k, W_k``, a sequence ``(None, 64)`` gets ``T_k``.
UNKNOWN_AXIS_NAMES = {1: ("N",), 2: ("T", "C"), 3: ("H", "W", "C"), 4: ("D", "H", "W", "C")}

_unknown_inputs = [0]


class UnknownSize(sympy.Symbol):
    """An unknown input size (``None`` in an ``Input`` shape): a positive-integer symbol that
    prints and orders as a plain symbol of its name (``T_1``) but equals no symbol made
    otherwise, so that a user's own ``T_1`` is never silently the same size (a model holding
    both is refused: :func:`symbol_clash`).

    >>> t = UnknownSize("T_1", integer=True, positive=True)
    >>> t, t == size_symbol("T_1"), t.is_integer and t.is_positive
    (T_1, False, True)
    """

    @classmethod
    def class_key(cls):
        return sympy.Symbol.class_key()  # printed terms ordered as a plain symbol's


def input_sizes(shape: Any, batch_shape: Any = None) -> Any:
    """An ``Input`` shape with each ``None`` (Keras' "any size") made a fresh size symbol.

    The ``k``-th input with unknown sizes in a session gets the suffix ``_k``:
    :data:`UNKNOWN_AXIS_NAMES` gives the letter by rank and axis (``H_1``, ``W_1`` for an
    image, ``T_1`` for a sequence, ``S<axis>_k`` beyond rank 4), skipping any ``k`` whose
    names a symbol made so far in the session has (after ``sc.symbols("T_1")`` the first
    unknown length is ``T_2``). Each is an :class:`UnknownSize`: a later symbol of the same
    name is another size, and a model holding both is refused. A leading ``None`` before
    three or more numbers reads as Keras' batch axis and is refused, as is ``batch_shape``.

    >>> shape = input_sizes((None, None, 3))
    >>> [s.name.split("_")[0] for s in shape[:2]], shape[2]
    (['H', 'W'], 3)
    >>> input_sizes((None, 224, 224, 3))
    Traceback (most recent call last):
    ...
    symcnn.errors.LayerArgumentError: Input: `shape` is the shape without the batch axis, and (None, 224, 224, 3) looks like it starts with one. Drop the leading None: shape=(224, 224, 3) (for a volume of unknown depth name it: shape=('D', 224, 224, 3)). Received: shape=(None, 224, 224, 3)
    """
    if batch_shape is not None:
        rest = tuple(batch_shape)[1:] if isinstance(batch_shape, (tuple, list)) else batch_shape
        raise LayerArgumentError(
            "Input: symcnn shapes have no batch axis, so `batch_shape` is not taken; give the "
            f"shape without it: shape={brief(rest)}. {_received('batch_shape', batch_shape)}")
    if not isinstance(shape, (tuple, list)) or not any(s is None for s in shape):
        return shape
    shape = tuple(shape)
    if len(shape) >= 4 and shape[0] is None and all(
            isinstance(s, int) and not isinstance(s, bool) for s in shape[1:]):
        raise LayerArgumentError(
            f"Input: `shape` is the shape without the batch axis, and {brief(shape)} looks like it "
            f"starts with one. Drop the leading None: shape={brief(shape[1:])} (for a volume of "
            f"unknown depth name it: shape={brief(('D', *shape[1:]))}). {_received('shape', shape)}")
    letters = UNKNOWN_AXIS_NAMES.get(len(shape), tuple(f"S{i}" for i in range(len(shape))))
    unknown = [letters[i] for i, s in enumerate(shape) if s is None]
    k = _unknown_inputs[0] + 1
    while any(f"{letter}_{k}" in _MADE for letter in unknown):
        k += 1
    _unknown_inputs[0] = k
    return tuple(UnknownSize(f"{letters[i]}_{k}", integer=True, positive=True) if s is None
                 else s for i, s in enumerate(shape))


def least_integer(symbol: sympy.Symbol) -> int | None:
    """The least integer ``symbol`` may take, from its assumptions: 1 for a positive symbol
    (as ``sc.symbols`` and ``sc.multiplier`` make), 0 for a non-negative one, None when they
    leave it open.

    >>> least_integer(sympy.Symbol("n", positive=True)), least_integer(sympy.Symbol("z"))
    (1, None)
    """
    return 1 if symbol.is_positive else 0 if symbol.is_nonnegative else None


def broken_parity(symbol: sympy.Symbol, value) -> str | None:
    """The parity (``"even"``, ``"odd"``) ``symbol`` is declared with that ``value`` is
    known not to have, else None (no parity declared, or one SymPy cannot tell of ``value``).

    >>> k = sympy.Symbol("k", even=True)
    >>> broken_parity(k, 3), broken_parity(k, 4), broken_parity(k, sympy.Symbol("m") + 1)
    ('even', None, None)
    """
    if isinstance(value, int):
        value = sympy.Integer(value)
    for parity in ("even", "odd"):
        if getattr(symbol, f"is_{parity}") and getattr(value, f"is_{parity}", None) is False:
            return parity
    return None


def describe_symbol(symbol: sympy.Symbol) -> str:
    """What kind of symbol ``symbol`` is, for messages: how it was made, or its assumptions.

    >>> import symcnn as sc
    >>> describe_symbol(sc.symbols("H")), describe_symbol(sympy.Symbol("H", integer=True))
    ('a positive integer (as sc.symbols makes)', 'a symbol with integer=True')
    """
    if isinstance(symbol, UnknownSize):
        return "an unknown input size (None in an Input shape)"
    given = getattr(symbol, "_assumptions_orig", None)
    if given is None:  # pragma: no cover - SymPy before 1.12
        given = symbol.assumptions0
    given = {k: v for k, v in given.items() if k != "commutative" or v is not True}
    if type(symbol) is sympy.Symbol and given == {"integer": True, "positive": True}:
        return "a positive integer (as sc.symbols makes)"
    if type(symbol) is sympy.Symbol and given == {"positive": True, "rational": True}:
        return "a positive rational (as sc.multiplier makes)"
    kind = "symbol" if type(symbol) is sympy.Symbol else f"{type(symbol).__name__}"
    if not given:
        return f"a {kind} without assumptions"
    return f"a {kind} with {', '.join(f'{k}={v}' for k, v in sorted(given.items()))}"


def symbol_clash(groups) -> tuple | None:
    """The first name that two different symbols share in ``groups``, pairs ``(where,
    symbols)`` in the order they are met: ``(first, where_first, second, where_second)``,
    or None. SymPy keeps symbols of one name and different assumptions apart (``H`` from
    ``sc.symbols`` and ``sympy.Symbol("H", integer=True)``), so a formula holding both
    prints ``H*H`` and substituting ``H`` sets only one of them.

    >>> import symcnn as sc
    >>> symbol_clash([("input", {sc.symbols("H")}), ("dense", {sympy.Symbol("H")})])
    (H, 'input', H, 'dense')
    """
    seen: dict = {}
    for where, group in groups:  # ordered by name, then assumptions: the same every run
        for s in sorted(group, key=lambda s: (s.name, sympy.srepr(s))):
            first = seen.setdefault(s.name, (s, where))
            if first[0] != s:
                return first[0], first[1], s, where
    return None
