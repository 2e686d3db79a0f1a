"""A "where" block: names for the rounding parts that recur among the closed forms a page
shows (``h_1 = floor((H + 4)/8) - 1``), so that long rows stay short: :func:`where_block`
finds the parts and names them, :class:`Where` prints with the names; :func:`call_names`
names the ``make_divisible`` calls of a LaTeX table (``c_{32} = make_divisible(32 w, 8)``).
"""

from __future__ import annotations

from collections import Counter

import sympy
from sympy import ceiling, floor

from ..divisible import make_divisible
from .exprs import display_form, text_printer

__all__ = ["Where", "where_block", "call_names"]


class Where:
    """Names for recurring parts of display forms: a "where" block (``h_1 = floor((H + 4)/8) - 1``).

    Built by :func:`where_block` from the expressions a page shows; :meth:`show` prints an
    expression with the named parts replaced, :meth:`lines` the definitions (the example
    is :func:`where_block`'s).
    """

    def __init__(self, names: dict) -> None:
        self.names = dict(names)  # display node -> Symbol

    def __bool__(self) -> bool:
        return bool(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def display(self, expr):
        """The display form of ``expr`` with the named parts replaced by their names."""
        return _substitute(display_form(expr), self.names)

    def show(self, expr) -> str:
        return text_printer().doprint(self.display(expr))

    def show_sum(self, total, parts) -> str:
        """``total`` (the sum of ``parts``, a table's rows) with the named parts: the shorter
        of its own display and the sum of the rows' named forms, gathered. A total over
        several shifts of one rounding (``floor(H/2) - 2`` and ``floor(H/2) - 6``) shows no
        name of its own; the rows' sum shows them all (LeNet-5's MACs).
        """
        direct = self.show(total)
        if not self.names or sympy.expand(sympy.Add(*parts) - total) != 0:
            return direct
        gathered = sympy.expand(sympy.Add(*(self.display(p) for p in parts)))
        summed = text_printer().doprint(display_form(gathered))
        return summed if len(summed) < len(direct) else direct

    def items(self) -> list:
        """``(name, display node)`` pairs in naming order."""
        return [(symbol, node) for node, symbol in self.names.items()]

    def lines(self) -> list:
        return [f"{s} = {text_printer().doprint(node)}" for s, node in self.items()]


def _substitute(tree, names: dict):
    if not names:
        return tree
    if tree in names:
        return names[tree]
    if not tree.args or isinstance(tree, (floor, ceiling)):
        return tree
    args = [_substitute(a, names) for a in tree.args]
    if tree.is_Add or tree.is_Mul or tree.is_Pow:
        return tree.func(*args, evaluate=False)
    return tree.func(*args)


def _parts(tree) -> list:
    """The rounding atoms of a display tree, shifted (``floor(...) - 1``) or alone."""
    if isinstance(tree, (floor, ceiling)):
        return [tree]
    if tree.is_Add and len(tree.args) == 2 and isinstance(tree.args[0], (
            floor, ceiling)) and tree.args[1].is_Integer:
        return [tree]
    out = []
    for a in tree.args:
        out += _parts(a)
    return out


def where_block(exprs, min_count: int = 2, min_length: int = 12, taken=()) -> Where:
    """Name the rounding parts (``floor((H + 4)/8) - 1``) that recur among ``exprs``.

    A part is named when it occurs in at least ``min_count`` of the expressions and its text
    has at least ``min_length`` characters; a name is the lower-case letter of its symbol with
    a running index (``h_1``, ``h_2``, ``w_1``), skipping names in ``taken``.

    >>> import sympy
    >>> from symcnn import symbols
    >>> H, w = symbols("H w")
    >>> A = sympy.floor((H + 4)/8)
    >>> names = where_block([16*w*A - 16*w, 160*w*A - 160*w + 10, A - 1])
    >>> names.show(160*w*A - 160*w + 10), names.lines()
    ('160*w*h_1 + 10', ['h_1 = floor((H + 4)/8) - 1'])
    """
    counts: Counter = Counter()
    order: dict = {}
    for expr in exprs:
        for part in set(_parts(display_form(expr))):
            counts[part] += 1
            order.setdefault(part, len(order))
    chosen = [p for p in sorted(order, key=order.get)
              if counts[p] >= min_count and len(text_printer().doprint(p)) >= min_length]
    taken = {str(t) for t in taken}
    index: Counter = Counter()
    names = {}
    for part in chosen:
        syms = sorted(part.free_symbols, key=sympy.default_sort_key)
        letter = syms[0].name[0].lower() if syms else "s"
        letter = "s" if letter in taken else letter  # ``w`` a width: ``s_1``, not ``w_1``
        while True:
            index[letter] += 1
            name = f"{letter}_{index[letter]}"
            if name not in taken:
                break
        names[part] = sympy.Symbol(name, integer=True)
    return Where(names)


def call_names(exprs, taken=()) -> dict:
    """Names for the ``make_divisible`` calls among ``exprs``, ``{call: Symbol}``, in the
    order they first occur (an inner call before the call around it).

    A table cell a few centimetres wide cannot hold ``make_divisible(32 w, 8)`` several
    times over, so a LaTeX table writes each call as its name and defines the names under
    the table. A call ``make_divisible(k*x, d)`` is named ``c_k`` after the published width
    ``k`` it multiplies (``c_1280`` for ``make_divisible(1280*Max(1, w), 8)``); other
    calls, and a ``k`` that two calls share, get ``c_1``,
    ``c_2``, ...; names in ``taken`` (the model's own symbols) are skipped.

    >>> import sympy
    >>> w = sympy.Symbol("w", positive=True)
    >>> call_names([3 * make_divisible(32*w, 8), make_divisible(w**2 + 8, 8)])
    {make_divisible(32*w, 8): c_32, make_divisible(w**2 + 8, 8): c_1}
    """
    calls: list = []
    for expr in exprs:
        for node in sympy.postorder_traversal(sympy.sympify(expr)):
            if isinstance(node, make_divisible) and node not in calls:
                calls.append(node)
    widths = Counter(_width(c) for c in calls)
    taken = {str(t) for t in taken}
    names, index = {}, 0
    for call in calls:
        k = _width(call)
        name = f"c_{k}" if k is not None and widths[k] == 1 else None
        while name is None or name in taken or name in {str(v) for v in names.values()}:
            index += 1
            name = f"c_{index}"
        names[call] = sympy.Symbol(name, integer=True, positive=True)
    return names


def _width(call) -> int | None:
    """``k`` of ``make_divisible(k*x, d)`` for a product ``x`` of symbols and functions of
    them (``32`` for ``32*w``), else ``None``."""
    coefficient, rest = call.args[0].as_coeff_Mul()
    if coefficient.is_Integer and coefficient > 0 and rest.free_symbols and not rest.is_Add:
        return int(coefficient)
    return None
