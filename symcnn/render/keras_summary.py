"""The text summary, laid out as Keras' ``model.summary()`` lays it out.

Three pieces, as torchinfo keeps them apart: :func:`summary_data` collects the facts (one row
of cells per layer, the totals, the constraints) into a :class:`SummaryData`;
:func:`layout` fits them to a line length, wrapping long cells inside their column (Keras'
``line_length`` and ``positions``); :func:`render_summary` joins the two.
``model.summary(...)`` prints the result through ``print_fn`` and returns None, as Keras does;
``model.summary_text(...)`` returns it and ``model.summary_data(...)`` gives the data.

>>> import symcnn as sc
>>> m = sc.Sequential([sc.Input((32, 32, 3)), sc.Conv2D(8, 3), sc.Flatten(), sc.Dense(10)],
...                   name="tiny")
>>> print(render_summary(m, show_trainable=True))
Model: "tiny"
===================================================
Layer (type)       Output Shape  Param #  Trainable
---------------------------------------------------
conv2d (Conv2D)    (30, 30, 8)       224  Y
flatten (Flatten)  (7200,)             0  -
dense (Dense)      (10,)          72,010  Y
===================================================
Total params: 72,234
Trainable params: 72,234
Non-trainable params: 0
>>> summary_data(m).totals["params"]
72234
"""

from __future__ import annotations

import bisect
import math
import re
import textwrap
from dataclasses import dataclass, field
from typing import Sequence

from ..errors import SymcnnError
from ..layers.core import Input
from ..suggest import did_you_mean
from .exprs import show
from .where import Where, where_block
from .wrapping import display_width as _w, unbreakable_width, wrap_expression
from . import cost_columns  # noqa: F401  (registers the MACs, FLOPs, ... columns it offers)
from .summary import COLUMNS, DEFAULT_COLUMNS, column_notes, format_count

__all__ = ["SummaryData", "summary_data", "layout", "render_summary", "wrap_expression",
           "DEFAULT_LINE_LENGTH"]

#: Widest line of a summary unless ``line_length`` says otherwise (Keras: 88, 108 with
#: "Connected to"; symcnn's closed forms are wider, so both are larger here).
DEFAULT_LINE_LENGTH = {"sequential": 100, "functional": 120}
_GAP = 2
_TOTALS = (("Total params", "params"), ("Trainable params", "trainable_params"),
           ("Non-trainable params", "non_trainable_params"))


@dataclass
class SummaryData:
    """What a summary shows, before layout: ``header``, ``rows`` (lists of cell texts),
    ``numeric`` (right-aligned columns), ``totals`` (stored values by name), ``lines``
    (the text under the table: totals, constraints, a where block), ``notes`` (sentences
    under them: why a cell shows ``-`` for a value that cannot be stated)."""

    name: str
    header: list
    rows: list
    numeric: list
    totals: dict
    lines: list = field(default_factory=list)
    functional: bool = False
    notes: list = field(default_factory=list)


def _is_sequential(model) -> bool:
    return bool(getattr(model, "is_sequential", type(model).__name__ == "Sequential"))


def _nested(record):
    """The model inside a record whose layer is a model, on the record's input shapes."""
    layer = record.layer
    if not hasattr(layer, "_records"):
        return None
    shapes = [tuple(s) for s in record.input_shapes]
    if all(tuple(t.shape) == s for t, s in zip(layer.inputs, shapes)):
        return layer
    return layer._replay([Input(s) for s in shapes], lambda inner: inner)


def _trainable_cell(record) -> str:
    if record.params == 0:
        return "-"
    return "Y" if getattr(record.layer, "trainable", True) else "N"


def _range(names: list, layer_range) -> tuple:
    if layer_range is None:
        return 0, len(names)
    if not (isinstance(layer_range, (list, tuple)) and len(layer_range) == 2
            and all(isinstance(p, str) for p in layer_range)):
        raise SymcnnError("summary: `layer_range` must be two layer names (or patterns), the "
                          f"first and the last to show. Received: layer_range={layer_range!r}")
    try:
        patterns = [re.compile(p) for p in layer_range]
    except re.error as err:
        raise SymcnnError(f"summary: `layer_range` holds a pattern that is not a regular "
                          f"expression ({err}). Received: layer_range={list(layer_range)!r}") \
            from None
    first = [i for i, n in enumerate(names) if patterns[0].fullmatch(n)]
    last = [i for i, n in enumerate(names) if patterns[1].fullmatch(n)]
    if not first or not last or first[0] > last[-1]:
        raise SymcnnError(f"summary: `layer_range` matches no run of layers. Layers: "
                          f"{', '.join(names)}. Received: layer_range={list(layer_range)!r}")
    return first[0], last[-1] + 1


def summary_data(model, columns: Sequence[str] | None = None, expand_nested: bool = False,
                 show_trainable: bool = False, layer_range=None,
                 where: bool | Where = False) -> SummaryData:
    """The cells and totals of ``model``'s summary (see :func:`render_summary`)."""
    functional = not _is_sequential(model)
    if columns is None:
        columns = DEFAULT_COLUMNS
        branched = any(len(r.inbound) > 1 or r.calls > 1 for r in model.layers)
        if functional and branched:
            columns = (*columns, "connected_to")
    if isinstance(columns, str) or not isinstance(columns, (list, tuple)):
        raise SymcnnError(f"summary: `columns` must be a list of column keys, as "
                          f"['layer', 'params']. Received: columns={columns!r}")
    columns = tuple(columns)
    if not columns:
        raise SymcnnError(f"summary: `columns` is empty; choose some of: "
                          f"{', '.join(COLUMNS)}. Received: columns=[]")
    unknown = [c for c in columns if not isinstance(c, str) or c not in COLUMNS]
    if unknown:
        hint = did_you_mean(unknown[0], COLUMNS) if isinstance(unknown[0], str) else ""
        raise SymcnnError(f"summary: unknown column(s) {', '.join(map(repr, unknown))}.{hint} "
                          f"Choose from: {', '.join(COLUMNS)}. Received: columns={list(columns)}")
    twice = [c for i, c in enumerate(columns) if c in columns[:i]]
    if twice:
        raise SymcnnError(f"summary: `columns` names {twice[0]!r} twice. "
                          f"Received: columns={list(columns)!r}")
    records = [r for r in model.layers if r.type != "InputLayer"]
    names = {id(model): where} if isinstance(where, Where) else {}
    if where is True:
        exprs = [d for r in records for s in _shapes(r.output_shape) for d in s]
        exprs += [r.params for r in records] + [model.params]
        for c in columns:  # the count columns' values and totals share the names
            column = COLUMNS.get(c)
            if column is not None and column.value is not None:
                exprs += [column.value(model, r) for r in records]
                exprs.append(column.total_value(model))
        names[id(model)] = where_block(exprs, taken={s.name for s in model.free_symbols},
                                       calls=True)  # c_32: as the LaTeX and HTML tables
    namer = names.get(id(model))
    text = namer.show if namer else show

    def cell(key, owner, record):
        if key == "output_shape" and namer:
            return _shape_text(record.output_shape, text)
        if key == "params" and namer:
            return _count_text(record.params, text)
        if namer and COLUMNS[key].value is not None:
            return _count_text(COLUMNS[key].value(owner, record), text)
        return COLUMNS[key].cell(owner, record)

    rows = []
    inputs = list(zip(model._input_names, model.inputs)) if functional else []
    # the range runs over the rows as listed: a functional model's inputs first, as Keras
    start, stop = _range([n for n, _ in inputs] + [r.name for r in records], layer_range)
    for name, t in inputs[start:stop]:
        cells = {"layer": f"{name} (InputLayer)", "output_shape": _shape_text(t.shape, text),
                 "connected_to": "-"}
        rows.append([cells.get(c, "0" if COLUMNS[c].numeric else "") for c in columns]
                    + (["-"] if show_trainable else []))
    start, stop = max(start - len(inputs), 0), stop - len(inputs)

    shown = []  # (model, record) of each row, for the columns' notes

    def add(owner, record, depth):
        prefix = "   " * depth + "└ " if depth else ""
        shown.append((owner, record))
        cells = [cell(c, owner, record) for c in columns]
        if "layer" in columns:
            cells[columns.index("layer")] = prefix + cells[columns.index("layer")]
        rows.append(cells + ([_trainable_cell(record)] if show_trainable else []))
        inner = _nested(record) if expand_nested else None
        if inner is not None:
            for sub in inner.layers:
                if sub.type != "InputLayer":
                    add(inner, sub, depth + 1)

    for record in records[start:stop]:
        add(model, record, 0)
    totals = {attr: getattr(model, attr) for _, attr in _TOTALS}

    def total_text(value, rows) -> str:  # with names: also as the sum of the rows' names
        if not namer or value.is_Integer:
            return _count_text(value, text)
        return namer.show_sum(value, rows())

    lines = [f"{label}: {total_text(totals[attr], lambda a=attr: [getattr(r, a) for r in records])}"
             for label, attr in _TOTALS]
    for c in columns:
        column = COLUMNS[c]
        if column.total is not None:
            named = namer and column.total_value is not None
            total = total_text(column.total_value(model),
                               lambda: [column.value(model, r) for r in records]) \
                if named else column.total(model)
            lines.append(f"Total {column.header}: {total}")
    if model.constraints:
        lines.append("Constraints: " + ", ".join(show(c) for c in model.constraints))
    if namer:
        lines += [("where " if i == 0 else "      ") + line
                  for i, line in enumerate(namer.lines())]
    header = [COLUMNS[c].header for c in columns] + (["Trainable"] if show_trainable else [])
    numeric = [COLUMNS[c].numeric for c in columns] + ([False] if show_trainable else [])
    return SummaryData(model.display_name, header, rows, numeric, totals, lines, functional,
                       column_notes(columns, shown) + (namer.notes() if namer else []))


def _count_text(value, text) -> str:
    """A count as the summary prints it: grouped digits, or the closed form by ``text``."""
    return format_count(value) if value.is_Integer else text(value)


def _shapes(shape) -> list:
    return shape if isinstance(shape, list) else [shape]


def _shape_text(shape, text) -> str:
    if isinstance(shape, list):
        return "[" + ", ".join(_shape_text(s, text) for s in shape) + "]"
    parts = [text(d) for d in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def _widths(data: SummaryData, line_length: int | None, positions) -> list:
    n = len(data.header)
    if line_length is not None and (not isinstance(line_length, int) or
                                    isinstance(line_length, bool) or line_length < 1):
        raise SymcnnError(f"summary: `line_length` must be a positive integer (characters) or "
                          f"None. Received: line_length={line_length!r}")
    natural = [max(_w(r[i]) for r in [data.header, *data.rows]) for i in range(n)]
    if positions is not None:
        given, positions = positions, \
            list(positions) if isinstance(positions, (list, tuple)) else None
        if positions is None or len(positions) != n or not all(
                isinstance(p, (int, float)) and not isinstance(p, bool) and math.isfinite(p)
                for p in positions) or any(b <= a for a, b in zip([0] + positions, positions)):
            raise SymcnnError(f"summary: `positions` must be {n} increasing column ends "
                              f"(fractions of line_length, or characters). Received: "
                              f"positions={given!r}")
        length = line_length or DEFAULT_LINE_LENGTH["functional" if data.functional
                                                    else "sequential"]
        ends = [round(p * length) if p <= 1 else int(p) for p in positions]
        widths = [b - a - (_GAP if i < n - 1 else 0)
                  for i, (a, b) in enumerate(zip([0] + ends, ends))]
    else:
        limit = line_length or DEFAULT_LINE_LENGTH["functional" if data.functional
                                                   else "sequential"]
        room = limit - _GAP * (n - 1)
        widths = natural if sum(natural) <= room else _fit(
            natural, room, [_longest_word(data, i) for i in range(n)],
            [[_w(r[i]) for r in data.rows] for i in range(n)])
        if line_length is not None and sum(widths) > room:  # asked for: kept, or said so
            raise SymcnnError(
                f"summary: line_length={line_length} is too short for these {n} columns; "
                f"their narrowest layout takes {sum(widths) + _GAP * (n - 1)} characters. "
                f"Received: line_length={line_length!r}")
    if any(w < 4 for w in widths):
        raise SymcnnError(f"summary: the line is too short for {n} columns. Received: "
                          f"line_length={line_length!r}, positions={positions!r}")
    return widths


def _longest_word(data: SummaryData, i: int) -> int:
    """The narrowest a column may get: its longest unbreakable part (at most 30; the layer
    column at most 41, a nested layer's name counted with its hanging prefix)."""
    cells = [r[i] for r in [data.header, *data.rows]]
    if i == 0:  # a nested layer's words hang behind its "   └ " prefix
        return min(max((_hang(c) + _w(w) for c in cells for w in c.split() if w != "└"),
                       default=4), 41)
    return min(max((unbreakable_width(c) for c in cells), default=4), 30)


def _fit(natural: list, room: int, floor_: list, cells: list | None = None) -> list:
    """Column widths within ``room``: natural widths if they fit, else columns shrunk one
    character at a time, none below its longest word (at most 30 characters). Each step
    takes the character where it wraps the fewest cells (``cells``: each column's cell
    lengths), the widest column above its floor on a tie: a column whose few long cells set
    its width gives way before one whose every cell is long (EfficientNet's shapes wrapped
    while its parameter column, long in a few rows only, kept its width)."""
    widths = list(natural)
    lengths = [sorted(c) for c in cells] if cells is not None else None

    def wrapped(k: int) -> int:  # cells longer than the column would be one narrower
        if lengths is None:
            return 0
        return len(lengths[k]) - bisect.bisect_right(lengths[k], widths[k] - 1)

    while sum(widths) > room:
        above = [k for k in range(len(widths)) if widths[k] > floor_[k]]
        if above:
            i = min(above, key=lambda k: (wrapped(k), floor_[k] - widths[k]))
        else:  # every column at its floor: the widest gives way
            i = max(range(len(widths)), key=lambda k: widths[k])
            if widths[i] <= 8:
                break
        widths[i] -= 1
    return widths


def _hang(text: str) -> int:
    nested = re.match(r" *└ ", text)
    return nested.end() if nested else 0


def _wrap(text: str, width: int) -> list:
    """``text`` in lines of ``width``; a nested layer's ``   └ `` prefix hangs: its name and
    type wrap under the name, never back to the column's edge."""
    if _w(text) <= width:  # most cells fit: nothing to wrap
        return [text]
    indent = _hang(text)
    if indent and width - indent >= 8:
        lines = wrap_expression(text[indent:], width - indent) or [""]
        return [text[:indent] + lines[0]] + [" " * indent + line for line in lines[1:]]
    return wrap_expression(text, width) or [""]


def _ljust(text: str, width: int) -> str:
    """``text`` padded to ``width`` columns as a terminal shows it (a CJK character takes
    two, :func:`~symcnn.render.wrapping.display_width`), so that wide names keep the
    columns after them in place."""
    return text + " " * (width - _w(text))


def _rjust(text: str, width: int) -> str:
    return " " * (width - _w(text)) + text


def layout(data: SummaryData, line_length: int | None = None, positions=None) -> str:
    """The summary's text: the table fitted to ``line_length`` (cells wrapped in their
    columns) and the lines under it."""
    widths = _widths(data, line_length, positions)
    total = sum(widths) + _GAP * (len(widths) - 1)
    gap = " " * _GAP

    def lines(cells) -> list:
        if all(_w(c) <= w for c, w in zip(cells, widths)):  # one line, as most rows
            return [gap.join(_rjust(c, w) if num else _ljust(c, w)
                             for c, w, num in zip(cells, widths, data.numeric)).rstrip()]
        wrapped = [_wrap(c, w) for c, w in zip(cells, widths)]
        # a wrapped count is right-aligned as one block, so that its lines keep their
        # indents (each line right-aligned on its own lost the formula's structure)
        wrapped = [[_ljust(line, max(map(_w, w))) for line in w] if num and len(w) > 1 else w
                   for w, num in zip(wrapped, data.numeric)]
        out = []
        for k in range(max(len(w) for w in wrapped)):
            parts = [(w[k] if k < len(w) else "") for w in wrapped]
            out.append(gap.join(
                _rjust(p, width) if num else _ljust(p, width)
                for p, width, num in zip(parts, widths, data.numeric)).rstrip())
        return out

    out = [f'Model: "{data.name}"', "=" * total, *lines(data.header), "-" * total]
    for row in data.rows:
        out += lines(row)
    out.append("=" * total)
    for line in data.lines:
        label, _, value = line.partition(": ")
        if not value or _w(line) <= max(total, 40):
            out.append(line)
            continue
        first, *rest = wrap_expression(value, max(total, 40) - len(label) - 2, indent="")
        out += [f"{label}: {first}"] + [" " * (len(label) + 2) + r for r in rest]
    for note in data.notes:  # sentences: broken between words, the lines after indented
        out += textwrap.wrap(note, max(total, 40), subsequent_indent="  ",
                             break_long_words=False, break_on_hyphens=False)
    return "\n".join(out)


def render_summary(model, columns: Sequence[str] | None = None, line_length: int | None = None,
                   positions=None, expand_nested: bool = False, show_trainable: bool = False,
                   layer_range=None, where: bool = False) -> str:
    """The text of ``model.summary(...)``.

    ``columns`` picks and orders the columns (keys of :data:`symcnn.render.summary.COLUMNS`:
    ``layer``, ``output_shape``, ``params``, ``connected_to``, ``working``, ``macs``, ...);
    functional models with branches add ``connected_to``. As in Keras: ``line_length`` (the
    widest line; default :data:`DEFAULT_LINE_LENGTH`, long cells wrap inside their column),
    ``positions`` (column ends, fractions of the line or characters), ``expand_nested``
    (the layers of nested models, indented), ``show_trainable`` (a Y/N/- column),
    ``layer_range`` (first and last layer name or pattern). ``where=True`` names rounding
    parts that recur (``h_1 = floor((H + 4)/8) - 1``) and every ``make_divisible`` call, as
    the LaTeX and HTML tables name them (``c_32 = make_divisible(32*a, 8)``), and lists
    them under the table.
    """
    data = summary_data(model, columns, expand_nested, show_trainable, layer_range, where)
    return layout(data, line_length, positions)
