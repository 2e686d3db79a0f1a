"""LaTeX for lecture notes and theses: a booktabs table or per-layer derivations.

Everything mathematical goes through SymPy's LaTeX printer: the derivation objects and the
unevaluated working print themselves via ``_latex(printer)`` and call ``printer._print``
for their parts. Numbers get thousands grouping (``1{,}580{,}976``), symbols print as the
user named them, a word subscript upright (``W_in`` as ``W_{\\mathrm{in}}``, ``K_h`` as
``K_{h}``), floors and ceilings as
``\\left\\lfloor ... \\right\\rfloor``.

>>> from symcnn.zoo import textbook
>>> tex = textbook.free_width().to_latex()
>>> print(tex.splitlines()[5])
\\texttt{conv2d} & Conv2D & $(36, 28, 20)$ & $1 \\cdot 4 \\cdot 4 \\cdot 20 = 320$ \\\\
>>> "160 n + 48{,}320" in tex
True
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ..errors import SymcnnError, UnavailableError, brief
from ..working import Given
from .context import TABLE_COLUMNS, TOTALS, RenderContext, resolve_columns
from .exprs import display_form, latex_printer
from .where import call_names
from .latex_long import (CODE_POINT_NOTE, LONGTABLE_PREAMBLE, TIMES_BREAK, TIMES_PENALTY,
                         break_name, break_type, breakable, escape, escape_code, longtable,
                         plain, text_math, typeset_note, unnest_fractions)
from .latex_steps import (_describe_math, _describeplain, _parts, _shape, _shown_steps,
                          _sum_rows, derivation_latex, is_trivial, page_step, step_latex)
from .summary import COLUMNS, column_notes

__all__ = ["model_to_latex", "compile_pdf", "step_latex", "derivation_latex", "escape",
           "PREAMBLE", "FONTS", "page_step", "model_array", "is_trivial", "check_caption",
           "MAKE_DIVISIBLE_RULE", "KEEP_SPACES"]

#: The packages a document needs for symcnn's LaTeX (``standalone=True`` includes them):
#: ``longtable`` and ``array`` for ``long=True`` tables, which break across pages.
PREAMBLE = "\\usepackage{amsmath}\n\\usepackage{booktabs}\n" + LONGTABLE_PREAMBLE

#: The fonts of symcnn's standalone documents: T1-encoded Latin Modern when it is installed
#: (TeX Live's ``lmodern``), so that ``<``, ``_`` and ``'`` print as typed and text copied
#: out of the PDF (a layer's name, ``padding='same'``) reads back as typed; TeX's default
#: fonts otherwise, which OT1 encodes (``<`` prints as an inverted exclamation mark).
FONTS = r"\IfFileExists{lmodern.sty}{\usepackage[T1]{fontenc}\usepackage{lmodern}}{}"


def _row_cells(ctx, columns, name, type_name, shape, derivation, record,
               long: bool = False, math: bool = False) -> list:
    r"""One row's cells; with ``math``, its text cells as math (``$...$``) that MathJax shows
    as pdflatex does: MathJax shows a text-mode escape such as ``\_`` as it is."""
    p = ctx.printer
    cells = []
    for key in columns:
        if key == "layer" and math:
            cells.append("$" + text_math(name).replace(r"\text{", r"\texttt{") + "$")
        elif key == "layer":
            code = escape_code(name)
            cells.append(rf"\texttt{{{break_name(code) if long else code}}}")
        elif key == "type" and math:
            cells.append("$" + text_math(type_name) + "$")
        elif key == "type":
            cells.append(break_type(escape(type_name)) if long else escape(type_name))
        elif key == "output_shape":
            cells.append(_shape(shape, p, long))
        elif key in ("working", "params"):
            if derivation is None:
                cells.append("$0$")
            else:
                parts = _parts(derivation.params, p, formula=False)
                math = " = ".join(parts if key == "working" else parts[-1:])
                cells.append("$" + (breakable(math) if long else math) + "$")
        else:
            value = ctx.other_value(key, record)
            text = ctx.other_cell(key, record)
            cells.append(("$" + text_math(text) + "$" if math else escape(text))
                         if value is None else _math(value, p, long))
    return cells


def _math(value, printer, long: bool) -> str:
    """A count typeset as math; in a long table, breakable between factors."""
    math = printer._print(Given(value))
    return "$" + (breakable(math) if long else math) + "$"


def _table_parts(ctx: RenderContext, columns, long: bool = False, math: bool = False):
    """``(header, rows, totals, notes)`` of the table, as LaTeX cells (the rows' text as
    math with ``math``, see :func:`_row_cells`)."""
    p = ctx.printer
    n = len(columns)
    header = [_header(k) for k in columns]
    rows = [_row_cells(ctx, columns, name, "InputLayer", shape, None, None, long, math)
            for name, shape in ctx.inputs]
    rows += [_row_cells(ctx, columns, d.name, d.type, d.output_shape, d, record, long, math)
             for d, record in zip(ctx.derivations, ctx.model._records)]
    at = next((i for i, k in enumerate(columns) if k in ("working", "params")), n - 1)
    totals = []
    for label, attr in TOTALS:
        cells = [_math(ctx.totals[attr], p, long)] + [""] * (n - 1 - at)
        if at:
            cells.insert(0, rf"\multicolumn{{{at}}}{{@{{}}l}}{{{label}}}")
        else:
            cells[0] = rf"{label}: {cells[0]}"
        totals.append(cells)
    for key, value, text in ctx.other_totals(columns):
        cells = [""] * n
        cells[columns.index(key)] = escape(text) if value is None else _math(value, p, long)
        cells[0] = cells[0] or f"Total {escape(_header(key))}"
        totals.append(cells)
    return header, rows, totals, _footnotes(ctx) + _where_notes(p, p.names, long)


def _cell_notes(ctx: RenderContext, columns) -> list:
    """Why cells show ``-`` for a value that cannot be stated (a receptive field not
    computed): the columns' sentences, set as typed (they quote names and code)."""
    return [escape_code(note) for note in
            column_notes(columns, [(ctx.model, r) for r in ctx.model._records])]


def _table(ctx: RenderContext, columns) -> list:
    header, rows, totals, notes = _table_parts(ctx, columns)
    n = len(columns)
    spec = "".join("r" if _numeric(k) else "l" for k in columns)
    lines = [rf"\begin{{tabular}}{{@{{}}{spec}@{{}}}}", r"\toprule",
             " & ".join(header) + r" \\", r"\midrule"]
    lines += [" & ".join(r) + r" \\" for r in rows]
    lines.append(r"\midrule")
    lines += [" & ".join(r) + r" \\" for r in totals]
    lines.append(r"\bottomrule")
    for sentence in notes:
        lines.append(rf"\multicolumn{{{n}}}{{@{{}}l}}{{\footnotesize {sentence}}} \\")
    lines.append(r"\end{tabular}")
    # a long sentence would run past a tabular's column (they do not wrap): a paragraph
    lines += [r"\par{\footnotesize " + note + r"\par}" for note in _cell_notes(ctx, columns)]
    return lines


def _long_table(ctx: RenderContext, columns) -> list:
    header, rows, totals, notes = _table_parts(ctx, columns, long=True)
    return longtable(columns, [_numeric(k) for k in columns], header, rows, totals,
                     notes + _cell_notes(ctx, columns))  # its notes wrap


def _numeric(key: str) -> bool:

    return key in ("working", "params") or key not in TABLE_COLUMNS and COLUMNS[key].numeric


def _header(key: str) -> str:

    return TABLE_COLUMNS[key] if key in TABLE_COLUMNS else escape(COLUMNS[key].header)


def _named_calls(ctx: RenderContext, columns) -> dict:
    """Names for the table's ``make_divisible`` calls (:func:`symcnn.render.where.call_names`):
    in its shapes, parameters, other count columns and totals (read from the records: the
    derivations are built one row at a time, later)."""
    records = ctx.model._records
    exprs = [dim for r in records for shape in _as_shapes(r.output_shape) for dim in shape]
    exprs += [r.params for r in records] + list(ctx.totals.values())
    for key in columns:
        if key not in TABLE_COLUMNS:
            exprs += [ctx.other_value(key, r) for r in records]
            exprs += [value for k, value, _ in ctx.other_totals([key]) if value is not None]
    return call_names([e for e in exprs if e is not None],
                      taken={s.name for s in ctx.model.free_symbols})


def _as_shapes(shape) -> list:
    return shape if isinstance(shape, list) else [shape]


#: What a note defining the named ``make_divisible`` calls says of the function.
MAKE_DIVISIBLE_RULE = (r"$\operatorname{make\_divisible}(v, d)$ rounds $v$ to the nearest "
                       r"multiple of $d$, at least $d$, one $d$ higher if that is below $0.9 v$")


def _where_notes(printer, names: dict, long: bool, lead: str = "where ") -> list:
    """The note defining the named calls: one sentence in a long table (its notes wrap) or
    above a derivation (``lead`` its first words), one row per name in a plain ``tabular``
    (its notes do not)."""
    if not names:
        return []
    terms = [f"${printer._print(symbol)} = {call._latex(printer)}$"
             for call, symbol in names.items()]
    rule = MAKE_DIVISIBLE_RULE
    if long:
        return [lead + ", ".join(terms) + "; " + rule + "."]
    return [("where " if i == 0 else "") + term + ("," if i < len(terms) - 1 else ";")
            for i, term in enumerate(terms)] + [rule + "."]


def _footnotes(ctx: RenderContext) -> list:
    out = []
    if ctx.used:
        out.append(_describe_math(ctx.used, ctx.printer))
    if ctx.model.constraints:  # a nested rounding on one level, as in the table's cells
        shown = (unnest_fractions(ctx.printer._print(display_form(c)))
                 for c in ctx.model.constraints)
        out.append("Valid for " + ", ".join(f"${text}$" for text in shown) + ".")
    return out


#: The spaces around a sign in a long table's cells, which may shrink a little but not away:
#: TeX's default lets the space around ``+`` shrink to nothing rather than break a line,
#: and a cell read ``\cdot 84+84 =`` (LeNet-5's ``f6``).
KEEP_SPACES = r"\medmuskip=4mu plus 2mu minus 2mu\relax "


#: Shown characters of a layer's heading paragraph that surely fit on one line.
HEADING_CHARS = 90
#: A name in a heading longer than this may break (:func:`break_name`): a name of 120
#: characters ran 146 pt past the page.
HEADING_NAME = 40


def _heading_name(name: str) -> str:
    """A layer's or model's name for a heading: escaped, and a long one breakable."""
    return break_name(escape_code(name)) if len(name) > HEADING_NAME else escape_code(name)



def _heading(paragraph, shapes: list) -> str:
    """A layer's heading paragraph, ``paragraph(breaks)``: as it is when its shapes are
    numbers and it fits on a line; else set ragged right with a break allowed after each
    comma of its shapes (they are math with few spaces, so a justified line that must break
    inside one overflows the margin instead)."""
    text = paragraph(False)
    numeric = all(getattr(d, "is_Integer", True) for shape in shapes
                  for d in (shape if isinstance(shape, tuple) else sum(map(tuple, shape), ())))
    if numeric and len(plain(text).replace("\\_", "_")) <= HEADING_CHARS:
        return text
    broken = paragraph(True)
    penalty = TIMES_PENALTY if TIMES_BREAK in broken else ""  # a product only where a sum cannot
    return r"{\raggedright " + penalty + broken + r"\par}"


def _derivations(ctx: RenderContext) -> list:
    p = ctx.printer
    lines = []
    if ctx.used:  # stated once, above every layer
        lines += [r"\noindent " + _describe_math(ctx.used, p), ""]
    for note in _where_notes(p, p.names, True, "The widths below are named: "):
        lines += [r"{\raggedright\noindent " + note + r"\par}", ""]  # as the table's note
    for name, shape in ctx.inputs:
        head = rf"\paragraph{{\texttt{{{_heading_name(name)}}} (InputLayer)}}"
        lines += [_heading(lambda b: f"{head} Shape {_shape(shape, p, b)}.", [shape]), ""]
    for d in ctx.derivations:
        head = rf"\paragraph{{\texttt{{{_heading_name(d.name)}}} ({escape(d.type)})}}"
        steps = _shown_steps(d)
        if not steps and not d.notes:
            lines += [_heading(lambda b: f"{head} Output {_shape(d.output_shape, p, b)}, "
                                         f"no parameters.", [d.output_shape]), ""]
            continue
        lines.append(_heading(lambda b: f"{head} Input {_shape(d.input_shape, p, b)}, output "
                                        f"{_shape(d.output_shape, p, b)}"
                                        + (", no parameters." if d.params.value == 0 else "."),
                              [d.input_shape, d.output_shape]))
        if steps:
            rows = [page_step(s, p) for s in steps]
            lines += [r"\begin{align*}", " \\\\\n".join(rows), r"\end{align*}"]
        notes = [typeset_note(n, p) for n in d.notes]
        if d.assumed and not ctx.used:
            notes.append("Assuming " + escape(_describeplain(d.assumed)) + ".")
        if notes:
            lines.append(r"{\small " + " ".join(notes) + "}")
        lines.append("")
    rows = [_sum_rows(label, [getattr(r, attr) for r in ctx.model._records], ctx.totals[attr], p)
                    for label, attr in TOTALS]
    lines += [r"\paragraph{Totals}", r"\begin{align*}", " \\\\\n".join(rows), r"\end{align*}"]
    constraints = _footnotes(ctx)[1:] if ctx.used else _footnotes(ctx)
    lines += [r"{\raggedright\noindent " + c + r"\par}" for c in constraints]
    return lines


def model_array(model) -> str:
    """The model's table as one display-math ``array`` (what Jupyter's MathJax shows for
    ``_repr_latex_``): text cells in ``\\text``, the same cells as :func:`model_to_latex`."""
    ctx = RenderContext(model, None, "_repr_latex_")
    ctx.printer = latex_printer()
    columns = resolve_columns(None, "to_latex")
    header, rows, totals, notes = _table_parts(ctx, columns, math=True)

    def cell(text: str) -> str:
        if text.startswith("$") and text.endswith("$"):
            return text[1:-1]
        if text.startswith(r"\multicolumn"):
            text = text.rsplit("{", 1)[1].rstrip("}")
        return r"\text{" + text + "}" if text else ""

    spec = "".join("r" if _numeric(k) else "l" for k in columns)
    lines = [" & ".join(cell(c) for c in header) + r" \\ \hline"]
    lines += [" & ".join(cell(c) for c in r) + r" \\" for r in rows]
    lines.append(r"\hline")
    for r in totals:
        cells = [cell(c) for c in r]
        lines.append(" & ".join(cells[:1] + [""] * (len(columns) - len(cells)) + cells[1:])
                     + r" \\")
    return "$$\\begin{array}{" + spec + "}\n" + "\n".join(lines) + "\n\\end{array}$$"


_STYLES = ("table", "derivation")


#: Characters that end or break ``\label{...}`` (pdflatex stops at them).
_LABEL_BREAKERS = frozenset("\\{}%#~")


def check_caption(caption, label=None) -> None:
    r"""Refuse a ``caption`` or ``label`` that the LaTeX would not carry as written, by the
    rule for names (:class:`~symcnn.layers.base.Layer`): text, and printable (no control
    characters, line breaks or direction overrides: pdflatex stops at most of them, and
    drops or changes the others); a label also without ``\ { } % # ~``, which end or
    break ``\label``. TeX's special characters in a caption are escaped, as in names.

    >>> check_caption("Layers of the 50% model", "tab:model")
    >>> check_caption("line\x00break")
    Traceback (most recent call last):
    ...
    symcnn.errors.SymcnnError: to_latex: `caption` must be printable: no control characters, line breaks or direction overrides (pdflatex stops at most of them). Received: caption='line\x00break'
    """
    for arg, value in (("caption", caption), ("label", label)):
        if value is None:
            continue
        if not isinstance(value, str):
            raise SymcnnError(f"to_latex: `{arg}` must be a string. "
                              f"Received: {arg}={brief(value)}")
        if not value.isprintable():
            raise SymcnnError(f"to_latex: `{arg}` must be printable: no control characters, "
                              f"line breaks or direction overrides (pdflatex stops at most of "
                              f"them). Received: {arg}={brief(value)}")
        breakers = sorted(_LABEL_BREAKERS.intersection(value)) if arg == "label" else ()
        if breakers:
            raise SymcnnError(f"to_latex: `label` cannot hold {' '.join(breakers)} (they end "
                              f"or break \\label); use letters, digits and :-_. as in "
                              f"tab:model. Received: label={brief(value)}")


def model_to_latex(model, style: str = "table", standalone: bool = False,
                   assume_divisible=None, columns=None, caption: str | None = None,
                   label: str | None = None, long: bool | None = None,
                   landscape: bool = False, notation: str = "keras") -> str:
    """LaTeX of ``model``: ``style="table"`` (booktabs) or ``"derivation"`` (``align*``).

    ``standalone=True`` wraps it in a document that compiles with pdflatex (packages
    ``amsmath``, ``booktabs``, ``longtable``, ``array``, ``geometry``); otherwise add
    :data:`PREAMBLE` to yours.
    ``columns`` picks the table's columns (default ``layer, type, output_shape, working``;
    ``params`` is the value alone; any column registered for ``summary()`` may be added).
    ``caption``/``label`` put the table in a ``table`` float. ``assume_divisible`` (e.g.
    ``{"H": 32, "W": 32}``) rewrites closed forms exactly under that assumption
    (``H/32`` for ``ceiling(H/32)``) and states it below the table or above the derivation.
    ``long`` (default: for ``standalone`` tables without ``caption``/``label``) writes a
    ``longtable`` (:mod:`symcnn.render.latex_long`): it breaks across pages with its header
    repeated and the totals on the last page, and its cells wrap; ``landscape=True`` turns
    the standalone page. A table names each ``make_divisible`` call once, in a note under it
    (``c_{32} = make_divisible(32 w, 8)``: :func:`symcnn.render.where.call_names`), and a
    derivation names them alike above its first layer. ``notation`` writes the formulas in
    a lecture's names: ``"keras"`` (default), ``"cs231n"``, ``"d2l"``, ``"dumoulin"``
    (:mod:`symcnn.render.notation`).

    >>> import symcnn as sc
    >>> H, W = sc.symbols("H W")
    >>> m = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(8, 3, strides=2, padding="same")])
    >>> tex = model_to_latex(m, style="derivation", assume_divisible={"H": 2, "W": 2})
    >>> print(tex.splitlines()[0])  # doctest: +NORMALIZE_WHITESPACE
    \\noindent Assuming $H$ and $W$ are divisible by $2$
    (every value is exact under this assumption).
    """
    if style not in _STYLES:
        raise SymcnnError(f"to_latex: `style` must be one of {', '.join(map(repr, _STYLES))}. "
                          f"Received: style={style!r}")
    if style != "table" and (columns is not None or caption is not None or label is not None):
        raise SymcnnError("to_latex: `columns`, `caption` and `label` apply to style='table'. "
                          f"Received: style={style!r}")
    check_caption(caption, label)
    ctx = RenderContext(model, assume_divisible, "to_latex", notation)
    ctx.printer = latex_printer()
    # a make_divisible call is too wide for a cell, and a nested one for a line: each is
    # named once, under the table or above the derivation
    ctx.printer.names = _named_calls(ctx, resolve_columns(columns, "to_latex"))
    floated = caption is not None or label is not None
    long = (standalone and not floated) if long is None else bool(long)
    if long and floated:
        raise SymcnnError("to_latex: a `long` table breaks across pages and cannot be a "
                          "float with `caption`/`label`. Received: long=True, "
                          f"caption={caption!r}, label={label!r}")
    if style == "table" and long:
        # breaks at "=" before "+": working and value each on their line where they can; in
        # a product (TIMES_BREAK, its line ends in a \cdot) only where a sum cannot
        table = _long_table(ctx, resolve_columns(columns, "to_latex"))
        penalty = TIMES_PENALTY.rstrip() if any(TIMES_BREAK in line for line in table) else ""
        body = [r"\begingroup\small\renewcommand{\arraystretch}{1.2}"
                r"\relpenalty=0\binoppenalty=3000" + penalty + KEEP_SPACES, *table,
                r"\endgroup"]
    elif style == "table":
        body = _table(ctx, resolve_columns(columns, "to_latex"))
        if caption is not None or label is not None:
            body = [r"\begin{table}[ht]", r"\centering", *body]
            if caption is not None:
                body.append(rf"\caption{{{escape(caption)}}}")
            if label is not None:
                body.append(rf"\label{{{label}}}")
            body.append(r"\end{table}")
        elif standalone:
            body = [r"\begin{center}", r"\small\renewcommand{\arraystretch}{1.2}", *body,
                    r"\end{center}"]
    else:
        body = _derivations(ctx)
    text = "\n".join(body)
    if standalone:
        page = "a4paper,landscape" if landscape else "a4paper"
        title = rf"\section*{{Model \texttt{{{_heading_name(model.display_name)}}}}}"
        if r"$\langle$\texttt{U+" in title + text:  # a name's character set by its code point
            text += "\n\n" + r"\noindent{\footnotesize " + CODE_POINT_NOTE + "}"
        text = "\n".join([
            r"\documentclass{article}", rf"\usepackage[{page},margin=2cm]{{geometry}}",
            FONTS, PREAMBLE, r"\allowdisplaybreaks", r"\begin{document}",
            title, text, r"\end{document}"])
    return text + "\n"


def compile_pdf(tex: str, directory, name: str = "model") -> Path:
    """Write ``tex`` (a complete document) to ``directory/name.tex`` and run pdflatex on it.

    Returns the PDF's path. Raises :class:`~symcnn.errors.UnavailableError` when pdflatex
    is not installed and :class:`~symcnn.errors.SymcnnError` with pdflatex's first error
    line when it fails.

    >>> import shutil, tempfile
    >>> from symcnn.zoo import textbook
    >>> if shutil.which("pdflatex"):
    ...     pdf = compile_pdf(textbook.free_width().to_latex(standalone=True), tempfile.mkdtemp())
    ...     print(pdf.name)
    ... else:
    ...     print("model.pdf")
    model.pdf
    """
    exe = shutil.which("pdflatex")
    if exe is None:
        raise UnavailableError("compile_pdf: pdflatex is not on PATH; install it with "
                               "apt-get install texlive-latex-base texlive-latex-recommended")
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.tex").write_text(tex, encoding="utf-8")
    run = subprocess.run([exe, "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
                         cwd=folder, capture_output=True, text=True, timeout=300)
    errors = [line for line in run.stdout.splitlines() if line.startswith("!")]
    if run.returncode != 0 or errors:
        raise SymcnnError(f"compile_pdf: pdflatex failed on {folder / (name + '.tex')}: "
                          f"{errors[0] if errors else 'exit status ' + str(run.returncode)}")
    return folder / f"{name}.pdf"
