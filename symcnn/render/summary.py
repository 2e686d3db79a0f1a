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

__all__ = ["format_count", "register_column", "COLUMNS", "DEFAULT_COLUMNS",
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


#: Every column ``summary(columns=...)`` knows, by key.
COLUMNS: dict = {}


def register_column(key: str, header: str, cell: Callable, numeric: bool = False,
                    total: Callable | None = None, value: Callable | None = None,
                    total_value: Callable | None = None) -> None:
    """Make a column available to ``summary(columns=[..., key])``.

    ``cell(model, record)`` returns the cell's text for one layer record; ``total(model)``,
    if given, the text of a ``Total <header>: ...`` line printed under the table. A count
    column may also give ``value(model, record)`` and ``total_value(model)``, the
    expressions behind them, which ``where=True`` names parts of.
    """
    COLUMNS[key] = Column(header, cell, numeric, total, value, total_value)


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
