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

import sympy

from .. import plotting, sweeping
from ..errors import OutputError, SolveError, UnavailableError
from ..render.summary import format_count
from ..safe import int_text
from .arguments import (UsageError, fix_with_subs, parse_budgets, parse_range,
                        y_quantities)
from .commands import quantity_of, symbol_of
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


def sweep_rows(model, symbol, values, quantities, progress: Progress) -> list:
    """``(value, valid, [quantity values])`` for each value of ``symbol``.

    Uses ``sc.sweep`` (exact, vectorised) in chunks so the progress bar can move; values
    below 1 are not sizes and are reported invalid.
    """
    exprs = [quantity_of(model, q) for q in quantities]
    others = set().union(*(e.free_symbols for e in exprs), *(c.free_symbols
                                                             for c in model.constraints))
    others.discard(symbol)
    if others:
        raise SolveError(f"sweep: fix the other symbols with --subs (e.g. "
                         f"{sorted(s.name for s in others)[0]}=224). Received: free symbols "
                         f"{', '.join(sorted(s.name for s in others))}")
    rows, chunk = [], 4096
    for start in range(0, len(values), chunk):
        part = values[start:start + chunk]
        sizes = [v for v in part if v >= 1]
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
            table = {symbol: sympy.Integer(value)}
            ok = value >= 1 and all(bool(c.xreplace(table)) for c in model.constraints)
            rows.append((value, ok, [e.xreplace(table) for e in exprs]))
        progress.update(start + len(part))
    progress.close()
    return rows


def _as_list(values) -> list:
    return values.tolist() if hasattr(values, "tolist") else list(values)


#: The text table's header of a quantity whose name does not say its unit (CSV and JSON keep
#: the names ``--y`` takes).
_UNIT_HEADERS = {"peak_activation_memory": "peak_activation_memory (bytes)"}


def run_sweep(args, out) -> int:
    name, values = parse_range(args.range, "RANGE")
    quantities = y_quantities(args.y)
    model = load_args(args)
    symbol = symbol_of(model, name, "sweep", f"RANGE {args.range}", args.subs)
    rows = sweep_rows(model, symbol, values, quantities,
                      Progress(len(values), not args.no_progress))
    if args.format == "json":
        print(json.dumps(sweep_document(model, name, quantities, rows), indent=2), file=out)
    elif args.format == "csv":
        print(",".join([name, "valid", *quantities]), file=out)
        for value, ok, xs in rows:
            print(",".join([str(value), str(ok).lower(), *(str(x) if ok else "" for x in xs)]),
                  file=out)
    else:  # formatted twice (for the widths, then to print) rather than kept: less memory
        def cells(row):
            value, ok, xs = row
            return [f"{value:,}", *(("invalid" if not ok else int_text(x, ",")
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
    name, values = parse_range(args.range, "RANGE")
    quantities = y_quantities(args.y)
    budgets = parse_budgets(args.budget)
    for q in budgets:
        if q not in quantities:
            raise UsageError(f"--budget: {q!r} is not among the plotted quantities "
                             f"({', '.join(quantities)}). Received: --budget "
                             f"{' '.join(args.budget)}")
    model = load_args(args)
    symbol = symbol_of(model, name, "plot", f"RANGE {args.range}", args.subs)
    others = {s.name for q in quantities for s in quantity_of(model, q).free_symbols} \
        - {symbol.name}
    if others:
        raise fix_with_subs("the plotted quantities still depend", others, symbol)
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
        figure = plotting.plot(model, y=y, budget=budget, path=args.output, logy=args.logy,
                      title=args.title, **{name: values})
    except OSError as err:  # the request failed (exit code 1), as sc.plot's OutputError
        raise OutputError(f"cannot write {args.output}: {err.strerror or err}. "
                          f"Received: path={args.output!r}") from None
    import matplotlib.pyplot as plt

    plt.close(figure)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


