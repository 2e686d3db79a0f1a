"""Expressions and names wrapped into a column of fixed width, for the text summary
(:mod:`symcnn.render.keras_summary`): a shape breaks between its sizes, a sum between its
terms, a product between its factors, a call after its ``(`` with its arguments below, a
name after an ``_``, a grouped count after a thousands separator; a word is cut only
where nothing else fits, and a number never (it runs over its column instead): Keras 3
cuts a long name short with an ellipsis; here nothing of a closed form may be lost. Widths
are counted in terminal columns (:func:`display_width`: a CJK character takes two).

>>> wrap_expression("(1, 1, make_divisible(make_divisible(16*a, 8)/4, 8))", 30)
['(1, 1,', '  make_divisible(', '    make_divisible(', '      16*a, 8)/4,', '    8))']
>>> wrap_expression("block_10_depthwise_hard_swish (Activation)", 28)
['block_10_depthwise_hard_', 'swish (Activation)']
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["wrap_expression", "unbreakable_width", "display_width"]


def display_width(text: str) -> int:
    """The columns ``text`` takes in a terminal: a wide or full-width character (CJK,
    ``unicodedata.east_asian_width`` W or F) two, a combining mark none, any other one.

    >>> display_width("conv2d"), display_width("卷积层_一"), display_width("e\u0301")
    (6, 9, 1)
    """
    return len(text) if text.isascii() else _wide_width(text)


@lru_cache(maxsize=1 << 12)
def _wide_width(text: str) -> int:
    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def _fits(text: str, width: int) -> int:
    """How many characters of ``text`` fit in ``width`` columns."""
    if text.isascii():
        return min(len(text), width)
    used = 0
    for i, c in enumerate(text):
        used += display_width(c)
        if used > width:
            return i
    return len(text)


_BRACKET = re.compile(r"[()\[\]]")
_BREAKS = {(", ",): re.compile(", "), (" + ", " - "): re.compile(r" \+ | - "),
           ("*",): re.compile(r"(?<!\*)\*(?!\*)")}  # a product's "*", never a power's "**"


def _pieces(text: str, breaks) -> list:
    """``text`` cut where a break string stands outside parentheses; the break string stays
    at the end of the piece before (``", "``, ``"*"``) or starts the next (``" + "``).

    Break strings hold no bracket, so a break at depth 0 lies inside one stretch of ``text``
    between brackets; each stretch at depth 0 is searched by one regular expression (the
    alternatives in the order of ``breaks``), never character by character.

    >>> _pieces("16*w*(H + 1) + 2", (" + ", " - "))
    ['16*w*(H + 1)', ' + 2']
    >>> _pieces("w**2*floor(H/2)", ("*",))
    ['w**2*', 'floor(H/2)']
    """
    pattern = _BREAKS.get(breaks) or re.compile("|".join(map(re.escape, breaks)))
    out, depth, start, stretch = [], 0, 0, 0
    for bracket in [*_BRACKET.finditer(text), None]:
        end = len(text) if bracket is None else bracket.start()
        if depth == 0:
            pos = stretch
            while (hit := pattern.search(text, pos, end)) is not None:
                i = hit.start()
                if i == 0:  # a break at the very start cuts nothing
                    pos = 1
                    continue
                cut = hit.end() if hit.group() in (", ", "*") else i
                out.append(text[start:cut])
                start, pos = cut, hit.end()
        if bracket is not None:
            depth += 1 if bracket.group() in "([" else -1
            stretch = end + 1
    out.append(text[start:])
    return [p for p in out if p]


@lru_cache(maxsize=1 << 12)
def _split_cached(text: str) -> tuple:
    for breaks in _BREAKS:
        pieces = [p for p in _pieces(text, breaks) if p.strip()]
        if len(pieces) > 1:
            return tuple(pieces)
    return (text,)


def _split(text: str) -> list:
    """``text`` cut at the first kind of break that cuts it: parts of a shape, terms of a
    sum, factors of a product (kept per text: a summary repeats its cells)."""
    return list(_split_cached(text))


#: Lines narrower than this are not indented further: a formula nested deep in a narrow
#: column would otherwise be cut inside its words.
_NARROW = 12


def wrap_expression(text: str, width: int, indent: str = "  ") -> list:
    """Lines of at most ``width`` characters, broken between the parts of a shape or a sum
    (then of a product) rather than inside a parenthesis; a part still too wide breaks
    after a call's ``(`` or a name's ``_`` (:func:`_wrap_atom`). Lines after the first
    are indented by ``indent`` (none once the column is narrower than :data:`_NARROW`).

    >>> wrap_expression("(floor((H + 4)/8) - 1, floor((W + 4)/8) - 1, 16*w)", 30)
    ['(floor((H + 4)/8) - 1,', '  floor((W + 4)/8) - 1, 16*w)']
    >>> wrap_expression("(16*w*(floor((H + 4)/8) - 1)*(floor((W + 4)/8) - 1),)", 30)
    ['(16*w*', '  (floor((H + 4)/8) - 1)*', '  (floor((W + 4)/8) - 1),)']
    """
    if display_width(text) <= width:
        return [text]
    if width - len(indent) < _NARROW:  # deep inside a narrow column: no more indents
        indent = ""
    if _enclosed(text):  # a shape or a parenthesised factor: break inside
        close = ",)" if text.endswith(",)") else ")"  # a 1-tuple keeps its comma
        inner = wrap_expression(text[1:-len(close)], width - len(close) - 1, indent)
        inner[0] = "(" + inner[0]
        inner[-1] += close
        return inner
    pieces = _split(text)
    if len(pieces) == 1:
        return _wrap_atom(text, width, indent)
    lines: list = []
    for piece in pieces:
        head = indent if lines else ""
        if lines and display_width(lines[-1]) + display_width(piece.rstrip()) <= width:
            lines[-1] += piece
        elif display_width(head + piece.strip()) <= width:
            lines.append(head + piece.lstrip())
        else:  # a term's sign stays on the line of its first part
            tail, body = piece[len(piece.rstrip()):], piece.strip()
            sign = body[:2] if body[:2] in ("+ ", "- ") else ""
            sub = wrap_expression(body[len(sign):], width - len(head) - len(sign), indent)
            sub[0] = sign + sub[0]
            lines += [head + p for p in sub]
            lines[-1] += tail
    return [line.rstrip() for line in lines]


def _wrap_atom(text: str, width: int, indent: str) -> list:
    """Lines of a piece that no break string cuts: words at the blanks outside parentheses
    (a layer's name, then its ``(Type)``); a call after its ``(``, its arguments on the
    lines below, indented; a word after an ``_`` or between the words of a ``CamelCase``
    name (:func:`_break_word`). A word is cut anywhere only where nothing else fits.

    >>> _wrap_atom("make_divisible(make_divisible(16*a, 8)/4, 8)", 30, "  ")
    ['make_divisible(', '  make_divisible(16*a, 8)/4,', '  8)']
    >>> _wrap_atom("make_divisible(make_divisible(16*a, 8)/4, 8)", 20, "  ")
    ['make_divisible(', '  make_divisible(', '    16*a, 8)/4,', '  8)']
    >>> _wrap_atom("Max(1, floor(make_divisible(32*w, 8)/4))", 26, "  ")
    ['Max(1,', '  floor(make_divisible(', '    32*w, 8)/4))']
    >>> _wrap_atom("make_divisible(16*a, 8)", 14, "  ")
    ['make_divisible', '(16*a, 8)']
    >>> _wrap_atom("block_10_depthwise_hard_swish (Activation)", 24, "  ")
    ['block_10_depthwise_hard_', 'swish (Activation)']
    """
    blanks = [i for i, d in _depth_zero(text) if text[i] == " "]
    if blanks:  # words: a name and its (Type), wrapped as words are, never indented
        lines: list = []
        for word in (text[a + 1:b] for a, b in zip([-1, *blanks], [*blanks, len(text)])):
            if lines and display_width(lines[-1]) + 1 + display_width(word) <= width:
                lines[-1] += " " + word
            elif word:
                lines += wrap_expression(word, width, indent)
        return lines or [text]
    opening = text.find("(")  # the first bracket opens at depth 0
    if opening < 0:
        return _break_word(text, width)
    closing = _closing(text, opening)
    head, inner, close = text[:opening + 1], text[opening + 1:closing], text[closing:]
    if opening == 0:  # (H + 1)/2: broken inside the parentheses, as a shape is
        room = width - 1 - len(close)
        if room < 4:
            return _break_word(text, width)
        lines = wrap_expression(inner, room, indent)
        lines[0] = "(" + lines[0]
        lines[-1] += close
        return lines
    room = width - len(indent) - len(close)
    if display_width(head) > width or room < 4:  # too narrow for the call's name and "(":
        name = _break_word(text[:opening], width)  # the name, then its "(arguments)"
        return name + wrap_expression(text[opening:], width, indent)
    if len(indent) + display_width(inner) + len(close) <= width:  # the arguments on one line below
        return [head, indent + inner + close]
    args = [p.strip() for p in _pieces(inner, (", ",))]
    lines, whole = [head], True  # whole: the last line holds whole arguments only
    for k, arg in enumerate(args):
        end = len(close) if k == len(args) - 1 else 0  # room for the ")" after the last
        bare = len(lines) == 1 and lines[0] == head
        gap = "" if bare else " "
        if whole and display_width(lines[-1]) + len(gap) + display_width(arg) + end <= width:
            lines[-1] += gap + arg
            continue
        sub = wrap_expression(arg, width - len(indent) - end, indent)
        if bare and len(sub) > 1 and display_width(head) + display_width(sub[0]) <= width:
            lines[0] += sub.pop(0)  # floor(make_divisible( on one line, its lines one
            sub = [line.removeprefix(indent) for line in sub]  # indent in, not two
        lines += [indent + line for line in sub]
        whole = len(sub) == 1
    lines[-1] += close
    return lines


def _depth_zero(text: str):
    """``(index, char)`` of the characters of ``text`` outside every bracket (the brackets
    themselves counted as inside)."""
    depth = 0
    for i, c in enumerate(text):
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif depth == 0:
            yield i, c


def _closing(text: str, opening: int) -> int:
    """The index of the bracket that closes the one at ``opening`` (the end if none)."""
    depth = 0
    for i in range(opening, len(text)):
        depth += 1 if text[i] in "([" else -1 if text[i] in ")]" else 0
        if depth == 0:
            return i
    return len(text)


_WORD_BREAK = re.compile(r"(?<=_)(?=[^_])|(?<=[a-z])(?=[A-Z])|(?<=\d,)(?=\d)")
_NUMBER = frozenset("0123456789.")


def _cut(word: str, width: int) -> int:
    """Where a word with no better place to break is cut: the last place within ``width``
    not inside a number (never between two digits), else the first after it (the line
    runs over its column rather than split ``10`` into ``1`` and ``0``)."""
    def inside(i: int) -> bool:
        return word[i - 1] in _NUMBER and word[i] in _NUMBER

    within = [i for i in range(width, 0, -1) if not inside(i)]
    if within:
        return within[0]
    return next((i for i in range(width + 1, len(word)) if not inside(i)), len(word))


def _break_word(word: str, width: int) -> list:
    """``word`` in lines of ``width``: broken after an ``_`` (``block_10_depthwise_`` /
    ``hard_swish``), between the words of a ``CamelCase`` name (``GlobalAverage`` /
    ``Pooling2D``) or after a thousands separator (``1,000,`` / ``000``), the last such
    place that fits; cut anywhere else only where none does, and never inside a number
    (a number longer than the line runs over it).

    >>> _break_word("block_10_depthwise_hard_swish", 20), _break_word("GlobalAveragePooling2D", 16)
    (['block_10_depthwise_', 'hard_swish'], ['GlobalAverage', 'Pooling2D'])
    >>> _break_word("abcdefghij", 4)
    ['abcd', 'efgh', 'ij']
    >>> _break_word("1,000,000,000", 8), _break_word("1000000", 4), _break_word("ab123456", 4)
    (['1,000,', '000,000'], ['1000000'], ['ab', '123456'])
    """
    lines, width = [], max(width, 1)
    while display_width(word) > width:
        fits = max(_fits(word, width), 1)  # the characters that fill ``width`` columns
        cuts = [m.start() for m in _WORD_BREAK.finditer(word, 1, fits + 1)]
        cut = cuts[-1] if cuts else _cut(word, fits)
        if cut >= len(word):  # one number: whole, over the line
            break
        lines.append(word[:cut])
        word = word[cut:]
    return lines + [word]


def _enclosed(text: str) -> bool:
    """``(...)`` or ``(...,)``: the first parenthesis closed by the last character."""
    if not text.startswith("("):
        return False
    depth = 0
    for i, c in enumerate(text):
        depth += 1 if c == "(" else -1 if c == ")" else 0
        if depth == 0:
            return i == len(text) - 1
    return False


@lru_cache(maxsize=1 << 12)
def unbreakable_width(text: str) -> int:
    """The length of the longest part of ``text`` between the places where a shape, a sum
    or a product breaks, a call or a name counted whole (:func:`wrap_expression` breaks
    those only where it must): the narrowest its column should get.

    >>> unbreakable_width("(ceiling(H/2), make_divisible(16*a, 8))")
    27
    """
    text = text.strip()
    if _enclosed(text):  # a 1-tuple's "(" and ",)" stay with its size: 3 more
        if text.endswith(",)"):
            return unbreakable_width(text[1:-2]) + 3
        return unbreakable_width(text[1:-1]) + 2
    pieces = _split(text)
    if len(pieces) == 1:
        return display_width(text)
    return max(unbreakable_width(p) for p in pieces) + 2
