"""Exercise sheets: questions, then (``solutions=True``) the answers with their working, as
LaTeX, Markdown, HTML or Moodle XML (numerical questions, the working as feedback).

Sheets only render what the exercises hold (``.question``, ``.answer``, ``.solution``,
``.numerical``); mathematics goes through SymPy's printers and the derivation objects'
own ``_latex`` hooks, in HTML through the MathML printer of the model pages
(:mod:`symcnn.render.html`). In LaTeX the symbols the prose names (``K_h``, cs231n's ``D'``, a
model's ``n``) are set as the formulas set them, and a derivation's notes as the
printers set them (:func:`~symcnn.render.latex_long.typeset_note`).

>>> import symcnn as sc
>>> items = sc.exercises.generate("padding_for_same", n=2, seed=1)
>>> text = sc.exercises.sheet(items, format="markdown")
>>> text.splitlines()[0], "## Solutions" in text
('# Exercises: the padding that keeps the size', True)
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

import sympy

from ..errors import ArgumentError, SymcnnError, brief
from ..render.exprs import latex_printer
from ..render.html import MathML, math as mathml, note_html, step_html
from ..render.latex import FONTS, escape
from ..render.latex_long import escape_code, typeset_note
from ..render.notation import shown_names
from ..working import Given, _Node, group_digits
from .report import latex_quotes, spans
from .topics import TOPICS, plain

__all__ = ["sheet", "FORMATS", "line_latex", "line_html", "symbol_names"]

FORMATS = ("latex", "markdown", "html", "moodle")


def _title(items, title) -> str:
    if title:
        return title
    topics = list(dict.fromkeys(x.topic for x in items))
    return "Exercises: " + "; ".join(TOPICS.get(t, t) for t in topics)


#: A layer call in a question, ``Conv2D(n, 3, use_bias=False)`` or ``Input((32, 32, 3))``:
#: code, set as code in every format.
_CALL = re.compile(r"([A-Z]\w*\((?:[^()]|\([^()]*\))*\))")


def _spans(text: str, code, prose) -> str:
    """``text`` with its layer calls through ``code`` and the rest through ``prose``.

    >>> _spans("Conv2D(8, 3) on (9, 9, 3)", lambda c: f"`{c}`", str)
    '`Conv2D(8, 3)` on (9, 9, 3)'
    """
    return spans(_CALL, text, code, prose)


def _question_latex(text: str, names: frozenset = frozenset()) -> str:
    return _spans(text, lambda c: r"\texttt{" + escape_code(c) + "}",
                  lambda words: _text_latex(words, names))


def _question_html(text: str) -> str:
    return _spans(text, lambda c: f"<code>{html.escape(c)}</code>",
                  lambda words: html.escape(words).replace("-&gt;", "\u2192"))


# --------------------------------------------------------------------------- LaTeX


def _part_latex(part, printer) -> str:
    if isinstance(part, str):
        if re.fullmatch(r"[A-Za-z]+_\w+", part):
            return printer._print(sympy.Symbol(part))
        return r"\text{" + escape(part) + "}"
    if isinstance(part, tuple):
        return "(" + ", ".join(_part_latex(p, printer) for p in part) + ")"
    value = sympy.sympify(part)
    if value.is_Integer:
        return group_digits(int(value), "{,}")
    if isinstance(value, _Node):  # a working prints itself
        return printer._print(value)
    return printer._print(Given(value))  # a closed form as every output shows it


#: A word of prose that may name a symbol: a letter, primes, a subscript (``n``, ``K_h``,
#: ``D'``, ``P'_1``, ``r_{i-1}``).
_WORD = re.compile(r"(?<![\w'])([A-Za-z]'*(?:_(?:[A-Za-z0-9]+|\{[^{}\s]+\}))?)(?![\w'{])")


def symbol_names(exercise) -> frozenset:
    """The names of the symbols an exercise's text may name: its model's own (``n``, cs231n's
    ``H_1``) and those its layers' derivations show in its notation (``K_h``, ``D'``).

    >>> import symcnn as sc
    >>> x = sc.exercises.generate("budget", n=1, seed=1, notation="cs231n")[0]
    >>> sorted(symbol_names(x))[:6]
    ['D_1', 'D_2', 'F', 'H_1', 'H_2', 'K']
    """
    model = exercise.model
    notation = getattr(exercise, "notation", "keras")
    names = {s.name for s in getattr(model, "free_symbols", ())}
    for record in getattr(model, "layers", ()):
        names |= {new for _, new in shown_names(record.derivation, notation)}
    return frozenset(names)


def _text_latex(text: str, names: frozenset = frozenset()) -> str:
    r"""Prose as LaTeX: each word that names a symbol (one of ``names``, or a letter with a
    prime or a subscript) set in math as the formulas set it.

    >>> print(_text_latex("kernel K_h, dilation D' and the width n -> a", frozenset({"n"})))
    kernel $K_{h}$, dilation $D'$ and the width $n$ $\to$ a
    >>> print(_text_latex("Keras' 'Param #'"))  # a quotation opens as LaTeX opens it
    Keras' `Param \#'
    """
    printer = latex_printer()

    def word(m) -> str:
        name = m.group(1)
        if name in names or "_" in name or "'" in name:
            return "$" + printer._print(sympy.Symbol(name)) + "$"
        return m.group()

    out, pos = [], 0
    for m in _WORD.finditer(text):
        out += [escape(text[pos:m.start()]), word(m)]
        pos = m.end()
    out.append(escape(text[pos:]))
    return latex_quotes("".join(out)).replace("->", r"$\to$")


def line_latex(line, names: frozenset = frozenset()) -> str:
    """One solution line as LaTeX: the prose (the symbol ``names`` set as math), then a
    display with the mathematics."""
    printer = latex_printer()
    out = [_text_latex(line.text, names)] if line.text else []
    math = line.math
    if math is None:
        return "\n".join(out)
    if isinstance(math, tuple):
        out.append(r"\[ " + " = ".join(_part_latex(p, printer) for p in math) + r" \]")
        return "\n".join(out)
    steps = getattr(math, "steps", None)
    rows = [printer._print(s) for s in (steps if steps is not None else [math])
            if not (s.key == "params" and s.value == 0 and steps is not None)]
    out.append("\\[\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}\\]")
    out += [r"\emph{" + typeset_note(note, printer) + "}" for note in getattr(math, "notes", ())]
    return "\n".join(out)


def _latex(items, solutions: bool, title: str) -> str:
    body = [r"\documentclass{article}", r"\usepackage[a4paper,margin=2cm]{geometry}", FONTS,
            r"\usepackage{amsmath}", r"\usepackage{booktabs}", r"\begin{document}", r"\sloppy",
            r"\section*{" + _text_latex(title) + "}", r"\begin{enumerate}"]
    names = [symbol_names(x) for x in items]
    body += [r"\item " + _question_latex(x.question, n) for x, n in zip(items, names)]
    body.append(r"\end{enumerate}")
    if solutions:
        body += [r"\clearpage", r"\section*{Solutions}", r"\begin{enumerate}"]
        for x, n in zip(items, names):
            body.append(r"\item \textbf{Answer:} $" + _part_latex(x.answer, latex_printer())
                        + "$\\par")
            body += [line_latex(line, n) + r"\par" for line in x.solution]
        body.append(r"\end{enumerate}")
    body.append(r"\end{document}")
    return "\n".join(body) + "\n"


# --------------------------------------------------------------------------- Markdown, HTML


def _markdown(items, solutions: bool, title: str) -> str:
    lines = [f"# {title}", ""]
    lines += [f"{i}. {_spans(x.question, lambda c: f'`{c}`', str)}"
              for i, x in enumerate(items, 1)]
    if solutions:
        lines += ["", "## Solutions", ""]
        for i, x in enumerate(items, 1):
            lines += [f"**{i}.** Answer: `{plain(x.answer)}`", "", "```text",
                      str(x.solution), "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def _part_html(part, printer: MathML):
    """A solution part as MathML, as :func:`_part_latex` sets it in LaTeX: a symbol's name
    as the formulas print it, a word as text, a shape as a tuple, a number grouped, a
    working as it prints itself, a closed form in its display form."""
    if isinstance(part, str):
        if re.fullmatch(r"[A-Za-z]+_\w+", part):
            return printer._print(sympy.Symbol(part))
        return printer._el("mtext", text=part)
    if isinstance(part, tuple):
        row = printer._el("mrow", printer._op("("))
        for i, size in enumerate(part):
            if i:
                row.appendChild(printer._op(","))
            row.appendChild(_part_html(size, printer))
        if len(part) == 1:
            row.appendChild(printer._op(","))
        row.appendChild(printer._op(")"))
        return row
    value = sympy.sympify(part)
    if isinstance(value, _Node):  # a working prints itself
        return printer._print(value)
    return printer._print(Given(value))  # a number grouped, as every output shows it


def _text_html(text: str, names: frozenset = frozenset()) -> str:
    """Prose as HTML, each word that names a symbol set in MathML as the formulas set it
    (as :func:`_text_latex` sets it in LaTeX).

    >>> print(_text_html("kernel K_h -> n", frozenset({"n"})))  # doctest: +ELLIPSIS
    kernel <math ...><msub><mi>K</mi><mi>h</mi></msub></math> → <math ...><mi>n</mi></math>
    """
    printer = MathML()

    def word(m) -> str:
        name = m.group(1)
        if name in names or "_" in name or "'" in name:
            return mathml(printer._print(sympy.Symbol(name)))
        return html.escape(m.group(), quote=False)

    out, pos = [], 0
    for m in _WORD.finditer(text):
        out += [html.escape(text[pos:m.start()], quote=False), word(m)]
        pos = m.end()
    out.append(html.escape(text[pos:], quote=False))
    return "".join(out).replace("-&gt;", "\u2192")


def line_html(line, names: frozenset = frozenset()) -> str:
    """One solution line as HTML: the prose (the symbol ``names`` set in MathML), then the
    mathematics in MathML as a model's HTML derivation sets it (:func:`step_html`): numbers
    grouped alike on every line (``= 2,312`` above ``2,312 + 180,100 = 182,412``)."""
    printer = MathML()
    out = [f"<p>{_text_html(line.text, names)}</p>"] if line.text else []
    math = line.math
    if math is None:
        return "".join(out)
    if isinstance(math, tuple):
        row = printer.row(*(_part_html(p, printer) for p in math))
        out.append(f'<div class="step">{mathml(row, block=True)}</div>')
        return "".join(out)
    steps = getattr(math, "steps", None)
    out += [step_html(s, printer) for s in (steps if steps is not None else [math])
            if not (s.key == "params" and s.value == 0 and steps is not None)]
    out += [f'<p class="note"><em>{note_html(note, printer)}</em></p>'
            for note in getattr(math, "notes", ())]
    return "".join(out)


#: The HTML sheet's style: formulas set as a model's HTML derivation sets them, on the left.
_HTML_STYLE = ("body{font-family:sans-serif;max-width:50em;margin:2em auto;line-height:1.45}"
               "div.step{overflow-x:auto;overflow-y:hidden;margin:.3rem 0}"
               "div.step math[display=block]{margin-left:1.5em;text-align:left}"
               "div.lines>div+div{margin-top:.25rem}p.note{font-size:.9rem;color:#333}"
               "li>p{margin:.4rem 0}")


def _html(items, solutions: bool, title: str) -> str:
    e = html.escape
    parts = [f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{e(title)}</title>'
             f"<style>{_HTML_STYLE}</style></head><body>",
             f"<h1>{e(title)}</h1><ol>"]
    parts += [f"<li>{_question_html(x.question)}</li>" for x in items]
    parts.append("</ol>")
    if solutions:
        parts.append("<h2>Solutions</h2><ol>")
        for x in items:
            names = symbol_names(x)
            answer = mathml(_part_html(x.answer, MathML()))
            parts.append(f"<li><p><strong>Answer:</strong> {answer}</p>"
                         + "".join(line_html(line, names) for line in x.solution) + "</li>")
        parts.append("</ol>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


# --------------------------------------------------------------------------- Moodle XML


def _number(value) -> tuple:
    """Moodle's answer text and tolerance for an exact value."""
    value = sympy.nsimplify(value)
    if value.is_Integer:
        return str(int(value)), "0"
    return f"{float(value):.6g}", "0.005"


def _text(parent, tag: str, text: str, fmt: str | None = None):
    element = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    ET.SubElement(element, "text").text = text
    return element


def _moodle(items, solutions: bool, title: str) -> str:
    quiz = ET.Element("quiz")
    category = ET.SubElement(quiz, "question", {"type": "category"})
    ET.SubElement(ET.SubElement(category, "category"), "text").text = f"$course$/{title}"
    for i, x in enumerate(items, 1):
        for label, value in x.numerical:
            question = ET.SubElement(quiz, "question", {"type": "numerical"})
            _text(question, "name", f"{x.topic} {i}: {label}")
            _text(question, "questiontext",
                  f"<p>{_question_html(x.question)}</p><p>Enter the {html.escape(label)}.</p>",
                  "html")
            if solutions:
                _text(question, "generalfeedback",
                      f"<pre>{html.escape(str(x.solution))}</pre>", "html")
            ET.SubElement(question, "defaultgrade").text = "1"
            ET.SubElement(question, "penalty").text = "0.3333333"
            ET.SubElement(question, "hidden").text = "0"
            text, tolerance = _number(value)
            answer = ET.SubElement(question, "answer", {"fraction": "100",
                                                        "format": "moodle_auto_format"})
            ET.SubElement(answer, "text").text = text
            ET.SubElement(answer, "tolerance").text = tolerance
            _text(answer, "feedback", "Correct.", "html")
    ET.indent(quiz)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, "unicode") + "\n"


_WRITERS = {"latex": _latex, "markdown": _markdown, "html": _html, "moodle": _moodle}


_EXERCISE_FIELDS = ("topic", "question", "answer", "solution", "numerical")


def _is_exercise(value) -> bool:
    return all(hasattr(value, name) for name in _EXERCISE_FIELDS)


def _items(items) -> list:
    """``items`` as a list of exercises, or an error that names what was given instead."""
    if _is_exercise(items):
        raise ArgumentError("exercises.sheet: `items` is a list of exercises; for one, pass "
                            "[exercise]. Received: items=<one Exercise>")
    if isinstance(items, (str, bytes, dict)) or not isinstance(items, Iterable):
        raise ArgumentError(f"exercises.sheet: `items` must be a list of exercises from "
                            f"sc.exercises.generate(...). Received: items={brief(items)}")
    items = list(items)
    if not items:
        raise SymcnnError("exercises.sheet: no exercises given. Received: items=[]")
    for i, item in enumerate(items):
        if not _is_exercise(item):
            raise ArgumentError(f"exercises.sheet: item {i} is not an exercise (one from "
                                f"sc.exercises.generate(...)). Received: items[{i}]="
                                f"{brief(item)}")
    return items


def sheet(items, format: str = "latex", solutions: bool = True, title: str | None = None) -> str:
    """The exercise sheet of ``items`` (a list of exercises from
    :func:`~symcnn.teach.exercises.generate`) in ``format`` (``latex``: a complete pdflatex
    document; ``moodle``: Moodle XML, one numerical question per number asked). With
    ``solutions=True`` the answers and their working follow the questions (LaTeX: on a new
    page; Moodle: as each question's general feedback); ``solutions`` is True or False,
    never a string such as ``"no"``.

    >>> import symcnn as sc
    >>> items = sc.exercises.generate("params", n=2, seed=1)
    >>> "## Solutions" in sc.exercises.sheet(items, format="markdown", solutions=False)
    False
    >>> sc.exercises.sheet(items, solutions="no")
    Traceback (most recent call last):
    ...
    symcnn.errors.ArgumentError: exercises.sheet: `solutions` must be True or False. Received: solutions='no'
    """
    if not isinstance(format, str) or format not in _WRITERS:
        raise SymcnnError(f"exercises.sheet: `format` must be one of "
                          f"{', '.join(map(repr, FORMATS))}. Received: format={brief(format)}")
    if not isinstance(solutions, bool):
        raise ArgumentError(f"exercises.sheet: `solutions` must be True or False. "
                            f"Received: solutions={brief(solutions)}")
    if title is not None and not isinstance(title, str):
        raise ArgumentError(f"exercises.sheet: `title` must be text or None. "
                            f"Received: title={brief(title)}")
    items = _items(items)
    return _WRITERS[format](items, solutions, _title(items, title))
