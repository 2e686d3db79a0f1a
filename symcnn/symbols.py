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
from functools import lru_cache
from typing import Any, Union

import sympy

from .errors import LayerArgumentError, brief

#: Largest size symcnn takes, in bits (the same bound as numbers in expression text).
MAX_SIZE_BITS = 4096

__all__ = ["symbols", "size_symbol", "as_size", "as_size_tuple", "SizeLike", "input_sizes",
           "UNKNOWN_AXIS_NAMES", "value_name", "check_symbol_name", "VALUE_NAMES"]

#: What users may pass where a size is expected.
SizeLike = Union[int, str, sympy.Expr]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

#: Names that read as infinity or as not-a-number, to SymPy (``sympify("oo")``) and to
#: Python's ``float`` (``inf``, ``nan`` in any case): a symbol so named prints as that
#: value (``make_divisible(16*oo, 8)`` reads as infinite). Other names SymPy knows (``E``,
#: ``I``, ``pi``, ``lambda``) stay plain symbols: symcnn's own reader takes them as names.
VALUE_NAMES = {"oo": "SymPy's infinity", "zoo": "SymPy's complex infinity",
               "nan": "not a number", "inf": "infinity", "infinity": "infinity"}


def value_name(name: str) -> str | None:
    """What ``name`` reads as when it reads as infinity or not-a-number, else None.

    >>> value_name("oo"), value_name("NaN"), value_name("alpha"), value_name("pi")
    ("SymPy's infinity", 'not a number', None, None)
    """
    if name in VALUE_NAMES:
        return VALUE_NAMES[name]
    lower = name.lower()  # Python's float reads these in any case
    return VALUE_NAMES[lower] if lower in ("nan", "inf", "infinity") else None


def check_symbol_name(name: str, arg: str, owner: str, given: Any = None) -> None:
    """Refuse a symbol name that reads as a value (:func:`value_name`), naming the argument.

    >>> check_symbol_name("nan", "width", "vgg16")
    Traceback (most recent call last):
    ...
    symcnn.errors.LayerArgumentError: vgg16: `width` must not use the symbol name 'nan', which is not a number; give another name. Received: width='nan'
    """
    meaning = value_name(name)
    if meaning is not None:
        raise LayerArgumentError(
            f"{owner}: `{arg}` must not use the symbol name {name!r}, which is {meaning}; "
            f"give another name. Received: {arg}={name if given is None else given!r}")


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
    symcnn.errors.LayerArgumentError: symbols: '1x' is not a symbol name; a name is letters, digits and underscores, not starting with a digit (e.g. 'n', 'H_in', 'alpha'). Received: names='1x'
    """
    if not isinstance(names, str):
        raise LayerArgumentError(f"symbols: `names` must be a string such as 'H W n'. "
                                 f"{_received('names', names)}")
    opts = {"integer": True, "positive": True}
    opts.update(assumptions)
    try:
        made = sympy.symbols(names, **opts)
    except ValueError as exc:  # "no symbols given", a bad range such as "x:"
        raise LayerArgumentError(f"symbols: {exc}. {_received('names', names)}") from None
    for symbol in (made,) if isinstance(made, sympy.Symbol) else sympy.flatten(made):
        if not _NAME.match(symbol.name):
            raise LayerArgumentError(
                f"symbols: {symbol.name!r} is not a symbol name; a name is letters, digits "
                f"and underscores, not starting with a digit (e.g. 'n', 'H_in', 'alpha'). "
                f"{_received('names', names)}")
        check_symbol_name(symbol.name, "names", "symbols", names)
    return made


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
                                 f"Received: name={name!r}")
    check_symbol_name(name, "name", "multiplier")
    return sympy.Symbol(name, positive=True, rational=True)


@lru_cache(maxsize=None)
def size_symbol(name: str) -> sympy.Symbol:
    """The positive-integer symbol called ``name`` (what a string size becomes).

    >>> size_symbol("W_in")
    W_in
    """
    return sympy.Symbol(name, integer=True, positive=True)


def _received(arg: str, value: Any) -> str:
    return f"Received: {arg}={brief(value)}"


def _bounded(value: int, arg: str, owner: str) -> None:
    if abs(int(value)).bit_length() > MAX_SIZE_BITS:
        raise LayerArgumentError(f"{owner}: `{arg}` is larger than 2**{MAX_SIZE_BITS} (about 1,233 "
                                 f"digits), the largest size symcnn takes. {_received(arg, value)}")


#: Plain ints below this need no bound check (``MAX_SIZE_BITS`` is far larger).
_SMALL = 2**62


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
            )
            raise LayerArgumentError(f"{expected}{hint} {_received(arg, value)}")
        if minimum >= 1 and value.is_positive is False or minimum == 0 and value.is_negative:
            raise LayerArgumentError(f"{expected} {_received(arg, value)}")
        return value
    try:  # numpy integers and similar
        import operator

        return as_size(operator.index(value), arg, owner, minimum)
    except TypeError:
        pass
    raise LayerArgumentError(f"{expected} {_received(arg, value)}")


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


def input_sizes(shape: Any, batch_shape: Any = None) -> Any:
    """An ``Input`` shape with each ``None`` (Keras' "any size") made a fresh size symbol.

    The ``k``-th input with unknown sizes in a session gets the suffix ``_k``:
    :data:`UNKNOWN_AXIS_NAMES` gives the letter by rank and axis (``H_1``, ``W_1`` for an
    image, ``T_1`` for a sequence, ``S<axis>_k`` beyond rank 4). A leading ``None`` before
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
            f"shape without it: shape={rest!r}. {_received('batch_shape', batch_shape)}")
    if not isinstance(shape, (tuple, list)) or not any(s is None for s in shape):
        return shape
    shape = tuple(shape)
    if len(shape) >= 4 and shape[0] is None and all(
            isinstance(s, int) and not isinstance(s, bool) for s in shape[1:]):
        raise LayerArgumentError(
            f"Input: `shape` is the shape without the batch axis, and {shape!r} looks like it "
            f"starts with one. Drop the leading None: shape={shape[1:]!r} (for a volume of "
            f"unknown depth name it: shape={('D', *shape[1:])!r}). {_received('shape', shape)}")
    _unknown_inputs[0] += 1
    k = _unknown_inputs[0]
    letters = UNKNOWN_AXIS_NAMES.get(len(shape), tuple(f"S{i}" for i in range(len(shape))))
    return tuple(size_symbol(f"{letters[i]}_{k}") if s is None else s for i, s in enumerate(shape))
