"""Reading the text of a student's table into cells, and a cell into its parts.

A table is read as one of these, tried in order:

- a **summary box** as Keras 3 prints ``model.summary()``: cells between ``│`` or ``┃``,
  rows between ``├───┤`` rules (a row whose cells wrap over several lines is joined again);
- **Markdown**: lines that start with ``|``;
- a **summary text** as symcnn prints ``model.summary()`` (and Keras 2 did): a
  ``Model: "..."`` title, ``=``/``-`` (or ``═``/``─``/``━``) rules around the header, and
  columns aligned with spaces (found as the runs of blanks common to every line);
- otherwise CSV (read by :mod:`symcnn.teach.claims`).

Each reader gives ``[(line number, [cell, ...]), ...]``, the header row first.

>>> rows = aligned_cells('''Model: "tiny"
... =====================================
... Layer (type)     Output Shape  Param #
... -------------------------------------
... dense (Dense)    (10,)             330
... =====================================
... Total params: 330''')
>>> rows
[(3, ['Layer (type)', 'Output Shape', 'Param #']), (5, ['dense (Dense)', '(10,)', '330'])]
"""

from __future__ import annotations

import itertools
import re

from ..render.wrapping import display_width

__all__ = ["box_cells", "markdown_cells", "aligned_cells", "where_definitions", "csv_cells",
           "split_shape", "split_top_level", "strip_brackets", "depths", "GROUPED"]

_OPEN, _CLOSE = "([{", ")]}"

#: A number grouped in thousands: ``1,792``, ``16,384.5``.
GROUPED = re.compile(r"\d{1,3}(,\d{3})+(\.\d+)?")


def depths(text: str) -> list:
    """The bracket depth at each character of ``text`` (a bracket counts as outside)."""
    out, depth = [], 0
    for c in text:
        if c in _CLOSE:
            depth -= 1
        out.append(depth)
        if c in _OPEN:
            depth += 1
    return out


def strip_brackets(text: str) -> str:
    """``text`` without one pair of brackets around all of it (``(...)`` or ``[...]``),
    or without a lone opening bracket at its start or closing one at its end; a bracket
    that belongs to a part stays.

    >>> strip_brackets("((H + 1)//4, 16)"), strip_brackets("(H + 1)//4")
    ('(H + 1)//4, 16', '(H + 1)//4')
    >>> strip_brackets("[30, 30"), strip_brackets("30, 30)")
    ('30, 30', '30, 30')
    """
    text = text.strip()
    if not text:
        return text
    if text[0] in "([" and _closing(text, 0) == len(text) - 1:
        return text[1:-1].strip()
    balance = sum(c in _OPEN for c in text) - sum(c in _CLOSE for c in text)
    if balance == 1 and text[:1] in "([" and _closing(text, 0) is None:
        return text[1:].strip()
    if balance == -1 and text[-1:] in ")]" and depths(text)[-1] < 0:
        return text[:-1].strip()
    return text


def _closing(text: str, start: int) -> int | None:
    """The index of the bracket that closes the one at ``start``."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] in _OPEN:
            depth += 1
        elif text[i] in _CLOSE:
            depth -= 1
            if depth == 0:
                return i
    return None


def split_top_level(text: str, separator: str) -> list:
    """``text`` cut where the regular expression ``separator`` matches outside brackets.

    >>> split_top_level("make_divisible(32*a, 8), Max(1, H), 3", ",")
    ['make_divisible(32*a, 8)', ' Max(1, H)', ' 3']
    """
    level = depths(text)
    out, start = [], 0
    for hit in re.finditer(separator, text):
        if hit.start() >= start and all(d == 0 for d in level[hit.start():hit.end()]):
            out.append(text[start:hit.start()])
            start = hit.end()
    out.append(text[start:])
    return out


#: A size that is a number (``64``, ``3.33``).
_NUMBER = re.compile(r"\d+(?:\.\d+)?")

#: A shape written as sizes joined by ``x``: numbers glued or spaced (``32x32x3``,
#: ``7 x 3.33 x 2``).
_NUMBERS_BY_X = re.compile(r"\d+(?:\.\d+)?(?:\s*[xX]\s*\d+(?:\.\d+)?)+")


def split_shape(text: str) -> list:
    """The sizes of a shape written as text, as strings (a leading ``None`` kept).

    The rules, in order:

    1. One pair of brackets around the whole shape is taken off (``(...)``, ``[...]``),
       a bracket that belongs to a size stays: ``((H + 1)//4, 16)`` has the sizes
       ``(H + 1)//4`` and ``16``.
    2. The sizes are parted by the commas outside brackets, so ``make_divisible(32*a, 8)``
       and ``Max(1, H - 2)`` are one size each; a trailing comma (``(7200,)``) ends the shape.
    3. A shape without such a comma may part its sizes with ``×`` (outside brackets), with
       ``x`` standing alone between spaces (``H x W x 3``), or, when every size is a
       number or a whole bracketed expression, with ``x`` or ``X`` glued to them
       (``32x32x3``, ``(H - 2)x(W - 2)x64``). Any other ``x`` is a name (a symbol called
       ``x``), so ``x - 2``, ``2x`` and ``2x(W - 2)/x`` are one size.

    >>> split_shape("((H + 1)//4, (W + 1)//4, 16)")
    ['(H + 1)//4', '(W + 1)//4', '16']
    >>> split_shape("(8, ceiling(H/2), make_divisible(32*a, 8))")
    ['8', 'ceiling(H/2)', 'make_divisible(32*a, 8)']
    >>> split_shape("(x - 2, 6, 4)"), split_shape("(7200,)"), split_shape("2x")
    (['x - 2', '6', '4'], ['7200'], ['2x'])
    >>> split_shape("32x32x3"), split_shape("H x W x 3"), split_shape("H/2 × W/2 × 64")
    (['32', '32', '3'], ['H', 'W', '3'], ['H/2', 'W/2', '64'])
    >>> split_shape("(H - 2)x(W - 2)x64"), split_shape("(H - 2)x(W - 2)/x")
    (['(H - 2)', '(W - 2)', '64'], ['(H - 2)x(W - 2)/x'])
    """
    inner = strip_brackets(text.strip())
    parts = split_top_level(inner, ",")
    if len(parts) > 1:
        if not parts[-1].strip():  # (7200,)
            parts = parts[:-1]
        return [p.strip() for p in parts]
    if _NUMBERS_BY_X.fullmatch(inner):
        return [p.strip() for p in re.split("[xX]", inner)]
    glued = [p.strip() for p in split_top_level(inner, "[xX]")]
    if len(glued) > 1 and all(_NUMBER.fullmatch(p) or p[:1] in "([" and
                              _closing(p, 0) == len(p) - 1 for p in glued):
        return glued
    return [p.strip() for p in split_top_level(inner, r"\s*\u00d7\s*|\s+x\s+")]



# --------------------------------------------------------------------------- CSV


def csv_cells(row: list, width: int) -> list | None:
    """A CSV row of more cells than the header (``width``) put back together: cells split
    inside brackets (``(30, 30, 64)`` unquoted) are joined, then thousands groups split at
    their commas (``1,792`` unquoted) when exactly one way gives ``width`` cells; None when
    none or several do.

    >>> csv_cells(["conv2d", "(30", "30", "64)", "1", "792"], 3)
    ['conv2d', '(30, 30, 64)', '1,792']
    >>> csv_cells(["dense", "1", "280", "100"], 3) is None  # 1,280 | 100 or 1 | 280,100
    True
    """
    joined: list = []
    for cell in row:
        if joined and _open_brackets(joined[-1]) > 0:
            joined[-1] += ", " + cell.strip()
        else:
            joined.append(cell.strip())
    if len(joined) - width > _MAX_EXTRA_CELLS or width > _MAX_REPAIRED_WIDTH:
        return joined if len(joined) == width else None  # too many ways to try
    fits = list(itertools.islice(_groupings(joined, width), 2))
    return fits[0] if len(fits) == 1 else None


#: A too-long row is put back together only within these bounds (the ways to join grow
#: combinatorially): at most 6 extra cells, at most 12 columns.
_MAX_EXTRA_CELLS = 6
_MAX_REPAIRED_WIDTH = 12


def _open_brackets(text: str) -> int:
    return text.count("(") + text.count("[") - text.count(")") - text.count("]")


def _groupings(cells: list, width: int):
    """Every way of joining runs of ``cells`` into ``width`` cells, each joined run a
    number grouped in thousands."""
    if width == 1:
        whole = ",".join(cells)
        if len(cells) == 1 or GROUPED.fullmatch(whole):
            yield [whole]
        return
    for take in range(1, len(cells) - width + 2):
        head = ",".join(cells[:take])
        if take == 1 or GROUPED.fullmatch(head):
            for rest in _groupings(cells[take:], width - 1):
                yield [head, *rest]


# --------------------------------------------------------------------------- Markdown


def markdown_cells(text: str) -> list:
    """The rows of a Markdown table (lines starting with ``|``), its rule rows left out."""
    cells = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line.startswith("|"):
            continue
        parts = [c.strip() for c in line.strip("|").split("|")]
        if all(re.fullmatch(r":?-{2,}:?", c) for c in parts if c):
            continue
        cells.append((number, parts))
    return cells


# --------------------------------------------------------------------------- summaries

#: A rule line of a summary: ``====``, ``----``, ``════``, ``────``, ``━━━━``, or a box
#: border (``┏━━┳━━┓``, ``├──┼──┤``, ``└──┴──┘``).
_RULE_CHARS = re.compile(r"[=\-\u2500-\u257f\s]+")
_RULE_RUN = re.compile(r"[=\-\u2500\u2501\u2550]{3}")


def _is_rule(line: str) -> bool:
    """Whether ``line`` is a rule: rule characters only, three in a row (linear time)."""
    return bool(_RULE_CHARS.fullmatch(line)) and _RULE_RUN.search(line) is not None


_BOX_BAR = re.compile(r"[\u2502\u2503\u2551]")  # │ ┃ ║
_ROW_RULE = re.compile(r"\s*[\u251c\u2520\u255f\u2560\u2521\u2547].*")  # ├ ┠ ╟ ╠ ┡


def _new_row(cells: list, key: int | None) -> bool:
    """Whether a line of a summary starts a layer's row, not the wrapped rest of one: its
    first cell names a layer (``conv2d (Conv2D)``, ``└ conv2d``), not the ``(Type)`` or the
    rest of a name that wrapped, and its parameter cell (column ``key``) is filled, as the
    first line of every row's is."""
    first = cells[0].strip() if cells else ""
    filled = key is None or (key < len(cells) and bool(cells[key].strip()))
    return bool(first) and not first.startswith("(") and filled


def _unfinished(group: list) -> bool:
    """Whether the lines of a row so far leave a cell open, so that the next line goes on
    with it even where it looks like a row of its own (a wrapped parameter cell fills its
    column on every line): a bracket not closed yet (``stem_bn (Batch`` before
    ``Normalization)``), or a piece that ends where a summary breaks a line, after ``_``,
    ``,``, ``*`` or a call's ``(``.

    >>> _unfinished([(1, ["block_0_depthwise_", "(1, 1, 8)", "72"])])
    True
    >>> _unfinished([(1, ["conv (Conv2D)", "(1, 1, 8)", "72"])])
    False
    """
    for i in range(max(len(c) for _, c in group)):
        text = " ".join(c[i].strip() for _, c in group if i < len(c) and c[i].strip())
        if text.endswith(("_", ",", "*", "(", "[")) or (text and depths(text + " ")[-1] > 0):
            return True
    return False


def _joined(group: list) -> tuple:
    """One row from its lines, each column's pieces joined (:func:`_join`)."""
    line = group[0][0]
    width = max(len(c) for _, c in group)
    return line, [_join([c[i].strip() for _, c in group if i < len(c) and c[i].strip()],
                        layer=i == 0) for i in range(width)]


def _join(parts: list, layer: bool = False) -> str:
    """The pieces of a wrapped cell joined again: by a space, except where a word was cut
    (a letter, digit or ``_`` on both sides: two words never stand side by side in an
    expression, and a summary may wrap ``make_divisible`` inside the name) and after an
    opening bracket (a call wraps after its ``(``); in the layer column only before
    ``(Type)``, as layer names have no spaces.

    >>> _join(["(1, 1,", "make_divi", "sible(16*a, 8))"]), _join(["bn", "(BatchNorm)"], True)
    ('(1, 1, make_divisible(16*a, 8))', 'bn (BatchNorm)')
    >>> _join(["(1, 1,", "make_divisible(", "16*a, 8))"])
    '(1, 1, make_divisible(16*a, 8))'
    >>> _join(["block_10_hard_swis", "h (Activation)"], layer=True)
    'block_10_hard_swish (Activation)'
    """
    out = ""
    for part in parts:
        if not out:
            out = part
        elif layer:
            out += (" " + part) if part.startswith("(") else part
        else:
            cut = _word_char(part[:1]) and _word_char(out[-1:])
            out += part if cut or out[-1] in _OPEN else " " + part
    return out


def _word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _param_column(header: list) -> int | None:
    """The index of the parameter column (``Param #``) of a summary's header, if any."""
    return next((i for i, c in enumerate(header) if "param" in c.lower()), None)


def _group(lines: list, separated: bool, key: int | None) -> list:
    """Lines of cells joined into rows: between rules when the table has them, else each
    line that starts a row (:func:`_new_row`) with the lines after it."""
    rows, group = [], []
    for line, cells in lines:
        if cells is None:  # a rule between rows
            if group:
                rows.append(_joined(group))
            group = []
        elif group and not separated and _new_row(cells, key) and not _unfinished(group):
            rows.append(_joined(group))
            group = [(line, cells)]
        else:
            group.append((line, cells))
    if group:
        rows.append(_joined(group))
    return rows


def _box(lines: list) -> list:
    """The rows of a Keras 3 summary box (``│``/``┃`` between cells)."""
    found, separated, header_done = [], False, False
    for number, raw in lines:
        if _BOX_BAR.search(raw):
            cells = [c.strip() for c in _BOX_BAR.split(raw.strip())[1:-1]]
            found.append((number, cells))
        elif _ROW_RULE.fullmatch(raw):
            separated |= header_done  # ┡━━┩ closes the header; ├──┤ parts the rows
            header_done = True
            found.append((number, None))
    if not found:
        return []
    # the header (before the first rule) is one row; the body's rows are grouped
    first_rule = next((i for i, (_, c) in enumerate(found) if c is None), len(found))
    header = [_joined(found[:first_rule])] if first_rule else []
    key = _param_column(header[0][1]) if header else None
    return header + _group(found[first_rule + 1:], separated, key)


def _gutters(lines: list) -> list:
    """``(start, end)`` of each column of space-aligned ``lines``: the stretches between
    runs of at least two blanks common to every line (in time linear in the text).

    >>> _gutters(["conv2d (Conv2D)  (30, 30, 8)    224", "dense (Dense)    (10,)           10"])
    [(0, 15), (17, 28), (32, 35)]
    """
    width = max((len(s) for s in lines), default=0)
    filled = bytearray(b" " * width)
    for line in lines:
        for word in re.finditer(r"[^ ]+", line):
            filled[word.start():word.end()] = b"x" * (word.end() - word.start())
    return [hit.span() for hit in re.finditer(r"x+(?: x+)*", filled.decode("ascii"))]


def _aligned(lines: list) -> list:
    """The rows of a summary whose columns are aligned with spaces (symcnn's, Keras 2's)."""
    rules = [i for i, (_, s) in enumerate(lines) if _is_rule(s)]
    if len(rules) < 2:
        return []
    head, body = lines[rules[0] + 1:rules[1]], lines[rules[1] + 1:]
    end = next((i for i, (_, s) in enumerate(body) if _is_rule(s)), len(body))
    body = body[:end]
    if not head:
        return []
    text = [s.rstrip() for _, s in head + body if s.strip()]
    columns = _gutters(["".join(" " if c == " " else "x" for c in _screen(s)) for s in text])

    def cut(s: str) -> list:
        cells = _screen(s)
        return ["".join(cells[a:b]).strip() if a < len(cells) else ""
                for a, b in _widened(columns)]

    header = _joined([(n, cut(s)) for n, s in head if s.strip()])
    rows = [(n, cut(s)) for n, s in body if s.strip() and not _is_rule(s)]
    return [header, *_group(rows, False, _param_column(header[1]))]


def _screen(line: str) -> list:
    """``line`` as the columns a terminal shows it in, what each holds: a wide (CJK)
    character fills two (the second holds nothing), a combining mark joins the character
    before it; so a summary aligned by display width (``卷积层_一 (Conv2D)``) is cut where
    its columns are.

    >>> _screen("a卷b")
    ['a', '卷', '', 'b']
    """
    if line.isascii():
        return list(line)
    out: list = []
    for c in line:
        width = display_width(c)
        if width == 0 and out:
            out[-1] += c
        else:
            out += [c] + [""] * (width - 1)
    return out


def _widened(columns: list) -> list:
    """Columns reaching to the next one (a cell right-aligned or wrapped reaches into the
    blanks on its left; nothing of another column lies there)."""
    out = []
    for k, (a, b) in enumerate(columns):
        start = columns[k - 1][1] if k else 0
        end = columns[k + 1][0] if k + 1 < len(columns) else 10 ** 6
        out.append((start, end))
    return out


def box_cells(text: str) -> list:
    """The rows of a summary box as Keras 3 prints it (``│``/``┃`` between cells); ``[]``
    when ``text`` has no such bars.

    >>> box_cells('''Model: "sequential"
    ... ┏━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┳━━━━━━━━━┓
    ... ┃ Layer (type)         ┃ Output Shape  ┃ Param # ┃
    ... ┡━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━╇━━━━━━━━━┩
    ... │ batch_normalization  │ (None, 30, 8) │      32 │
    ... │ (BatchNormalization) │               │         │
    ... └──────────────────────┴───────────────┴─────────┘''')[1]
    (5, ['batch_normalization (BatchNormalization)', '(None, 30, 8)', '32'])
    """
    lines = list(enumerate(text.splitlines(), 1))
    return _box(lines) if any(_BOX_BAR.search(s) for _, s in lines) else []


def aligned_cells(text: str) -> list:
    """The rows of a summary whose columns are aligned with spaces, as symcnn's
    ``model.summary()`` (and Keras 2's) prints it: the header between the first two rules,
    the rows up to the next rule; ``[]`` when ``text`` has no such rules."""
    return _aligned([(n, s.replace("\t", "    ")) for n, s in enumerate(text.splitlines(), 1)])


_WHERE = re.compile(r"\s*(?:where\s+)?([A-Za-z_]\w*)\s*=\s*(\S.*)")


def where_definitions(text: str) -> dict:
    """The names a summary's ``where`` block defines (``summary(where=True)``), as text.

    >>> where_definitions("Total params: 10\\nwhere h_1 = ceiling(H/2)\\n      w_1 = ceiling(W/2)")
    {'h_1': 'ceiling(H/2)', 'w_1': 'ceiling(W/2)'}
    """
    out: dict = {}
    inside = False
    for line in text.splitlines():
        if line.lstrip().startswith("where "):
            inside = True
        elif not (inside and line.startswith(" ")):
            inside = False
        hit = _WHERE.fullmatch(line.rstrip()) if inside else None
        if hit:
            out[hit.group(1)] = hit.group(2)
    return out
