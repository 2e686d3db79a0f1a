"""The text summary: a table like Keras' ``model.summary()``, with closed forms.

Per-layer facts come from the model's records, totals from the model; this module only
lays them out (the torchinfo split: facts, totals, formatting). Columns live in a registry,
:data:`COLUMNS`, so other modules (costs, derivations) add theirs with
:func:`register_column`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import sympy

from ..errors import SymcnnError
from ..layers.base import format_shape
from ..safe import int_text, to_expr
from .exprs import show

__all__ = ["render_summary", "format_count", "register_column", "COLUMNS", "DEFAULT_COLUMNS",
           "Column"]

DEFAULT_COLUMNS = ("layer", "output_shape", "params")


@dataclass(frozen=True)
class Column:
    """A summary column: its header, how to get a record's cell, and its alignment."""

    header: str
    cell: Callable  # (model, record) -> str
    numeric: bool = False
    total: Callable | None = None  # (model) -> str, printed under the table when selected


#: Every column ``summary(columns=...)`` knows, by key.
COLUMNS: dict = {}


def register_column(key: str, header: str, cell: Callable, numeric: bool = False,
                    total: Callable | None = None) -> None:
    """Make a column available to ``summary(columns=[..., key])``.

    ``cell(model, record)`` returns the cell's text for one layer record; ``total(model)``,
    if given, the text of a ``Total <header>: ...`` line printed under the table.
    """
    COLUMNS[key] = Column(header, cell, numeric, total)


def format_count(value) -> str:
    """A count with thousands separators when it is a number, else the closed form.

    >>> format_count(sympy.Integer(1580976)), format_count(sympy.Symbol("n") * 160 + 48320)
    ('1,580,976', '160*n + 48320')
    """
    value = to_expr(value, "format_count", "value")
    if value.is_Integer:
        return int_text(value, ",")
    return show(value)


register_column("layer", "Layer (type)", lambda model, r: f"{r.name} ({r.type})")
register_column("output_shape", "Output Shape", lambda model, r: format_shape(r.output_shape))
register_column("params", "Param #", lambda model, r: format_count(r.params), numeric=True)
register_column("connected_to", "Connected to", lambda model, r: ", ".join(r.inbound))


def render_summary(model, columns: Sequence[str] | None = None) -> str:
    """Render ``model`` as a text table with totals and constraints.

    ``columns`` picks and orders the columns (keys of :data:`COLUMNS`: ``layer``,
    ``output_shape``, ``params``, ``connected_to``, and those other modules register);
    functional models with branches add ``connected_to`` by default.
    """
    if columns is None:
        columns = DEFAULT_COLUMNS
        branched = any(len(r.inbound) > 1 or r.calls > 1 for r in model.layers)
        if not model.is_sequential and branched:
            columns = (*columns, "connected_to")
    columns = tuple(columns)
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown or not columns:
        raise SymcnnError(f"summary: unknown column(s) {', '.join(map(repr, unknown))}. Choose "
                          f"from: {', '.join(COLUMNS)}. Received: columns={list(columns)}")
    rows = [[COLUMNS[c].header for c in columns]]
    if not model.is_sequential:
        for name, t in zip(model._input_names, model.inputs):
            cells = {"layer": f"{name} (InputLayer)", "output_shape": format_shape(t.shape),
                     "connected_to": "-"}
            rows.append([cells.get(c, "0" if COLUMNS[c].numeric else "") for c in columns])
    for record in model.layers:
        rows.append([COLUMNS[c].cell(model, record) for c in columns])
    widths = [max(len(r[i]) for r in rows) for i in range(len(columns))]
    numeric = [COLUMNS[c].numeric for c in columns]

    def line(cells):
        parts = [cell.rjust(w) if num else cell.ljust(w)
                 for cell, w, num in zip(cells, widths, numeric)]
        return "  ".join(parts).rstrip()

    total_width = sum(widths) + 2 * (len(widths) - 1)
    out = [f'Model: "{model.display_name}"', "=" * total_width, line(rows[0]), "-" * total_width]
    out += [line(r) for r in rows[1:]]
    out.append("=" * total_width)
    out.append(f"Total params: {format_count(model.params)}")
    out.append(f"Trainable params: {format_count(model.trainable_params)}")
    out.append(f"Non-trainable params: {format_count(model.non_trainable_params)}")
    out += [f"Total {COLUMNS[c].header}: {COLUMNS[c].total(model)}"
            for c in columns if COLUMNS[c].total is not None]
    if model.constraints:
        out.append("Constraints: " + ", ".join(show(c) for c in model.constraints))
    return "\n".join(out)
