"""GitHub Markdown: the LaTeX table's content as a pipe table, or per-layer derivations.

By default cells are plain text, formulas in code spans (GitHub would read ``3*3*3`` as
emphasis otherwise). ``math=True`` writes ``$...$`` LaTeX instead, which GitHub, Jupyter
and most Markdown viewers typeset; Jupyter's rich display of a model uses it.

>>> from symcnn.zoo import textbook
>>> md = textbook.free_width().to_markdown()
>>> print("\\n".join(md.splitlines()[2:6]))
| Layer | Type | Output shape | Parameters |
|:--|:--|:--|--:|
| `input_layer` | InputLayer | (39, 31, 1) | 0 |
| `conv2d` | Conv2D | (36, 28, 20) | `1*4*4*20` = 320 |
"""

from __future__ import annotations

import re


from ..errors import SymcnnError
from ..layers.base import format_shape
from ..working import Given
from . import latex as _latex
from .context import TABLE_COLUMNS, TOTALS, RenderContext, resolve_columns
from .summary import COLUMNS, column_notes
from .exprs import display_form, latex_printer, show, text_printer
from .latex_long import NOTE_PARTS, expr_latex
from .text import chain, describe_groups, value_text

__all__ = ["model_to_markdown"]


def code_span(text: str) -> str:
    """``text`` as a code span: fenced by one backtick more than its longest run of them,
    padded where it starts or ends with one (CommonMark), so a name with a backtick stays
    one span.

    >>> code_span("conv2d"), code_span("a`b"), code_span("`x")
    ('`conv2d`', '``a`b``', '`` `x ``')
    """
    fence = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    pad = " " if text[:1] == "`" or text[-1:] == "`" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


#: Characters that Markdown (or the HTML it may hold) reads as markup: a text with one of
#: them is set in a code span, where none of them is read.
MARKUP = frozenset("*_`<>&[]\\~")


def prose(text: str) -> str:
    """Text for a paragraph, every character as typed: those Markdown (or HTML) would read
    as markup (:data:`MARKUP`) escaped with a backslash.

    >>> print(prose("o*s - 1 to o*s + 1 in block_1"))
    o\\*s - 1 to o\\*s + 1 in block\\_1
    """
    return "".join("\\" + c if c in MARKUP else c for c in text)


def cell_text(text: str) -> str:
    """Table-safe text: ``|`` escaped; anything with ``*``, ``_`` or another character
    Markdown or HTML would read (:data:`MARKUP`) in a code span, shown as typed.

    >>> cell_text("1,610"), cell_text("160*n"), cell_text("320 <b>x</b>")
    ('1,610', '`160*n`', '`320 <b>x</b>`')
    """
    code = any(c in MARKUP for c in text)
    text = text.replace("|", "\\|")  # a pipe would end the cell, also in a code span
    return code_span(text) if code else text


class _Cells:
    """How one table cell of each kind is written, in text or in math."""

    def __init__(self, ctx: RenderContext, math: bool) -> None:
        self.ctx, self.math = ctx, math
        self.tex, self.text = latex_printer(), text_printer()
        ctx.printer = self.tex

    def shape(self, shape) -> str:
        if self.math:
            return _latex._shape(shape, self.tex)
        return format_shape(shape)

    def value(self, value) -> str:
        if self.math:
            return f"${self.tex._print(Given(value))}$"
        return cell_text(value_text(value))

    def params(self, step, working: bool) -> str:
        if self.math:
            parts = _latex._parts(step, self.tex, formula=False)
            return "$" + " = ".join(parts if working else parts[-1:]) + "$"
        value = self.value(step.value)
        if not working or step.formula is None:
            return value
        parts = chain([(self.text._print(step.working),) * 2,
                       (value_text(step.value), self.text._print(step.value))])
        if len(parts) == 1:  # the working prints as its value does: shown once
            return value
        return f"{code_span(parts[0])} = {value}"

    def note(self, note: str) -> str:
        """A derivation's note, its formula symbols (``C_in*K_h*K_w*M``, ``c_i/G``) in a
        code span or, in math, as the formulas set them (unmarked, GitHub would read
        ``*K_h*`` as emphasis); the rest as written."""
        out, pos = [], 0
        for m in NOTE_PARTS.finditer(note):
            if not m.group("expr"):
                continue
            shown = (f"${expr_latex(m.group('expr'), self.tex)}$" if self.math
                     else code_span(m.group("expr")))
            out += [note[pos:m.start()], shown]
            pos = m.end()
        return "".join(out) + note[pos:]

    def row(self, columns, name, type_name, shape, derivation, record) -> list:
        cells = []
        for key in columns:
            if key == "layer":
                cells.append(code_span(name.replace("|", "\\|")))  # a pipe would end the cell
            elif key == "type":
                cells.append(type_name)
            elif key == "output_shape":
                cells.append(self.shape(shape))
            elif key in ("working", "params"):
                cells.append("0" if derivation is None else
                             self.params(derivation.params, key == "working"))
            else:
                value = self.ctx.other_value(key, record)
                cells.append(cell_text(self.ctx.other_cell(key, record)) if value is None
                             else self.value(value))
        return cells


def _line(cells) -> str:
    return "| " + " | ".join(cells) + " |"


def _assumption(ctx: RenderContext, cells: _Cells) -> str:
    if cells.math:
        return _latex._describe_math(ctx.used, cells.tex)
    return ("Assuming " + describe_groups(ctx.used)
            + " (every value is exact under this assumption).")


def _constraints(ctx: RenderContext, cells: _Cells) -> str:
    if cells.math:
        shown = [f"${cells.tex._print(display_form(c))}$" for c in ctx.model.constraints]
    else:
        shown = [code_span(show(c)) for c in ctx.model.constraints]
    return "Valid for " + ", ".join(shown) + "."


def _table(ctx: RenderContext, cells: _Cells, columns) -> list:

    headers = [TABLE_COLUMNS[k] if k in TABLE_COLUMNS else COLUMNS[k].header for k in columns]
    numeric = [_latex._numeric(k) for k in columns]
    lines = [_line(headers), "|" + "|".join("--:" if r else ":--" for r in numeric) + "|"]
    for name, shape in ctx.inputs:
        lines.append(_line(cells.row(columns, name, "InputLayer", shape, None, None)))
    for d, record in zip(ctx.derivations, ctx.model._records):
        lines.append(_line(cells.row(columns, d.name, d.type, d.output_shape, d, record)))
    at = next((i for i, k in enumerate(columns) if k in ("working", "params")), len(columns) - 1)
    for label, attr in TOTALS:
        row = [""] * len(columns)
        row[0] = f"**{label}**"
        row[at] = cells.value(ctx.totals[attr]) if at else f"**{label}**: " + \
            cells.value(ctx.totals[attr])
        lines.append(_line(row))
    for key, value, text in ctx.other_totals(columns):
        row = [""] * len(columns)
        row[columns.index(key)] = cell_text(text) if value is None else cells.value(value)
        row[0] = row[0] or f"**Total {COLUMNS[key].header}**"
        lines.append(_line(row))
    return lines


def _derivations(ctx: RenderContext, cells: _Cells) -> list:
    lines = []
    for name, shape in ctx.inputs:
        lines += [f"### {code_span(name)} (InputLayer)", "", f"Shape {cells.shape(shape)}.", ""]
    for d in ctx.derivations:
        lines += [f"### {code_span(d.name)} ({d.type})", ""]
        steps = _latex._shown_steps(d)  # no empty "params = 0" block
        if not steps and not d.notes:
            lines += [f"Output {cells.shape(d.output_shape)}, no parameters.", ""]
            continue
        none = ", no parameters" if d.params.value == 0 else ""
        lines += [f"Input {cells.shape(d.input_shape)}, output {cells.shape(d.output_shape)}"
                  f"{none}.", ""]
        if cells.math and steps:
            rows = [_latex.page_step(s, cells.tex) for s in steps]
            lines += ["$$", "\\begin{aligned}", " \\\\\n".join(rows), "\\end{aligned}", "$$"]
        elif steps:
            lines += ["```text", *(cells.text._print(s) for s in steps), "```"]
        notes = [cells.note(n) for n in d.notes]
        if d.assumed and not ctx.used:  # else stated once, under the page
            notes.append("Assuming " + describe_groups(d.assumed) + ".")
        if notes:
            lines += ["", " ".join(notes)]
        lines.append("")
    lines += ["### Totals", ""]
    lines += [f"- {label}: {cells.value(ctx.totals[attr])}" for label, attr in TOTALS]
    return lines


_STYLES = ("table", "derivation")


def model_to_markdown(model, style: str = "table", math: bool = False, assume_divisible=None,
                      columns=None, notation: str = "keras") -> str:
    """Markdown of ``model``: a GitHub table (``style="table"``) or per-layer derivations.

    ``columns``, ``assume_divisible`` and ``notation`` work as in
    :func:`symcnn.render.latex.model_to_latex`; ``math=True`` writes LaTeX in ``$...$``.

    >>> import symcnn as sc
    >>> H = sc.symbols("H")
    >>> m = sc.Sequential([sc.Input((H, H, 3)), sc.MaxPooling2D(2), sc.MaxPooling2D(2)])
    >>> print("\\n".join(model_to_markdown(m, assume_divisible={H: 4}).splitlines()[-2:]))
    Assuming H divisible by 4 (every value is exact under this assumption).
    Valid for `H >= 4`.
    """
    if style not in _STYLES:
        raise SymcnnError(f"to_markdown: `style` must be one of "
                          f"{', '.join(map(repr, _STYLES))}. Received: style={style!r}")
    if style != "table" and columns is not None:
        raise SymcnnError(f"to_markdown: `columns` applies to style='table'. "
                          f"Received: style={style!r}")
    ctx = RenderContext(model, assume_divisible, "to_markdown", notation)
    cells = _Cells(ctx, bool(math))
    lines = [f"**Model {code_span(model.display_name)}**", ""]
    notes = []
    if style == "table":
        columns = resolve_columns(columns, "to_markdown")
        lines += _table(ctx, cells, columns)
        notes = [prose(n) for n in column_notes(columns, [(model, r) for r in model._records])]
    else:
        lines += _derivations(ctx, cells)
    extra = ([_assumption(ctx, cells)] if ctx.used else []) + \
        ([_constraints(ctx, cells)] if model.constraints else [])
    if extra:
        lines += ["", *extra]
    for note in notes:  # a paragraph each
        lines += ["", note]
    return "\n".join(lines).rstrip("\n") + "\n"
