"""Reading a student's claims: rows of dicts, or the text of a table (Markdown, CSV, or a
summary as symcnn's or Keras' ``model.summary()`` prints it; :mod:`symcnn.teach.tables`).

Numbers are read as a student writes them: ``1,792``, ``3.33``, ``7/3 + 1``, or a working
ending in its value (``3*3*3*64 + 64 = 1792``). A decimal stands for any number it rounds or
truncates to, so ``3.33`` matches 10/3; every other form is exact.

>>> rows = parse_claims('''
... | Layer (type) | Output Shape | Param # |
... |---|---|---|
... | conv2d (Conv2D) | (None, 7, 3.33, 2) | 36 |
... ''')
>>> rows[0].layer, rows[0].output_shape, rows[0].params
('conv2d', (7, 3.33, 2), 36)
>>> rows[0].output_shape[1].matches(sympy.Rational(10, 3))
True
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any, Mapping

import sympy

from ..errors import SymcnnError, brief, shorten
from ..expr_parser import FUNCTIONS, parse_expression
from ..symbols import reserved_name
from .equality import Verdict, compare
from .tables import (GROUPED, aligned_cells, box_cells, csv_cells, markdown_cells,
                     split_shape, where_definitions)

__all__ = ["ClaimError", "Number", "Unreadable", "Claim", "parse_claims", "parse_number",
           "parse_shape", "split_shape"]


class ClaimError(SymcnnError):
    """A claim (a row of the student's table) cannot be read."""


@dataclass(frozen=True)
class Number:
    """A number as the student wrote it: exact value, tolerance (decimals) and text."""

    value: sympy.Rational
    tolerance: sympy.Rational
    text: str

    def matches(self, value, constraints=()) -> bool:
        """Whether ``value`` is what the student wrote (a decimal: rounded or truncated);
        ``constraints`` are the model's (:meth:`compare`).

        >>> import symcnn as sc
        >>> n = sc.symbols("n")
        >>> parse_number("160.02").matches(160*n)
        False
        >>> parse_number("(-(-n//2))").matches(sympy.ceiling(n/2))
        True
        """
        return self.compare(value, constraints).equal

    def compare(self, value, constraints=()) -> Verdict:
        """The :class:`~symcnn.teach.equality.Verdict` on whether ``value`` is what the
        student wrote. A closed form is compared exactly
        (:func:`~symcnn.teach.identity.identically_zero`: ``-(-H//2)`` is ``ceiling(H/2)``,
        and a wrong form is refuted without ``simplify``), a rounding by a symbol and
        ``Max``/``Min`` under the model's ``constraints`` too
        (:func:`~symcnn.teach.equality.compare`), which may also find the equality only at
        every size tried, and say so; a decimal is a number, so it never matches a closed
        form with symbols.

        >>> import symcnn as sc
        >>> H, s = sc.symbols("H s")
        >>> parse_number("(H + s - 1)//s", symbols={"H": H, "s": s}).compare(
        ...     sympy.ceiling(H/s)).equal
        True
        """
        value = sympy.sympify(value)
        if self.tolerance == 0:
            return compare(value, self.value, constraints)
        gap = value - self.value
        if not gap.is_number:  # 160.02 against 160*n: no size of n makes it a decimal's
            return Verdict(False)
        try:  # rounded: within half a last digit; truncated: below one
            return Verdict(bool(abs(gap) <= self.tolerance / 2 or 0 <= gap < self.tolerance))
        except TypeError:  # a value that is not a real number (nan, zoo): not this one
            return Verdict(False)

    def __repr__(self) -> str:
        return self.text

    __str__ = __repr__


@dataclass(frozen=True)
class Unreadable:
    """An entry that cannot be read as a number or a shape: marked wrong (``unreadable``)
    while the rest of the table is marked, as a teacher marks an illegible answer.

    >>> entry = Unreadable("72**+", "cannot read the claimed parameter count as a number")
    >>> entry.matches(7240), str(entry)
    (False, '72**+')
    """

    text: str
    reason: str

    def matches(self, value, constraints=()) -> bool:
        return False

    def compare(self, value, constraints=()) -> Verdict:
        return Verdict(False)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Claim:
    """One row: the layer (name, index or None for "the next one") and the claimed values."""

    layer: Any
    output_shape: tuple | list | Unreadable | None = None  # a list: one shape per output
    params: Number | Unreadable | None = None
    line: int | None = None
    blank: tuple = ()  # the fields whose cell is there but empty


_DECIMAL = re.compile(r"[+-]?\d*\.\d+")
#: Numbers joined by ``x`` (``3x3x3x8``, ``3 x 3 x 64``): a product, as ``x`` parts a shape.
_TIMES = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?:\s*[xX]\s*\d+(?:\.\d+)?)+(?![\w.])")
#: ``0x10``, ``0b101``, ``0o17``: a Python literal, or 0 times a name; neither is a count.
_PREFIXED = re.compile(r"(?<![\w.])0[xXbBoO]\w+")
#: A name in a closed form (not the exponent of ``5e6``).
_NAME = re.compile(r"(?<![\w.])[A-Za-z_]\w*")
#: A dash for "none": what torchinfo prints in a layer's "Param #" when it has none.
_DASHES = {"-", "--", "\u2013", "\u2014"}


def _python(value):
    """A NumPy scalar as the Python value it holds (``np.float64`` is a float whose text is
    ``np.float64(1792.0)``; ``np.int64`` is no int), a 1-D array as a list, as layers read
    their arguments; anything else as it is.

    >>> import numpy as np
    >>> _python(np.float64(1792)), _python(np.int64(3)), _python(np.array([30, 30, 64]))
    (1792.0, 3, [30, 30, 64])
    """
    if type(value).__module__ != "numpy":
        return value
    ndim = getattr(value, "ndim", None)
    if ndim == 0 and hasattr(value, "item"):
        return value.item()
    if ndim == 1 and hasattr(value, "tolist"):
        return value.tolist()
    return value


def _text(value) -> str:
    """``str(value)``, or :func:`~symcnn.errors.brief` when that fails (an integer beyond
    Python's limit of digits for a conversion to text), size by size in a shape.

    >>> _text((10**5000, 30, 64))
    '(<an integer of 5,001 digits>, 30, 64)'
    """
    try:
        return str(value)
    except ValueError:
        if isinstance(value, (tuple, list)):
            return "(" + ", ".join(_text(v) for v in value) + ")"
        return brief(value)


#: At most this many characters of what a student wrote are quoted in a reason (as a
#: report shows at most this many of an unreadable entry).
QUOTED = 60


def _received(value) -> str:
    """``value`` quoted for a reason, cut to :data:`QUOTED` characters.

    >>> _received("a lot"), len(_received("x" * 300))
    ("'a lot'", 60)
    """
    return shorten(brief(value), QUOTED)


def parse_number(value, what: str = "number", symbols: Mapping | None = None) -> Number:
    """A :class:`Number` from an int, float, Fraction, SymPy number or text.

    ``symbols`` maps names to the model's own symbols (``model.symbols_by_name``): a closed
    form is read with them, so ``27*make_divisible(32*a, 8)`` uses the model's multiplier
    ``a`` (a positive rational), not a new integer symbol that merely prints the same. A
    name the model lacks becomes a positive-integer symbol (``check`` then marks the entry
    unreadable, naming it).

    >>> parse_number("1,792").value, parse_number("7/3 + 1").value, parse_number(3.33).tolerance
    (1792, 10/3, 1/100)
    >>> import symcnn as sc
    >>> a = sc.multiplier("a")
    >>> parse_number("27*make_divisible(32*a, 8)", symbols={"a": a}).value.free_symbols == {a}
    True
    """
    value = _python(value)
    if isinstance(value, Number):
        return value
    if isinstance(value, bool) or value is None:
        raise ClaimError(f"check: a claimed {what} must be a number. Received: {value!r}")
    if isinstance(value, float):
        text = repr(value)
    elif isinstance(value, (int, sympy.Basic)) or type(value).__name__ == "Fraction":
        try:
            text = str(value)
        except ValueError:  # more digits than Python converts to text (4,300)
            raise ClaimError(f"check: a claimed {what} is too long to read. "
                             f"Received: {_received(value)}") from None
        number = sympy.nsimplify(value)
        return Number(_renamed(number, symbols), sympy.Integer(0), text)
    else:
        text = str(value)
    text = _typeset(text.strip().strip("*`$"))
    text = text.replace("\u2212", "-").replace("\u00a0", " ")
    text = text.replace("\u00d7", "*").replace("\u2248", "").replace("~", "").strip()
    if re.search(r"[\w)]\.\Z", text) and not text.endswith(".."):  # 1792. ends a sentence
        text = text[:-1]
    if text in _DASHES:  # torchinfo prints "--" for a layer without parameters
        return Number(sympy.Integer(0), sympy.Integer(0), text)
    if "=" in text:  # a working ending in its value; Markdown's `working` = `value` too
        text = text.rsplit("=", 1)[1].strip().strip("*`$").strip()
    if GROUPED.fullmatch(text):
        text = text.replace(",", "")
    text = text.replace("_", "").replace(" ", "") if re.fullmatch(r"[\d_ ]+", text) else text
    if _PREFIXED.search(text):  # 0x10: a hexadecimal literal, or 0 times a name x10?
        raise ClaimError(f"check: cannot read the claimed {what} as a number: "
                         f"{shorten(_PREFIXED.search(text)[0], 24)!r} is a hexadecimal "
                         f"(binary, octal) literal or 0 times a name; write the number in "
                         f"decimals. "
                         f"Received: {_received(value)}")
    text = _TIMES.sub(lambda m: re.sub(r"\s*[xX]\s*", "*", m[0]), text)  # 3x3x3x8 + 8
    if _DECIMAL.fullmatch(text):
        digits = len(text.split(".")[1])
        return Number(sympy.Rational(text), sympy.Rational(1, 10 ** digits), text)
    code = _as_code(text)
    try:  # a closed form such as 160*n is fine for a model with symbols
        number = parse_expression(code, symbols, declare=True) if text else None
    except SymcnnError:
        number = None
    if number is None:
        raise ClaimError(f"check: cannot read the claimed {what} as a number. "
                         f"Received: {_received(value)}")
    lost = sorted(n for n in set(_NAME.findall(code)) - {s.name for s in number.free_symbols}
                  - set(symbols or ()) if reserved_name(n) is None)  # not floor, inf, ...
    if lost:  # 0n is 0 whatever n is: a name the model lacks, dropped by the value
        raise ClaimError(f"check: cannot read the claimed {what}: "
                         f"{', '.join(shorten(n, 24) for n in lost[:6])} "
                         f"cancel{'s' if len(lost) == 1 else ''} out of it (it reads as "
                         f"{shorten(str(number), QUOTED)}), so it says nothing of the "
                         f"model's sizes; write the value itself. Received: {_received(value)}")
    return Number(sympy.nsimplify(number) if number.is_number else number, sympy.Integer(0),
                  text)


def _renamed(value, symbols: Mapping | None):
    """``value`` with each symbol named as one of ``symbols`` replaced by that symbol (a
    claim written with ``sc.symbols("a")`` for a model whose ``a`` is a multiplier)."""
    if not symbols or not isinstance(value, sympy.Basic):
        return value
    swap = {x: symbols[x.name] for x in value.free_symbols
            if isinstance(x, sympy.Symbol) and x.name in symbols and symbols[x.name] != x}
    return value.xreplace(swap) if swap else value


#: Full-width forms (``１７９２``, ``（３０，３０）``) are the ASCII characters they stand for.
_FULL_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
#: Multiplication dots: middle dot, dot operator, bullet operator (``28·n``, ``3⋅3⋅64``).
_DOTS = {0x00B7: 0x2A, 0x22C5: 0x2A, 0x2219: 0x2A}
_SUPERSCRIPT = str.maketrans("\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079",
                             "0123456789")
_POWER = re.compile("(\u207b?)([\u2070\u00b9\u00b2\u00b3\u2074-\u2079]+)")
#: Ceiling and floor brackets, each with its closing one.
_ROUNDING = {"\u2308": ("\u2309", "ceiling("), "\u230a": ("\u230b", "floor(")}


def _typeset(text: str) -> str:
    """Typeset mathematics as the reader's text, character for character, never guessing:
    full-width forms as ASCII, a multiplication dot as ``*``, superscript digits as a power
    (``n²`` is ``n**2``, ``2⁻¹`` is ``2**(-1)``), and ceiling and floor brackets as
    ``ceiling(...)`` and ``floor(...)`` when every one is closed by its own kind (else the
    text stays as written, and cannot be read).

    >>> _typeset("28·n"), _typeset("9n² + 2⁻¹"), _typeset("１７９２")
    ('28*n', '9n**2 + 2**(-1)', '1792')
    >>> _typeset("2⌈H/2⌉ + n⌊W/2⌋"), _typeset("⌈H/2⌋")
    ('2*ceiling(H/2) + n*floor(W/2)', '⌈H/2⌋')
    """
    text = text.translate(_FULL_WIDTH).translate(_DOTS)
    text = _POWER.sub(lambda m: f"**(-{m[2].translate(_SUPERSCRIPT)})" if m[1] else
                      f"**{m[2].translate(_SUPERSCRIPT)}", text)
    if not any(c in text for c in "\u2308\u2309\u230a\u230b"):
        return text
    out, stack, before = [], [], ""  # before: the last character written but a space
    for c in text:
        if c in _ROUNDING:
            out.append(("*" if before and (before.isalnum() or before in "_)") else "")
                       + _ROUNDING[c][1])
            stack.append(_ROUNDING[c][0])
            before = "("
        elif c in "\u2309\u230b":
            if not stack or stack.pop() != c:
                return text
            out.append(")")
            before = ")"
        else:
            out.append(c)
            before = before if c.isspace() else c
    return "".join(out) if not stack else text


def _as_code(text: str) -> str:
    """A closed form as students write it, in the reader's notation: ``160n`` is ``160*n``,
    ``2(n + 1)`` is ``2*(n + 1)``, ``n^2`` is ``n**2`` (``5e6`` stays a number).

    >>> _as_code("160n + 48,320"), _as_code("9n^2 + 2(n + 1)"), _as_code("5e6")
    ('160*n + 48,320', '9*n**2 + 2*(n + 1)', '5e6')
    >>> _as_code("(3*3*3)(64) + 64")
    '(3*3*3)*(64) + 64'
    """
    text = re.sub(r"\)\s*(?=[\w(])", ")*", text.replace("^", "**"))
    text = re.sub(r"(?<![\w.])(\d+(?:\.\d+)?)\s*(?=[A-Za-z_(])(?![eE][+-]?\d)", r"\1*", text)
    return re.sub(r"(?<![\w.])([A-Za-z_]\w*)(?=\s*\()",
                  lambda m: m[1] if m[1] in FUNCTIONS else m[1] + "*", text)


def parse_shape(value, what: str = "size", symbols: Mapping | None = None) -> tuple:
    """A claimed shape: a tuple/list of numbers or text such as ``(None, 32, 32, 64)``,
    ``32x32x64`` or ``3136``; a leading ``None`` (the batch axis) is dropped. Text is cut
    into sizes by :func:`split_shape`; ``symbols`` are the model's, as for
    :func:`parse_number`.

    >>> parse_shape("(None, 32, 32, 64)"), parse_shape("7 x 3.33 x 2"), parse_shape(3136)
    ((32, 32, 64), (7, 3.33, 2), (3136,))

    The outputs of a layer with several (an LSTM with ``return_state=True``), as Keras'
    and symcnn's summaries print them, are a list of shapes:

    >>> parse_shape("[(None, 16), (None, 16)]"), parse_shape([(16,), [16]])
    ([(16,), (16,)], [(16,), (16,)])

    A bare number grouped in thousands (no brackets, no spaces) is one size, as a reader
    takes it; in brackets, or with spaces after the commas, it is a shape:

    >>> parse_shape("16,384"), parse_shape("(16,384)"), parse_shape("16, 384")
    ((16384,), (16, 384), (16, 384))
    """
    value = _python(value)
    if isinstance(value, str) and GROUPED.fullmatch(value.strip().strip("`$")):
        return (parse_number(value, what),)
    if isinstance(value, str):
        parts = [p for p in split_shape(value.strip().strip("`$")) if p]
    elif isinstance(value, (list, tuple)):
        parts = list(value)
    else:
        parts = [value]
    parts = [_python(p) for p in parts]
    if len(parts) > 1 and all(_is_shape(p) for p in parts):
        return [parse_shape(p, what, symbols) for p in parts]
    parts = [p for p in parts if not (p is None or isinstance(p, str) and
                                      p.strip().lower() == "none")]
    if not parts:
        raise ClaimError(f"check: a claimed output shape has no sizes. "
                         f"Received: {_received(value)}")
    return tuple(parse_number(p, what, symbols) for p in parts)


def _is_shape(part) -> bool:
    """Whether a part of a claimed shape is itself a shape (one output of several): a tuple
    or list, or text wholly in one pair of brackets with a comma inside them (``(16,)``,
    ``(None, 8, 8, 4)``), never a size in brackets (``(H + 1)``)."""
    if isinstance(part, (list, tuple)):
        return True
    if not isinstance(part, str):
        return False
    text = part.strip()
    if len(text) < 2 or (text[0], text[-1]) not in (("(", ")"), ("[", "]")):
        return False
    depth = 0
    for i, c in enumerate(text):
        depth += 1 if c in "([" else -1 if c in ")]" else 0
        if depth == 0 and i < len(text) - 1:
            return False  # (H + 1)//(W + 1): the first bracket closes before the end
        if depth == 1 and c == ",":
            return True
    return False


def _layer_key(value):
    """A row's layer: an int (a position), None (the next layer), or text: a name, which
    :func:`~symcnn.teach.check.check` reads as a position (``3``, ``#3``) only when no
    layer of the model has that name (PyTorch names layers ``0``, ``1``, ``0.0``)."""
    value = _python(value)
    if value is None or isinstance(value, int) and not isinstance(value, bool):
        return value
    text = _text(value).strip().strip("`*")
    name = text.split(" (")[0].strip()
    if name.endswith(("\u2026", "...")):  # Keras cut a long name: the type helps find it
        return text
    return name or None


def _claim(row: dict, line: int | None, symbols: Mapping | None) -> Claim:
    unknown = set(row) - {"layer", "output_shape", "params"}
    if unknown:
        raise ClaimError(f"check: a claim has the keys layer, output_shape and params. "
                         f"Received: {', '.join(sorted(map(str, unknown)))}")
    shape = row.get("output_shape")
    params = row.get("params")
    blank = lambda v: v is None or (isinstance(v, str) and not v.strip())  # noqa: E731
    no_shape = blank(shape) or isinstance(shape, str) and shape.strip() in _DASHES
    return Claim(_layer_key(row.get("layer")),
                 None if no_shape else _entry(parse_shape, shape, "size", symbols),
                 None if blank(params) else _entry(parse_number, params, "parameter count",
                                                   symbols),
                 line, tuple(f for f in ("output_shape", "params") if f in row and blank(row[f])))


def _entry(read, value, *what):
    """``read(value)``, or :class:`Unreadable` with the reason when it cannot be read."""
    if isinstance(value, Unreadable):
        return value
    try:
        return read(value, *what)
    except ClaimError as exc:
        return Unreadable(_text(value).strip(), str(exc).removeprefix("check: "))


_HEADERS = (("layer", ("layer", "name")), ("output_shape", ("output", "shape")),
            ("params", ("param", "weights")))


#: Words that make a header another quantity's ("Input shape", "Kernel Shape" as torchinfo
#: prints them, "Weights per filter", "Param %"): matched as whole words, so "Parameters per
#: layer", "Output shape (per sample)" and "Params (kernel + bias)" are still the fields.
_OTHER = ("input", "inputs", "kernel", "kernels", "filter", "filters")


def _of_other(words: list, at: int) -> bool:
    """Whether a header whose field word is ``words[at]`` is about another quantity: one of
    :data:`_OTHER` before it ("Input shape", "Kernel shape") or after a ``per`` ("Weights
    per filter"), or a share (``%``, "percent": torchinfo's "Param %")."""
    return (any(w in _OTHER for w in words[:at]) or "%" in words or "percent" in words
            or any(a == "per" and b in _OTHER for a, b in zip(words[at:], words[at + 1:])))


def _columns(header: list) -> dict:
    """Each field's column: the header naming it best (``Output shape`` before a bare
    ``Shape``; ``Param #`` before ``Weights``); a header of another quantity (``Input shape``,
    ``Kernel Shape``, ``Weights per filter``; :func:`_of_other`) is never taken.

    >>> _columns(["Layer", "Input shape", "Output shape (per sample)", "Parameters per layer"])
    {'layer': 0, 'output_shape': 2, 'params': 3}
    """
    out, rank = {}, {}
    for i, cell in enumerate(header):
        key = re.sub(r"[^a-z#]", "", str(cell).lower())
        words = re.findall(r"[a-z]+|[#%]", str(cell).lower())
        found = []  # (where its word is, field, rank of the word) for each field named
        for field, names in _HEADERS:
            hits = [n for n, w in enumerate(names) if key.startswith(w) or w in key]
            if hits:
                at = next((j for j, w in enumerate(words) if any(n in w for n in names)),
                          len(words))
                found.append((at, field, hits[0]))
        if not found:
            continue
        at, field, hit = min(found, key=lambda f: f[0])  # "Parameters per layer": params
        if field == "layer" or not _of_other(words, at):
            if field not in out or hit < rank[field]:
                out[field], rank[field] = i, hit
    if "output_shape" not in out and "params" not in out:
        raise ClaimError("check: the table needs an output shape or a parameter column "
                         f"(e.g. 'Output Shape', 'Param #'). Received: header {header}")
    return out


#: A footer line under a summary or table, as symcnn, Keras and torchinfo print them (``Total
#: params: 1,578``, ``**Trainable params**``, ``Non-trainable params``, ``Total MACs``), or a
#: student's ``Total`` row: not a layer's row (unless a layer of the model has the name).
FOOTER = re.compile(r"(?:total|(?:trainable|non-trainable|optimizer) params)(?:[\s:].*)?",
                    re.IGNORECASE | re.DOTALL)


def _table_rows(cells: list, symbols: Mapping | None, layers=frozenset()) -> list:
    header, rows = cells[0][1], cells[1:]
    columns = _columns(header)
    out = []
    for line, row in rows:
        first = str(row[0]).strip().strip("*`").strip() if row else ""  # also **Total params**
        if not any(str(c).strip() for c in row) or \
                FOOTER.fullmatch(first) and _layer_key(first) not in layers:
            continue
        values = {f: row[i] if i < len(row) else None for f, i in columns.items()}
        out.append(_claim(values, line, symbols))
    return out


def _fit_csv(cells: list) -> list:
    """The CSV rows with each too-long row put back together, or its quantities marked
    unreadable when that is ambiguous (a row that kept its layer name first)."""
    width = len(cells[0][1])
    out = [cells[0]]
    for line, row in cells[1:]:
        if len(row) > width:
            fixed = csv_cells(row, width)
            if fixed is None:
                reason = (f"the CSV row on line {line} has {len(row)} cells for {width} "
                          f"columns; put a cell that contains commas in quotes")
                if _columns(cells[0][1]).get("layer", 0) != 0:
                    raise ClaimError(f"check: {reason}. Received: "
                                     f"{shorten(','.join(row), 80)!r}")
                fixed = [row[0], *[Unreadable(shorten(",".join(row[1:]), 80), reason)] *
                         (width - 1)]
            row = fixed
        out.append((line, row))
    return out


def _table_cells(text: str) -> list:
    """The cells of a table's text: a Keras 3 summary box, Markdown, a space-aligned summary
    (symcnn's ``summary()``), else CSV (:mod:`symcnn.teach.tables`)."""
    cells = box_cells(text) or markdown_cells(text) or aligned_cells(text)
    if cells:
        return cells
    reader = csv.reader(io.StringIO(text.strip()), skipinitialspace=True)
    try:
        cells = [(n, row) for n, row in enumerate(reader, 1) if row]
    except csv.Error as err:  # a cell of over 131,072 characters, a NUL byte
        raise ClaimError(f"check: the table text is not a readable CSV table "
                         f"({err}). Received: {text[:60]!r}") from None
    return _fit_csv(cells) if cells else cells


def _with_where(text: str, symbols: Mapping | None) -> Mapping | None:
    """``symbols`` and the names a summary's ``where`` block defines (``h_1 = ceiling(H/2)``),
    read with ``symbols``; a model's own name is never redefined."""
    names = dict(symbols or {})
    for name, definition in where_definitions(text).items():
        if name not in names:
            try:
                names[name] = parse_expression(_as_code(definition), symbols or {}, declare=True)
            except SymcnnError:
                continue  # not a definition after all: the name stays unknown
    return names


def parse_claims(claims, symbols: Mapping | None = None, layers=()) -> list:
    """The list of :class:`Claim` in ``claims``: a list of dicts, or the text of a table
    (Markdown, CSV, or a summary as symcnn's or Keras' ``model.summary()`` prints it).
    ``symbols`` maps names to the model's symbols, so that closed forms are read with them
    (:func:`parse_number`). A table's footer lines (``Total params``, ``Trainable params``,
    ``Non-trainable params``, ``Total <column>``; :data:`FOOTER`) are skipped, unless one
    names a layer in ``layers`` (the model's layer names).

    >>> table = "| layer | params |\\n|---|---|\\n| trainable_head | 330 |\\n| Total params | 330 |"
    >>> [c.layer for c in parse_claims(table)]
    ['trainable_head']
    """
    if isinstance(claims, str):
        cells = _table_cells(claims)
        if len(cells) == 1 and _columns(cells[0][1]):
            return []  # a header and no rows: a blank table, nothing claimed
        if len(cells) < 2:
            raise ClaimError("check: the table text needs a header row and at least one row. "
                             f"Received: {claims[:60]!r}")
        return _table_rows(cells, _with_where(claims, symbols), frozenset(layers))
    if not isinstance(claims, (list, tuple)):
        raise ClaimError("check: `claims` must be a list of rows (dicts) or the text of a "
                         f"table (Markdown, CSV or a summary). Received: "
                         f"{type(claims).__name__}")
    out = []
    for i, row in enumerate(claims):
        if not isinstance(row, dict):
            raise ClaimError(f"check: claim {i} must be a dict with layer, output_shape, "
                             f"params. Received: {brief(row)}")
        out.append(_claim(row, None, symbols))
    return out
