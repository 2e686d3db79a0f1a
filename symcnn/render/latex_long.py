"""LaTeX tables that fit the page: ``longtable`` across pages, columns that wrap.

A model of 170 layers does not fit on one page, and a symbolic one has cells wider than the
page. :func:`longtable` lays out the rows that :mod:`symcnn.render.latex` computes as a
``longtable`` whose header repeats on every page ("continued"), whose totals are the last
rows (so they are on the last page), and whose text columns are ``p`` columns of fixed
shares of ``\\textwidth`` in which cells wrap: layer names may break after an underscore
(a long run without one anywhere, :func:`break_name`), long type names before a capital,
shapes after a comma and products between factors, where a ``\\cdot`` shows at the end of
the line (:data:`TIMES_BREAK`; TeX breaks there only when a sum cannot break at a sign).
``landscape=True`` in :func:`symcnn.render.latex.model_to_latex` turns the page for very
wide tables.

>>> print(breakable(r"16 w \\left(a - 1\\right) \\left(b - 1\\right)").replace(TIMES_BREAK, "|"))
16 w | \\left(a - 1\\right) | \\left(b - 1\\right)
>>> print(breakable(r"1{,}000 \\left(m + 1\\right)"))
1{,}000 \\left(m + 1\\right)
>>> print(break_name(escape("conv2_block1_1_conv")))
conv2\\_\\allowbreak{}block1\\_\\allowbreak{}1\\_\\allowbreak{}conv
"""

from __future__ import annotations

import re
import unicodedata

import sympy

from ..derivation.blocks import SYMBOL_NAME
from ..working import Times
from .exprs import latex_printer

__all__ = ["escape", "text_math", "longtable", "breakable", "break_name", "break_type",
           "typeset_note", "plain", "note_parts", "expr_factors", "expr_sides", "expr_latex",
           "NOTE_CODE", "open_long_parentheses", "unnest_fractions", "LONGTABLE_PREAMBLE",
           "SHARES", "LINE_CHARS", "LONG_GROUP", "TIMES_BREAK", "TIMES_PENALTY",
           "INNER_PENALTY", "CODE_POINT_NOTE", "escape_code"]

_SPECIAL = {"\\": r"\textbackslash{}", "_": r"\_", "%": r"\%", "&": r"\&", "#": r"\#",
            "$": r"\$", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
            "^": r"\textasciicircum{}"}


def escape(text: str) -> str:
    """Text safe for LaTeX's text mode, also for pdflatex without Unicode fonts: a Greek
    letter is set as math (``conv_α`` as ``conv\\_$\\alpha$``), any other character
    beyond Latin-1 by its code point in angle brackets, ``⟨U+5377⟩`` (pdflatex stops at it
    otherwise, and TeX Live's base and recommended packages have no fonts for Chinese,
    Japanese or Korean; :data:`CODE_POINT_NOTE` says so under a standalone document).

    >>> print(escape("conv2d_1 (50% of #params)"))
    conv2d\\_1 (50\\% of \\#params)
    >>> print(escape("conv_\u03b1 \u0394 \u2192 \u00e9"))
    conv\\_$\\alpha$ $\\Delta$ $\\langle$\\texttt{U+2192}$\\rangle$ \u00e9
    """
    return "".join(_SPECIAL.get(c) or (c if ord(c) < 256 else _unicode(c)) for c in str(text))


#: Code and names set as typed, not as the fonts' ligatures and quotes would set them
#: (``<<`` a guillemet, ``'`` and the backquote curly, ``!`` and a backquote an inverted
#: mark, and in OT1 fonts ``<``, ``>``, ``|`` other glyphs).
_VERBATIM = {"<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
             "`": r"\textasciigrave{}", "'": r"\textquotesingle{}", '"': r"\textquotedbl{}"}
#: Characters that join a following copy of themselves into a ligature (``--`` an en dash,
#: ``,,`` a low quote): an empty group keeps them apart in code and names.
_PAIRED = "-,"


def escape_code(text: str) -> str:
    """:func:`escape` for names and code: every character as typed, where prose lets the
    fonts make dashes and quotes of them.

    >>> print(escape_code("a--b <<x>> 'q'"))
    a-{}-b \\textless{}\\textless{}x\\textgreater{}\\textgreater{} \\textquotesingle{}q\\textquotesingle{}
    """
    text, out = str(text), []
    for i, c in enumerate(text):
        out.append(_VERBATIM.get(c) or escape(c))
        if c in _PAIRED and text[i + 1:i + 2] == c:
            out.append("{}")
    return "".join(out)


#: What a standalone document says at its end when a name in it has a character set by its
#: code point (:func:`escape`).
CODE_POINT_NOTE = (r"$\langle$\texttt{U+}\ldots$\rangle$ in a name: a character that "
                   r"pdflatex cannot set with this document's fonts, by its Unicode code point.")


#: What math mode sets for the characters that ``\text{...}`` cannot hold alike in LaTeX
#: and in MathJax (which shows a text-mode escape such as ``\_`` as it is).
_MATH_SPECIAL = {"\\": r"\backslash", "_": r"\_", "%": r"\%", "&": r"\&", "#": r"\#",
                 "$": r"\$", "{": r"\{", "}": r"\}", "~": r"\sim", "^": r"\wedge"}
_TEXT_RUN = re.compile(r"[^\\_%&#$~^{}\u0100-\U0010ffff]+")


def text_math(text: str) -> str:
    r"""Text in math mode, shown alike by pdflatex and by MathJax (Jupyter): runs of text
    in ``\text{...}``, the characters text mode would need escaped (``_``, ``%``, ...) and
    any beyond Latin-1 as math between them.

    >>> print(text_math("conv_1 (50%)"))
    \text{conv}\_\text{1 (50}\%\text{)}
    >>> print(text_math("α →"))
    \alpha\text{ }\langle\mathtt{U+2192}\rangle
    """
    out, pos = [], 0
    for run in [*_TEXT_RUN.finditer(text), None]:
        end = len(text) if run is None else run.start()
        for char in text[pos:end]:
            math = _MATH_SPECIAL.get(char)
            if math is None:
                math = _unicode(char, math=True)
            out.append(math)
        if run is not None:
            out.append(r"\text{" + run.group() + "}")
            pos = run.end()
    return "".join(out)


def _unicode(char: str, math: bool = False) -> str:
    """A character beyond Latin-1 in text mode (or ``math``): a Greek letter as its command,
    any other by its code point, marked as one: ``⟨U+5377⟩``, not ``U+5377`` run into the
    name's other characters."""
    name = unicodedata.name(char, "")
    letter = re.fullmatch(r"GREEK (SMALL|CAPITAL) LETTER (\w+)", name)
    if letter:
        word = letter.group(2).lower()
        word = {"lamda": "lambda"}.get(word, word)
        if letter.group(1) == "CAPITAL":
            word = word.capitalize()
        if word in _GREEK:
            return f"\\{word}" if math else f"$\\{word}$"
    if math:
        return rf"\langle\mathtt{{U+{ord(char):04X}}}\rangle"
    return rf"$\langle$\texttt{{U+{ord(char):04X}}}$\rangle$"


#: Greek letters LaTeX has as commands (capitals only where they differ from Latin ones).
_GREEK = set("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi "
             "rho sigma tau upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma "
             "Upsilon Phi Psi Omega".split())

#: What a document needs for :func:`longtable` besides amsmath and booktabs.
LONGTABLE_PREAMBLE = "\\usepackage{longtable}\n\\usepackage{array}"

#: Shares of the line width of the table's text columns, by column key; other columns take
#: an equal share of what is left.
SHARES = {"layer": 0.24, "type": 0.2, "output_shape": 0.22, "working": 0.34, "params": 0.2}
#: The least share of each other column (MACs, FLOPs, ...), all of them together at most half.
FREE_SHARE = 0.2


#: A place to break a line inside a product (TeX's ``\\*`` with a ``\\cdot``): nothing when
#: the line goes on, ``\\cdot`` at its end when it breaks there, so that the next line does
#: not read as a new term (``768 \\lfloor H/16 \\rfloor`` above ``\\lfloor W/16 \\rfloor +
#: 768`` in ViT's table read as a sum of two). Its cost is TeX's ``\\hyphenpenalty``, which
#: :data:`TIMES_PENALTY` sets above a break at ``+`` or ``-``.
TIMES_BREAK = r"\discretionary{\hbox{$\mskip\medmuskip\cdot$}}{}{}"
#: The ``\\hyphenpenalty`` of a paragraph or table with :data:`TIMES_BREAK`: a product
#: breaks only where a sum cannot (the long table breaks at ``+`` at 3,000).
TIMES_PENALTY = r"\hyphenpenalty=5000 "
_PRODUCT = "\0"  # where breakable() puts a TIMES_BREAK


def breakable(math: str) -> str:
    """Math in which TeX may break a line between the factors of a product
    (``\\right) \\left(``, ``\\right\\rfloor \\left\\lfloor``, ``w \\left(``: a
    :data:`TIMES_BREAK`) besides after ``+``, ``-`` and ``=``, also inside long parentheses
    (:func:`open_long_parentheses`) and inside nested fractions, which are written on one
    level (:func:`unnest_fractions`)."""
    math = open_long_parentheses(unnest_fractions(math))
    math = re.sub(r"(\\right(?:[)\]]|\\rfloor|\\rceil)|\\bigr(?:\)|\\rfloor|\\rceil)) "
                  r"(?=\\left[(\[]|\\left\\l|\\bigl|\\operatorname|\\max|\\min|[A-Za-z0-9])",
                  r"\1 " + _PRODUCT + " ", math)
    math = re.sub(r"(\S+) (?=\\left\(|\\bigl[(\\])", _break_before_factor, math)
    # a sum's term (a Repeat's cost): its coefficient may end a line too, as it cannot read
    # as a value there (after \sum_{t=1}^{M}), or the term is one box wider than a column
    math = _SUM_COEFF.sub(r"\1 " + _PRODUCT + " ", math)
    return math.replace(_PRODUCT, TIMES_BREAK)


_SUM_COEFF = re.compile(r"(\\sum_\{[^{}]*\}\^\{[^{}]*\} [0-9.]+(?:\{,\}[0-9]+)*) (?=\\left)")


def unnest_fractions(math: str) -> str:
    r"""``math`` with each fraction that holds another fraction (a rounding of a rounding:
    ``\left\lfloor{\frac{\left\lfloor{\frac{H}{S}}\right\rfloor + 1}{2}}\right\rfloor``)
    written on one level, with everything inside it: ``\bigl\lfloor \bigl(\lfloor H/S
    \rfloor + 1\bigr)/2 \bigr\rfloor``. A stack of fractions in a line shrinks the inner
    ones to script size, and it is one box that TeX cannot break (a strided convolution
    after a pooling layer in a table's shape column ran 146 pt past its cell, several lines
    high); on one level a line may break after any sign. Brackets around other brackets
    are ``\bigl``/``\bigr``, the innermost of text size (a break after a sign inside them
    costs :data:`INNER_PENALTY`); a numerator that is a sum, and a denominator that is a
    sum or a product, gets parentheses. A fraction without one inside stays as it is.

    >>> print(unnest_fractions(r"\left\lfloor{\frac{\left\lfloor{\frac{H - 1}{S}}\right\rfloor + 1}{2}}\right\rfloor - 1"))
    \bigl\lfloor \bigl(\lfloor (H -\penalty7000 1)/S \rfloor + 1\bigr)/2 \bigr\rfloor - 1
    >>> print(unnest_fractions(r"\left\lfloor{\frac{H}{2}}\right\rfloor + 1"))
    \left\lfloor{\frac{H}{2}}\right\rfloor + 1
    """
    if math.count(r"\frac") < 2:
        return math
    return "".join(_one_level(piece) if kind and _nested(piece) else piece
                   for piece, kind in _pieces(math))


def _pieces(tex: str):
    """``tex`` as ``(piece, kind)``: each fraction or bracket group whole, with its kind
    (:func:`_group_at`), and every character outside them alone, with None."""
    i = 0
    while i < len(tex):
        group = _group_at(tex, i)
        if group is None:
            yield tex[i], None
            i += 1
        else:
            end, kind = group
            yield tex[i:end], kind
            i = end


def _nested(tex: str) -> bool:
    """Whether ``tex`` holds a fraction with a fraction in its numerator or denominator."""
    at = tex.find(r"\frac{")
    while at >= 0:
        parts = _fraction_parts(tex, at)
        if parts is not None and r"\frac" in parts[1] + parts[2]:
            return True
        at = tex.find(r"\frac{", at + 1)
    return False


def _fraction_parts(tex: str, at: int):
    r"""``(end, numerator, denominator)`` of the ``\frac{..}{..}`` at ``at``, else ``None``."""
    first = _brace_end(tex, at + 5)
    if first is None or tex[first:first + 1] != "{":
        return None
    second = _brace_end(tex, first)
    if second is None:
        return None
    return second, tex[at + 6:first - 1], tex[first + 1:second - 1]


def _brace_end(tex: str, at: int):
    """The position after the ``}`` that closes the ``{`` at ``at``, else ``None``."""
    if tex[at:at + 1] != "{":
        return None
    depth = 0
    for i in range(at, len(tex)):
        if tex[i] == "\\":
            continue
        if tex[i] == "{" and tex[i - 1:i] != "\\":
            depth += 1
        elif tex[i] == "}" and tex[i - 1:i] != "\\":
            depth -= 1
            if depth == 0:
                return i + 1
    return None


_LEFT = re.compile(r"\\left(\\[a-z]+|[()\[\].|]|\\\{)")
_RIGHT = re.compile(r"\\right(\\[a-z]+|[()\[\].|]|\\\})")


def _group_at(tex: str, at: int):
    r"""``(end, kind)`` of a fraction (``"frac"``) or a ``\left ... \right`` group
    (``"left"``) that starts at ``at``, else ``None``."""
    if tex.startswith(r"\frac{", at):
        parts = _fraction_parts(tex, at)
        return None if parts is None else (parts[0], "frac")
    if not _LEFT.match(tex, at):
        return None
    depth, i = 0, at
    while i < len(tex):
        left, right = _LEFT.match(tex, i), _RIGHT.match(tex, i)
        if left:
            depth, i = depth + 1, left.end()
        elif right:
            depth, i = depth - 1, right.end()
            if depth == 0:
                return i, "left"
        else:
            i += 1
    return None


def _one_level(tex: str) -> str:
    """``tex`` (a fraction with a fraction inside, or brackets around one) with every
    fraction inside as ``numerator/denominator`` and every bracket pair sized by what it
    holds."""
    out = []
    for piece, kind in _pieces(tex):
        if kind is None:
            out.append(piece)
        elif kind == "frac":
            _, top, bottom = _fraction_parts(piece, 0)
            top, bottom = _one_level(top), _one_level(bottom)
            out.append(_operand(top, sums_only=True) + "/" + _operand(bottom, sums_only=False))
        else:
            opening = _LEFT.match(piece)
            closing = [m for m in _RIGHT.finditer(piece)][-1]
            inner = piece[opening.end():closing.start()].strip()
            if inner.startswith("{") and _brace_end(inner, 0) == len(inner):
                inner = inner[1:-1]  # SymPy's braces around a rounding's argument
            out.append(_bracketed(opening.group(1), _one_level(inner), closing.group(1)))
    return "".join(out)


#: The cost of a line break after a sign inside the innermost brackets of a nested
#: fraction (``H - 1`` of ``\lfloor (H - 1)/S \rfloor``): higher than at a sign or a
#: product's factor outside them (:data:`TIMES_PENALTY`), so taken only where nothing else fits.
INNER_PENALTY = 7000


def _bracketed(opening: str, inner: str, closing: str) -> str:
    """``inner`` between the delimiters, ``\\bigl``/``\\bigr`` when it holds a rounding or
    big brackets; innermost ones as they are (``(H - 1)`` is no reason:
    ``\\lfloor (H - 1)/S \\rfloor``), a break after their signs at :data:`INNER_PENALTY`."""
    big = bool(re.search(r"\\[lr](?:floor|ceil)|\\big[lr]", inner))
    left, right = (r"\bigl", r"\bigr") if big else ("", "")
    if not big:
        inner = re.sub(r"(?<=\S) ([+-]) (?!\\penalty)", rf" \1\\penalty{INNER_PENALTY} ", inner)
    space = " " if opening.startswith("\\") and opening[1:].isalpha() else ""
    tail = " " if closing.startswith("\\") and closing[1:].isalpha() else ""
    return f"{left}{opening}{space}{inner}{tail}{right}{closing}"


def _operand(tex: str, sums_only: bool) -> str:
    """A numerator (``sums_only``: in parentheses when a sum) or a denominator (also when a
    product) of a fraction written with ``/``."""
    tex = tex.strip()
    bare = re.fullmatch(r"[A-Za-z0-9.]+(?:_\{[^{}]*\}|_[A-Za-z0-9])?(?:\^\{[^{}]*\})?", tex)
    if bare or sums_only and len(split_sum(tex)) == 1 and not tex.startswith("-"):
        return tex
    return _bracketed("(", tex, ")")


#: Source length above which a parenthesised sum is set with ``\\bigl( \\bigr)``.
LONG_GROUP = 60
_DELIMITER = re.compile(r"\\(left|right)(\\[a-z]+|[()\[\].|])")


def open_long_parentheses(math: str, longest: int = LONG_GROUP) -> str:
    """``\\left( ... \\right)`` around a sum or an argument list of more than ``longest``
    characters as ``\\bigl( ... \\bigr)``: TeX sets a ``\\left ... \\right`` group as one
    unbreakable box, so a long sum in parentheses ran past the column (a Repeat's parameters
    in EfficientNet: 456 pt), and so did ``\\max\\left(1, \\left\\lfloor ... \\right\\rfloor\\right)``
    (a squeeze-excitation width in EfficientNet's shape column: 83 pt); between ``\\bigl`` and
    ``\\bigr`` it may break after any ``+`` and after each argument's comma.

    >>> print(open_long_parentheses(r"2 \\left(x + 1\\right)"))
    2 \\left(x + 1\\right)
    >>> print(open_long_parentheses(r"2 \\left(" + "x + " * 20 + r"1\\right)")[:21])
    2 \\bigl(x + x + x + x
    >>> print(open_long_parentheses(r"\\max\\left(1, \\frac{" + "x" * 60 + r"}{4}\\right)")[:29])
    \\max\\bigl(1,\\allowbreak \\frac
    """
    hits = list(_DELIMITER.finditer(math))
    stack, swap = [], {}
    for hit in hits:
        if hit.group(1) == "left":
            stack.append(hit)
        elif stack:
            opened = stack.pop()
            inside = math[opened.end():hit.start()]
            if opened.group(2) != "(" or hit.group(2) != ")" or len(inside) <= longest:
                continue
            commas = top_level_commas(inside)
            if commas or len(split_sum(inside)) > 1:  # one term or argument per line
                swap[opened.start()] = (opened.end(), r"\bigl(")
                swap[hit.start()] = (hit.end(), r"\bigr)")
                for at in commas:  # ", " after an argument: a place to break
                    swap[opened.end() + at] = (opened.end() + at + 2, r",\allowbreak ")
    if not swap:
        return math
    out, at = [], 0
    for start in sorted(swap):
        end, text = swap[start]
        out += [math[at:start], text]
        at = end
    return "".join(out + [math[at:]])


def top_level_commas(tex: str) -> list:
    r"""Where ``", "`` separates arguments in ``tex``, outside braces and ``\left ... \right``.

    >>> top_level_commas(r"1, \left(a, b\right), \frac{c, d}{2}")
    [1, 20]
    """
    return [i for i in _top_level(tex) if tex.startswith(", ", i)]


def _top_level(tex: str):
    r"""The positions of ``tex`` outside braces and ``\left ... \right`` (neither a brace
    nor part of a ``\left``/``\right`` token), in order."""
    depth, i = 0, 0
    while i < len(tex):
        if tex.startswith(r"\left", i) and not tex[i + 5:i + 6].isalpha():
            depth, i = depth + 1, i + 5
            continue
        if tex.startswith(r"\right", i) and not tex[i + 6:i + 7].isalpha():
            depth, i = depth - 1, i + 6
            continue
        c = tex[i]
        if c in "{}":
            depth += 1 if c == "{" else -1
        elif depth == 0:
            yield i
        i += 1


_NUMERAL = re.compile(r"[0-9.]+(?:\{,\}[0-9]+)*")


def _break_before_factor(hit) -> str:
    """``w``, a break (:data:`TIMES_BREAK`), ``\\left(``; but a numeral keeps its factor: a
    line ending in ``= 1{,}000`` would read as a value (``1{,}000 \\left(x + 1\\right)``
    stays whole), and a sign (``\\cdot \\left(``: TeX breaks after it already) is left."""
    token = hit.group(1)
    if _NUMERAL.fullmatch(token) or not re.search(r"[A-Za-z0-9}]$", token) or \
            token.endswith("allowbreak") or token in _SIGNS or _OPENS.search(token):
        return hit.group(0)
    return token + " " + _PRODUCT + " "


_SIGNS = {r"\cdot", r"\times", r"\div", r"\pm", r"\mp"}
#: A token that opens a bracket (``\bigl\lfloor`` before ``\bigl(``): nothing to multiply.
_OPENS = re.compile(r"\\l(?:floor|ceil)$|\\(?:bigl|left)$")


#: A run of a name longer than this (characters between underscores) may break anywhere.
NAME_RUN = 14
_NAME_UNIT = re.compile(r"\$\\langle\$\\texttt\{U\+[0-9A-F]+\}\$\\rangle\$|\$[^$]*\$"
                        r"|\\text[a-z]+\{\}|\{\}|\\.|.", re.S)
#: Characters of a name that end a word (``layer1.0.conv1``): a long run may break after
#: them first.
_NAME_ENDS = set(".-/:")


def break_name(escaped: str) -> str:
    r"""A layer name (already escaped) that may break after each underscore; a run of more
    than :data:`NAME_RUN` characters without one (``aaaa...``, ``<script>...``) after each
    character too, at a cost (``\penalty50``: TeX takes an extra line over it, so it
    breaks there only where a run does not fit the column), and freely after a ``.``,
    ``-``, ``/`` or ``:``. A shorter name breaks only after its underscores.

    >>> print(break_name(escape("block_1_" + "x" * 16)).replace(r"\penalty50{}", "|"))
    block\_\allowbreak{}1\_\allowbreak{}x|x|x|x|x|x|x|x|x|x|x|x|x|x|x|x
    """
    out = []
    for run in escaped.split(r"\_"):
        units = _NAME_UNIT.findall(run)
        if len(units) > NAME_RUN:
            run = "".join(unit + (r"\allowbreak{}" if unit in _NAME_ENDS else r"\penalty50{}")
                          for unit in units[:-1]) + units[-1]
        out.append(run)
    return r"\_\allowbreak{}".join(out)


def break_type(name: str) -> str:
    """A long class name that may break before an inner word, a capital then a lower-case
    letter (``Global|Average|Pooling2D``, ``Conv2D|Transpose``, never ``Conv2|D``)."""
    if len(name) <= 14:
        return name
    return re.sub(r"(?<=[A-Za-z0-9])(?=[A-Z][a-z])", r"\\allowbreak{}", name)


def _spec(columns, numeric) -> str:
    """Column types: ``p`` columns of fixed shares for the text columns."""
    fixed = sum(SHARES.get(k, 0) for k in columns)
    free = [k for k in columns if k not in SHARES]
    # the other columns (MACs, FLOPs: closed forms too) get at least a fifth each, up to half
    want = min(FREE_SHARE * len(free), 0.5)
    if fixed and not free:
        scale = min(1.0, 1.0 / fixed)
    else:
        scale = min(1.0, (1.0 - want) / fixed) if fixed else 1.0
    rest = max(0.0, 1.0 - fixed * scale) / len(free) if free else 0.0
    out = []
    for key, num in zip(columns, numeric):
        share = SHARES[key] * scale if key in SHARES else max(rest, 0.1)
        align = r"\raggedleft" if num else r"\raggedright"
        out.append(rf">{{{align}\arraybackslash}}p{{\dimexpr {share:.3f}\textwidth-2\tabcolsep\relax}}")
    return "@{}" + "".join(out) + "@{}"


def longtable(columns, numeric, header: list, rows: list, totals: list, notes: list) -> list:
    """Lines of a ``longtable``: ``header`` (cells), ``rows`` (lists of cells), ``totals``
    (lists of cells, after a rule, on the last page), ``notes`` (sentences under it, set
    ragged right)."""
    n = len(columns)
    head = " & ".join(header) + r" \\"
    lines = [rf"\begin{{longtable}}{{{_spec(columns, numeric)}}}", r"\toprule", head,
             r"\midrule", r"\endfirsthead",
             rf"\multicolumn{{{n}}}{{@{{}}l}}{{\footnotesize\itshape (continued)}} \\",
             r"\toprule", head, r"\midrule", r"\endhead",
             r"\midrule",
             rf"\multicolumn{{{n}}}{{r@{{}}}}{{\footnotesize\itshape continued on the next page}} \\",
             r"\endfoot", r"\endlastfoot"]
    lines += [" & ".join(r) + r" \\" for r in rows]
    lines.append(r"\midrule")
    lines += [" & ".join(r) + r" \\*" for r in totals]  # \\*: no page break inside the totals
    lines.append(r"\bottomrule")
    for sentence in notes:  # ragged right: a justified line of math had wide gaps
        lines.append(rf"\multicolumn{{{n}}}{{@{{}}>{{\raggedright\arraybackslash}}"
                     rf"p{{\dimexpr\textwidth-2\tabcolsep\relax}}@{{}}}}{{\footnotesize "
                     rf"{sentence}}} \\")
    lines.append(r"\end{longtable}")
    return lines


#: Code in a note: an argument as written (``padding='same'``) or a name in backticks.
NOTE_CODE = r"(?P<code>\b\w+='[^']*')|`(?P<name>[^`]+)`"

#: The marked-up parts of a derivation's note: ``padding='same'`` or a backticked name
#: (code), ``ceiling(x/s)`` (a rounding), ``(2C)`` (a symbol in parentheses), a capital
#: letter standing alone (``T times``, ``(C each)``, ``(X, U)``: a formula's symbol; not
#: the words ``A`` and ``I``, nor a letter in a slice ``x[B:E]``) and formula symbols
#: (``C_in/G``, ``C_in*K_h*K_w*M``, ``N_conn``: a symbol with a subscript, or symbols joined
#: by ``*`` or ``/``), which a notation preset renames as it renames them in the formulas
#: (:mod:`symcnn.render.notation`).
NOTE_PARTS = re.compile(NOTE_CODE + r"|(?P<round>\b(?:ceiling|floor)\((?P<arg>[\w/ +*-]+)\))"
                        r"|(?P<sym>(?<=\()\d*[A-Z]'*(?:_\w+)?'*(?=\)))"
                        r"|(?P<letter>(?<![\w'`\[:])(?![AI](?![\w']))[A-Z]'*(?![\w'\]:(]))"
                        rf"|(?P<expr>(?<![\w'`]){SYMBOL_NAME}(?:[*/]{SYMBOL_NAME})+(?![\w'])"
                        rf"|(?<![\w'`])[A-Za-z]'*_[A-Za-z0-9]+(?![\w']))")


def note_parts(note: str):
    """``(kind, text)`` pieces of a note, ``kind`` one of ``"text"``, ``"code"``,
    ``"ceiling"``, ``"floor"`` (text: the rounding's argument), ``"sym"`` and ``"expr"``
    (formula symbols): what a printer (LaTeX, HTML, Markdown) sets each in.

    >>> list(note_parts("So (2C) is ceiling(a/b)."))
    [('text', 'So ('), ('sym', '2C'), ('text', ') is '), ('ceiling', 'a/b'), ('text', '.')]
    >>> list(note_parts("Sees c_i/G of `x_1`."))
    [('text', 'Sees '), ('expr', 'c_i/G'), ('text', ' of '), ('code', 'x_1'), ('text', '.')]
    >>> [t for kind, t in note_parts("A kernel (X, U) counts T times; I keep x[B:E].")
    ...  if kind == "sym"]
    ['X', 'U', 'T']
    """
    pos = 0
    for m in NOTE_PARTS.finditer(note):
        if m.start() > pos:
            yield "text", note[pos:m.start()]
        if m.group("code") or m.group("name"):
            yield "code", m.group("code") or m.group("name")
        elif m.group("round"):
            yield ("ceiling" if m.group().startswith("ceiling") else "floor"), m.group("arg")
        elif m.group("sym") or m.group("letter"):
            yield "sym", m.group("sym") or m.group("letter")
        else:
            yield "expr", m.group("expr")
        pos = m.end()
    if pos < len(note):
        yield "text", note[pos:]


def expr_factors(expr: str) -> list:
    """A note's formula symbols (an ``"expr"`` of :func:`note_parts`) as the names of the
    factors of each side of its ``/``: what a printer sets, ``/`` between the sides.

    >>> expr_factors("C_in*K_h/G")
    [['C_in', 'K_h'], ['G']]
    """
    return [side.split("*") for side in expr.split("/")]


def typeset_note(note: str, printer=None) -> str:
    r"""A derivation's note as LaTeX text: code in ``\texttt``, roundings and symbols as math,
    formula symbols as ``printer`` (symcnn's LaTeX printer by default) sets them in the
    formulas.

    >>> print(typeset_note("With padding='same' the output is ceiling(input/stride)."))
    With \texttt{padding=\textquotesingle{}same\textquotesingle{}} the output is $\lceil \mathit{input}/\mathit{stride} \rceil$.
    >>> print(typeset_note("Gamma and beta (2C) are trainable."))
    Gamma and beta ($2C$) are trainable.
    >>> print(typeset_note("Each filter sees C_in/G of the input channels (C_in*K_h weights)."))
    Each filter sees $C_{\mathrm{in}}/G$ of the input channels ($C_{\mathrm{in}} K_{h}$ weights).
    """
    out = []
    for kind, text in note_parts(note):
        if kind == "text":
            out.append(escape(text))
        elif kind == "code":
            out.append(r"\texttt{" + escape_code(text) + "}")
        elif kind == "sym":
            out.append(f"${text}$")
        elif kind == "expr":
            out.append(f"${expr_latex(text, printer)}$")
        else:
            left, right = (r"\lceil", r"\rceil") if kind == "ceiling" else (r"\lfloor", r"\rfloor")
            arg = re.sub(r"[A-Za-z]{2,}", lambda w: r"\mathit{" + w.group() + "}", text)
            out.append(f"${left} {arg} {right}$")
    return "".join(out)


def expr_latex(expr: str, printer=None) -> str:
    r"""A note's formula symbols in LaTeX (math mode), each symbol and product as
    ``printer`` (symcnn's LaTeX printer by default) prints them in the formulas.

    >>> print(expr_latex("c_i*k_h*k_w*M"))
    c_{i} k_{h} k_{w} M
    """
    return "/".join(expr_sides(expr, printer or latex_printer()))


def expr_sides(expr: str, printer) -> list:
    """Each side of a note's formula symbols' ``/`` (:func:`expr_factors`), a symbol or a
    product, as ``printer`` (LaTeX, MathML) prints it in the formulas."""
    sides = []
    for names in expr_factors(expr):
        factors = [sympy.Symbol(n) for n in names]
        sides.append(printer._print(Times(*factors) if len(factors) > 1 else factors[0]))
    return sides


def alike(tex: str) -> str:
    r"""What decides whether two steps' LaTeX show alike: a ``\cdot`` before a letter or a
    bracket is the product written without it (``2 \cdot U`` and ``2 U``), a rounding's
    argument in braces is the same argument (``\left\lceil{\frac{H}{2}}\right\rceil``, as
    SymPy prints a value), spaces aside; a ``\cdot`` between numbers stays (``2 \cdot 4`` is
    not ``24``).

    >>> alike(r"2 \cdot U + 1") == alike("2 U + 1"), alike(r"2 \cdot 4") == alike("24")
    (True, False)
    >>> alike(r"\left\lceil \frac{H}{2} \right\rceil") == alike(
    ...     r"\left\lceil{\frac{H}{2}}\right\rceil")
    True
    """
    tex = re.sub(r"\\cdot\s*+(?!\d)", "", tex)
    tex = re.sub(r"(\\left\\l(?:ceil|floor))\s*\{(.*?)\}\s*(\\right\\r(?:ceil|floor))",
                 r"\1 \2 \3", tex)
    return re.sub(r"\s", "", tex)


def plain(tex: str) -> str:
    """What a line of math shows, roughly: for comparing steps and estimating widths."""
    tex = re.sub(r"\\(left|right|cdot|,|;|!)", "", tex)
    tex = re.sub(r"\\[A-Za-z]+", "x", tex)
    return re.sub(r"[\s{}]", "", tex)


#: Characters of shown math that fit on a line of a derivation (a4, 2 cm margins).
LINE_CHARS = 62


def split_sum(tex: str) -> list:
    r"""The top-level terms of a sum's LaTeX, each after its sign (``+ `` or ``- ``; the
    first without ``+``): nothing inside braces or ``\left ... \right`` is split.

    >>> split_sum(r"2 \left(a + b\right) + \frac{c - 1}{2} - 3")
    ['2 \\left(a + b\\right)', '+ \\frac{c - 1}{2}', '- 3']
    """
    terms, start, after = [], 0, 0
    for i in _top_level(tex):
        if i >= after and i > start and tex.startswith((" + ", " - "), i):
            terms.append(tex[start:i].strip())
            start, after = i + 1, i + 3  # the sign and its space belong to the next term
    terms.append(tex[start:].strip())
    return [t for t in terms if t]


def pack(pieces: list, first: int = LINE_CHARS, rest: int = LINE_CHARS) -> list:
    """``pieces`` (LaTeX terms with their signs) joined into lines of at most ``first``
    shown characters for the first line and ``rest`` for the others (a piece longer than
    a line has a line of its own). The terms of a parenthesised sum, ``\\bigl(`` to
    ``\\bigr)``, stay on one line when they fit one (a totals row read ``\\bigl(10 C``
    on one line and ``+ 10\\bigr)`` on the next); only a group longer than a line breaks.

    >>> print(*pack([r"\\bigl(a", r"+ b\\bigr)", r"+ \\bigl(c", r"+ d\\bigr)"], 10), sep="\\n")
    \\bigl(a + b\\bigr)
    + \\bigl(c + d\\bigr)
    """
    lines, current, width, limit = [], [], 0, first
    for group in _parenthesised(pieces):
        sizes = [len(plain(piece)) + 2 for piece in group]  # the space around each sign
        if len(group) > 1 and sum(sizes) <= rest:  # whole: on this line, or the next
            group, sizes = [" ".join(group)], [sum(sizes)]
        for piece, size in zip(group, sizes):
            if current and width + size > limit:
                lines.append(" ".join(current))
                current, width, limit = [], 0, rest
            current.append(piece)
            width += size
    if current:
        lines.append(" ".join(current))
    return lines


def _parenthesised(pieces: list) -> list:
    """``pieces`` in groups: the pieces from a ``\\bigl`` to its ``\\bigr`` together, each
    other piece alone."""
    groups, depth = [], 0
    for piece in pieces:
        if depth:
            groups[-1].append(piece)
        else:
            groups.append([piece])
        depth = max(0, depth + len(re.findall(r"\\bigl\b", piece))
                    - len(re.findall(r"\\bigr\b", piece)))
    return groups
