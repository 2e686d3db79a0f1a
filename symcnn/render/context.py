"""What the LaTeX and Markdown renderings of one model share: derivations, totals, the
divisibility assumption actually used, and the choice of table columns.

>>> from symcnn.zoo import textbook
>>> ctx = RenderContext(textbook.free_width(), None, "to_latex")
>>> ctx.totals["params"], ctx.used
(160*n + 48320, [])
>>> resolve_columns(None, "to_latex")
('layer', 'type', 'output_shape', 'working')
"""

from __future__ import annotations

import sympy

from ..assume import AssumeDivisible
from ..derivation import derive
from ..errors import SymcnnError
from . import cost_columns  # noqa: F401  (registers the MACs, FLOPs, ... columns it offers)
from .notation import notate, preset
from .summary import COLUMNS, format_count

__all__ = ["RenderContext", "Derivations", "resolve_columns", "TABLE_COLUMNS", "DEFAULT_TABLE_COLUMNS"]

#: The columns a LaTeX or Markdown table has of its own; any column registered for the
#: summary (:data:`symcnn.render.summary.COLUMNS`) may be added, shown as its text.
TABLE_COLUMNS = {
    "layer": "Layer",
    "type": "Type",
    "output_shape": "Output shape",
    "working": "Parameters",
    "params": "Parameters",
}
DEFAULT_TABLE_COLUMNS = ("layer", "type", "output_shape", "working")

ZERO = sympy.Integer(0)

TOTALS = (("Total params", "params"), ("Trainable params", "trainable_params"),
          ("Non-trainable params", "non_trainable_params"))


def resolve_columns(columns, owner: str) -> tuple:
    """The table's column keys: the default, or ``columns`` checked against the known ones.

    >>> resolve_columns(["layer", "params"], "to_markdown")
    ('layer', 'params')
    >>> resolve_columns(["speed"], "to_markdown")
    Traceback (most recent call last):
    ...
    symcnn.errors.SymcnnError: to_markdown: unknown column(s) 'speed'. Choose from: layer,
    type, output_shape, working, params, ... Received: columns=['speed']
    """
    if columns is None:
        return DEFAULT_TABLE_COLUMNS
    if isinstance(columns, str):
        columns = [columns]
    columns = tuple(columns)
    known = list(TABLE_COLUMNS) + [c for c in COLUMNS if c not in TABLE_COLUMNS]
    unknown = [c for c in columns if c not in known]
    if unknown or not columns:
        raise SymcnnError(f"{owner}: unknown column(s) {', '.join(map(repr, unknown))}. Choose "
                          f"from: {', '.join(known)}. Received: columns={list(columns)}")
    return columns


class Derivations:
    """The layers' derivations (in ``notation``), each built when the iteration reaches it
    and dropped after: a table needs one row at a time, and thousands of derivations kept
    alive at once would make the garbage collector walk the whole model again and again
    (at 2,000 layers, full collections were a third to two thirds of a rendering's time).

    >>> from symcnn.zoo import textbook
    >>> model = textbook.free_width()
    >>> ds = Derivations(model._records, None, "cs231n")
    >>> len(ds), [d.name for d in ds][:2]
    (9, ['conv2d', 'max_pooling2d'])
    """

    def __init__(self, records, assume, notation: str) -> None:
        preset(notation)  # an unknown notation is refused at once, not at the first row
        self.records, self.assume, self.notation = records, assume, notation

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self):
        for r in self.records:
            yield notate(derive(r, self.assume), self.notation)


class RenderContext:
    """Derivations of every layer, totals and input shapes, under ``assume_divisible``.

    ``used`` lists the assumptions (``[(symbols, divisor)]``) that changed at least one
    value; a rendering states them whenever it is not empty. ``derivations`` are in
    ``notation``; without an assumption they are built one by one as a renderer iterates
    over them (:class:`Derivations`), with one all are built first, to know ``used``.
    """

    def __init__(self, model, assume_divisible, owner: str, notation: str = "keras") -> None:
        self.model = model
        self.assume = assume_divisible if isinstance(assume_divisible, AssumeDivisible) else \
            AssumeDivisible(assume_divisible or {}, model.free_symbols, owner)
        self.derivations = Derivations(model._records, self.assume if self.assume else None,
                                       notation)
        used = set()
        if self.assume:
            self.derivations = list(self.derivations)
            used = {s for d in self.derivations for group in d.assumed for s in group[0]}
        self.totals = {}
        for _, attr in TOTALS:
            value, changed = self.assume.apply(getattr(model, attr))
            self.totals[attr] = value
            used |= changed
        self.inputs = []
        for name, t in zip(model._input_names, model.inputs):
            shape = []
            for d in t.shape:
                value, changed = self.assume.apply(d)
                shape.append(value)
                used |= changed
            self.inputs.append((name, tuple(shape)))
        self._used = used  # grows as count columns (MACs, ...) are rewritten too

    @property
    def used(self) -> list:
        """The assumptions (``[(symbols, divisor)]``) that changed a value shown so far: the
        shapes, parameters and totals, and every count column a table has rendered."""
        return self.assume.groups(self._used) if self._used else []

    def _assumed(self, value):
        """``value`` rewritten under the assumption (every column states it, not only the
        shapes and parameters), noting the symbols it used."""
        if not self.assume or value is None:
            return value
        value, changed = self.assume.apply(value)
        self._used |= changed
        return value

    def other_cell(self, key: str, record) -> str:
        """The text of a summary-registered column for ``record`` (``None``: an input row)."""
        column = COLUMNS[key]
        if record is None:
            return "0" if column.numeric else ""
        if self.assume and column.value is not None:  # a count: its value under the assumption
            return format_count(self.other_value(key, record))
        return column.cell(self.model, record)

    def other_value(self, key: str, record):
        """The expression of a count column (MACs, FLOPs, ...) for ``record`` (``None``: an
        input row, 0), for a printer to typeset as it does the parameters; ``None`` for a
        column that is text only. Under ``assume_divisible``, rewritten as the shapes are."""
        column = COLUMNS[key]
        if column.value is None:
            return None
        return ZERO if record is None else self._assumed(column.value(self.model, record))

    def other_totals(self, columns) -> list:
        """``(key, value, text)`` for each chosen summary column that has a total (MACs,
        ...): ``value`` its expression (``None`` for a column that states only text)."""
        out = []
        for key in columns:
            column = None if key in TABLE_COLUMNS else COLUMNS[key]
            if column is None or column.total is None:
                continue
            if column.total_value is None:
                out.append((key, None, column.total(self.model)))
            elif self.assume:
                value = self._assumed(column.total_value(self.model))
                out.append((key, value, format_count(value)))
            else:
                out.append((key, column.total_value(self.model), column.total(self.model)))
        return out
