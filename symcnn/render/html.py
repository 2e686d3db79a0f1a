"""HTML with MathML: one self-contained page a lecturer can hand out (no script, nothing
fetched), and the rich display of models and records in Jupyter.

Mathematics is MathML (``<math>``), which browsers render natively; closed forms go through
the display form (:func:`symcnn.show`), the working through :class:`MathML`, a SymPy
presentation printer that also knows symcnn's unevaluated working nodes.

>>> import symcnn as sc
>>> page = sc.zoo.textbook.cifar().to_html()
>>> page.startswith("<!DOCTYPE html>"), "<script" in page, "src=" in page or "href=" in page
(True, False, False)
>>> "<math" in page and "Total params" in page
True
"""

from __future__ import annotations

import html as _html
import itertools
import re

import sympy
from sympy.printing.mathml import MathMLPresentationPrinter

from ..divisible import make_divisible
from ..errors import SymcnnError
from ..ordering import printed_args
from ..working import Given
from .context import TABLE_COLUMNS, TOTALS, RenderContext, resolve_columns
from .exprs import display_form
from .printers import InRounding
from .latex import _named_calls, _shown_steps
from .latex_long import expr_sides, note_parts
from .text import chain
from .summary import COLUMNS, column_notes

__all__ = ["model_to_html", "derivation_html", "MathML", "math", "wrapping_math", "STYLE",
           "WRAP_CHARS", "STEP_CHARS", "step_html"]

#: The page's style sheet (inline: the page fetches nothing).
STYLE = """
body { font-family: Georgia, 'Times New Roman', serif; max-width: 72rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.45; color: #111; background: #fff; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.15rem; margin-top: 1.6rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.95rem; }
thead th { border-top: 2px solid #111; border-bottom: 1px solid #111; text-align: left;
           padding: 0.3rem 0.5rem; }
td { padding: 0.25rem 0.5rem; vertical-align: top; }
td.num, th.num { text-align: right; }
tr.total td { border-top: 1px solid #111; } tr.last td { border-bottom: 2px solid #111; }
.scroll { overflow-x: auto; } div.total { width: 0; min-width: 100%; }
math { font-size: 1.05em; } div.step { overflow-x: auto; overflow-y: hidden; margin: 0.3rem 0; }
td div + div { margin-top: 0.15rem; }
p.note { font-size: 0.9rem; color: #333; }
code { font-family: 'DejaVu Sans Mono', Menlo, monospace; font-size: 0.9em; }
code.run, h1 code, h2 code { overflow-wrap: anywhere; }
span.terms > math { white-space: nowrap; }
div.lines math { math-style: normal; } div.lines > div + div { margin-top: 0.25rem; }
div.lines > div { padding-left: 4em; text-indent: -4em; }
div.lines > div + div { text-indent: -2.5em; }
"""


def _group(value: int) -> str:
    return f"{int(value):,}"


class MathML(InRounding, MathMLPresentationPrinter):
    """Presentation MathML of display forms and of the working (``Plus``, ``Times``,
    ``Over``, ``Floor``, ``Ceiling``, ``Given`` ...), terms in the order given."""

    #: Parts a table names in its "where" note, printed as their names (expression ->
    #: Symbol; :func:`symcnn.render.where.call_names`), as the LaTeX printer prints them.
    names: dict = {}

    def __init__(self) -> None:
        super().__init__({"order": "none"})
        self._arguments = 0  # inside a function's argument list: digits never grouped

    def _paren_comma_separated(self, *args):
        """SymPy's argument list, its numbers written without grouping: in
        ``make_divisible(1024 a, 8)`` a grouped ``1,024 a`` reads as three arguments (the
        LaTeX printer writes ``1024 a`` there too)."""
        self._arguments += 1
        try:
            return super()._paren_comma_separated(*args)
        finally:
            self._arguments -= 1

    def _print(self, expr, **kwargs):
        name = self.names.get(expr) if self.names and isinstance(expr, sympy.Basic) else None
        return super()._print(expr if name is None else name, **kwargs)

    def _el(self, tag: str, *children, text: str | None = None):
        node = self.dom.createElement(tag)
        if text is not None:
            node.appendChild(self.dom.createTextNode(text))
        for child in children:
            node.appendChild(child)
        return node

    def _op(self, text: str):
        return self._el("mo", text=text)

    def _paren(self, expr):
        inner = self._print(expr)
        value = expr.args[0] if type(expr).__name__ == "Given" else expr
        if type(expr).__name__ == "Plus" or getattr(value, "is_Add", False) or (
                isinstance(value, sympy.Number) and value.is_negative):
            return self._el("mrow", self._op("("), inner, self._op(")"))
        return inner

    def _print_Symbol(self, sym, style="plain"):
        """SymPy's, several subscripts apart by commas as in LaTeX (``N1_out``, the size of
        axis 1 out: N with 1,out below), not by a blank that reads "1 out" or "1out"."""
        node = super()._print_Symbol(sym, style)
        for mo in node.getElementsByTagName("mo"):
            if _text(mo) == " ":
                mo.firstChild.data = ","
        for mi in [node] if node.tagName == "mi" else node.getElementsByTagName("mi"):
            # a primed name (notation presets' D', a derivation's H''_in): the letter with
            # its primes, as LaTeX's D' (a prime is raised already: no superscript)
            text = _text(mi)
            if text.startswith("{") and text.endswith("}"):  # r_{i-1}: TeX's braces, unshown
                braced = self._braced(text[1:-1])
                if mi is node:
                    return braced
                mi.parentNode.replaceChild(braced, mi)
                continue
            if len(text) >= 2 and text[0].isalpha() and text[1:] == "'" * (len(text) - 1):
                prime = self._op("\u2032" * (len(text) - 1))
                prime.setAttribute("lspace", "0")
                prime.setAttribute("rspace", "0")
                primed = self._el("mrow", self._el("mi", text=text[0]), prime)
                if mi is node:
                    return primed
                mi.parentNode.replaceChild(primed, mi)
        return node

    def _braced(self, text: str):
        """A subscript written in TeX's braces (``r_{i-1}``, the field of the layer before)
        as LaTeX shows it: ``i − 1``, its letters, numbers and signs apart."""
        tokens = re.findall(r"\d+|[A-Za-z]+|[+-]", text)
        if "".join(tokens) != text.replace(" ", ""):
            return self._el("mi", text=text)
        row = self._el("mrow")
        for token in tokens:
            tag = "mn" if token.isdigit() else "mo" if token in "+-" else "mi"
            row.appendChild(self._el(tag, text="\u2212" if token == "-" else token))
        return row

    def _print_Integer(self, e):
        power = self._power(e.p)  # the display rule: 2**500 inside a rounding, superscript
        if power is not None:
            sup = self._el("msup", self._el("mn", text=str(power[0])),
                           self._el("mn", text=str(power[1])))
            return self._el("mrow", self._op("−"), sup) if e.p < 0 else sup
        return self._el("mn", text=self._digits(e))  # as LaTeX

    def _digits(self, value) -> str:
        """An integer's digits, grouped (``1,024``) except in a function's arguments."""
        return str(int(value)) if self._arguments else _group(value)

    def _print_Mul(self, expr):
        """SymPy's, with a visible ``·`` between two factors that meet as numerals: ``2·2^t``
        (``H/(2*2**t)``, the invisible times reads as ``22^t``), ``2·3``."""
        node = super()._print_Mul(expr)
        for row in [node, *node.getElementsByTagName("mrow")]:
            kids = [k for k in row.childNodes if k.nodeType == k.ELEMENT_NODE]
            for left, mo, right in zip(kids, kids[1:], kids[2:]):
                if mo.nodeName == "mo" and _text(mo) in ("\u2062", "&InvisibleTimes;") and \
                        _numeral_at(left, -1) and _numeral_at(right, 0):
                    mo.firstChild.data = "\u00b7"
        return node

    def _print_Given(self, e):
        value = display_form(e.args[0])
        if value.is_Integer:
            return self._el("mn", text=self._digits(value))
        return self._print(value)

    def _print_Plus(self, e):
        row = self._el("mrow")
        for i, term in enumerate(e.args):
            minus = type(term).__name__ == "Minus"
            body = term.args[0] if minus else term
            if i or minus:
                row.appendChild(self._op("−" if minus else "+"))
            row.appendChild(self._paren(body))
        return row

    def _print_Minus(self, e):
        return self._el("mrow", self._op("−"), self._paren(e.args[0]))

    def _print_Times(self, e):
        row = self._el("mrow")
        for i, factor in enumerate(e.args):
            if i:
                row.appendChild(self._op("·"))
            row.appendChild(self._paren(factor))
        return row

    def _print_Over(self, e):
        return self._el("mfrac", self._print(e.args[0]), self._print(e.args[1]))

    def _rounding(self, e, left: str, right: str):
        inner = self._inside(self._print, e.args[0])
        return self._el("mrow", self._op(left), inner, self._op(right))

    def _print_floor(self, e):  # SymPy's roundings in display forms, and the working's
        return self._rounding(e, "⌊", "⌋")

    def _print_ceiling(self, e):
        return self._rounding(e, "⌈", "⌉")

    _print_Floor, _print_Ceiling = _print_floor, _print_ceiling

    def _min_max(self, e, name: str):
        row = self._el("mrow", self._el("mi", text=name), self._op("("))
        self._arguments += 1
        try:
            for i, a in enumerate(e.args):
                if i:
                    row.appendChild(self._op(","))
                row.appendChild(self._print(a))
        finally:
            self._arguments -= 1
        row.appendChild(self._op(")"))
        return row

    def _print_Max(self, e):  # SymPy's, its sort keys kept (symcnn.ordering)
        row = self._el("mrow", self._el("mo", text=str(e.func).lower()))
        row.appendChild(self._paren_comma_separated(*printed_args(e)))
        return row

    _print_Min = _print_Max

    def _print_make_divisible(self, e):
        """An upright name after a thin space: ``6 make_divisible(16α, 8)``, not
        ``6make_divisible`` (browsers give the invisible times no width)."""
        row = self._el("mrow", self._el("mspace", text=None), self._el("mi", text=e.func.__name__))
        row.firstChild.setAttribute("width", "0.17em")
        row.lastChild.setAttribute("mathvariant", "normal")
        row.appendChild(self._paren_comma_separated(*e.args))
        return row

    def _print_MinOf(self, e):
        return self._min_max(e, "min")

    def _print_MaxOf(self, e):
        return self._min_max(e, "max")

    def row(self, *parts):
        """``<mrow>`` of printed parts joined by ``=``."""
        node = self._el("mrow")
        for i, part in enumerate(parts):
            if i:
                node.appendChild(self._op("="))
            node.appendChild(part)
        return node


def _numeral_at(node, end: int) -> bool:
    """Whether ``node`` shows a numeral at its start (``end=0``) or its end (``-1``; a
    power ends with its base's digits for this purpose: ``2^t 3`` reads as badly)."""
    if node.nodeName == "mn":
        return True
    kids = [k for k in node.childNodes if k.nodeType == k.ELEMENT_NODE]
    if not kids:
        return False
    if node.nodeName in ("msup", "msub", "msubsup"):
        return _numeral_at(kids[0], end)
    return node.nodeName == "mrow" and _numeral_at(kids[end], end)


def math(node, block: bool = False) -> str:
    """A MathML element (from :class:`MathML`) as a ``<math>`` element's text."""
    shown = ' display="block"' if block else ""
    _unstretched(node)
    text = re.sub(r"&(?!amp;|lt;|gt;|quot;|#)([A-Za-z]+);",  # &InvisibleTimes; as a character
                  lambda m: _html.unescape(m.group()), node.toxml())
    # SymPy's sums and products write the hyphen-minus, which browsers show as a hyphen
    # (``D - 4`` beside the working's ``P − D``): the minus sign, as the working has it
    text = re.sub(r"(<mo(?: [^>]*)?>)-(</mo>)", "\\1\u2212\\2", text)
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML"{shown}>{text}</math>'


_OPENING = {"(": ")", "[": "]", "\u230a": "\u230b", "\u2308": "\u2309"}


def _unstretched(node) -> None:
    """Mark the brackets around content of one line's height (no fraction inside)
    ``stretchy="false"``: Chromium sets a stretchy bracket apart from what it encloses
    (``( U, )``, ``( L − 1 )``), and only a fraction needs it taller."""
    for row in [node, *node.getElementsByTagName("mrow")]:
        opened = []  # (opening mo, the children after it) at this level of the row
        for child in row.childNodes:
            text = _text(child) if child.nodeName == "mo" else None
            if text in _OPENING:
                opened.append((child, []))
                continue
            if opened and text == _OPENING[_text(opened[-1][0])]:
                opening, inside = opened.pop()
                if not any(n.nodeName == "mfrac" or n.getElementsByTagName("mfrac")
                           for n in inside if n.nodeType == n.ELEMENT_NODE):
                    for bracket in (opening, child):
                        bracket.setAttribute("stretchy", "false")
                if opened:
                    opened[-1][1].extend([opening, *inside, child])
                continue
            if opened:
                opened[-1][1].append(child)


#: A sum wider than this (:func:`_width`, in characters) is printed as one ``<math>`` per
#: term, so that the browser can wrap it between terms (MathML itself is never wrapped).
WRAP_CHARS = 48


def wrapping_math(node, limit: int = WRAP_CHARS) -> str:
    """``math(node)``, or for a sum longer than ``limit`` one ``<math>`` per term (each with
    its sign), in a ``<span class="terms">`` that the browser may wrap between the terms."""
    if _width(node) <= limit or node.tagName != "mrow":
        return math(node)
    pieces, current = [], []
    for child in _opened(node):
        if child.nodeName == "mo" and _text(child) in ("+", "-", "\u2212", "=") and current:
            pieces.append(current)
            current = []
        current.append(child)
    pieces.append(current)
    pieces = [cut for piece in pieces for cut in _factors(piece)]
    if len(pieces) == 1:
        return math(node)
    parts = []
    for piece in pieces:
        row = node.ownerDocument.createElement("mrow")
        if piece[0].nodeName == "mo" and _text(piece[0]) in ("+", "-", "\u2212", "="):
            piece[0].setAttribute("form", "infix")  # spaced as between terms, not a sign
        for child in piece:
            row.appendChild(child)
        parts.append(math(row))
    return '<span class="terms">' + " ".join(parts) + "</span>"


#: Product signs a long term may wrap after (invisible times, the centred dot).
_TIMES = ("\u2062", "&InvisibleTimes;", "\u00b7")


def _factors(piece: list) -> list:
    """A term longer than :data:`WRAP_CHARS` cut after its product signs, into runs of at
    most that length (EfficientNet's ``12 (ceiling(3 d) - 1) make_divisible(112 w, 8)
    max(1, ...)`` was 525 px wide); a shorter term whole. Lengths are widths on screen
    (:func:`_width`): an invisible times takes none (counted as its entity's 16 characters,
    it cut ``4 a b c`` into ``4 a`` and ``b c``)."""
    if sum(_width(child) for child in piece) <= WRAP_CHARS:
        return [piece]
    runs, current, size = [], [], 0
    for child in piece:
        current.append(child)
        size += _width(child)
        if child.nodeName == "mo" and _text(child) in _TIMES and size >= WRAP_CHARS // 2:
            runs.append(current)
            current, size = [], 0
    return runs + [current] if current else runs


def _opened(node) -> list:
    """The children of ``node`` with inner rows laid open, so that a sum inside a product or
    after ``=`` can wrap too (a Repeat's ``(ceiling(d) - 1)*(long sum) = ...`` in
    EfficientNet was one unbreakable line that pushed the Parameters column off the page);
    a parenthesised group stays whole unless it is long."""
    out = []
    for child in list(node.childNodes):
        if child.nodeName != "mrow":
            out.append(child)
            continue
        kids = list(child.childNodes)
        paren = _is_paren(kids)
        shown = [k for k in kids if k.nodeName != "mspace"]
        args = list(shown[1].childNodes) if len(shown) == 2 else []
        if len(shown) == 2 and shown[0].nodeName == "mi" and shown[1].nodeName == "mrow" and \
                len(args) >= 3 and \
                _text(args[0]) == "(" and _text(args[-1]) == ")":  # make_divisible(16 w, 8)
            out.append(child)
        elif not paren:
            out += _opened(child)
        elif _width(child) > WRAP_CHARS // 2 and kids[1].nodeName == "mrow":
            out += [kids[0], *_opened(kids[1]), kids[2]]
        else:
            out.append(child)
    return out


def _is_paren(kids: list) -> bool:
    """Whether these children are ``(``, one row, ``)``."""
    return len(kids) == 3 and all(k.nodeName == "mo" for k in (kids[0], kids[2])) and \
        _text(kids[0]) == "(" and _text(kids[2]) == ")"


def _width(node) -> float:
    """A MathML element's width on screen, roughly, in characters of its text: a fraction
    is as wide as its wider part, a script smaller than its base."""
    if node.nodeType == node.TEXT_NODE:  # an invisible times takes no room
        return len(node.data.replace("&InvisibleTimes;", "").replace("\u2062", ""))
    kids = list(node.childNodes)
    if node.nodeName == "mfrac" and len(kids) == 2:
        return max(_width(kids[0]), _width(kids[1]))
    if node.nodeName in ("msub", "msup") and len(kids) == 2:
        return _width(kids[0]) + 0.7 * _width(kids[1])
    if node.nodeName == "mo":  # spaced operators take about a character more
        return sum(_width(c) for c in kids) + (_text(node) in ("+", "\u2212", "=", "·"))
    return sum(_width(c) for c in kids)


def _text(node) -> str:
    """What a MathML element shows, as plain text (to estimate its width)."""
    if node.nodeType == node.TEXT_NODE:
        return node.data
    return "".join(_text(c) for c in node.childNodes)


def _given(value):
    return Given(value)


def _shape(printer: MathML, shape) -> str:
    if isinstance(shape, list):
        return ", ".join(_shape(printer, s) for s in shape)
    row = printer._el("mrow", printer._op("("))
    for i, d in enumerate(shape):
        if i:
            row.appendChild(printer._op(","))
        # a size is never grouped: "(1,000,)" would read as two sizes (Keras: (None, 1000))
        row.appendChild(printer._el("mn", text=str(int(d))) if getattr(d, "is_Integer", False)
                        else printer._print(_given(d)))
    if len(shape) == 1:
        row.appendChild(printer._op(","))
    row.appendChild(printer._op(")"))
    return math(row)


def _key(printer: MathML, key: str):
    if key in ("params", "non_trainable"):
        return printer._el("mtext", text="params" if key == "params" else "non-trainable")
    return printer._print(sympy.Symbol(key))


#: A derivation step wider than this (:func:`_width`; 8 to 10.5 px each, so that it fits
#: an 800 px window) is set on several lines, as LaTeX sets it (:func:`symcnn.render.latex_steps.page_step`):
#: ``key = formula``, then ``= working = value`` (or each on a line of its own), each line
#: wrapping between terms; then so are the other steps of its layer, aligned alike.
STEP_CHARS = 70


def _step_parts(step, printer: MathML) -> tuple:
    """``(key, parts)``: the step's key and its formula, working and value as MathML,
    repeats left out."""
    candidates = []
    if step.formula is not None:
        candidates += [step.formula, step.working]
    candidates.append(_given(step.value))
    nodes = [printer._print(c) for c in candidates]
    key = _key(printer, step.key)
    return key, chain(((n, _alike(n)) for n in nodes), before=_alike(key)) or nodes[-1:]


def _alike(node) -> str:
    """What decides whether two steps' MathML show alike: a ``·`` before anything but a
    number is the invisible times of a product written without it (``2·U`` and ``2U``;
    ``2·4`` is not ``24``), as :func:`~symcnn.render.latex_long.alike` decides for LaTeX."""
    return re.sub(r"<mo>·</mo>(?!<mn>)", "<mo>&InvisibleTimes;</mo>", node.toxml())


def _fits(nodes) -> bool:
    """Whether ``nodes`` joined by ``=`` fit on one line of a narrow (800 px) window."""
    return sum(_width(node) for node in nodes) + 2 * len(nodes) <= STEP_CHARS


def step_html(step, printer: MathML, lines: bool | None = None, parts=None) -> str:
    """One step, ``key = formula = working = value``, as block MathML (repeats left out);
    a long one (or any, with ``lines=True``) on lines that the browser wraps between terms
    (EfficientNet's ``params = T·P_block = ...`` with symbolic coefficients ran 2,100 px
    past a 1,280 px window, where LaTeX wraps the same step)."""
    key, parts = parts or _step_parts(step, printer)
    if not (lines or lines is None and not _fits([key, *parts])):
        return f'<div class="step">{math(printer.row(key, *parts), block=True)}</div>'
    rows = [printer.row(key, parts[0])]
    rest = parts[1:]
    if _fits(rest):  # "= working = value" on one line
        rows += [printer.row(printer._el("mrow"), *rest)] if rest else []
    else:
        rows += [printer.row(printer._el("mrow"), part) for part in rest]
    body = "".join(f"<div>{wrapping_math(row)}</div>" for row in rows)
    return f'<div class="step lines">{body}</div>'


def note_html(note: str, printer: MathML | None = None) -> str:
    """A derivation's note as HTML, marked up as LaTeX sets it: code in ``<code>``,
    roundings with their brackets (``⌈input/stride⌉``), symbols in italics, and formula
    symbols (``c_i/G``) in MathML as ``printer`` prints them in the formulas.

    >>> note_html("With padding='same' the output is ceiling(input/stride).")
    "With <code>padding='same'</code> the output is <i>⌈input/stride⌉</i>."
    >>> print(note_html("Each filter sees c_i/G of them."))  # doctest: +ELLIPSIS
    Each filter sees <math ...><mrow><msub><mi>c</mi><mi>i</mi></msub><mo>/</mo>...</math> of them.
    """
    out = []
    for kind, text in note_parts(note):
        shown = _html.escape(text, quote=False)
        if kind == "expr":
            shown = math(_expr_node(text, printer or MathML()))
        elif kind == "code":
            shown = f"<code>{shown}</code>"
        elif kind == "sym":  # P_1 as P with a subscript 1, as LaTeX sets it
            base, _, sub = shown.partition("_")
            shown = f"<i>{base}</i><sub>{sub}</sub>" if sub else f"<i>{shown}</i>"
        elif kind != "text":
            left, right = "⌈⌉" if kind == "ceiling" else "⌊⌋"
            shown = f"<i>{left}{shown}{right}</i>"
        out.append(shown)
    return "".join(out)


def _expr_node(expr: str, printer: MathML):
    """A note's formula symbols (``C_in*K_h/G``) as MathML: each side of ``/`` a symbol or
    a product as the formulas print it."""
    sides = expr_sides(expr, printer)
    if len(sides) == 1:
        return sides[0]
    row = printer._el("mrow", sides[0])
    for side in sides[1:]:
        row.appendChild(printer._op("/"))
        row.appendChild(side)
    return row


def derivation_html(derivation, printer: MathML | None = None) -> str:
    """A layer's derivation as HTML: a heading, input and output shapes, a line per step."""
    p = printer or MathML()
    d = derivation
    out = [f"<h2><code>{_html.escape(d.name)}</code> ({_html.escape(d.type)})</h2>"]
    steps = _shown_steps(d)
    none = ", no parameters" if d.params.value == 0 else ""
    out.append(f"<p>Input {_shape(p, d.input_shape)}, output {_shape(p, d.output_shape)}"
               f"{none}.</p>")
    parts = [_step_parts(s, p) for s in steps]
    lines = not all(_fits([key, *shown]) for key, shown in parts)  # a layer's steps alike
    out += [step_html(s, p, lines, part) for s, part in zip(steps, parts)]
    out += [f'<p class="note">{note_html(n, p)}</p>' for n in d.notes]
    return "\n".join(out)


def _cell(ctx, p, key, name, type_name, shape, derivation, record) -> tuple:
    if key == "layer":  # a long run without an underscore wraps anywhere (class "run")
        run = ' class="run"' if max(map(len, re.split(r"[_.\-/:]", name))) > _BREAK_CHARS else ""
        return f"<code{run}>{_breakable(name, _AFTER_UNDERSCORE)}</code>", False
    if key == "type":
        return _breakable(type_name, _BEFORE_CAPITAL), False
    if key == "output_shape":
        return _shape(p, shape), False
    if key in ("working", "params"):
        if derivation is None:
            return math(p._print(sympy.Integer(0))), True
        step = derivation.params
        value = p._print(_given(step.value))
        if key == "working" and step.formula is not None:
            working = p._print(step.working)
            if working.toxml() != value.toxml():
                if _width(working) + _width(value) <= 34:
                    return math(p.row(working, value)), True
                # a long working: "= value" on a line of its own; both wrap between terms
                # in a narrow column (a block's sum of its layers' counts, EfficientNet's
                # "= 6 c_16 max(1, ...) + max(1, ...)", 30 characters wide)
                return (f"<div>{wrapping_math(working, WRAP_CHARS // 2)}</div>"
                        f"<div>{wrapping_math(p.row(p._el('mrow'), value), WRAP_CHARS // 2)}"
                        f"</div>"), True
        return wrapping_math(value), True
    value = ctx.other_value(key, record)
    if value is not None:
        return wrapping_math(p._print(_given(value))), True
    return _html.escape(ctx.other_cell(key, record)), COLUMNS[key].numeric


_AFTER_UNDERSCORE = re.compile(r"(?<=_)(?=[^_])")
_BEFORE_CAPITAL = re.compile(r"(?<=[a-z])(?=[A-Z])")  # Conv2D never as Conv2 / D
#: A name or type longer than this may break (as in the LaTeX table).
_BREAK_CHARS = 14


def _breakable(name: str, places) -> str:
    """``name`` escaped, with ``<wbr>`` where a long one may break: a layer's name after an
    underscore, a type before an inner capital (``GlobalAverage<wbr/>Pooling2D``), as the
    LaTeX table breaks them; a short one whole.

    >>> _breakable("block_10_depthwise_hard_swish", _AFTER_UNDERSCORE)
    'block_<wbr/>10_<wbr/>depthwise_<wbr/>hard_<wbr/>swish'
    >>> _breakable("GlobalAveragePooling2D", _BEFORE_CAPITAL), _breakable("Conv2D", _BEFORE_CAPITAL)
    ('Global<wbr/>Average<wbr/>Pooling2D', 'Conv2D')
    """
    if len(name) <= _BREAK_CHARS:
        return _html.escape(name)
    return "<wbr/>".join(_html.escape(part) for part in places.split(name))


def _where_note(p: MathML, lead: str = "where ") -> list:
    """The note under a table (or above a derivation, ``lead`` its first words) that defines
    the ``make_divisible`` calls it names (``c_16 = make_divisible(16 a, 8)``), as the LaTeX
    table's note does."""
    if not p.names:
        return []
    terms = [math(p.row(p._print(symbol), p._print_make_divisible(call)))
             for call, symbol in p.names.items()]
    v, d = sympy.symbols("v d")
    rule = (f"{math(p._print_make_divisible(make_divisible(v, d)))} rounds {math(p._print(v))} "
            f"to the nearest multiple of {math(p._print(d))}, at least {math(p._print(d))}, "
            f"one {math(p._print(d))} higher if that is below "
            f"{math(p._el('mrow', p._el('mn', text='0.9'), p._print(v)))}")
    return [f'<p class="note">{lead}{", ".join(terms)}; {rule}.</p>']


def _table(ctx: RenderContext, p: MathML, columns) -> list:
    heads = [TABLE_COLUMNS[k] if k in TABLE_COLUMNS else COLUMNS[k].header for k in columns]
    numeric = [k in ("working", "params") or (k not in TABLE_COLUMNS and COLUMNS[k].numeric)
               for k in columns]
    out = ['<div class="scroll"><table>', "<thead><tr>" + "".join(
        f'<th{_NUM if n else ""}>{_html.escape(h)}</th>' for h, n in zip(heads, numeric))
        + "</tr></thead>", "<tbody>"]
    rows = itertools.chain(  # each layer's derivation built for its row and dropped after
        ((name, "InputLayer", shape, None, None) for name, shape in ctx.inputs),
        ((d.name, d.type, d.output_shape, d, r)
         for d, r in zip(ctx.derivations, ctx.model._records)))
    for row in rows:
        cells = [_cell(ctx, p, k, *row) for k in columns]
        out.append("<tr>" + "".join(f'<td{_NUM if num else ""}>{c}</td>'
                                     for c, num in cells) + "</tr>")
    n = len(columns)
    # the totals stand in the parameters' column (the last one when there is none)
    at = next((i for i, k in enumerate(columns) if k in ("working", "params")), n - 1)
    for i, (label, attr) in enumerate(TOTALS):
        cls = "total" if i == 0 else ("last" if i == len(TOTALS) - 1 else "")
        out.append(f'<tr class="{cls}">' + _total_cells(
            label, wrapping_math(p._print(_given(ctx.totals[attr]))), at, n) + "</tr>")
    for key, value, text in ctx.other_totals(columns):  # MACs, FLOPs, ... in their column
        shown = _html.escape(text) if value is None else wrapping_math(p._print(_given(value)))
        out.append("<tr>" + _total_cells(f"Total {_html.escape(COLUMNS[key].header)}", shown,
                                         columns.index(key), n) + "</tr>")
    out += ["</tbody></table></div>"]
    return out


def _total_cells(label: str, shown: str, at: int, n: int) -> str:
    """A totals row's cells: ``label`` over the columns before ``at``, ``shown`` in it. A
    long total (a sum set to wrap) wraps in the width the rows give the column, and does not
    set it: as wide as the whole sum on one line, it took the other columns' room (a 2,700 px
    total of MobileNet-V3 with a width multiplier had its layer names wrap at 800 px)."""
    if shown.startswith('<span class="terms">'):
        shown = f'<div class="total">{shown}</div>'
    before = f'<td colspan="{at}">{label}</td>' if at else ""
    after = f'<td colspan="{n - at - 1}"></td>' if at < n - 1 else ""
    return f'{before}<td class="num">{shown if at else f"{label}: {shown}"}</td>{after}'


def _notes(ctx: RenderContext, p: MathML) -> list:
    out = []
    if ctx.used:
        groups = "; ".join(
            " and ".join(math(p._print(s)) for s in syms) + f" divisible by {divisor}"
            for syms, divisor in ctx.used)
        out.append(f'<p class="note">Assuming {groups} (every value is exact under this '
                   f"assumption).</p>")
    if ctx.model.constraints:
        out.append('<p class="note">Valid for '
                   + ", ".join(math(p._print(display_form(c))) for c in ctx.model.constraints)
                   + ".</p>")
    return out


def _cell_notes(ctx: RenderContext, columns) -> list:
    """Why cells show ``-`` for a value that cannot be stated (a receptive field not
    computed): the columns' sentences."""
    return [f'<p class="note">{_html.escape(note)}</p>' for note in
            column_notes(columns, [(ctx.model, r) for r in ctx.model._records])]


_STYLES = ("table", "derivation")
_NUM = ' class="num"'


def model_to_html(model, style: str = "table", standalone: bool = True, assume_divisible=None,
                  columns=None, notation: str = "keras") -> str:
    """HTML of ``model``: a table (``style="table"``) or per-layer derivations, with MathML.

    ``standalone=True`` gives a complete page (inline style sheet, no script, no link to
    anything); ``False`` a fragment (what Jupyter shows). ``columns``,
    ``assume_divisible`` and ``notation`` work as in
    :func:`symcnn.render.latex.model_to_latex`.
    """
    if style not in _STYLES:
        raise SymcnnError(f"to_html: `style` must be one of {', '.join(map(repr, _STYLES))}. "
                          f"Received: style={style!r}")
    ctx = RenderContext(model, assume_divisible, "to_html", notation)
    p = MathML()
    title = f"Model <code>{_html.escape(model.display_name)}</code>"
    # a make_divisible call is too wide for a cell, and a nested one for a line: each is
    # named once, under the table or above the derivation
    p.names = _named_calls(ctx, resolve_columns(columns, "to_html"))
    if style == "table":
        body = (_table(ctx, p, resolve_columns(columns, "to_html")) + _notes(ctx, p)
                + _cell_notes(ctx, resolve_columns(columns, "to_html")) + _where_note(p))
    else:
        body = _notes(ctx, p)[:1] if ctx.used else []
        body += _where_note(p, "The widths below are named: ")
        for name, shape in ctx.inputs:
            body.append(f"<h2><code>{_html.escape(name)}</code> (InputLayer)</h2>"
                        f"<p>Shape {_shape(p, shape)}.</p>")
        body += [derivation_html(d, p) for d in ctx.derivations]
        body.append("<h2>Totals</h2><ul>" + "".join(
            f"<li>{label}: {wrapping_math(p._print(_given(ctx.totals[attr])))}</li>"
            for label, attr in TOTALS) + "</ul>")
        body += _notes(ctx, p)[1 if ctx.used else 0:]
    fragment = "\n".join(body)
    if not standalone:
        return f'<div class="symcnn-model">\n<p><strong>{title}</strong></p>\n{fragment}\n</div>\n'
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>Model {_html.escape(model.display_name)}</title>",
        f"<style>{STYLE}</style>", "</head>", "<body>", f"<h1>{title}</h1>", fragment,
        "</body>", "</html>"]) + "\n"
