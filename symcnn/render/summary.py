"""The columns of the text summary: a registry, :data:`COLUMNS`, to which other modules
(costs, derivations) add theirs with :func:`register_column`; and how counts print.

The summary itself (facts, totals, layout as Keras lays it out) is
:mod:`symcnn.render.keras_summary`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy  # noqa: F401  (the doctests use it)

from ..layers.base import format_shape
from ..safe import decimal_text, int_text, to_expr
from .exprs import show

__all__ = ["format_count", "register_column", "column_notes", "COLUMNS", "DEFAULT_COLUMNS",
           "Column"]

DEFAULT_COLUMNS = ("layer", "output_shape", "params")


@dataclass(frozen=True)
class Column:
    """A summary column: its header, how to get a record's cell, and its alignment."""

    header: str
    cell: Callable  # (model, record) -> str
    numeric: bool = False
    total: Callable | None = None  # (model) -> str, printed under the table when selected
    #: for a count column: the record's value and the model's total, as expressions, so
    #: that ``summary(where=True)`` can name their recurring parts as the shapes' are
    value: Callable | None = None  # (model, record) -> Expr
    total_value: Callable | None = None  # (model) -> Expr
    #: for a column whose cell may be ``-`` because its value cannot be stated (a
    #: receptive field not computed): why, one sentence printed under the table, else None
    note: Callable | None = None  # (model, record) -> str | None


#: Every column ``summary(columns=...)`` knows, by key.
COLUMNS: dict = {}


def register_column(key: str, header: str, cell: Callable, numeric: bool = False,
                    total: Callable | None = None, value: Callable | None = None,
                    total_value: Callable | None = None, note: Callable | None = None) -> None:
    """Make a column available to ``summary(columns=[..., key])``.

    ``cell(model, record)`` returns the cell's text for one layer record; ``total(model)``,
    if given, the text of a ``Total <header>: ...`` line printed under the table. A count
    column may also give ``value(model, record)`` and ``total_value(model)``, the
    expressions behind them, which ``where=True`` names parts of. ``note(model, record)``,
    if given, says why a cell shows ``-`` for a value that cannot be stated (None where
    it can): every printer states each such sentence once, under the table.
    """
    COLUMNS[key] = Column(header, cell, numeric, total, value, total_value, note)


def column_notes(columns, rows) -> list:
    """The sentences the chosen ``columns`` state under the table for ``rows``, pairs of
    ``(model, record)``: each once, in the order of the rows.

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input((1, 2)), sc.Repeat(sc.Conv1D(2, 3, strides="s",
    ...                    padding="same"), "L")])
    >>> notes = column_notes(["layer", "receptive_field", "jump"], [(m, r) for r in m.layers])
    >>> len(notes), notes[0].split(": the")[0]
    (1, "Receptive field (-): Repeat layer 'repeat'")
    """
    out = []
    for model, record in rows:
        for key in columns:
            column = COLUMNS.get(key)
            text = None if column is None or column.note is None else column.note(model, record)
            if text is not None and text not in out:
                out.append(text)
    return out


def format_count(value) -> str:
    """A count with thousands separators when it is a number (a budget such as 100000.5 in
    decimals), else the closed form.

    >>> format_count(sympy.Integer(1580976)), format_count(sympy.Symbol("n") * 160 + 48320)
    ('1,580,976', '160*n + 48320')
    >>> format_count(sympy.Rational(200001, 2))
    '100,000.5'
    """
    if not getattr(value, "is_Integer", False):  # a count is an Integer already
        value = to_expr(value, "format_count", "value")
    if value.is_Integer:
        return int_text(value, ",")
    if value.is_Rational:
        return decimal_text(value, ",") or show(value)
    return show(value)


register_column("layer", "Layer (type)", lambda model, r: f"{r.name} ({r.type})")
register_column("output_shape", "Output Shape", lambda model, r: format_shape(r.output_shape))
register_column("params", "Param #", lambda model, r: format_count(r.params), numeric=True)
register_column("connected_to", "Connected to", lambda model, r: ", ".join(r.inbound))
