"""Reading a student's claims: rows of dicts, or the text of a Markdown or CSV table.

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
import itertools
import re
from dataclasses import dataclass
from typing import Any

import sympy

from ..errors import SymcnnError, shorten
from ..expr_parser import parse_expression

__all__ = ["ClaimError", "Number", "Unreadable", "Claim", "parse_claims", "parse_number",
           "parse_shape"]


class ClaimError(SymcnnError):
    """A claim (a row of the student's table) cannot be read."""


@dataclass(frozen=True)
class Number:
    """A number as the student wrote it: exact value, tolerance (decimals) and text."""

    value: sympy.Rational
    tolerance: sympy.Rational
    text: str

    def matches(self, value) -> bool:
        """Whether ``value`` is what the student wrote (a decimal: rounded or truncated)."""
        value = sympy.sympify(value)
        if self.tolerance == 0:
            return bool(sympy.simplify(value - self.value) == 0)
        gap = value - self.value  # rounded: within half a last digit; truncated: below one
        return bool(abs(gap) <= self.tolerance / 2 or 0 <= gap < self.tolerance)

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

    def matches(self, value) -> bool:
        return False

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Claim:
    """One row: the layer (name, index or None for "the next one") and the claimed values."""

    layer: Any
    output_shape: tuple | Unreadable | None = None
    params: Number | Unreadable | None = None
    line: int | None = None


_DECIMAL = re.compile(r"[+-]?\d*\.\d+")
#: A dash for "none": what torchinfo prints in a layer's "Param #" when it has none.
_DASHES = {"-", "--", "\u2013", "\u2014"}
_GROUPED = re.compile(r"\d{1,3}(,\d{3})+(\.\d+)?")


def parse_number(value, what: str = "number") -> Number:
    """A :class:`Number` from an int, float, Fraction, SymPy number or text.

    >>> parse_number("1,792").value, parse_number("7/3 + 1").value, parse_number(3.33).tolerance
    (1792, 10/3, 1/100)
    """
    if isinstance(value, Number):
        return value
    if isinstance(value, bool) or value is None:
        raise ClaimError(f"check: a claimed {what} must be a number. Received: {value!r}")
    if isinstance(value, float):
        text = repr(value)
    elif isinstance(value, (int, sympy.Basic)) or type(value).__name__ == "Fraction":
        return Number(sympy.nsimplify(value), sympy.Integer(0), str(value))
    else:
        text = str(value)
    text = text.strip().strip("*`$").replace("\u2212", "-").replace("\u00a0", " ")
    text = text.replace("\u00d7", "*").replace("\u2248", "").replace("~", "").strip()
    if text in _DASHES:  # torchinfo prints "--" for a layer without parameters
        return Number(sympy.Integer(0), sympy.Integer(0), text)
    if "=" in text:
        text = text.rsplit("=", 1)[1].strip()
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    text = text.replace("_", "").replace(" ", "") if re.fullmatch(r"[\d_ ]+", text) else text
    if _DECIMAL.fullmatch(text):
        digits = len(text.split(".")[1])
        return Number(sympy.Rational(text), sympy.Rational(1, 10 ** digits), text)
    try:  # a closed form such as 160*n is fine for a model with symbols
        number = parse_expression(_as_code(text), declare=True) if text else None
    except SymcnnError:
        number = None
    if number is None:
        raise ClaimError(f"check: cannot read the claimed {what} as a number. "
                         f"Received: {value!r}")
    return Number(sympy.nsimplify(number) if number.is_number else number, sympy.Integer(0),
                  text)


def _as_code(text: str) -> str:
    """A closed form as students write it, in the reader's notation: ``160n`` is ``160*n``,
    ``2(n + 1)`` is ``2*(n + 1)``, ``n^2`` is ``n**2`` (``5e6`` stays a number).

    >>> _as_code("160n + 48,320"), _as_code("9n^2 + 2(n + 1)"), _as_code("5e6")
    ('160*n + 48,320', '9*n**2 + 2*(n + 1)', '5e6')
    >>> _as_code("(3*3*3)(64) + 64")
    '(3*3*3)*(64) + 64'
    """
    text = re.sub(r"\)\s*(?=\()", ")*", text.replace("^", "**"))
    return re.sub(r"(?<![\w.])(\d+(?:\.\d+)?)\s*(?=[A-Za-z_(])(?![eE][+-]?\d)", r"\1*", text)


def parse_shape(value) -> tuple:
    """A claimed shape: a tuple/list of numbers or text such as ``(None, 32, 32, 64)``,
    ``32x32x64`` or ``3136``; a leading ``None`` (the batch axis) is dropped.

    >>> parse_shape("(None, 32, 32, 64)"), parse_shape("7 x 3.33 x 2"), parse_shape(3136)
    ((32, 32, 64), (7, 3.33, 2), (3136,))

    A bare number grouped in thousands (no brackets, no spaces) is one size, as a reader
    takes it; in brackets, or with spaces after the commas, it is a shape:

    >>> parse_shape("16,384"), parse_shape("(16,384)"), parse_shape("16, 384")
    ((16384,), (16, 384), (16, 384))
    """
    if isinstance(value, str) and _GROUPED.fullmatch(value.strip().strip("`$")):
        return (parse_number(value, "size"),)
    if isinstance(value, str):
        text = value.strip().strip("`$").strip("()[] ")
        parts = [p for p in re.split(r"\s*(?:,|\bx\b|\u00d7)\s*", text.replace("x", " x "))
                 if p.strip()]
    elif isinstance(value, (list, tuple)):
        parts = list(value)
    else:
        parts = [value]
    parts = [p for p in parts if not (p is None or str(p).strip().lower() == "none")]
    if not parts:
        raise ClaimError(f"check: a claimed output shape has no sizes. Received: {value!r}")
    return tuple(parse_number(p, "size") for p in parts)


def _layer_key(value):
    if value is None or isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip().strip("`*")
    if re.fullmatch(r"#?\d+", text):
        return int(text.lstrip("#"))
    return text.split(" (")[0].strip() if text else None


def _claim(row: dict, line: int | None) -> Claim:
    unknown = set(row) - {"layer", "output_shape", "params"}
    if unknown:
        raise ClaimError(f"check: a claim has the keys layer, output_shape and params. "
                         f"Received: {', '.join(sorted(map(str, unknown)))}")
    shape = row.get("output_shape")
    params = row.get("params")
    blank = lambda v: v is None or (isinstance(v, str) and not v.strip())  # noqa: E731
    no_shape = blank(shape) or isinstance(shape, str) and shape.strip() in _DASHES
    return Claim(_layer_key(row.get("layer")),
                 None if no_shape else _entry(parse_shape, shape),
                 None if blank(params) else _entry(parse_number, params, "parameter count"),
                 line)


def _entry(read, value, *what):
    """``read(value)``, or :class:`Unreadable` with the reason when it cannot be read."""
    if isinstance(value, Unreadable):
        return value
    try:
        return read(value, *what)
    except ClaimError as exc:
        return Unreadable(str(value).strip(), str(exc).removeprefix("check: "))


_HEADERS = (("layer", ("layer", "name")), ("output_shape", ("output", "shape")),
            ("params", ("param", "weights")))


#: Headers of other columns that mention a field's words ("Input shape", "Kernel shape",
#: "Weights per filter"): never the output shape or the parameter count.
_OTHER = ("input", "kernel", "filter", "per")


def _columns(header: list) -> dict:
    """Each field's column: the header naming it best (``Output shape`` before a bare
    ``Shape``; ``Param #`` before ``Weights``); a header of another quantity (``Input shape``)
    is never taken."""
    out, rank = {}, {}
    for i, cell in enumerate(header):
        key = re.sub(r"[^a-z#]", "", cell.lower())
        for field, words in _HEADERS:
            if field == "layer" or not any(o in key for o in _OTHER):
                hits = [n for n, w in enumerate(words) if key.startswith(w) or w in key]
                if hits and (field not in out or hits[0] < rank[field]):
                    out[field], rank[field] = i, hits[0]
                if hits:
                    break
    if "output_shape" not in out and "params" not in out:
        raise ClaimError("check: the table needs an output shape or a parameter column "
                         f"(e.g. 'Output Shape', 'Param #'). Received: header {header}")
    return out


def _table_rows(cells: list) -> list:
    header, rows = cells[0][1], cells[1:]
    columns = _columns(header)
    out = []
    for line, row in rows:
        first = row[0].strip().strip("*`").lower() if row else ""  # also **Total params**
        if not any(c.strip() for c in row) or first.startswith(("total", "trainable", "non-")):
            continue
        values = {f: row[i] if i < len(row) else None for f, i in columns.items()}
        out.append(_claim(values, line))
    return out


def _markdown(text: str) -> list:
    cells = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line.startswith("|"):
            continue
        parts = [c.strip() for c in line.strip("|").split("|")]
        if all(re.fullmatch(r":?-{2,}:?", c) for c in parts if c):
            continue
        cells.append((number, parts))
    return cells


def _csv_cells(row: list, width: int) -> list | None:
    """A CSV row of more cells than the header (``width``) put back together: cells split
    inside brackets (``(30, 30, 64)`` unquoted) are joined, then thousands groups split at
    their commas (``1,792`` unquoted) when exactly one way gives ``width`` cells; None when
    none or several do.

    >>> _csv_cells(["conv2d", "(30", "30", "64)", "1", "792"], 3)
    ['conv2d', '(30, 30, 64)', '1,792']
    >>> _csv_cells(["dense", "1", "280", "100"], 3) is None  # 1,280 | 100 or 1 | 280,100
    True
    """
    joined: list = []
    for cell in row:
        if joined and _open_brackets(joined[-1]) > 0:
            joined[-1] += ", " + cell.strip()
        else:
            joined.append(cell.strip())
    if len(joined) - width > _MAX_EXTRA_CELLS or width > _MAX_REPAIRED_WIDTH:
        return joined if len(joined) == width else None  # too many ways to try
    fits = list(itertools.islice(_groupings(joined, width), 2))
    return fits[0] if len(fits) == 1 else None


#: A too-long row is put back together only within these bounds (the ways to join grow
#: combinatorially): at most 6 extra cells, at most 12 columns.
_MAX_EXTRA_CELLS = 6
_MAX_REPAIRED_WIDTH = 12


def _open_brackets(text: str) -> int:
    return text.count("(") + text.count("[") - text.count(")") - text.count("]")


def _groupings(cells: list, width: int):
    """Every way of joining runs of ``cells`` into ``width`` cells, each joined run a
    number grouped in thousands."""
    if width == 1:
        whole = ",".join(cells)
        if len(cells) == 1 or _GROUPED.fullmatch(whole):
            yield [whole]
        return
    for take in range(1, len(cells) - width + 2):
        head = ",".join(cells[:take])
        if take == 1 or _GROUPED.fullmatch(head):
            for rest in _groupings(cells[take:], width - 1):
                yield [head, *rest]


def _fit_csv(cells: list) -> list:
    """The CSV rows with each too-long row put back together, or its quantities marked
    unreadable when that is ambiguous (a row that kept its layer name first)."""
    width = len(cells[0][1])
    out = [cells[0]]
    for line, row in cells[1:]:
        if len(row) > width:
            fixed = _csv_cells(row, width)
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


def parse_claims(claims) -> list:
    """The list of :class:`Claim` in ``claims`` (list of dicts, or Markdown / CSV text)."""
    if isinstance(claims, str):
        cells = _markdown(claims)
        if not cells:
            reader = csv.reader(io.StringIO(claims.strip()), skipinitialspace=True)
            try:
                cells = [(n, row) for n, row in enumerate(reader, 1) if row]
            except csv.Error as err:  # a cell of over 131,072 characters, a NUL byte
                raise ClaimError(f"check: the table text is not a readable CSV table "
                                 f"({err}). Received: {claims[:60]!r}") from None
            cells = _fit_csv(cells) if cells else cells
        if len(cells) < 2:
            raise ClaimError("check: the table text needs a header row and at least one row. "
                             f"Received: {claims[:60]!r}")
        return _table_rows(cells)
    if not isinstance(claims, (list, tuple)):
        raise ClaimError("check: `claims` must be a list of rows (dicts) or the text of a "
                         f"Markdown or CSV table. Received: {type(claims).__name__}")
    out = []
    for i, row in enumerate(claims):
        if not isinstance(row, dict):
            raise ClaimError(f"check: claim {i} must be a dict with layer, output_shape, "
                             f"params. Received: {row!r}")
        out.append(_claim(row, None))
    return out
