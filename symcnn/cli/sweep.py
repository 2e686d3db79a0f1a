"""``symcnn sweep`` and ``symcnn plot``: quantities over a range of one symbol.

Both evaluate with :func:`symcnn.sweep` (exact, vectorised); ``plot`` draws with
:func:`symcnn.plot` (matplotlib, imported when the plot is drawn).

>>> import symcnn as sc
>>> model = sc.zoo.textbook.free_width()
>>> rows = sweep_rows(model, symbol_of(model, "n"), [0, 10, 20], ["params"], Progress(3, False))
>>> [(value, valid, [int(x) for x in xs]) for value, valid, xs in rows]
[(0, False, [48320]), (10, True, [49920]), (20, True, [51520])]
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from fractions import Fraction

import sympy

from .. import plotting, sweeping
from ..errors import OutputError, SolveError, UnavailableError, brief
from ..render.summary import format_count
from ..safe import decimal_text, int_text
from .arguments import UsageError, parse_budgets, parse_range, y_quantities
from .commands import quantity_of, symbol_of, unfixed
from .loading import load_args
from .report import sweep_document

__all__ = ["run_sweep", "run_plot", "sweep_rows", "Progress"]


class Progress:
    """A one-line progress bar on a terminal's stderr; silent elsewhere."""

    def __init__(self, total: int, enabled: bool, label: str = "sweep") -> None:
        self.total, self.label = total, label
        self.enabled = enabled and sys.stderr.isatty()
        self.start = time.monotonic()
        self.shown = False

    def update(self, done: int) -> None:
        if not self.enabled or (done % 64 and done != self.total):
            return
        if not self.shown and time.monotonic() - self.start < 0.3:
            return
        self.shown = True
        width = 30
        filled = width * done // max(self.total, 1)
        sys.stderr.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] "
                         f"{done}/{self.total}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\n")
            sys.stderr.flush()


def sweep_rows(model, symbol, values, quantities, progress: Progress, subs=None) -> list:
    """``(value, valid, [quantity values])`` for each value of ``symbol``.

    Uses ``sc.sweep`` (exact, vectorised) in chunks so the progress bar can move; values
    below 1 are not sizes and are reported invalid. A symbol other than ``symbol`` left
    free is a usage error (``subs``: the ``--subs`` given, to say why one is still free).
    """
    exprs = [quantity_of(model, q) for q in quantities]
    others = set().union(*(e.free_symbols for e in exprs), *(c.free_symbols
                                                             for c in model.constraints))
    others.discard(symbol)
    if others:  # a usage error, as plot, solve and memory say it (exit code 2)
        raise unfixed("the swept quantities and the model's conditions still depend",
                      {s.name for s in others}, symbol, subs)
    def taken(value) -> bool:  # a size is at least 1; a multiplier any positive value
        return value >= 1 if symbol.is_integer else value > 0

    rows, chunk = [], 4096
    for start in range(0, len(values), chunk):
        part = values[start:start + chunk]
        sizes = [v for v in part if taken(v)]
        found: dict = {}
        if sizes and symbol in model.free_symbols:
            result = sweeping.sweep(model, *quantities, **{symbol.name: sizes})
            valid = _as_list(result.valid) if result.valid is not None else [True] * len(sizes)
            columns = [_as_list(result[q]) for q in quantities]
            found = {v: (bool(ok), [c[i] for c in columns])
                     for i, (v, ok) in enumerate(zip(sizes, valid))}
        for value in part:
            if value in found:
                rows.append((value, *found[value]))
                continue
            table = {symbol: sympy.Rational(value)}
            ok = taken(value) and all(bool(c.xreplace(table)) for c in model.constraints)
            rows.append((value, ok, [e.xreplace(table) for e in exprs]))
        progress.update(start + len(part))
    progress.close()
    return rows


def _as_list(values) -> list:
    return values.tolist() if hasattr(values, "tolist") else list(values)


#: The text table's header of a quantity whose name does not say its unit (CSV and JSON keep
#: the names ``--y`` takes).
_UNIT_HEADERS = {"peak_activation_memory": "peak_activation_memory (bytes)"}


def _check_range(symbol, values, text: str) -> None:
    """Fractional values are a multiplier's (sc.multiplier): an integer size refuses them
    as :func:`~symcnn.cli.arguments.parse_range` without ``fractions`` does, saying why."""
    if symbol.is_integer and any(isinstance(v, Fraction) for v in values):
        raise UsageError(f"RANGE: values must be integers ({symbol} is an integer size; only "
                         f"a multiplier, sc.multiplier, takes fractional values). "
                         f"Received: {brief(text)}")


def _value_text(value, sep: str = ",") -> str:
    """A swept value as the tables show it: ``1,024``, ``0.25``, ``1/3``."""
    if isinstance(value, Fraction):
        exact = sympy.Rational(value.numerator, value.denominator)
        return decimal_text(exact, sep) or str(exact)
    return f"{value:,}" if sep else str(value)


def run_sweep(args, out) -> int:
    name, values = parse_range(args.range, "RANGE", fractions=True)
    quantities = y_quantities(args.y)
    model = load_args(args)
    symbol = symbol_of(model, name, "sweep", f"RANGE {args.range}", args.subs)
    _check_range(symbol, values, args.range)
    rows = sweep_rows(model, symbol, values, quantities,
                      Progress(len(values), not args.no_progress), args.subs)
    if args.format == "json":
        rows = [(v if type(v) is int else str(v), ok, xs) for v, ok, xs in rows]  # "1/4"
        print(json.dumps(sweep_document(model, name, quantities, rows), indent=2), file=out)
    elif args.format == "csv":
        print(",".join([name, "valid", *quantities]), file=out)
        for value, ok, xs in rows:
            print(",".join([_value_text(value, ""), str(ok).lower(),
                            *(str(x) if ok else "" for x in xs)]),
                  file=out)
    else:  # formatted twice (for the widths, then to print) rather than kept: less memory
        def cells(row):
            value, ok, xs = row
            return [_value_text(value), *(("invalid" if not ok else int_text(x, ",")
                                     if type(x) is int else format_count(x)) for x in xs)]

        headers = [name, *(_UNIT_HEADERS.get(q, q) for q in quantities)]
        widths = [len(h) for h in headers]
        for row in rows:
            widths = [max(w, len(c)) for w, c in zip(widths, cells(row))]
        print("  ".join(c.rjust(w) for c, w in zip(headers, widths)), file=out)
        for start in range(0, len(rows), 4096):  # written a block at a time
            out.write("".join("  ".join(c.rjust(w) for c, w in zip(cells(row), widths)) + "\n"
                              for row in rows[start:start + 4096]))
    return 0


def _check_plot_options(args) -> None:
    """``--title`` and ``-o`` as :func:`symcnn.plot` takes them (mathtext that parses, an
    image suffix matplotlib writes), checked before the sweep: a usage error naming the
    option and the value, as any malformed value is."""
    for option, check, value in (("--title", plotting._check_title, args.title),
                                 ("-o", plotting._format, args.output)):
        try:
            check(value)
        except SolveError as err:
            raise UsageError(f"{option}: {str(err).removeprefix('plot: ')}") from None


def run_plot(args, out) -> int:
    name, values = parse_range(args.range, "RANGE", fractions=True)
    quantities = y_quantities(args.y)
    budgets = parse_budgets(args.budget)
    for q in budgets:
        if q not in quantities:
            raise UsageError(f"--budget: {q!r} is not among the plotted quantities "
                             f"({', '.join(quantities)}). Received: --budget "
                             f"{' '.join(args.budget)}")
    model = load_args(args)
    symbol = symbol_of(model, name, "plot", f"RANGE {args.range}", args.subs)
    _check_range(symbol, values, args.range)
    others = {s.name for q in quantities for s in quantity_of(model, q).free_symbols} \
        - {symbol.name}
    if others:
        raise unfixed("the plotted quantities still depend", others, symbol, args.subs)
    try:
        import matplotlib
    except ImportError:
        raise UnavailableError("plots need matplotlib: pip install 'symcnn[plot]'") from None
    matplotlib.use("Agg")
    _check_plot_options(args)
    y = quantities if len(quantities) > 1 else quantities[0]
    budget = budgets or None
    if budget is not None and len(quantities) == 1:
        budget = budgets[quantities[0]]
    try:
        with warnings.catch_warnings(record=True) as notes:  # said plainly on stderr, below
            warnings.simplefilter("always")
            figure = plotting.plot(model, y=y, budget=budget, path=args.output,
                                   logy=args.logy, title=args.title, **{name: values})
    except OSError as err:  # the request failed (exit code 1), as sc.plot's OutputError
        raise OutputError(f"cannot write {args.output}: {err.strerror or err}. "
                          f"Received: path={args.output!r}") from None
    import matplotlib.pyplot as plt

    plt.close(figure)
    for note in notes:  # no budget fits, no log scale for a panel of zeros
        print(f"symcnn plot: note: {str(note.message).removeprefix('plot: ')}", file=sys.stderr)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


