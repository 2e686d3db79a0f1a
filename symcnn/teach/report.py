"""Printing a marked table (:class:`symcnn.teach.check.Report`) as text, Markdown, LaTeX
and HTML. These functions only render what the report holds.

>>> import symcnn as sc
>>> m = sc.Sequential([sc.Input((160,)), sc.Dense(10)])
>>> print(to_text(sc.check(m, [{"layer": "dense", "params": 1600}])))  # doctest: +ELLIPSIS
Marking of model 'sequential': 0 of 1 marks (0%)
<BLANKLINE>
dense (Dense)
  params  claimed 1600  wrong, expected 1,610  [missing_bias]
      expected: params = N_in*U + U = 160*10 + 10 = 1,610
      yours:    params = N_in*U = 160*10 = 1,600
<BLANKLINE>
Diagnoses
  missing_bias: Bias left out. Each filter (or unit) of this layer also has one bias, ...
"""

from __future__ import annotations

import html
import re

import sympy

from ..errors import shorten
from ..layers.base import format_shape
from ..render.exprs import latex_printer
from ..render.latex import FONTS, MAKE_DIVISIBLE_RULE, PREAMBLE, escape, page_step
from ..render.latex_long import break_name, breakable, escape_code, open_long_parentheses
from ..render.markdown import cell_text as md_cell, code_span as md_code
from ..render.summary import format_count
from ..render.where import call_names
from ..working import Given
from .claims import Unreadable
from .diagnoses import CARRIED, CATALOGUE, UNKNOWN_LAYER

__all__ = ["to_text", "to_markdown", "to_latex", "to_html", "shown", "verdict", "spans"]

_LABELS = {"output_shape": "output shape", "params": "params"}
#: At most this many characters of an unreadable entry are echoed in a report.
UNREADABLE_SHOWN = 60


def shown(field: str, value) -> str:
    """A claimed or expected value as text: shapes as tuples, counts grouped; an unreadable
    entry as written, cut to :data:`UNREADABLE_SHOWN` characters (``...`` marks the cut).

    >>> len(shown("params", Unreadable("7" * 3000 + "+", "cannot read it")))
    60
    """
    if isinstance(value, Unreadable):
        return shorten(value.text, UNREADABLE_SHOWN)
    if value is None:  # the expected value of a row about no layer of the model
        return "-"
    if field == "output_shape":
        if isinstance(value, list):  # a layer with several outputs: each of them
            return "[" + ", ".join(shown(field, v) for v in value) + "]"
        if value and hasattr(value[0], "text"):
            return "(" + ", ".join(v.text for v in value) + ("," if len(value) == 1 else "") + ")"
        return format_shape(value)
    return value.text if hasattr(value, "text") else format_count(value)


def verdict(mark) -> str:
    """``right``, ``carried (credited)`` or ``wrong, expected ...``."""
    if mark.ok:
        return "right"
    if mark.diagnosis == CARRIED:
        return "carried (credited)"
    if mark.diagnosis == UNKNOWN_LAYER:
        return "wrong, no such layer"
    return f"wrong, expected {shown(mark.field, mark.expected)}"


def _headline(report) -> str:
    credited, total = report.marks
    if report.nothing_claimed:  # a blank sheet: 0 of its entries, never 0 of 0 (100%)
        if not total:
            return f"Marking of model {report.model_name!r}: nothing was claimed: 0 marks"
        what = f"all {total} entries are blank" if total > 1 else "its entry is blank"
        return (f"Marking of model {report.model_name!r}: nothing was claimed ({what}): "
                f"0 of {total} marks (0%)")
    return (f"Marking of model {report.model_name!r}: {credited} of {total} marks "
            f"({round(100 * report.score)}%)")


def _used(report) -> list:
    codes = []
    for row in report.rows:
        for mark in row.marks:
            for code in (mark.diagnosis, *mark.also):
                if code is not None and code not in codes:
                    codes.append(code)
    return codes


def _codes(mark) -> str:
    return " or ".join((mark.diagnosis, *mark.also))


def _details(row, mark) -> list:
    """``(label, working)`` lines shown under a wrong mark, or a right one with a note (equal
    only at every size tried)."""
    if mark.diagnosis == UNKNOWN_LAYER:
        return [("why", mark.note or row.problem or "")]
    lines = [("expected", row.expected.step_text(mark.field))] if not mark.ok else []
    if mark.follows:
        lines.append(("yours", mark.follows))
    if isinstance(mark.claimed, Unreadable):
        lines.append(("why", mark.claimed.reason))
    if mark.note:
        lines.append(("note", mark.note))
    return lines


def _shows_details(mark) -> bool:
    return not mark.ok or bool(mark.note)


def to_text(report) -> str:
    """The report as plain text (what ``str(report)`` and ``symcnn check`` print)."""
    lines = [_headline(report), ""]
    for row in report.rows:
        lines.append(f"{row.layer} ({row.type})")
        width = max(len(_LABELS[m.field]) for m in row.marks) if row.marks else 0
        for mark in row.marks:
            tag = "" if mark.ok else f"  [{_codes(mark)}]"
            lines.append(f"  {_LABELS[mark.field]:<{width}}  claimed "
                         f"{shown(mark.field, mark.claimed)}  {verdict(mark)}{tag}")
            if _shows_details(mark):
                lines += [f"      {label + ':':<9} {text}" for label, text in _details(row, mark)]
        if row.problem and not row.marks:
            lines.append(f"  why: {row.problem}")
        lines.append("")
    used = _used(report)
    if used:
        lines.append("Diagnoses")
        lines += [f"  {c}: {CATALOGUE[c].title}. {CATALOGUE[c].explanation}" for c in used]
    return "\n".join(lines).rstrip() + "\n"


#: Markdown's markup characters in running text; an ``_`` inside a word (``free_width``)
#: marks nothing and is left as typed.
_MARKUP = re.compile(r"[\\`*\[\]<>&~|]|(?<!\w)_|_(?!\w)")


def _md(text: str) -> str:
    """Text as Markdown shows it as typed: each markup character escaped.

    >>> print(_md("model 'free_width' <b>x</b> *y*"))
    model 'free_width' \\<b\\>x\\</b\\> \\*y\\*
    """
    return _MARKUP.sub(lambda m: "\\" + m.group(), text)


def to_markdown(report) -> str:
    """The report as a GitHub Markdown table, the workings of wrong rows and a legend.
    What a student wrote is shown as typed: a claim with markup characters (``160*n``,
    ``<b>``) in a code span, as the model tables set formulas."""
    lines = [f"**{_md(_headline(report))}**", "",
             "| layer | quantity | claimed | expected | mark | diagnosis |",
             "|---|---|---|---|---|---|"]
    notes = []
    for row in report.rows:
        layer = md_code(row.layer.replace("|", "\\|"))  # a pipe would end the cell
        for mark in row.marks:
            code = "" if mark.ok else f"`{_codes(mark)}`"
            lines.append(f"| {layer} ({row.type}) | {_LABELS[mark.field]} | "
                         f"{md_cell(shown(mark.field, mark.claimed))} | "
                         f"{md_cell(shown(mark.field, mark.expected))} | "
                         f"{'right' if mark.ok else verdict(mark).split(',')[0]} | {code} |")
            if _shows_details(mark):
                notes.append(f"- {md_code(row.layer)} {_LABELS[mark.field]}: " + "; ".join(
                    f"{label} {md_code(text)}" for label, text in _details(row, mark)))
        if row.problem and not row.marks:
            notes.append(f"- {md_code(row.layer)}: why {md_code(row.problem)}")
    if notes:
        lines += ["", "Workings:", "", *notes]
    used = _used(report)
    if used:
        lines += ["", "Diagnoses:", ""]
        lines += [f"- `{c}` ({_md(CATALOGUE[c].title)}): "
                  f"{_prose(CATALOGUE[c].explanation, md_code, _md)}" for c in used]
    return "\n".join(lines) + "\n"


#: A word of an explanation that may hold a formula: ``C_in*K_h*K_w*F``, ``(C_in/G)*K``,
#: ``use_bias=False``; :func:`formula_spans` keeps those with ``_``, ``*`` or ``/``.
_WORDISH = re.compile(r"[\w()/*.=]+")
_OPERATOR = re.compile(r"[_*/]")


def _unmatched(text: str) -> bool:
    depth = 0
    for c in text:
        depth += 1 if c == "(" else -1 if c == ")" else 0
        if depth < 0:
            return True
    return depth != 0


def _enclosed(text: str) -> bool:
    """``(...)``: the first parenthesis closed by the last character."""
    depth = 0
    for i, c in enumerate(text):
        depth += 1 if c == "(" else -1 if c == ")" else 0
        if depth == 0:
            return text[0] == "(" and i == len(text) - 1
    return False


def _trim(word: str) -> tuple:
    """``(before, formula, after)``: the sentence's punctuation and parentheses around a
    formula moved out of it (``(160*n),`` gives ``160*n``), never a parenthesis left
    unmatched inside."""
    start, end = 0, len(word)
    while start < end:
        core = word[start:end]
        if core[-1] in ".,;:=" or (core[-1] == ")" and core.count(")") > core.count("(")):
            end -= 1
        elif core[0] == "(" and core.count("(") > core.count(")"):
            start += 1
        elif _enclosed(core):  # (C_in*K_h*K_w*M): the sentence's parentheses
            start, end = start + 1, end - 1
        else:
            break
    return word[:start], word[start:end], word[end:]


def formula_spans(text: str) -> list:
    """``text`` as ``(is_formula, part)`` pairs: the formulas in an explanation (a word with
    ``_``, ``*`` or ``/``, its parentheses balanced; ``use_bias=False`` whole) apart from
    the words and the sentence's punctuation around them. A word whose parentheses only
    match across blanks (``K)/S)`` of ``floor((H + 2P - K)/S)``) is left as words.

    >>> formula_spans("a working (20*3*3*40 = 7200), a form (160*n), use_bias=False.")
    ... # doctest: +NORMALIZE_WHITESPACE
    [(False, 'a working ('), (True, '20*3*3*40'), (False, ' = 7200), a form ('),
     (True, '160*n'), (False, '), '), (True, 'use_bias=False'), (False, '.')]
    >>> [f for is_formula, f in formula_spans("(C_in/G)*K_h*K_w*F, not floor((H - K)/S)")
    ...  if is_formula]
    ['(C_in/G)*K_h*K_w*F']
    """
    out, pos = [], 0
    for m in _WORDISH.finditer(text):
        before, core, after = _trim(m.group())
        if not _OPERATOR.search(core) or _unmatched(core):
            continue
        out += [(False, text[pos:m.start()] + before), (True, core)]
        pos = m.end() - len(after)
    out.append((False, text[pos:]))
    return [(f, part) for f, part in out if part]


def latex_quotes(text: str) -> str:
    r"""LaTeX text with each quotation ``'...'`` opened by a backquote, so that pdflatex
    sets an opening quote there, not a second closing one; an apostrophe (``Keras'``) and
    a keyword argument's string (``padding='same'``, code) are left as typed.

    >>> print(latex_quotes(r"Keras' 'Param \#' counts; model 'free\_width': 2"))
    Keras' `Param \#' counts; model `free\_width': 2
    >>> print(latex_quotes("Conv2D(8, 3, padding='same')"))
    Conv2D(8, 3, padding='same')
    """
    return re.sub(r"(?<![\w'`=])'(?=[^\s'])([^']*?)(?<=\S)'(?!\w)", r"`\1'", text)


def spans(pattern: re.Pattern, text: str, inside, outside) -> str:
    """``text`` with the parts ``pattern`` (one capturing group) matches through ``inside``
    and the rest through ``outside``.

    >>> spans(re.compile(r"(\\d+)"), "a 12 b", lambda s: f"<{s}>", str.upper)
    'A <12> B'
    """
    return "".join(inside(p) if i % 2 else outside(p) for i, p in enumerate(pattern.split(text)))


def _prose(text: str, code=None, words=None) -> str:
    """An explanation with its formulas (:func:`formula_spans`) in typewriter type (LaTeX
    by default, its quotations opened as LaTeX opens them), as the workings are, so that
    ``C_in`` keeps its underscore."""
    code, words = code or _tt, words or (lambda t: latex_quotes(escape(t)))
    return "".join(code(part) if f else words(part) for f, part in formula_spans(text))


def _tt(text: str) -> str:
    return r"\texttt{" + break_name(escape_code(text)) + "}"


#: The LaTeX table's columns: header and share of the line width. The shares add up to 1;
#: each cell wraps in its column (a ``p`` column), so no cell runs into the next. Set in
#: ``\small`` with :data:`TABCOLSEP` between columns, the widest word of each column (the
#: header ``quantity``, ``carried (credited)``, the code ``unexplained``) fits it in the
#: default ``article``'s text width, 345 pt (at 0.1 of it, ``quantity`` ran 14 pt into
#: ``claimed``).
_LATEX_COLUMNS = (("layer", 0.17), ("quantity", 0.14), ("claimed", 0.19),
                  ("expected", 0.19), ("mark", 0.13), ("diagnosis", 0.18))
#: The space on each side of a column of the LaTeX table.
TABCOLSEP = "4pt"

#: Where a claimed or expected value may break in a narrow column: after an operator or a
#: comma (``28*make_divisible(32*a, 8)`` was one word to TeX and ran into the next column).
_VALUE_BREAK = re.compile(r"(?<=[*/+=,])")


def _value_tex(text: str) -> str:
    r"""A claimed or expected value as LaTeX text that may break after ``*``, ``/``, ``+``,
    ``=`` and ``,``; a long run without one (a 40-digit number) breaks as a long
    layer name does (:func:`~symcnn.render.latex_long.break_name`).

    >>> print(_value_tex("28*make_divisible(32*a, 8)"))
    28*\allowbreak{}make\_\allowbreak{}divisible(32*\allowbreak{}a,\allowbreak{} 8)
    """
    return r"\allowbreak{}".join(break_name(escape(part))
                                 for part in _VALUE_BREAK.split(text) if part)


def _anywhere(text: str) -> str:
    r"""Text as typed that may break after any character, at a cost (``\penalty50``): what
    a student wrote that cannot be read (``\end{document}``, a run of 60 ``x``) fits its
    column however it runs.

    >>> print(_anywhere("a_b}"))
    a\penalty50{}\_\penalty50{}b\penalty50{}\}
    """
    return r"\penalty50{}".join(escape(c) for c in text)


#: A run of this many characters without a blank or an operator may break anywhere in a
#: working (:func:`_code_tex`).
_LONG_RUN = 20


def _code_tex(text: str) -> str:
    r"""Code (a student's working) in typewriter type that may break after a blank, an
    operator or a comma, as a value does (:func:`_value_tex`); never inside a name.

    >>> print(_code_tex("W_out = (9 + 2*0)/3"))
    \texttt{W\_out =\allowbreak{} (9 +\allowbreak{} 2*\allowbreak{}0)/\allowbreak{}3}
    """
    parts = _CODE_BREAK.split(text)
    return r"\texttt{" + r"\allowbreak{}".join(
        escape_code(p) if len(max(p.split(), key=len, default="")) <= _LONG_RUN else
        " ".join(break_name(escape_code(w)) for w in p.split(" ")) for p in parts if p) + "}"


_CODE_BREAK = re.compile(r"(?<=[*/+=,])(?![*/+=,])")


def _as_value(value):
    """What a LaTeX report sets as math for a claimed number: its exact value where it is a
    closed form or a plain number (``27*make_divisible(32*a, 8)`` as the tables set it,
    ``1600`` grouped), else its text as typed (a decimal, ``3.33``, is not ``333/100``;
    ``20*3*3`` is what the student wrote, not ``180``); an expected value as it is."""
    if not hasattr(value, "text") or isinstance(value, Unreadable):
        return value
    if getattr(value, "tolerance", 0):
        return value.text
    exact = sympy.sympify(value.value)
    if exact.free_symbols or _PLAIN_NUMBER.fullmatch(value.text.strip()):
        return exact
    return value.text


_PLAIN_NUMBER = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+|[+-]?\d+")
#: Typed text that math sets as it is (digits, a decimal point, a sign: ``56.5``).
_MATH_TEXT = re.compile(r"[+-]?\d*\.?\d+")


def _typed(text: str) -> str:
    """A claim's text as typed, inside math: a decimal as it is, anything else as code."""
    if _MATH_TEXT.fullmatch(text):
        return text
    return r"\text{\ttfamily " + _value_tex(text) + "}"


def _size_math(value, printer) -> str:
    """One size of a shape as math: an integer ungrouped (``(1000,)``: ``1{,}000`` would read
    as two sizes), a claim as typed where it is not exact, a closed form in its display
    form."""
    value = _as_value(value)
    if isinstance(value, str):
        return _typed(value)
    value = sympy.sympify(value)
    if value.is_Integer:
        return str(int(value))
    return _narrow(printer._print(Given(value)))


def _value_math(field: str, value, printer) -> str:
    """A claimed or expected value as the model tables set it: math in its display form,
    numbers grouped, ``make_divisible`` calls by their names (``printer.names``), breakable
    in a narrow column; an unreadable entry, and a claim that is not a plain number or a
    closed form, as typed."""
    if isinstance(value, Unreadable):
        return _anywhere(shown(field, value))
    if value is None:
        return _value_tex(shown(field, value))
    if field == "output_shape":
        if isinstance(value, list):  # a layer with several outputs: each of them
            return ", ".join(_value_math(field, v, printer) for v in value)
        sizes = [_size_math(v, printer) for v in value]
        return "$(" + r",\allowbreak ".join(sizes) + ("," if len(sizes) == 1 else "") + ")$"
    value = _as_value(value)
    if isinstance(value, str):
        return "$" + _typed(value) + "$" if _MATH_TEXT.fullmatch(value) else \
            r"\texttt{" + _value_tex(value) + "}"
    return "$" + _long_numbers(_narrow(printer._print(Given(value)))) + "$"


#: Longest ``\left( ... \right)`` group kept unbreakable in a column of the table (a fifth
#: of the line: ``\min\left(1, H - s \lfloor H/s \rfloor\right)`` ran 24 pt over it).
NARROW_GROUP = 16


def _narrow(math: str) -> str:
    """Math that may break in a narrow column: :func:`~symcnn.render.latex_long.breakable`,
    with a parenthesised sum or argument list of more than :data:`NARROW_GROUP` characters
    opened so that it may break inside too."""
    return breakable(open_long_parentheses(math, NARROW_GROUP))


_LONG_NUMBER = re.compile(r"\d{1,3}(?:\{,\}\d{3}){3,}")


def _long_numbers(math: str) -> str:
    r"""Math whose numbers of ten digits or more may break after a thousands separator: in a
    column a fifth of the page wide, a claimed 60-digit number ran 268 pt into the next.

    >>> _long_numbers("1{,}234 + 12{,}345{,}678{,}901")
    '1{,}234 + 12{,}\\allowbreak 345{,}\\allowbreak 678{,}\\allowbreak 901'
    """
    return _LONG_NUMBER.sub(lambda m: m.group().replace("{,}", r"{,}\allowbreak "), math)


def _steps(row, field: str) -> list:
    """The expected derivation's steps of ``field`` (what :meth:`Expected.step_text` shows)."""
    derivation = row.expected.derivation
    if derivation is None:  # a row about no layer of the model
        return []
    keys = ("params",) if field == "params" else tuple(s.key for s in derivation.shape_steps)
    return [s for s in derivation.steps if s.key in keys]


def _values(report) -> list:
    """Every value a LaTeX report sets as math: for naming its ``make_divisible`` calls."""
    out = []
    for row in report.rows:
        for mark in row.marks:
            for value in (mark.claimed, mark.expected):
                for v in (value if isinstance(value, (list, tuple)) else [value]):
                    for size in (v if isinstance(v, (list, tuple)) else [v]):
                        size = _as_value(size)
                        if isinstance(size, sympy.Basic):
                            out.append(size)
            if not mark.ok:
                out += [x for s in _steps(row, mark.field) for x in (s.working, s.value)
                        if isinstance(x, sympy.Basic)]
    return out


def _latex_printer(report):
    """symcnn's LaTeX printer with names for the report's ``make_divisible`` calls, as a
    model table names them (:func:`symcnn.render.where.call_names`)."""
    printer = latex_printer()
    values = _values(report)
    taken = {s.name for v in values for s in v.free_symbols}
    printer.names = call_names(values, taken)
    return printer


def _where_note(printer) -> list:
    r"""The sentence under the table that defines the named calls (``c_{32} = ...``)."""
    if not printer.names:
        return []
    terms = [f"${printer._print(symbol)} = {call._latex(printer)}$"
             for call, symbol in printer.names.items()]
    return [r"{\raggedright\small where " + ", ".join(terms) + "; " + MAKE_DIVISIBLE_RULE
            + r".\par}"]


def _latex_rows(report, printer=None) -> tuple:
    """``(rows, notes)``: the table's rows as lists of LaTeX cells, and the workings of
    the wrong marks as ``\\item`` lines (the expected working as the derivations set it,
    the student's as typed)."""
    printer = printer or _latex_printer(report)
    rows, notes = [], []
    for row in report.rows:
        for mark in row.marks:
            mark_text = "right" if mark.ok else verdict(mark).split(",")[0]
            code = "" if mark.ok else " or ".join(map(_tt, (mark.diagnosis, *mark.also)))
            rows.append([_tt(row.layer), escape(_LABELS[mark.field]),
                         _value_math(mark.field, mark.claimed, printer),
                         _value_math(mark.field, mark.expected, printer), mark_text, code])
            if _shows_details(mark):
                steps = [] if mark.ok else _steps(row, mark.field)
                item = [r"\item " + _tt(row.layer) + " " + escape(_LABELS[mark.field])
                        + (": expected" if steps else ":")]
                if steps:
                    item += [r"\begin{align*}",
                             " \\\\\n".join(page_step(s, printer) for s in steps),
                             r"\end{align*}"]
                item += [r"\par\noindent " + label + ": " + _code_tex(text)
                         for label, text in _details(row, mark) if label != "expected"]
                notes.append("\n".join(item))
    return rows, notes


def _longtable(rows: list) -> list:
    """The marked table as a ``longtable``, as symcnn's model tables are set
    (:func:`~symcnn.render.latex_long.longtable`): it breaks across pages, with its header
    repeated under a "(continued)" line, and each cell wraps in its column."""
    n = len(_LATEX_COLUMNS)
    spec = "@{}" + "".join(
        rf">{{\raggedright\arraybackslash}}p{{\dimexpr {share:.2f}\textwidth-2\tabcolsep\relax}}"
        for _, share in _LATEX_COLUMNS) + "@{}"
    head = " & ".join(name for name, _ in _LATEX_COLUMNS) + r" \\"
    lines = [r"\begingroup\small\setlength{\tabcolsep}{" + TABCOLSEP + "}",
             rf"\begin{{longtable}}{{{spec}}}", r"\toprule", head, r"\midrule",
             r"\endfirsthead",
             rf"\multicolumn{{{n}}}{{@{{}}l}}{{\footnotesize\itshape (continued)}} \\",
             r"\toprule", head, r"\midrule", r"\endhead",
             r"\midrule",
             rf"\multicolumn{{{n}}}{{r@{{}}}}"
             r"{\footnotesize\itshape continued on the next page} \\",
             r"\endfoot", r"\bottomrule", r"\endlastfoot"]
    lines += [" & ".join(cells) + r" \\" for cells in rows]
    lines += [r"\end{longtable}", r"\endgroup"]
    return lines


def to_latex(report, standalone: bool = False) -> str:
    """The report as a booktabs ``longtable`` (it breaks across pages, its header repeated
    on each; every cell wraps in its column), with the workings and the diagnoses below it;
    ``standalone=True`` gives a complete pdflatex document. Values are math, set as the
    model tables set them (display forms, grouped numbers, each ``make_divisible`` call
    named once under the table); what a student typed that cannot be read, and a student's
    working, are set as typed. A fragment needs the packages of
    :data:`symcnn.render.latex.PREAMBLE` (``amsmath``, ``booktabs``, ``longtable``,
    ``array``)."""
    printer = _latex_printer(report)
    rows, notes = _latex_rows(report, printer)
    body = [r"\noindent\textbf{" + latex_quotes(escape(_headline(report))) + r"}\par\medskip",
            *_longtable(rows), *_where_note(printer)]
    if notes:
        body += [r"\begin{itemize}\raggedright", *notes, r"\end{itemize}"]
    used = _used(report)
    if used:
        body += [r"\paragraph{Diagnoses}", r"\begin{description}"]
        body += [rf"\item[{_tt(c)}] {latex_quotes(escape(CATALOGUE[c].title))}. "
                 f"{_prose(CATALOGUE[c].explanation)}" for c in used]
        body.append(r"\end{description}")
    text = "\n".join(body)
    if standalone:
        text = "\n".join([r"\documentclass{article}",
                          r"\usepackage[a4paper,margin=2cm]{geometry}", FONTS,
                          PREAMBLE, r"\begin{document}", r"\sloppy", text,
                          r"\end{document}"])
    return text + "\n"


_CSS = ("div.symcnn-check{font-family:sans-serif}"
        "table.symcnn-check{border-collapse:collapse}"
        ".symcnn-check td,.symcnn-check th{border:1px solid #ccc;padding:4px 8px}"
        ".symcnn-check .right{background:#e6f4e6}.symcnn-check .wrong{background:#fbe3e3}"
        ".symcnn-check .carried{background:#fff4d6}")


def _code(text: str) -> str:
    return f"<code>{html.escape(text)}</code>"


def to_html(report, standalone: bool = False) -> str:
    """The report as an HTML table (classes ``right``, ``wrong``, ``carried``)."""
    e = html.escape
    rows = []
    for row in report.rows:
        for mark in row.marks:
            kind = "right" if mark.ok else ("carried" if mark.diagnosis == CARRIED else "wrong")
            detail = "<br>".join(f"{label}: <code>{e(text)}</code>"
                                 for label, text in _details(row, mark)
                                 if _shows_details(mark) and text)
            code = "" if mark.ok else f"<code>{e(_codes(mark))}</code>"
            rows.append(f'<tr class="{kind}"><td><code>{e(row.layer)}</code> ({e(row.type)})'
                        f"</td><td>{_LABELS[mark.field]}</td>"
                        f"<td>{e(shown(mark.field, mark.claimed))}</td>"
                        f"<td>{e(shown(mark.field, mark.expected))}</td><td>{kind}</td>"
                        f"<td>{code}</td><td>{detail}</td></tr>")
    legend = "".join(f"<dt><code>{e(c)}</code> {e(CATALOGUE[c].title)}</dt>"
                     f"<dd>{_prose(CATALOGUE[c].explanation, _code, e)}</dd>"
                     for c in _used(report))
    text = (f'<div class="symcnn-check"><p><strong>{e(_headline(report))}</strong></p>'
            f'<table class="symcnn-check"><tr><th>layer</th><th>quantity</th><th>claimed</th>'
            f"<th>expected</th><th>mark</th><th>diagnosis</th><th>working</th></tr>"
            + "".join(rows) + "</table>" + (f"<dl>{legend}</dl>" if legend else "") + "</div>")
    if standalone:
        text = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>'
                f"{e(report.model_name)}</title><style>{_CSS}</style></head><body>{text}"
                f"</body></html>")
    return text + "\n"
