"""A "where" block: names for the rounding parts that recur among the closed forms a page
shows (``h_1 = floor((H + 4)/8) - 1``), so that long rows stay short: :func:`where_block`
finds the parts and names them, :class:`Where` prints with the names; :func:`call_names`
names the ``make_divisible`` calls of a table (``c_{32} = make_divisible(32 w, 8)``), which
the text summary's block names too.
"""

from __future__ import annotations

from collections import Counter

import sympy
from sympy import ceiling, floor

from ..divisible import make_divisible
from .exprs import display_form, text_printer

__all__ = ["Where", "where_block", "call_names", "MAKE_DIVISIBLE_RULE"]


class Where:
    """Names for recurring parts of display forms: a "where" block (``h_1 = floor((H + 4)/8) - 1``).

    Built by :func:`where_block` from the expressions a page shows; :meth:`show` prints an
    expression with the named parts replaced, :meth:`lines` the definitions (the example
    is :func:`where_block`'s).
    """

    def __init__(self, names: dict, calls: dict | None = None, renamed=None) -> None:
        self.names = dict(names)  # display node -> Symbol
        self.calls = dict(calls or {})  # make_divisible call -> Symbol (:func:`call_names`)
        self._shown: dict = {}  # expression -> its named display form (rows repeat shapes)
        self._renamed = renamed if renamed is not None else {}  # memo of :func:`_rename`

    def __bool__(self) -> bool:
        return bool(self.names or self.calls)

    def __len__(self) -> int:
        return len(self.names) + len(self.calls)

    def display(self, expr):
        """The display form of ``expr`` with the named parts replaced by their names."""
        shown = self._shown.get(expr)
        if shown is None:
            named = _rename(sympy.sympify(expr), self.calls, self._renamed) if self.calls \
                else expr
            shown = self._shown[expr] = _substitute(display_form(named), self.names)
        return shown

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
        """``(name, display node)`` pairs in naming order: the calls (each written with the
        names of the calls inside it), then the rounding parts."""
        calls = [(symbol, display_form(call.func(*(a.xreplace(self.calls) for a in call.args))))
                 for call, symbol in self.calls.items()]
        return calls + [(symbol, node) for node, symbol in self.names.items()]

    def lines(self) -> list:
        return [f"{s} = {text_printer().doprint(node)}" for s, node in self.items()]

    def notes(self) -> list:
        """The sentences under the definitions: what ``make_divisible`` does, where a call
        is named."""
        return [MAKE_DIVISIBLE_RULE] if self.calls else []


#: What a text defining named ``make_divisible`` calls says of the function (the LaTeX and
#: HTML tables' notes say the same).
MAKE_DIVISIBLE_RULE = ("make_divisible(v, d) rounds v to the nearest multiple of d, at least d, "
                       "one d higher if that is below 0.9*v.")


def _rename(expr, calls: dict, memo: dict):
    """``expr.xreplace(calls)``, each distinct subexpression rebuilt once (``memo``): the
    rows of a table share their parts, and rebuilding a ``Max`` asks SymPy to compare its
    arguments again (EfficientNet's summary spent a second on that)."""
    done = memo.get(expr)
    if done is not None:
        return done
    if expr in calls:
        out = calls[expr]
    elif not expr.args:
        out = expr
    else:
        args = [_rename(a, calls, memo) for a in expr.args]
        out = expr if all(a is b for a, b in zip(args, expr.args)) else expr.func(*args)
    memo[expr] = out
    return out


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


def where_block(exprs, min_count: int = 2, min_length: int = 12, taken=(),
                calls: bool = False) -> Where:
    """Name the rounding parts (``floor((H + 4)/8) - 1``) that recur among ``exprs``.

    A part is named when it occurs in at least ``min_count`` of the expressions and its text
    has at least ``min_length`` characters; a name is the lower-case letter of its symbol with
    a running index (``h_1``, ``h_2``, ``w_1``), skipping names in ``taken``. With
    ``calls=True`` every ``make_divisible`` call is named too, as the LaTeX and HTML tables
    name them (:func:`call_names`: ``c_32 = make_divisible(32*a, 8)``), and the rounding
    parts are found in the expressions written with those names.

    >>> import sympy
    >>> from symcnn import symbols
    >>> H, w = symbols("H w")
    >>> A = sympy.floor((H + 4)/8)
    >>> names = where_block([16*w*A - 16*w, 160*w*A - 160*w + 10, A - 1])
    >>> names.show(160*w*A - 160*w + 10), names.lines()
    ('160*w*h_1 + 10', ['h_1 = floor((H + 4)/8) - 1'])
    >>> c = make_divisible(32*w, 8)
    >>> named = where_block([c*(A - 1), 9*c], calls=True)
    >>> named.show(9*c), named.lines()
    ('9*c_32', ['c_32 = make_divisible(32*w, 8)'])
    """
    taken = {str(t) for t in taken}
    names_of_calls = call_names(exprs, taken) if calls else {}
    renamed: dict = {}
    if names_of_calls:
        exprs = [_rename(sympy.sympify(e), names_of_calls, renamed) for e in exprs]
        taken |= {str(s) for s in names_of_calls.values()}
    counts: Counter = Counter()
    order: dict = {}
    for expr in exprs:
        for part in set(_parts(display_form(expr))):
            counts[part] += 1
            order.setdefault(part, len(order))
    chosen = [p for p in sorted(order, key=order.get)
              if counts[p] >= min_count and len(text_printer().doprint(p)) >= min_length]
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
    return Where(names, names_of_calls, renamed)


def call_names(exprs, taken=()) -> dict:
    """Names for the ``make_divisible`` calls among ``exprs``, ``{call: Symbol}``, in the
    order they first occur (an inner call before the call around it).

    A table cell a few centimetres wide cannot hold ``make_divisible(32 w, 8)`` several
    times over, so a LaTeX table writes each call as its name and defines the names under
    the table. A call ``make_divisible(k*x, d)`` is named ``c_k`` after the published width
    ``k`` it multiplies (``c_1280`` for ``make_divisible(1280*Max(1, w), 8)``). A call on a
    named width, ``make_divisible(c_k/4, 8)`` (a squeeze-and-excitation width), is
    ``s_k``: a subscript of its own, as ``c_1`` would read as ``make_divisible(1*w, 8)``,
    a width of 1 it is not. Any other call, and a ``k`` that two calls share, gets
    ``m_1``, ``m_2``, ... (``m`` for make_divisible: never read as a width); names in
    ``taken`` (the model's own symbols) are skipped, and a model with a symbol ``s`` of its
    own names no call ``s_k`` (it would read as that symbol with a subscript).

    >>> import sympy
    >>> w = sympy.Symbol("w", positive=True)
    >>> c16 = make_divisible(16*w, 8)
    >>> call_names([3 * c16, make_divisible(c16/4, 8), make_divisible(w**2 + 8, 8)])
    {make_divisible(16*w, 8): c_16, make_divisible(make_divisible(16*w, 8)/4, 8): s_16, make_divisible(w**2 + 8, 8): m_1}
    """
    calls: list = []
    for expr in exprs:
        for node in sympy.postorder_traversal(sympy.sympify(expr)):
            if isinstance(node, make_divisible) and node not in calls:
                calls.append(node)
    widths = Counter(_width(c) for c in calls)
    taken = {str(t) for t in taken}
    names: dict = {}
    used: set = set()

    def free(name):
        return name if name is not None and name not in taken and name not in used else None

    bases = Counter(_base(c) for c in calls)
    index = 0
    for call in calls:
        k, base = _width(call), _base(call)
        name = free(f"c_{k}") if k is not None and widths[k] == 1 else None
        if name is None and base is not None and bases[base] == 1 and base in names \
                and "s" not in taken and str(names[base]).startswith("c_"):
            name = free("s_" + str(names[base])[2:])
        while name is None:
            index += 1
            name = free(f"m_{index}")
        used.add(name)
        names[call] = sympy.Symbol(name, integer=True, positive=True)
    return names


def _base(call):
    """The call a call's argument is a fraction of (``make_divisible(16*w, 8)`` for
    ``make_divisible(make_divisible(16*w, 8)/4, 8)``), else ``None``."""
    coefficient, rest = call.args[0].as_coeff_Mul()
    if coefficient.is_Rational and coefficient > 0 and isinstance(rest, make_divisible):
        return rest
    return None


def _width(call) -> int | None:
    """``k`` of ``make_divisible(k*x, d)`` for a product ``x`` of symbols and functions of
    them (``32`` for ``32*w``), else ``None``."""
    coefficient, rest = call.args[0].as_coeff_Mul()
    if coefficient.is_Integer and coefficient > 0 and rest.free_symbols and not rest.is_Add:
        return int(coefficient)
    return None
