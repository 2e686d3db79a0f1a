"""Plain-text printing of derivations, and the summary's ``working`` column.

Text goes through SymPy's string printer: the derivation objects and the unevaluated working
print themselves via ``_sympystr(printer)``. Integers that are values get thousands grouping
(``1,792``) as in the summary; numbers inside the working do not (``3*3*3*64 + 64``).

>>> import symcnn as sc
>>> from symcnn.zoo import textbook
>>> print(textbook.cifar().summary_text(columns=["layer", "working"]).splitlines()[5])
conv2d (Conv2D)                                    3*3*3*64 + 64 = 1,792
"""

from __future__ import annotations

import sympy

from ..derivation.steps import register_printer
from ..layers.base import format_shape
from .exprs import text_printer
from .summary import format_count, register_column

__all__ = ["step_text", "derivation_text", "working_text", "value_text", "chain"]


def value_text(value) -> str:
    """A value as text: integers grouped (``1,580,976``), closed forms as SymPy prints them.

    >>> value_text(sympy.Integer(1580976)), value_text(sympy.Symbol("n") * 160)
    ('1,580,976', '160*n')
    """
    return format_count(value)


def chain(parts) -> list:
    """Drop a part equal to the one before it (``F = 64 = 64`` becomes ``F = 64``).

    ``parts`` are ``(shown, compared)`` pairs; ``compared`` is what equality looks at.

    >>> chain([("F", "F"), ("64", "64"), ("64", "64")])
    ['F', '64']
    """
    out, last = [], None
    for shown, compared in parts:
        if compared != last:
            out.append(shown)
        last = compared
    return out


def _parts(step, printer) -> list:
    parts = []
    if step.formula is not None:
        text = printer._print(step.formula)
        parts.append((text, text))
        working = printer._print(step.working)
        parts.append((working, working))
    parts.append((value_text(step.value), printer._print(step.value)))
    return chain(parts)


def working_text(step, printer=None) -> str:
    """``working = value`` for one step, e.g. ``3*3*3*64 + 64 = 1,792`` (no formula).

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input((32, 32, 3)), sc.Conv2D(64, 3)])
    >>> working_text(m.layers[0].derivation.params)
    '3*3*3*64 + 64 = 1,792'
    """
    printer = printer or text_printer()
    parts = [(value_text(step.value), printer._print(step.value))]
    if step.formula is not None:
        working = printer._print(step.working)
        parts.insert(0, (working, working))
    return " = ".join(chain(parts))


def step_text(step, printer) -> str:
    """``H_out = formula = working = value`` (repeated parts left out)."""
    return f"{step.key} = " + " = ".join(_parts(step, printer))


def derivation_text(derivation, printer) -> str:
    """A layer's derivation as indented lines under a header naming the layer."""
    lines = [f"{derivation.name} ({derivation.type}): input {format_shape(derivation.input_shape)}"
             f", output {format_shape(derivation.output_shape)}"]
    lines += ["  " + step_text(step, printer) for step in derivation.steps]
    lines += [f"  note: {note}" for note in derivation.notes]
    if derivation.assumed:
        lines.append("  assuming " + describe_groups(derivation.assumed)
                     + " (exact under this assumption)")
    return "\n".join(lines)


def describe_groups(groups) -> str:
    """``H and W divisible by 32`` from ``[((H, W), 32)]``.

    >>> H, W = sympy.symbols("H W")
    >>> describe_groups([((H, W), 32)])
    'H and W divisible by 32'
    """
    parts = []
    for syms, divisor in groups:
        names = [sympy.sstr(s) for s in syms]
        joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        parts.append(f"{joined} divisible by {divisor}")
    return "; ".join(parts)


def _working_cell(model, record) -> str:
    return working_text(record.derivation.params)


register_column("working", "Param # (working)", _working_cell)
register_printer("str", step_text, derivation_text)
