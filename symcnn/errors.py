"""The errors symcnn raises.

Every error derives from :class:`SymcnnError`. Errors raised while applying a layer carry
the layer's context (index, name, type, input shape) so the message says *where* as well
as *what*, ending with ``Received: argument=value`` in the manner of Keras.

>>> import symcnn as sc
>>> try:
...     sc.Conv2D(-3, 3)
... except sc.LayerArgumentError as err:
...     print(err)
Conv2D: `filters` must be a positive integer, a symbol name or a positive-integer SymPy expression. Received: filters=-3
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "SymcnnError",
    "LayerArgumentError",
    "ShapeError",
    "GraphError",
    "SymbolError",
    "SolveError",
    "SpecError",
    "ExpressionError",
    "UnavailableError",
    "ConversionError",
    "CostError",
    "ArgumentError",
    "OutputError",
]


class SymcnnError(Exception):
    """Base class of every error symcnn raises on purpose."""


class SymbolError(SymcnnError, ValueError):
    """A symbol or size expression is unusable (wrong assumptions, not an integer, ...)."""


class LayerArgumentError(SymcnnError, ValueError):
    """A layer was given an argument it cannot accept."""


class ShapeError(SymcnnError, ValueError):
    """A layer cannot be applied to the shape it receives (wrong rank, too small, ...)."""


class GraphError(SymcnnError, ValueError):
    """A functional graph is malformed (disconnected, duplicate names, ...)."""


class SolveError(SymcnnError, ValueError):
    """A solver request cannot be answered as asked."""


class SpecError(SymcnnError, ValueError):
    """A model file (YAML/JSON spec, Keras config, Python script) cannot be read as a model."""


class ExpressionError(SpecError):
    """Expression text (``"2*w + 1"``) is malformed, unsafe or too large to read."""


class UnavailableError(SymcnnError, RuntimeError):
    """A capability needs an optional dependency (PyYAML, matplotlib, ...) that is missing."""


class ConversionError(SymcnnError, ValueError):
    """A model cannot be converted from or to Keras or PyTorch (unsupported operations, symbols)."""


class ArgumentError(SymcnnError, TypeError):
    """A function or method is called with an argument it does not take (``summary(bogus=1)``)."""


class OutputError(SymcnnError, RuntimeError):
    """An output (a file, standard output) cannot be written: a full disk, a closed pipe, ..."""


def unexpected_arguments(where: str, given: dict, allowed) -> ArgumentError | None:
    """The error for the first of ``given`` not in ``allowed``, or None when all are known.

    >>> print(unexpected_arguments("summary", {"colums": 1}, ["columns", "where"]))
    summary: unexpected argument `colums`; it takes columns, where. Received: colums=1
    """
    unknown = [k for k in given if k not in allowed]
    if not unknown:
        return None
    return ArgumentError(f"{where}: unexpected argument `{unknown[0]}`; it takes "
                         f"{', '.join(allowed)}. Received: {unknown[0]}={brief(given[unknown[0]])}")


class CostError(SymcnnError, ValueError):
    """A cost (MACs, FLOPs, bytes, receptive field) cannot be computed as asked.

    ``substitute``: the names of the symbols whose values would let it be computed (a
    ``Repeat``'s count), when known; the command line names them in its ``--subs`` hint.
    """

    def __init__(self, *args: Any, substitute=()) -> None:
        super().__init__(*args)
        self.substitute = tuple(substitute)


#: How the library's messages say to substitute numbers, in Python and on the command line;
#: the command line says it its own way (``--subs L=...``, :mod:`symcnn.cli.options`).
SUBS_HINT = "(model.subs(...), or --subs on the command line)"


def brief(value: Any) -> str:
    """``repr(value)`` for messages, never failing on huge integers and never very long."""
    if isinstance(value, int) and not isinstance(value, bool) and _too_many_digits(value, 200):
        return f"<an integer of {_digits(value):,} digits>"
    if type(value).__name__ == "Integer" and _too_many_digits(int(value), 200):
        return f"<an integer of {_digits(int(value)):,} digits>"
    try:
        text = repr(value)
    except (ValueError, RecursionError):
        return f"<a {type(value).__name__} too large to show>"
    return shorten(text)


def shorten(text: str, limit: int = 300) -> str:
    """``text`` cut to ``limit`` characters for a message, marked when cut.

    >>> shorten("x" * 10, 8)
    'xxxxx...'
    """
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _too_many_digits(value: int, digits: int) -> bool:
    return abs(value).bit_length() > digits * 3.33


def _digits(value: int) -> int:
    """The number of decimal digits of ``value``, without converting it to text."""
    value = abs(value)
    if value == 0:
        return 1
    guess = int(value.bit_length() * 0.30102999566398120) + 1
    while guess > 1 and 10 ** (guess - 1) > value:
        guess -= 1
    while 10 ** guess <= value:
        guess += 1
    return guess


def describe_layer(type_name: str, name: str | None = None, index: int | None = None) -> str:
    """``Conv2D layer 'conv2d_1' (#3)``: how messages name a layer."""
    text = f"{type_name} layer"
    if name:
        text += f" '{name}'"
    if index is not None:
        text += f" (#{index})"
    return text


def with_context(err: SymcnnError, context: str, *, nested: bool = False) -> SymcnnError:
    """A copy of ``err`` whose message starts with ``context`` (once). With ``nested``, an
    error that already names where it happened (a layer inside a nested model or ``Repeat``)
    is named inside ``context``: ``Functional layer 'stem' (#1) on input shape (6, 6, 8), in
    Conv2D layer 'conv2d_1' (#2) on ...: kernel_size is larger than the input``.

    >>> inner = with_context(ShapeError("too small"), "Conv2D layer 'c' (#2)")
    >>> print(with_context(inner, "Functional layer 'stem' (#1)", nested=True))
    Functional layer 'stem' (#1), in Conv2D layer 'c' (#2): too small
    >>> with_context(inner, "model.yaml") is inner
    True
    """
    message = str(err)
    if getattr(err, "_has_context", False):
        if not nested:
            return err
        new = type(err)(f"{context}, in {message}")
    else:
        new = type(err)(f"{context}: {message}")
    new._has_context = True  # type: ignore[attr-defined]
    return new
