"""What the command line reads from its own arguments: ``NAME=VALUE`` lists, ranges, input
shapes and column lists (model files are :mod:`symcnn.cli.loading`'s).

Kept apart from the model loaders so that a command that needs no FILE (``symcnn zoo``)
imports no file formats (issue 16).

>>> parse_assignments(["n=10", "H=2*k"])
{'n': 10, 'H': 2*k}
>>> columns(["layer,params", "macs"])
['layer', 'params', 'macs']
"""

from __future__ import annotations

import re
from fractions import Fraction

import sympy

from ..errors import ExpressionError
from ..expr_parser import parse_size
from ..suggest import did_you_mean
from .options import BEFORE_MULTI_VALUE_OPTIONS, QUANTITIES, UsageError, subs_example

__all__ = ["UsageError", "parse_assignments", "parse_range", "parse_shape", "columns",
           "substitute", "fix_with_subs", "parse_budgets", "parse_divisors",
           "unknown_quantity", "y_quantities", "amount_with_unit", "COUNT_UNITS", "BYTE_UNITS",
           "BYTE_QUANTITIES", "unit_scale"]

#: What a budget may end with, as people write counts: ``25M`` parameters, ``4.1G`` MACs
#: (``k`` and ``K`` are thousands; millions are ``M`` only, as ``m`` is milli).
COUNT_UNITS = {"k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
#: Byte units, in any case: ``8GB`` is ``8*10**9`` bytes, ``24GiB`` is ``24*2**30``.
BYTE_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
              "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
#: The quantities counted in bytes, whose budgets also take :data:`BYTE_UNITS`.
BYTE_QUANTITIES = ("param_bytes", "activation_bytes", "peak_activation_memory")
_AMOUNT = re.compile(r"\s*(\d+(?:\.\d+)?(?:[eE][+-]?\d{1,3})?)\s*([A-Za-z]+)\s*")


def unknown_quantity(name) -> str:
    """The words for a ``--y``/``--budget`` name that is no quantity, as one sentence (the
    guess in brackets, lower case after the semicolon).

    >>> unknown_quantity("parms")[:70]
    "unknown quantity 'parms' (did you mean 'params'?); choose from params,"
    """
    hint = did_you_mean(name, QUANTITIES).strip()
    hint = f" ({hint[0].lower()}{hint[1:]})" if hint else ""
    return f"unknown quantity {name!r}{hint}; choose from {', '.join(QUANTITIES)}"


def _value(text: str, option: str, declare: bool = True):
    try:
        return parse_size(text, declare=declare)
    except ExpressionError as err:
        hint = ""
        if "=" in text:  # --subs H=224,W=224: one value read as "224,W=224"
            hint = (f" (separate assignments with spaces, not commas: {option} NAME=VALUE "
                    f"NAME=VALUE ...)")
        raise UsageError(f"{option}: {err}{hint}") from None


def _not_positive(value) -> bool:
    """Whether ``value`` is a number (or a form in positive symbols, ``-n``) that is 0 or
    negative, whatever the model: no size, multiplier, budget or divisor is."""
    if isinstance(value, int):
        return value <= 0
    return getattr(value, "is_positive", None) is False


def _items(text: str) -> list | None:
    """The items of ``(3, 3, L, 3)`` or ``3,3,L,3`` (commas outside any bracket), or None
    for one value."""
    inner = text.strip()
    if inner[:1] in "([" and inner[-1:] == {"(": ")", "[": "]"}[inner[:1]]:
        inner, bracketed = inner[1:-1], True
    else:
        bracketed = False
    parts, depth, start = [], 0, 0
    for i, char in enumerate(inner):
        depth += (char in "([") - (char in ")]")
        if char == "," and depth == 0:
            parts.append(inner[start:i])
            start = i + 1
    parts.append(inner[start:])
    if len(parts) == 1 and not (bracketed and inner.rstrip().endswith(",")):
        return None
    return [p for p in parts if p.strip()] if len(parts) > 1 else parts


#: What ``--arg NAME=VALUE`` reads as a flag (``include_top=False``): Python's spelling and
#: the lower-case one, matched as words, never run as code.
FLAGS = {"True": True, "true": True, "False": False, "false": False}


def parse_assignments(items, option: str = "--subs", tuples: bool = False,
                      positive: bool | None = None, flags: bool = False) -> dict:
    """``["n=10", "H=224"]`` as ``{"n": 10, "H": 224}``; values are expressions. With
    ``tuples``, ``depths=(3,3,L,3)`` (or ``3,3,L,3``) is a tuple of them. With ``flags``, a
    value that is one of :data:`FLAGS` (``include_top=False``, ``bottleneck=true``) is that
    bool. ``positive``
    (default: for ``--subs``) refuses a value that is 0 or negative whatever the model, as
    every symbol is positive: a usage error naming the option and the value, like a
    malformed one.

    >>> parse_assignments(["depths=(3, 3, L, 3)", "width=w"], "--arg", tuples=True)
    {'depths': (3, 3, L, 3), 'width': w}
    >>> parse_assignments(["include_top=False", "bottleneck=true"], "--arg", flags=True)
    {'include_top': False, 'bottleneck': True}
    >>> parse_assignments(["n=0"])
    Traceback (most recent call last):
    ...
    symcnn.cli.options.UsageError: --subs: n must be positive (every symbol is a positive size or multiplier). Received: 'n=0'
    """
    positive = option == "--subs" if positive is None else positive
    out = {}
    for item in items or ():
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier() or not text.strip():
            hint = f" ({BEFORE_MULTI_VALUE_OPTIONS})" if not sep else ""
            raise UsageError(f"{option}: expected NAME=VALUE such as n=10{hint}. "
                             f"Received: {item!r}")
        if name in out:
            raise UsageError(f"{option}: {name} is given twice. Received: {item!r}")
        if flags and text.strip() in FLAGS:
            out[name] = FLAGS[text.strip()]
            continue
        parts = _items(text) if tuples else None
        out[name] = _value(text, option) if parts is None else \
            tuple(_value(p, option) for p in parts)
        if positive and _not_positive(out[name]):
            raise UsageError(f"{option}: {name} must be positive (every symbol is a positive "
                             f"size or multiplier). Received: {item!r}")
    return out


def amount_with_unit(text: str, option: str, received: str,
                     byte_units: bool = False) -> Fraction | None:
    """The exact amount of ``text`` written as a number and a unit (``25M``, ``1.5 G``; with
    ``byte_units`` also ``24GiB``, ``8GB``), or None when ``text`` is not a number followed
    by letters (``1e6``, ``5*10**6``: an expression). A unit that is none of these is a
    usage error naming ``option`` and what was ``received``.

    >>> amount_with_unit("25M", "--budget", "params=25M"), amount_with_unit("1e6", "", "")
    (Fraction(25000000, 1), None)
    >>> amount_with_unit("24GiB", "--budget", "param_bytes=24GiB", byte_units=True)
    Fraction(25769803776, 1)
    """
    match = _AMOUNT.fullmatch(text)
    if not match:
        return None
    number, unit = match.groups()
    scale = unit_scale(unit, byte_units)
    if scale is None:
        units = "k, M, G or T (25M is 25,000,000)"
        if byte_units:
            units += ", or bytes such as 512MiB, 8GB, 24GiB"
        hint = " (millions are M: m would be milli)" if unit == "m" else \
            f" ({unit} is bytes, for {', '.join(BYTE_QUANTITIES[:-1])} or {BYTE_QUANTITIES[-1]})" \
            if unit.lower() in BYTE_UNITS else ""
        raise UsageError(f"{option}: unknown unit {unit!r}{hint}; a budget may end with "
                         f"{units}. Received: {received}")
    return Fraction(number) * scale


def unit_scale(unit: str, byte_units: bool = False) -> int | None:
    """What ``unit`` multiplies by: one of :data:`COUNT_UNITS` (``M``), with ``byte_units``
    also one of :data:`BYTE_UNITS` in any case (``GiB``); None for no such unit.

    >>> unit_scale("M"), unit_scale("GiB"), unit_scale("gib", byte_units=True)
    (1000000, None, 1073741824)
    """
    return COUNT_UNITS.get(unit) or (BYTE_UNITS.get(unit.lower()) if byte_units else None)


def parse_budgets(items, option: str = "--budget") -> dict:
    """``--budget QUANTITY=VALUE ...`` (``solve``, ``plot``) as ``{quantity: number}``: each
    quantity one of :data:`~symcnn.cli.options.QUANTITIES`, each value a positive number
    (``1e6`` and ``5*10**6`` are read exactly), which may end with ``k``, ``M``, ``G`` or
    ``T`` (``25M``), and a budget in bytes also with a byte unit (``24GiB``, ``8GB``).
    Anything else is a usage error naming the option and the value, the same in every
    command.

    >>> parse_budgets(["params=1e5", "macs=2*10**9"])
    {'params': 100000, 'macs': 2000000000}
    >>> parse_budgets(["params=25M", "macs=4.1G", "param_bytes=1.5 GiB"])
    {'params': 25000000, 'macs': 4100000000, 'param_bytes': 1610612736}
    >>> parse_budgets(["params=abc"])
    Traceback (most recent call last):
    ...
    symcnn.cli.options.UsageError: --budget: a budget is a positive number. Received: params=abc
    """
    budgets: dict = {}
    for item in items or ():
        name, _, text = item.partition("=")
        amount = amount_with_unit(text, option, item, name.strip() in BYTE_QUANTITIES)
        if amount is None:
            read = parse_assignments([item], option, positive=False)
        else:  # a whole amount stays an int, as "100000" is read
            read = {name.strip(): int(amount) if amount.denominator == 1 else
                    sympy.Rational(amount.numerator, amount.denominator)}
        for key, value in read.items():
            if key in budgets:
                raise UsageError(f"{option}: {key} is given twice. Received: {item!r}")
            budgets[key] = value
    for name, value in budgets.items():
        if name not in QUANTITIES:
            raise UsageError(f"{option}: {unknown_quantity(name)}. Received: {name}={value}")
        if not getattr(value, "is_number", isinstance(value, int)) or value <= 0:
            raise UsageError(f"{option}: a budget is a positive number. Received: "
                             f"{name}={value}")
    return budgets


def parse_divisors(items, option: str = "--assume-divisible") -> dict | None:
    """``--assume-divisible NAME=D ...`` as ``{name: D}`` (None when not given): each ``D``
    a positive integer, else a usage error naming the option and the value. Whether the
    model has ``NAME`` is the model's to say (as for ``--subs``).

    >>> parse_divisors(["H=32", "W=32"])
    {'H': 32, 'W': 32}
    >>> parse_divisors(["H=abc"])
    Traceback (most recent call last):
    ...
    symcnn.cli.options.UsageError: --assume-divisible: a divisor is a positive integer, as in H=32. Received: H=abc
    """
    divisors = parse_assignments(items, option, positive=False)
    for name, value in divisors.items():
        if not getattr(value, "is_Integer", isinstance(value, int)) or value <= 0:
            raise UsageError(f"{option}: a divisor is a positive integer, as in H=32. "
                             f"Received: {name}={value}")
    return divisors or None


def fix_with_subs(subject: str, names, symbol, batch: str | None = None) -> UsageError:
    """The error for quantities that still depend on ``names`` besides ``symbol``, said in
    the command line's words (the library says "by keyword" or ``.subs(...)``); the batch
    symbol ``batch`` of ``symcnn memory`` is fixed with ``--batch``.

    >>> print(fix_with_subs("the plotted quantities still depend", ["C"], "w"))
    the plotted quantities still depend on C besides w; fix them with --subs (e.g. --subs C=...)
    >>> print(fix_with_subs("the memory still depends", ["B", "W"], "H", batch="B"))
    the memory still depends on B, W besides H; fix W with --subs (e.g. --subs W=...) and the batch size with --batch (e.g. --batch 32)
    """
    names = sorted(names)
    others = [n for n in names if n != batch]
    if len(others) == len(names):
        return UsageError(f"{subject} on {', '.join(names)} besides {symbol}; fix them with "
                          f"{subs_example(names)}")
    fixes = [f"{', '.join(others)} with {subs_example(others)}"] if others else []
    fixes.append("the batch size with --batch (e.g. --batch 32)")
    return UsageError(f"{subject} on {', '.join(names)} besides {symbol}; fix "
                      f"{' and '.join(fixes)}")


#: Most points of a command line RANGE: a row or a plotted point each (a million rows of
#: text take about 10 s and 500 MB here).
MAX_RANGE_POINTS = 1_000_000


#: A ``-`` between two numbers: ``n=1-10``, a range typed with a dash, reads as -9.
_DASHED = re.compile(r"(\d+)\s*-\s*(\d+)")


def parse_range(text: str, option: str, fractions: bool = False) -> tuple:
    """``"n=1:100"`` or ``"n=1:100:5"`` (stop included) as ``("n", range)``; ``"n=8,16,32"``.
    Every value is positive, as every symbol is: one below 1 is a usage error naming the
    value (``n=1-10``, read as -9, with the hint ``n=1:10``). With ``fractions`` (a
    multiplier's values, for sweep and plot) a value may also be a positive rational, read
    exactly (``0.25`` is 1/4) and given as a :class:`~fractions.Fraction`; whether the
    symbol takes one is for the caller to check.

    >>> parse_range("n=1:9:4", "sweep"), parse_range("a=0.25:1:0.25", "sweep", fractions=True)
    (('n', [1, 5, 9]), ('a', [Fraction(1, 4), Fraction(1, 2), Fraction(3, 4), 1]))
    >>> parse_range("n=1-10", "RANGE")
    Traceback (most recent call last):
    ...
    symcnn.cli.options.UsageError: RANGE: every value of n must be positive (every symbol is a positive size or multiplier); n=1-10 is the single value -9: for a range write n=1:10. Received: 'n=1-10'
    """
    name, sep, spec = text.partition("=")
    if not sep or not name.strip().isidentifier():
        raise UsageError(f"{option}: expected NAME=START:STOP[:STEP] or NAME=A,B,C. "
                         f"Received: {text!r}")
    name = name.strip()

    def exact(value):  # an int, a multiplier's Fraction, or None for anything else
        if isinstance(value, int):
            return value
        if fractions and getattr(value, "is_Rational", False):
            return Fraction(int(value.p), int(value.q))
        return None

    if ":" in spec:
        parts = [exact(_value(p, option, declare=False)) for p in spec.split(":")]
        if len(parts) not in (2, 3) or None in parts:
            raise UsageError(f"{option}: a range is START:STOP[:STEP] of integers. "
                             f"Received: {text!r}")
        start, stop, step = (*parts, 1) if len(parts) == 2 else parts
        whole = all(isinstance(p, int) for p in parts)
        if step <= 0 or stop < start:
            raise UsageError(f"{option}: a range needs START <= STOP and STEP "
                             f"{'>= 1' if whole else '> 0'}. Received: {text!r}")
        if (stop - start) // step >= MAX_RANGE_POINTS:
            raise UsageError(f"{option}: more than {MAX_RANGE_POINTS:,} points, more than a "
                             f"table or a plot can show; take a coarser STEP (sc.sweep in "
                             f"Python takes up to 10,000,000). Received: {text!r}")
        if whole:
            values = list(range(start, stop + 1, step))
        else:  # a multiplier's grid, each value exact (an int where it is whole)
            values = [start + k * step for k in range(int((stop - start) // step) + 1)]
            values = [int(v) if v.denominator == 1 else v for v in values]
    else:
        values = [exact(_value(p, option, declare=False)) for p in spec.split(",")]
        if None in values:
            raise UsageError(f"{option}: values must be integers. Received: {text!r}")
        values = [int(v) if isinstance(v, Fraction) and v.denominator == 1 else v
                  for v in values]
    low = min(values)
    if low <= 0:
        dashed = _DASHED.search(spec)
        hint = (f"{name}={spec.strip()} is the single value {low}: for a range write "
                f"{name}={dashed.group(1)}:{dashed.group(2)}") if dashed and len(values) == 1 \
            else f"{low} is not"
        raise UsageError(f"{option}: every value of {name} must be positive (every symbol is "
                         f"a positive size or multiplier); {hint}. Received: {text!r}")
    return name, values


def parse_shape(text: str, option: str = "--input") -> tuple:
    """``"H,W,3"`` as ``(H, W, 3)`` with positive-integer symbols.

    >>> parse_shape("224,224,3"), parse_shape("H, 2*W, 3")
    ((224, 224, 3), (H, 2*W, 3))
    """
    parts = [p for p in text.split(",")]
    if not parts or not all(p.strip() for p in parts):
        raise UsageError(f"{option}: expected sizes separated by commas such as H,W,3. "
                         f"Received: {text!r}")
    sizes = tuple(_value(p, option) for p in parts)
    if any(_not_positive(size) for size in sizes):
        raise UsageError(f"{option}: every size must be positive, such as H,W,3. "
                         f"Received: {text!r}")
    return sizes


def columns(values, option: str = "--columns") -> list | None:
    """``--columns``/``--y`` values (repeatable, comma-separated) as one list; None if the
    ``option`` is not given. Given, it names something (``--y ""`` is no quantity: the
    default would be a silent guess):

    >>> columns([""], "--y")
    Traceback (most recent call last):
    ...
    symcnn.cli.options.UsageError: --y names no quantity; give names separated by commas, as --y params,macs. Received: --y ''
    """
    if values is None:
        return None
    names = [c.strip() for v in values for c in v.split(",") if c.strip()]
    if not names:
        what, example = ("quantity", "params,macs") if option == "--y" else \
            ("column", "layer,output_shape,params")
        raise UsageError(f"{option} names no {what}; give names separated by commas, as "
                         f"{option} {example}. Received: {option} "
                         f"{' '.join(map(repr, values)) or '(nothing)'}")
    return names


def y_quantities(values) -> list:
    """The quantities ``--y`` names (``sweep``, ``plot``; default ``params``), each one of
    :data:`~symcnn.cli.options.QUANTITIES`, else a usage error naming ``--y`` and the value,
    said before FILE is read.

    >>> y_quantities(None), y_quantities(["params,macs"])
    (['params'], ['params', 'macs'])
    """
    names = columns(values, "--y") or ["params"]
    for name in names:
        if name not in QUANTITIES:
            raise UsageError(f"--y: {unknown_quantity(name)}. Received: --y "
                             f"{','.join(names)}")
    return names


def substitute(model, items):
    """``model`` with ``--subs NAME=VALUE ...`` substituted (unchanged when there are none)."""
    values = parse_assignments(items, "--subs")
    return model.subs(values) if values else model
