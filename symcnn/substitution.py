"""Checking a substitution: the names, the values and the conditions they must keep.

One set of checks for everything that substitutes values into closed forms of a model
(:meth:`symcnn.Model.subs`, :meth:`symcnn.training_memory.TrainingMemory.subs`), so that
each refuses the same things with the same words: a name that is no free symbol, a size
that is not a positive integer (from 0 for a symbol declared non-negative, of the declared
parity for one declared even or odd; a multiplier takes exact fractions: ``"0.75"`` is
3/4), and values that break a condition the closed forms hold under (``H >= 10``).

>>> import sympy
>>> H = sympy.Symbol("H", integer=True, positive=True)
>>> substitution_table("Model 'm'", {H}, {"H": 32}, {})
{H: 32}
>>> substitution_table("Model 'm'", {H}, {"W": 32}, {})
Traceback (most recent call last):
...
symcnn.errors.SymbolError: Model 'm': no symbol named 'W' to substitute. Free symbols: H. Received: W=32
>>> conditions_after([H >= 10], {H: 12}, "Model 'm' subs")
[]
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy

from .errors import ExpressionError, LayerArgumentError, ShapeError, SymbolError, brief
from .expr_parser import parse_expression
from .multipliers import exact_value
from .render.exprs import show
from .safe import bounded_subs
from .symbols import as_size, broken_parity, describe_symbol, least_integer

__all__ = ["substitution_table", "conditions_after"]


def substitution_table(owner: str, symbols, mapping, values: dict) -> dict:
    """``{symbol: value}`` from ``mapping`` (a dict, or pairs) and keyword ``values``, keys
    being symbols or their names among ``symbols``; each value checked as a size (a positive
    integer or expression) or, for a multiplier, as an exact positive number.

    Errors start with ``owner`` (``"Model 'm'"``; values and conditions with ``owner
    subs``) and end with the argument and the value received. A symbol given twice (in
    ``mapping`` and by keyword, or by name and as a symbol) must be given the same value
    both times; two different values are a :class:`~symcnn.errors.SymbolError`, never one of
    them chosen silently.
    """
    items = list(_pairs(mapping, owner)) + list(values.items())
    symbols = set(symbols)
    by_name = {s.name: s for s in symbols}
    table: dict = {}
    given: dict = {}  # symbol -> the value as given first, for the message of a clash
    for key, value in items:
        if isinstance(key, str):
            if key not in by_name:
                raise SymbolError(
                    f"{owner}: no symbol named {key!r} to substitute. "
                    f"Free symbols: {', '.join(sorted(by_name)) or 'none'}. "
                    f"Received: {key}={value!r}"
                )
            key = by_name[key]
        elif not isinstance(key, sympy.Symbol):
            raise SymbolError(f"subs: keys must be symbols or their names. Received: {key!r}")
        elif key not in symbols:  # a plain sympy.Symbol("n") means the model's n
            if key.name not in by_name:
                raise SymbolError(
                    f"{owner}: no symbol {key} to substitute. Free "
                    f"symbols: {', '.join(sorted(by_name)) or 'none'}. "
                    f"Received: {{{key}: {value!r}}}")
            key = by_name[key.name]
        if key.is_integer and isinstance(value, str):  # "10", "W + 2": read safely
            value = _size_text(value, by_name, str(key), f"{owner} subs")
        if key.is_integer:  # from 0 for a symbol declared non-negative
            checked = as_size(value, str(key), f"{owner} subs", minimum=_least(key))
            _check_parity(key, checked, value, owner)
        else:
            checked = exact_value(value, str(key), f"{owner} subs")  # 0.75 is 3/4
        if key in table and table[key] != checked:
            raise SymbolError(
                f"{owner} subs: {key} is given twice, with different values ({show(table[key])} "
                f"and {show(checked)}); give each symbol one value. "
                f"Received: {key}={brief(given[key])} and {key}={brief(value)}")
        table[key] = checked
        given.setdefault(key, value)
    return table


def _least(symbol) -> int:
    """The least value of an integer symbol: 0 for one declared non-negative, else 1."""
    least = least_integer(symbol)
    return 1 if least is None else least


def _check_parity(symbol, checked, value, owner: str) -> None:
    """Refuse a value of the wrong parity for a symbol declared ``even`` or ``odd`` (one
    SymPy cannot tell the parity of is accepted)."""
    parity = broken_parity(symbol, checked)
    if parity is not None:
        raise LayerArgumentError(
            f"{owner} subs: `{symbol}` is declared {parity} ({describe_symbol(symbol)}), "
            f"so its value must be {parity}. Received: {symbol}={brief(value)}")


def _pairs(mapping, owner: str):
    """The ``(key, value)`` pairs of ``mapping``: a dict's items, or the pairs given (a key
    repeated among them is kept, for :func:`substitution_table` to compare its values)."""
    if not mapping:
        return []
    if isinstance(mapping, Mapping) or hasattr(mapping, "items"):  # a dict, SymPy's Dict
        return list(mapping.items())
    try:
        pairs = [tuple(pair) for pair in mapping]
    except TypeError:
        pairs = None
    if pairs is None or any(len(pair) != 2 for pair in pairs):
        raise SymbolError(f"{owner} subs: `mapping` must be a dict {{symbol: value}} or "
                          f"(symbol, value) pairs. Received: mapping={brief(mapping)}")
    return pairs


def _size_text(text: str, by_name: dict, arg: str, owner: str):
    """A size written as text, read as the command line and model files read it: a number
    (``"10"``), one of the model's symbols or a new one (``"W"``, ``"n"``), or an expression
    in them (``"2*W + 1"``); never evaluated as Python."""
    try:
        return parse_expression(text, by_name, declare=True)
    except ExpressionError as err:
        problem = str(err).removeprefix("expression: ").split(". Received:")[0]
        raise LayerArgumentError(f"{owner}: `{arg}` must be a positive integer, a symbol name or "
                                 f"a positive-integer expression such as 2*W + 1; {problem}. "
                                 f"Received: {arg}={text!r}") from None


def conditions_after(conditions, table: dict, owner: str) -> list:
    """``conditions`` with ``table`` substituted, those now true left out; a
    :class:`~symcnn.errors.ShapeError` names one that the values break."""
    out = []
    for c in conditions:
        after = bounded_subs(c, table, owner)
        if after is sympy.false:
            given = ", ".join(f"{k}={show(v)}" for k, v in table.items()
                              if k in c.free_symbols)
            raise ShapeError(f"{owner}: its closed forms hold only where {show(c)}, which "
                             f"these values break. Received: {given}")
        if after is not sympy.true:
            out.append(after)
    return out
