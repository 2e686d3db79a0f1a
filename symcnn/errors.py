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
    """Base class of every error symcnn raises on purpose.

    >>> import symcnn as sc
    >>> try:
    ...     sc.Sequential([sc.Input((4, 4, 3)), sc.Conv2D(8, 5)])
    ... except sc.SymcnnError as err:
    ...     print(type(err).__name__, isinstance(err, ValueError))
    ShapeError True
    """


class SymbolError(SymcnnError, ValueError):
    """A symbol or size expression is unusable (wrong assumptions, not an integer, ...).

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("n",)), sc.Dense(4)])
    >>> m.subs(N=10)
    Traceback (most recent call last):
    ...
    symcnn.errors.SymbolError: Model 'sequential': no symbol named 'N' to substitute. Free symbols: n. Received: N=10
    """


class LayerArgumentError(SymcnnError, ValueError):
    """A layer was given an argument it cannot accept.

    >>> import symcnn as sc
    >>> sc.Dense(0)
    Traceback (most recent call last):
    ...
    symcnn.errors.LayerArgumentError: Dense: `units` must be a positive integer, a symbol name or a positive-integer SymPy expression. Received: units=0
    """


class ShapeError(SymcnnError, ValueError):
    """A layer cannot be applied to the shape it receives (wrong rank, too small, ...).

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input((4, 4, 3)), sc.Conv2D(8, 5)])
    Traceback (most recent call last):
    ...
    symcnn.errors.ShapeError: Conv2D layer 'conv2d' (#0) on input shape (4, 4, 3): kernel_size is larger than the input along spatial axis 0: the window spans 5 but the input has 4. Received: kernel_size=(5, 5), dilation_rate=(1, 1)
    """


class GraphError(SymcnnError, ValueError):
    """A functional graph is malformed (disconnected, duplicate names, ...).

    >>> import symcnn as sc
    >>> x, other = sc.Input((8,)), sc.Input((8,))
    >>> sc.Model(x, sc.Dense(4)(other))
    Traceback (most recent call last):
    ...
    symcnn.errors.GraphError: Model: the outputs depend on an input of shape (8,) that is not among the model's inputs (disconnected graph). Pass it in `inputs`.
    """


class SolveError(SymcnnError, ValueError):
    """A solver request cannot be answered as asked.

    >>> import symcnn as sc
    >>> n = sc.symbols("n")
    >>> sc.solve_budget(160*n + 48320, float("inf"), n)
    Traceback (most recent call last):
    ...
    symcnn.errors.SolveError: solve_budget: `budget` must be finite. Received: budget=inf
    """


class SpecError(SymcnnError, ValueError):
    """A model file (YAML/JSON spec, Keras config, Python script) cannot be read as a model.

    >>> import symcnn as sc
    >>> sc.model_from_spec({"input": [8], "layers": [{"Dense": {"units": 4, "activaton": "relu"}}]})
    Traceback (most recent call last):
    ...
    symcnn.errors.SpecError: model file: layers[0] (Dense): the arguments do not fit Dense: unknown argument `activaton`; did you mean `activation`? Dense takes units, activation, use_bias, lora_rank, name. Received: activaton='relu'
    """


class ExpressionError(SpecError):
    """Expression text (``"2*w + 1"``) is malformed, unsafe or too large to read.

    >>> import symcnn as sc
    >>> sc.parse_expression("2*n +", declare=True)
    Traceback (most recent call last):
    ...
    symcnn.errors.ExpressionError: expression: expected a number, a name or '(', found the end at position 6. Received: '2*n +'
    """


class UnavailableError(SymcnnError, RuntimeError):
    """A capability needs an optional dependency (PyYAML, matplotlib, ...) that is missing.

    >>> import symcnn as sc
    >>> from unittest import mock
    >>> from symcnn.render.latex import compile_pdf
    >>> tex = sc.Sequential([sc.Input((8,)), sc.Dense(4)]).to_latex(standalone=True)
    >>> with mock.patch("shutil.which", return_value=None):  # as if pdflatex were not installed
    ...     compile_pdf(tex, "notes")
    Traceback (most recent call last):
    ...
    symcnn.errors.UnavailableError: compile_pdf: pdflatex is not on PATH; install it with apt-get install texlive-latex-base texlive-latex-recommended
    """


class ConversionError(SymcnnError, ValueError):
    """A model cannot be converted from or to Keras or PyTorch (unsupported operations, symbols).

    >>> import symcnn as sc
    >>> dense = {"class_name": "Dense", "config": {"units": 4}}
    >>> sc.from_keras({"class_name": "Sequential", "config": {"name": "net", "layers": [dense]}})
    Traceback (most recent call last):
    ...
    symcnn.errors.ConversionError: from_keras: model 'net' does not record its input shape (an unbuilt Sequential?); pass input_shape=(...) without the batch axis. Received: input_shape=None
    """


class ArgumentError(SymcnnError, TypeError):
    """A function or method is called with an argument it does not take (``summary(bogus=1)``).

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input((8,)), sc.Dense(4)]).summary(colums=["params"])
    Traceback (most recent call last):
    ...
    symcnn.errors.ArgumentError: summary: unexpected argument `colums`; it takes print_fn, columns, line_length, positions, expand_nested, show_trainable, layer_range, where. Received: colums=['params']
    """


class OutputError(SymcnnError, RuntimeError):
    """An output (a file, standard output) cannot be written: a full disk, a closed pipe, ...

    >>> from symcnn.safe_read import write_bytes
    >>> write_bytes("/no/such/directory/notes.tex", b"")
    Traceback (most recent call last):
    ...
    symcnn.errors.OutputError: cannot write /no/such/directory/notes.tex: No such file or directory. Received: path='/no/such/directory/notes.tex'
    """


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

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input((8,)), sc.Dense(4)]).training_memory(dtype="float33")
    Traceback (most recent call last):
    ...
    symcnn.errors.CostError: dtype must be a name such as 'float32', 'float16', 'bfloat16' or 'int8', a positive number of bytes, or a dtype with `itemsize`. Received: dtype='float33'
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


def printable(text: str) -> str:
    r"""``text`` with its control and other unprintable characters escaped as ``repr``
    writes them (``\x00``, ``\n``, ``\u202e``): a user's text placed in a message outside
    quotes (a location such as ``inputs.x``), which must not garble the terminal or the
    log that prints it, nor break its line.

    >>> print(printable("inputs.x\x00"), printable("inputs.y"))
    inputs.x\x00 inputs.y
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


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
