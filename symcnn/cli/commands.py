"""What each ``symcnn`` command does, once its arguments are parsed.

Each ``run_*`` function takes the parsed arguments, writes its result to ``out`` and returns
the exit code. Capabilities that are optional (Markdown and LaTeX printers, costs, plots) are
looked up by name at run time, so a missing one is reported plainly rather than crashing.
"""

from __future__ import annotations

import inspect
import json
import os
import sys
import time

import sympy

from .. import plotting, sweeping, zoo
from ..costs import QUANTITIES, quantity
from ..errors import SolveError, SymcnnError, UnavailableError
from ..render.exprs import show
from ..render.latex import compile_pdf
from ..render.summary import format_count
from ..solving import solve_budget
from ..spec import model_to_spec
from ..suggest import did_you_mean
from .options import LoadError
from .loading import UsageError, load_model, parse_assignments, parse_range, parse_shape
from .report import solve_document, summary_document, sweep_document, zoo_document

__all__ = ["run_summary", "run_solve", "run_latex", "run_plot", "run_sweep", "run_zoo",
           "run_spec", "QUANTITIES", "EXIT_NO_SOLUTION", "LoadError"]

EXIT_NO_SOLUTION = 5


def _load(args):
    try:
        model = load_model(args.file, getattr(args, "model", "model") or "model")
    except UnavailableError:
        raise
    except SymcnnError as err:
        raise LoadError(err) from err
    return _substitute(model, getattr(args, "subs", None))


def _substitute(model, items):
    values = parse_assignments(items, "--subs")
    return model.subs(values) if values else model


def _columns(values):
    if not values:
        return None
    return [c for v in values for c in v.split(",") if c]


def render(model, fmt: str, columns=None) -> str:
    """The model as text, Markdown, LaTeX or a JSON document."""
    if fmt == "json":
        if columns:
            raise UsageError("--columns applies to text, markdown and latex, not json (the "
                             "JSON document has every column)")
        return json.dumps(summary_document(model), indent=2)
    if fmt == "markdown":
        return model.to_markdown(columns=columns)
    if fmt == "latex":
        return model.to_latex(columns=columns)
    return model.summary_text(columns=columns)


def run_summary(args, out) -> int:
    model = _load(args)
    print(render(model, args.format, _columns(args.columns)), file=out)
    return 0


def _quantity(model, name: str):
    if name not in QUANTITIES:
        raise UsageError(f"unknown quantity {name!r};{did_you_mean(name, QUANTITIES)} choose "
                         f"from {', '.join(QUANTITIES)}")
    return quantity(model, name)


def _symbol(model, name: str):
    for s in model.free_symbols:
        if s.name == name:
            return s
    names = ", ".join(sorted(s.name for s in model.free_symbols)) or "none"
    hint = did_you_mean(name, [s.name for s in model.free_symbols])
    raise SolveError(f"solve: the model has no symbol {name!r} (its symbols: {names}).{hint} "
                     f"Received: --for {name}")


def run_solve(args, out) -> int:
    """``Model.solve_budget`` for every budget at once (the answer) and for each alone (to
    say which binds); the model's constraints hold at the answer."""
    budgets = parse_assignments(args.budget, "--budget")
    for name, value in budgets.items():
        if name not in QUANTITIES:
            raise UsageError(f"--budget: unknown quantity {name!r};"
                             f"{did_you_mean(name, QUANTITIES)} choose from "
                             f"{', '.join(QUANTITIES)}")
        if not getattr(value, "is_number", isinstance(value, int)) or value <= 0:
            raise UsageError(f"--budget: a budget is a positive number. Received: "
                             f"{name}={value}")
    model = _load(args)
    symbol = _symbol(model, args.for_)
    found = {name: (budget, _quantity(model, name),
                    model.solve_budget(for_=symbol, **{name: budget}))
             for name, budget in budgets.items()}
    best = model.solve_budget(for_=symbol, **budgets)
    binding = [] if best is None else [n for n, (_, _, v) in found.items() if v == best]
    if args.format == "json":
        print(json.dumps(solve_document(model, symbol.name, best, found, binding), indent=2),
              file=out)
        return 0 if best is not None else EXIT_NO_SOLUTION
    if best is None:
        print(_no_solution(model, symbol, found), file=out)
        return EXIT_NO_SOLUTION
    print(f"{symbol} = {best}: the largest {symbol} within "
          f"{'every budget' if len(found) > 1 else 'the budget'}"
          f"{' (' + ', '.join(binding) + ' binds)' if len(found) > 1 else ''}", file=out)
    for name, (budget, expr, alone) in found.items():
        at = expr.xreplace({symbol: best})
        print(f"  {name}: {show(expr)} = {format_count(at)} <= {format_count(budget)}"
              f"{'' if alone == best else f'  (alone: {symbol} <= {alone})'}", file=out)
    return 0


def _no_solution(model, symbol, found) -> str:
    """Why no value fits: every positive value exceeds a budget, or those within the budgets
    break the model's constraints."""
    plain = [solve_budget(expr, budget, symbol) for budget, expr, _ in found.values()]
    if any(v is None for v in plain):
        over = [n for n, v in zip(found, plain) if v is None]
        return f"No positive {symbol} fits: even {symbol} = 1 exceeds the " \
               f"{' and '.join(over)} budget."
    needs = [show(c) for c in model.constraints if symbol in c.free_symbols]
    return (f"No valid {symbol} fits: {symbol} = {min(plain)} is the largest within the "
            f"budget, but the model needs {', '.join(needs) or 'other values'}.")


def run_latex(args, out) -> int:
    model = _load(args)
    divisible = parse_assignments(args.assume_divisible, "--assume-divisible") or None
    options = {"style": args.style, "assume_divisible": divisible,
               "columns": _columns(args.columns), "caption": args.caption}
    text = model.to_latex(standalone=bool(args.pdf or args.standalone),
                          **{k: v for k, v in options.items() if v is not None})
    if args.pdf:
        if not args.output:
            raise UsageError("--pdf needs -o FILE.tex (the PDF is written beside it)")
        _write(args.output, _standalone(text))
        pdf = _pdflatex(args.output, _standalone(text))
        print(f"wrote {args.output} and {pdf}", file=sys.stderr)
        return 0
    if args.output:
        _write(args.output, text)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        print(text, file=out)
    return 0


def _write(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text if text.endswith("\n") else text + "\n")
    except OSError as err:
        raise UsageError(f"cannot write {path}: {err.strerror or err}") from None


def _standalone(text: str) -> str:
    if "\\documentclass" in text:
        return text
    return ("\\documentclass{article}\n\\usepackage{amsmath,amssymb,booktabs}\n"
            "\\begin{document}\n" + text + "\n\\end{document}\n")


def _pdflatex(path: str, tex: str) -> str:
    """Compile the written ``path`` with :func:`symcnn.render.latex.compile_pdf`."""
    folder, name = os.path.split(os.path.abspath(path))
    try:
        pdf = compile_pdf(tex, folder, os.path.splitext(name)[0])
    except UnavailableError:
        raise UnavailableError("--pdf needs pdflatex on PATH (e.g. apt-get install "
                               "texlive-latex-base); the .tex file was written") from None
    return os.fspath(pdf)


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
    exprs = [_quantity(model, q) for q in quantities]
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


def run_sweep(args, out) -> int:
    name, values = parse_range(args.range, "RANGE")
    quantities = _columns(args.y) or ["params"]
    model = _load(args)
    symbol = _symbol(model, name)
    rows = sweep_rows(model, symbol, values, quantities,
                      Progress(len(values), not args.no_progress))
    if args.format == "json":
        print(json.dumps(sweep_document(model, name, quantities, rows), indent=2), file=out)
    elif args.format == "csv":
        print(",".join([name, "valid", *quantities]), file=out)
        for value, ok, xs in rows:
            print(",".join([str(value), str(ok).lower(), *(str(x) if ok else "" for x in xs)]),
                  file=out)
    else:
        table = [[name, *quantities]] + [[str(v), *(format_count(x) if ok else "invalid"
                                                    for x in xs)] for v, ok, xs in rows]
        widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
        for row in table:
            print("  ".join(c.rjust(w) for c, w in zip(row, widths)), file=out)
    return 0


def run_plot(args, out) -> int:
    name, values = parse_range(args.range, "RANGE")
    quantities = _columns(args.y) or ["params"]
    model = _load(args)
    _symbol(model, name)
    for q in quantities:
        _quantity(model, q)
    budgets = parse_assignments(args.budget, "--budget")
    for q in budgets:
        if q not in quantities:
            raise UsageError(f"--budget: {q!r} is not among the plotted quantities "
                             f"({', '.join(quantities)})")
    try:
        import matplotlib
    except ImportError:
        raise UnavailableError("plots need matplotlib: pip install 'symcnn[plot]'") from None
    matplotlib.use("Agg")
    y = quantities if len(quantities) > 1 else quantities[0]
    budget = budgets or None
    if budget is not None and len(quantities) == 1:
        budget = budgets[quantities[0]]
    try:
        figure = plotting.plot(model, y=y, budget=budget, path=args.output, logy=args.logy,
                      title=args.title, **{name: values})
    except OSError as err:
        raise UsageError(f"cannot write {args.output}: {err.strerror or err}") from None
    import matplotlib.pyplot as plt

    plt.close(figure)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def zoo_entries() -> dict:
    """Every model the zoo offers, by CLI name (``resnet50``, ``textbook.free_width``)."""
    entries = {}

    def add(prefix, module):
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name, None)
            if inspect.ismodule(obj) and prefix == "":
                add(f"{name}.", obj)
            elif callable(obj) and not isinstance(obj, type) and not name.startswith("_"):
                required = [p for p in inspect.signature(obj).parameters.values()
                            if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY,
                                                                   p.POSITIONAL_OR_KEYWORD)]
                if not required:
                    entries[prefix + name] = obj

    add("", zoo)
    return entries


def run_zoo(args, out) -> int:
    entries = zoo_entries()
    if not args.name:
        rows = [(n, (inspect.getdoc(f) or "").split("\n")[0]) for n, f in entries.items()]
        if args.format == "json":
            print(json.dumps(zoo_document(rows), indent=2), file=out)
            return 0
        width = max(len(n) for n, _ in rows)
        for name, doc in rows:
            print(f"{name.ljust(width)}  {doc}", file=out)
        return 0
    if args.name not in entries:
        import difflib

        close = difflib.get_close_matches(args.name, entries, n=3)
        raise UsageError(f"the zoo has no model {args.name!r}"
                         f"{'; did you mean ' + ' or '.join(close) + '?' if close else ''} "
                         f"(`symcnn zoo` lists them)")
    build = entries[args.name]
    options = parse_assignments(args.arg, "--arg")
    if args.input:
        options["input_shape"] = parse_shape(args.input)
    accepted = inspect.signature(build).parameters
    for key in options:
        if key not in accepted:
            raise UsageError(f"{args.name} has no argument {key!r}; it takes "
                             f"{', '.join(accepted) or 'none'}")
    model = build(**options)
    if not hasattr(model, "summary"):
        raise UsageError(f"{args.name} returns {type(model).__name__}, not one model")
    model = _substitute(model, args.subs)
    print(render(model, args.format, _columns(args.columns)), file=out)
    return 0


def run_spec(args, out) -> int:
    model = _load(args)
    spec = model_to_spec(model)
    target = args.output or ""
    if args.format == "yaml" or (args.format is None and target.endswith((".yaml", ".yml"))):
        try:
            import yaml
        except ImportError:
            raise UnavailableError("YAML output needs PyYAML: pip install 'symcnn[yaml]' "
                                   "(or use --format json)") from None
        text = yaml.safe_dump(spec, sort_keys=False, default_flow_style=None, width=100)
    else:
        text = json.dumps(spec, indent=2)
    if target:
        _write(target, text)
        print(f"wrote {target}", file=sys.stderr)
    else:
        print(text.rstrip("\n"), file=out)
    return 0
