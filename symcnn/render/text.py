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


def chain(parts, before=None) -> list:
    """The parts of a step shown once: of parts alike one after another (``F = 64 = 64``)
    the last is kept, and a part alike ``before`` (the step's key: d2l's ``c_o = c_o = 8``)
    is left out. Alike means equal as compared, or shown alike (``2*U + 1`` for a working
    and a value that SymPy orders differently, ``1 + 2*U``).

    ``parts`` are ``(shown, compared)`` pairs; ``compared`` is what equality looks at besides
    the part shown (an ungrouped ``1000`` is the value ``1,000``; in LaTeX ``2 \\cdot U``
    is ``2 U``). The one rule of every renderer: text, Markdown, LaTeX and HTML.

    >>> chain([("F", "F"), ("64", "64"), ("64", "64")])
    ['F', '64']
    >>> chain([("2*U + 1", "2*U + 1"), ("2*U + 1", "1 + 2*U")])
    ['2*U + 1']
    >>> chain([("c_o", "c_o"), ("8", "8")], before="c_o")
    ['8']
    """
    out, last, last_shown = [], before, None
    for shown, compared in parts:
        if compared == last or shown == last_shown:
            if out:
                out[-1] = shown
        else:
            out.append(shown)
        last, last_shown = compared, shown
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
    """``H_out = formula = working = value`` (repeated parts left out, a formula that is
    the key itself too: d2l's ``c_o = 8``, never ``c_o = c_o = 8``, as LaTeX sets it).

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input((8, 8, 3)), sc.Dense(4)])
    >>> str(m.layers[0].derivation["N_out"])
    'N_out = U = 4'
    """
    parts = _parts(step, printer)
    return f"{step.key} = " + " = ".join(chain(((p, p) for p in parts), before=step.key)
                                          or parts[-1:])


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
