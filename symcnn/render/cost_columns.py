"""Summary columns for costs: ``summary(columns=[..., "macs", "receptive_field"])``.

Keys: ``macs``, ``flops`` (2 per MAC), ``activations`` (output elements over all calls),
``param_bytes`` (float32), ``receptive_field`` (size per spatial axis, ``7x7``), ``jump`` and
``rf_start``. The count columns print their total under the table. A receptive field that is
undefined (positions rearranged) shows ``-``; so does one that cannot be stated (a ``Repeat``
whose field is not computed for its count, and the layers after it), with the reason, the
error ``model.receptive_field`` raises, once under the table.

>>> import symcnn as sc
>>> m = sc.Sequential([sc.Input((32, 32, 3)), sc.Conv2D(8, 3, strides=2), sc.MaxPooling2D(2)],
...                   name="tiny")
>>> m.summary(columns=["layer", "output_shape", "macs", "receptive_field", "jump"])
Model: "tiny"
=========================================================================
Layer (type)                  Output Shape    MACs  Receptive field  Jump
-------------------------------------------------------------------------
conv2d (Conv2D)               (15, 15, 8)   48,600  3x3              2x2
max_pooling2d (MaxPooling2D)  (7, 7, 8)          0  5x5              4x4
=========================================================================
Total params: 224
Trainable params: 224
Non-trainable params: 0
Total MACs: 48,600
"""

from __future__ import annotations

import sympy

from ..errors import CostError
from .exprs import show
from .summary import format_count, register_column

__all__ = ["axes_text"]


def axes_text(values, sep: str = "x") -> str:
    """``7x7`` from per-axis values; ``-`` where a value is undefined (None).

    A closed form is set in parentheses; between them a bare separator (``x``) is set off
    by spaces, and one that carries its spacing (``", "``) stands as given.

    >>> from symcnn import symbols
    >>> axes_text([7, 7]), axes_text(None), axes_text([symbols("H") + 26, 7])
    ('7x7', '-', '(H + 26) x 7')
    >>> axes_text([-1, -1], ", "), axes_text([symbols("H") - 1, -1], ", ")
    ('-1, -1', '(H - 1), -1')
    """
    if values is None or any(v is None for v in values):
        return "-"
    if all(sympy.sympify(v).is_number for v in values):
        return sep.join(show(v) for v in values)
    parts = [show(v) if sympy.sympify(v).is_Atom else f"({show(v)})" for v in values]
    return (f" {sep} " if sep and sep == sep.strip() else sep).join(parts)


def _fields(record):
    """The record's receptive field; None where it is undefined or cannot be stated
    (:func:`_field_note` says why)."""
    try:
        return record.receptive_field
    except CostError:
        return None


def _field(record, attr: str, sep: str = "x") -> str:
    fields = _fields(record)
    if fields is None:
        return "-"
    return axes_text([getattr(f, attr) for f in fields], sep)


def _field_note(model, record) -> str | None:
    """Why the field columns show ``-`` for ``record``: the error its field raises."""
    try:
        record.receptive_field
    except CostError as err:
        return f"Receptive field (-): {err}"
    return None


def _count(key: str, header: str, of_record, of_model) -> None:
    """A count column: its cells and total printed as counts, its values for ``where``."""
    register_column(key, header, lambda model, r: format_count(of_record(r)), numeric=True,
                    total=lambda model: format_count(of_model(model)),
                    value=lambda model, r: of_record(r), total_value=of_model)


_count("macs", "MACs", lambda r: r.macs, lambda m: m.macs)
_count("flops", "FLOPs", lambda r: r.flops, lambda m: m.flops)
_count("activations", "Activations", lambda r: r.activation_elements,
       lambda m: m.activation_elements)
_count("param_bytes", "Param bytes", lambda r: r.param_bytes(), lambda m: m.param_bytes())
register_column("receptive_field", "Receptive field", lambda model, r: _field(r, "size"),
                note=_field_note)
register_column("jump", "Jump", lambda model, r: _field(r, "jump"), note=_field_note)
register_column("rf_start", "RF start", lambda model, r: _field(r, "start", ", "),
                note=_field_note)
