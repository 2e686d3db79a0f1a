"""One layer's working in LaTeX: its steps (``H_{out} &= formula = working = value``), its
derivation as an ``aligned`` block, a page's ``align*`` rows, shapes and the divisibility
assumptions; :mod:`symcnn.render.latex` lays them out as tables and pages.

>>> import symcnn as sc
>>> from symcnn.render.exprs import latex_printer
>>> print(_shape((sc.symbols("H"), 64), latex_printer()))
$(H, 64)$
"""

from __future__ import annotations

import re

import sympy
from sympy.printing.latex import LatexPrinter

from ..derivation.steps import register_printer
from ..working import Given
from .exprs import latex_printer
from .latex_long import (LINE_CHARS, alike, breakable, expr_latex, note_parts,
                         open_long_parentheses, pack, plain, split_sum, text_math,
                         unnest_fractions)
from .text import chain, describe_groups

__all__ = ["step_latex", "derivation_latex", "note_math", "page_step", "is_trivial"]


def _key(key: str, printer) -> str:
    if key == "params":
        return r"\text{params}"
    if key == "non_trainable":
        return r"\text{non-trainable}"
    return printer._print(sympy.Symbol(key))


def _parts(step, printer, formula: bool = True) -> list:
    """The step's formula, working and value in LaTeX, those shown alike once
    (:func:`~symcnn.render.text.chain`, compared by :func:`~.latex_long.alike`), a formula
    that is the key itself left out (d2l's ``c_o = 8``)."""
    parts = []
    if step.formula is not None:
        if formula:
            parts.append(printer._print(step.formula))
        parts.append(printer._print(step.working))
    parts.append(printer._print(Given(step.value)))
    key = _key(step.key, printer) if formula else None
    return chain(((p, alike(p)) for p in parts), before=key and alike(key)) or parts[-1:]


def _ours(printer):
    """symcnn's LaTeX printer where SymPy's own is given (``sympy.latex(derivation)``), so
    that a derivation prints alike everywhere (word subscripts upright, powers in
    roundings)."""
    return latex_printer() if type(printer) is LatexPrinter else printer


def step_latex(step, printer) -> str:
    """Rows of an ``aligned``/``align*`` block: ``H_{out} &= formula \\\\ &= working = value``."""
    printer = _ours(printer)
    parts = _parts(step, printer)
    head = f"{_key(step.key, printer)} &= {parts[0]}"
    if len(parts) <= 2:
        return " = ".join([head, *parts[1:]])
    return head + " \\\\\n  &= " + " = ".join(parts[1:])


def note_math(note: str, printer) -> str:
    r"""A derivation's note in math mode, a row of its ``aligned`` block (which Jupyter
    shows with MathJax): the note's symbols and roundings set as math, as the formulas
    above set them, its text in ``\text`` (:func:`symcnn.render.latex_long.text_math`),
    as :func:`symcnn.render.latex_long.typeset_note` sets a note in running text.

    >>> print(note_math("the 5 Conv2D layers (P_1).", latex_printer()))
    \text{the 5 Conv2D layers (}P_{1}\text{).}
    >>> print(note_math("So padding='same' gives ceiling(i/stride).", latex_printer()))
    \text{So }\texttt{padding='same'}\text{ gives }\lceil i/\mathit{stride} \rceil\text{.}
    >>> print(note_math("Each filter sees c_i/G of them.", latex_printer()))
    \text{Each filter sees }c_{i}/G\text{ of them.}
    """
    out = []
    for kind, text in note_parts(note):
        if kind == "text":
            out.append(text_math(text))
        elif kind == "code":  # \texttt in math mode: LaTeX and MathJax alike
            out.append(text_math(text).replace(r"\text{", r"\texttt{"))
        elif kind == "sym":
            name = re.fullmatch(r"[A-Za-z]\w*", text)
            out.append(printer._print(sympy.Symbol(text)) if name else text)
        elif kind == "expr":
            out.append(expr_latex(text, printer))
        else:
            left, right = (r"\lceil", r"\rceil") if kind == "ceiling" else (r"\lfloor", r"\rfloor")
            arg = re.sub(r"[A-Za-z]{2,}", lambda w: r"\mathit{" + w.group() + "}", text)
            out.append(f"{left} {arg} {right}")
    return "".join(out)


def _note_rows(derivation, printer) -> list:
    rows = ["&" + note_math(note, printer) for note in derivation.notes]
    if derivation.assumed:
        rows.append("&" + text_math("assuming " + _describeplain(derivation.assumed)
                                    + " (exact under this assumption)"))
    return rows


def derivation_latex(derivation, printer) -> str:
    """A layer's derivation as an ``aligned`` block (math mode), notes as rows of math
    (:func:`note_math`)."""
    printer = _ours(printer)
    rows = [step_latex(s, printer) for s in derivation.steps] + _note_rows(derivation, printer)
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"


def _describeplain(groups) -> str:
    return describe_groups(groups)


def _describe_math(groups, printer) -> str:
    parts = []
    for syms, divisor in groups:
        names = [f"${printer._print(s)}$" for s in syms]
        joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        verb = "is" if len(names) == 1 else "are"
        parts.append(f"{joined} {verb} divisible by ${divisor}$")
    return "Assuming " + "; ".join(parts) + " (every value is exact under this assumption)."


def _shape(shape, printer, breaks: bool = False) -> str:
    """``$(H - 2, W - 2, 64)$``; a 1-tuple keeps its comma (``$(1000,)$``), so it never
    reads as a 2-D shape, and sizes are not grouped (``1{,}000`` would read as two sizes);
    ``breaks`` lets a line break after each comma."""
    if isinstance(shape, list):
        return ", ".join(_shape(s, printer, breaks) for s in shape)
    # a size is never grouped: "(1{,}000,)" would read as two sizes (Keras: (None, 1000))
    parts = [str(int(d)) if getattr(d, "is_Integer", False) else printer._print(Given(d))
             for d in shape]
    if breaks:
        parts = [breakable(part) for part in parts]
    joint = r",\allowbreak " if breaks else ", "
    return "$(" + joint.join(parts) + ("," if len(parts) == 1 else "") + ")$"


def is_trivial(derivation) -> bool:
    """A layer with nothing to derive: no size formula, no parameters, no notes."""
    d = derivation
    return not d.shape_steps and d.params.value == 0 and not d.notes and not d.assumed


def _sum_rows(label: str, values, total, printer) -> str:
    """``label = (each layer's count) + ... = total`` as ``align*`` rows that fit the line:
    a long sum breaks between its terms (a layer's own sum inside ``\\bigl( \\bigr)``, which
    may span lines), continued lines indented under the first."""
    nonzero = [v for v in values if v != 0]
    pieces = []
    for v in nonzero:
        terms = split_sum(unnest_fractions(printer._print(Given(v))))
        if len(terms) > 1:  # a sum in parentheses
            terms[0], terms[-1] = r"\bigl(" + terms[0], terms[-1] + r"\bigr)"
        pieces += (["+ " + terms[0]] if pieces else [terms[0]]) + terms[1:]
    value = split_sum(unnest_fractions(printer._print(Given(total))))
    head = rf"\text{{{label}}} &= "
    joint = " \\\\\n  &\\quad "
    width = LINE_CHARS - len(label)  # the label takes the first line's start
    rows = []
    if len(nonzero) > 1 and alike(" ".join(pieces)) != alike(" ".join(value)):
        # the layers' sum, unless it prints as the total does (no "2CL + 2C = 2CL + 2C")
        rows.append(head + joint.join(pack(pieces, width)))
        head = "  &= "
    rows.append(head + joint.join(pack(value, width if not rows else LINE_CHARS)))
    return " \\\\\n".join(rows)


def page_step(step, printer) -> str:
    """``align*`` rows of one step on a page: ``key = formula``, then ``= working = value``;
    steps that print alike are shown once, and a line too long for the page is split with
    the value on a line of its own."""
    parts = _parts(step, printer)
    head = f"{_key(step.key, printer)} &= {_wrapped(parts[0])}"
    if len(parts) == 1:
        return head
    if len(parts) == 2 and len(plain(head + parts[1])) <= LINE_CHARS:
        return f"{head} = {parts[1]}"
    rows = [head]
    rest = parts[1:]
    if len(rest) == 2 and len(plain(rest[0] + rest[1])) > LINE_CHARS:
        rows += [f"  &= {_wrapped(rest[0])}", f"  &= {_wrapped(rest[1])}"]
    else:
        rows.append("  &= " + _wrapped(" = ".join(rest)))
    return " \\\\\n".join(rows)


def _wrapped(tex: str) -> str:
    """``tex`` as it is when it fits a line; else broken between its terms, also inside long
    parentheses, into ``align*`` rows indented under the first (a Repeat's parameters in
    EfficientNet ran 450 pt past the page), its nested fractions on one level
    (:func:`~symcnn.render.latex_long.unnest_fractions`: a parenthesis opened on one row
    and closed on the next cannot stretch over the fractions it holds)."""
    if len(plain(tex)) <= LINE_CHARS:
        return tex
    lines = pack(split_sum(open_long_parentheses(unnest_fractions(tex))))
    return " \\\\\n  &\\quad ".join(lines)


def _shown_steps(d) -> list:
    """The steps worth a line: a parameter count of 0 with nothing to derive is left out."""
    return [s for s in d.steps if not (s.key in ("params", "non_trainable") and s.value == 0
                                       and (s.formula is None or s.formula == 0))]


register_printer("latex", step_latex, derivation_latex)
