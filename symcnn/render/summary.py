"""The text summary: a table like Keras' ``model.summary()``, with closed forms.

Per-layer facts come from the model's records, totals from the model; this module only
lays them out (the torchinfo split: facts, totals, formatting).
"""

from __future__ import annotations

from typing import Sequence

import sympy

from ..layers.base import format_shape

__all__ = ["render_summary", "format_count", "DEFAULT_COLUMNS"]

DEFAULT_COLUMNS = ("layer", "output_shape", "params")
_HEADERS = {
    "layer": "Layer (type)",
    "output_shape": "Output Shape",
    "params": "Param #",
    "connected_to": "Connected to",
}


def format_count(value) -> str:
    """A count with thousands separators when it is a number, else the closed form.

    >>> format_count(sympy.Integer(1580976)), format_count(sympy.Symbol("n") * 160 + 48320)
    ('1,580,976', '160*n + 48320')
    """
    value = sympy.sympify(value)
    if value.is_Integer:
        return f"{int(value):,}"
    return str(value)


def _cells(model, record, column: str) -> str:
    if column == "layer":
        return f"{record.name} ({record.type})"
    if column == "output_shape":
        return format_shape(record.output_shape)
    if column == "params":
        return format_count(record.params)
    if column == "connected_to":
        return ", ".join(record.inbound)
    raise ValueError(f"unknown summary column {column!r}; choose from {', '.join(_HEADERS)}")


def render_summary(model, columns: Sequence[str] | None = None, width: int | None = None) -> str:
    """Render ``model`` as a text table with totals and constraints.

    ``columns`` picks and orders the columns (``layer``, ``output_shape``, ``params``,
    ``connected_to``); functional models with branches add ``connected_to`` by default.
    """
    from ..model import Sequential

    if columns is None:
        columns = DEFAULT_COLUMNS
        branched = any(len(r.inbound) > 1 or r.calls > 1 for r in model.layers)
        if not isinstance(model, Sequential) and branched:
            columns = (*columns, "connected_to")
    for column in columns:
        if column not in _HEADERS:
            from ..errors import SymcnnError

            raise SymcnnError(f"summary: unknown column {column!r}. "
                              f"Choose from: {', '.join(_HEADERS)}. Received: columns={list(columns)}")
    rows = [[_HEADERS[c] for c in columns]]
    if not isinstance(model, Sequential):
        for name, t in zip(model._input_names, model.inputs):
            cells = {"layer": f"{name} (InputLayer)", "output_shape": format_shape(t.shape),
                     "params": "0", "connected_to": "-"}
            rows.append([cells[c] for c in columns])
    for record in model.layers:
        rows.append([_cells(model, record, c) for c in columns])
    widths = [max(len(r[i]) for r in rows) for i in range(len(columns))]
    numeric = [c == "params" for c in columns]

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
    if model.constraints:
        out.append("Constraints: " + ", ".join(str(c) for c in model.constraints))
    return "\n".join(out)
