"""What the commands on a model FILE do once their arguments are parsed: ``summary``,
``solve``, ``latex`` and ``spec`` (``zoo``, ``sweep``/``plot``, ``memory`` and the teaching
commands have their own modules, so that each imports only what it needs; issue 16).

Each ``run_*`` function takes the parsed arguments, writes its result to ``out`` and returns
the exit code. Capabilities that are optional (Markdown and LaTeX printers, costs, plots) are
looked up by name at run time, so a missing one is reported plainly rather than crashing.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile

from ..costs import QUANTITIES, quantity
from ..errors import SolveError, SymcnnError, UnavailableError, brief
from ..expr_parser import parse_expression
from ..multipliers import exact_value
from ..render.exprs import show
from ..render.latex import FONTS, compile_pdf
from ..render.summary import format_count
from ..safe import decimal_text
from ..safe_read import write_bytes
from ..solving import model_solve_budget, solve_budget
from ..spec import model_to_spec
from ..suggest import did_you_mean
from .arguments import (UsageError, columns, fix_with_subs, parse_budgets, parse_divisors,
                        unknown_quantity)
from .loading import load_args
from .options import EXIT_NO_SOLUTION, LoadError
from .report import ANY, check_columns, render, solve_document

__all__ = ["run_summary", "run_solve", "run_latex", "run_spec", "quantity_of", "symbol_of",
           "unfixed",
           "QUANTITIES", "EXIT_NO_SOLUTION", "LoadError"]


def run_summary(args, out) -> int:
    model = load_args(args)  # first: a Python FILE may register columns (register_column)
    names = check_columns(args.format, columns(args.columns))
    print(render(model, args.format, names, args.notation), file=out)
    return 0


def quantity_of(model, name: str):
    """The closed form of the quantity ``name`` (``params``, ``macs``...) of ``model``."""
    if name not in QUANTITIES:
        raise UsageError(unknown_quantity(name))
    return quantity(model, name)


def symbol_of(model, name: str, command: str = "solve", given: str | None = None,
              fixed=None):
    """The free symbol of ``model`` called ``name`` (``--for``, a RANGE's NAME); the error
    names the ``command`` and what was ``given`` (default ``--for NAME``), and says so when
    ``--subs`` (the ``fixed`` assignments) took the symbol away."""
    for s in model.free_symbols:
        if s.name == name:
            return s
    names = ", ".join(sorted(s.name for s in model.free_symbols)) or "none"
    if any(item.split("=", 1)[0].strip() == name for item in fixed or ()):
        verb = {"solve": "solve for", "sweep": "sweep over", "plot": "plot over"}.get(
            command, "use")
        hint = f" --subs fixed {name} already: leave it out of --subs to {verb} it."
    else:
        hint = did_you_mean(name, [s.name for s in model.free_symbols])
    raise SolveError(f"{command}: the model has no symbol {name!r} (its symbols: {names}).{hint} "
                     f"Received: {given or '--for ' + name}")


def unfixed(subject: str, names, symbol, subs=None, batch: str | None = None) -> UsageError:
    """:func:`~symcnn.cli.arguments.fix_with_subs`'s error for the symbols ``names`` left
    free, and, when ``--subs`` (the ``subs`` assignments) gave one of them a value that
    another assignment names (``--subs H=w-1 w=2``), why it is still free: the assignments
    apply all at once, so ``H=w-1`` keeps the symbol ``w``.

    >>> print(unfixed("the sweep still depends", ["w"], "C", ["H=w-1", "w=2"]))
    the sweep still depends on w besides C; fix them with --subs (e.g. --subs w=...). --subs applies its assignments all at once, so w in H=w-1 stays the symbol w (w=2 does not reach it); write the value itself (e.g. H=1)
    """
    error = fix_with_subs(subject, names, symbol, batch=batch)
    given = {}
    for item in subs or ():
        key, _, value = item.partition("=")
        given[key.strip()] = value.strip()
    for name in sorted(names):
        if name not in given:
            continue
        uses = [(k, v) for k, v in given.items() if k != name and re.search(
            rf"(?<![\w.]){re.escape(name)}(?!\w)", v)]
        if not uses:
            continue
        key, value = uses[0]
        example = ""
        try:
            expr = parse_expression(value, declare=True)
            number = expr.subs({s: parse_expression(given[name], declare=True)
                                for s in expr.free_symbols if s.name == name})
            if number.is_number:
                example = f"; write the value itself (e.g. {key}={number})"
        except (SymcnnError, TypeError, ValueError):
            pass
        return UsageError(f"{error}. --subs applies its assignments all at once, so {name} in "
                          f"{key}={value} stays the symbol {name} ({name}={given[name]} does "
                          f"not reach it){example}")
    return error


def run_solve(args, out) -> int:
    """``Model.solve_budget`` for every budget at once (the answer) and for each alone (to
    say which binds); the model's constraints hold at the answer."""
    budgets = parse_budgets(args.budget)
    model = load_args(args)
    symbol = symbol_of(model, args.for_, fixed=args.subs)
    step = _step(args.step, symbol)
    free = {s.name for name in budgets for s in quantity_of(model, name).free_symbols} \
        - {symbol.name}
    if free:
        raise unfixed("the budgeted quantities still depend", free, symbol, args.subs)
    found = {name: (budget, quantity_of(model, name),
                    _alone(model, symbol, name, budget, step))
             for name, budget in budgets.items()}
    best = model_solve_budget(model, symbol, budgets, step=step)
    binding = [] if best is None else [n for n, (_, _, v) in found.items() if v == best]
    if args.format == "json":
        print(json.dumps(solve_document(model, symbol.name, best, found, binding), indent=2),
              file=out)
        return 0 if best is not None else EXIT_NO_SOLUTION
    if best is None:
        print(_no_solution(model, symbol, found, step), file=out)
        return EXIT_NO_SOLUTION
    print(f"{symbol} = {_value_text(best)}: the largest {symbol} within "
          f"{'every budget' if len(found) > 1 else 'the budget'}"
          f"{' (' + ', '.join(binding) + ' binds)' if len(found) > 1 else ''}", file=out)
    for name, (budget, expr, alone) in found.items():
        at = expr.xreplace({symbol: best})
        note = "" if alone == best else f"  (does not depend on {symbol})" \
            if alone == ANY else f"  (alone: {symbol} <= {alone})"
        print(f"  {name}: {show(expr)} = {format_count(at)} <= {format_count(budget)}{note}",
              file=out)
    if not binding:  # no budget stops at the answer: the model's own conditions do
        needs = [show(c) for c in model.constraints if symbol in c.free_symbols]
        print(f"  the model's conditions bind{': ' + ', '.join(needs) if needs else ''}",
              file=out)
    return 0


def _value_text(value) -> str:
    """An answer as the user wrote the step: ``0.85 (17/20)`` for a multiplier on the grid
    0.05, 0.1, ...; a whole number or a fraction with no decimal (``2/3``) as it is."""
    decimal = None if getattr(value, "is_Integer", True) else decimal_text(value)
    return f"{decimal} ({value})" if decimal else str(value)


def _step(text: str | None, symbol):
    """``--step`` as an exact positive rational (``0.05`` is 1/20); required for a
    multiplier, which takes fractional values."""
    if text is None:
        if not symbol.is_integer:
            raise UsageError(f"{symbol} is a multiplier (it takes fractional values): say on "
                             f"which grid to answer with --step, e.g. --step 0.05")
        return None
    try:
        step = exact_value(text, "--step", "solve")
    except SymcnnError:
        step = None
    if step is None or not (step.is_Rational and step > 0):
        raise UsageError(f"--step: a positive number such as 0.05 or 1/20. "
                         f"Received: --step {text}")
    if symbol.is_integer and not step.is_Integer:
        raise UsageError(f"--step: {symbol} is an integer symbol, so the step is a whole "
                         f"number (or left out). Received: --step {text}")
    return step


def _alone(model, symbol, name: str, budget, step=None):
    """The largest ``symbol`` within this budget alone (the model's constraints holding):
    ANY when the quantity does not depend on it and is within budget, None when none fits."""
    expr = quantity_of(model, name)
    if symbol not in expr.free_symbols:
        return ANY if expr <= budget else None
    return model_solve_budget(model, symbol, {name: budget}, step=step)


def _no_solution(model, symbol, found, step=None) -> str:
    """Why no value fits: even the least value (1, or ``step`` for a multiplier) exceeds a
    budget, or those within the budgets break the model's constraints."""
    needs = [show(c) for c in model.constraints if symbol in c.free_symbols]
    least = 1 if step is None else step
    plain = []  # each budget alone, without the model's constraints
    for budget, expr, alone in found.values():
        try:
            plain.append(alone if symbol not in expr.free_symbols else
                         solve_budget(expr, budget, symbol, step=step))
        except SolveError:  # within budget for no interval 1..a: said plainly below
            plain = None
            break
    if plain is not None and any(v is None for v in plain):
        over = [(n, found[n]) for n, v in zip(found, plain) if v is None]
        amounts = ", ".join(f"{format_count(expr.xreplace({symbol: least}))} > "
                            f"{format_count(budget)}" for _, (budget, expr, _) in over)
        return f"No positive {symbol} fits: even {symbol} = {_value_text(least)} exceeds " \
               f"the {' and '.join(n for n, _ in over)} budget ({amounts})."
    values = [v for v in plain or () if v != ANY]
    if values and needs:
        return (f"No valid {symbol} fits: {symbol} = {_value_text(min(values))} is the largest "
                f"within the budget, but the model needs {', '.join(needs)}.")
    over = [n for n, (_, _, alone) in found.items() if alone is None]
    if over:
        admits = f" the model admits ({', '.join(needs)})" if needs else ""
        return (f"No valid {symbol} fits: no {symbol}{admits} is within the "
                f"{' and '.join(over)} budget.")
    return (f"No valid {symbol} fits: each budget alone admits some {symbol}, but no value "
            f"is within all of them.")


def run_latex(args, out) -> int:
    divisible = parse_divisors(args.assume_divisible)
    model = load_args(args)  # first: a Python FILE may register columns (register_column)
    names = check_columns("latex", columns(args.columns))
    options = {"style": args.style, "assume_divisible": divisible,
               "columns": names, "caption": args.caption,
               "notation": args.notation}
    text = model.to_latex(standalone=bool(args.pdf or args.standalone),
                          **{k: v for k, v in options.items() if v is not None})
    if args.pdf:
        tex, pdf = _pdf_targets(args.output)
        if tex is not None:
            _write(tex, _standalone(text))
        _pdflatex(pdf, _standalone(text), tex is not None)
        print(f"wrote {tex} and {pdf}" if tex else f"wrote {pdf}", file=sys.stderr)
        return 0
    if args.output:
        _write(args.output, text)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        print(text, file=out)
    return 0


def _write(path: str, text: str) -> None:
    """Write ``text`` to ``-o path``; a failure (a full disk, a missing folder) is an
    :class:`~symcnn.errors.OutputError`: the request failed, exit code 1 (docs/cli.md)."""
    write_bytes(path, (text if text.endswith("\n") else text + "\n").encode("utf-8"))


def _standalone(text: str) -> str:
    if "\\documentclass" in text:
        return text
    return ("\\documentclass{article}\n" + FONTS + "\n\\usepackage{amsmath,amssymb,booktabs}\n"
            "\\begin{document}\n" + text + "\n\\end{document}\n")


def _pdf_targets(output: str | None) -> tuple:
    """``(tex, pdf)``: the files ``latex --pdf -o OUT`` writes, and only those the user
    named: ``-o notes.tex`` writes notes.tex and the PDF beside it, notes.pdf; ``-o
    notes.pdf`` writes the PDF alone (``tex`` None). Any other suffix is a usage error:
    ``-o notes.txt`` wrote notes.tex, overwriting a file the user had not named."""
    if not output:
        raise UsageError("--pdf needs -o FILE.tex (writes FILE.tex and FILE.pdf beside it) or "
                         "-o FILE.pdf (writes the PDF only)")
    stem, suffix = os.path.splitext(output)
    if suffix.lower() == ".tex" and os.path.basename(stem):
        return output, stem + ".pdf"
    if suffix.lower() == ".pdf" and os.path.basename(stem):
        return None, output
    raise UsageError(f"-o: with --pdf, name a .tex file (FILE.tex: writes it and FILE.pdf "
                     f"beside it) or a .pdf file (the PDF only). Received: -o {brief(output)}")


def _pdflatex(pdf: str, tex: str, tex_written: bool) -> None:
    """Compile ``tex`` with :func:`symcnn.render.latex.compile_pdf` in a folder of its own
    (pdflatex's auxiliary files stay there, and a name pdflatex cannot take, with ``%`` or
    ``~`` in it, is no matter) and write the PDF to ``pdf``."""
    with tempfile.TemporaryDirectory(prefix="symcnn-latex-") as folder:
        try:
            made = compile_pdf(tex, folder, "model")
        except UnavailableError:
            written = "the .tex file was written" if tex_written else "nothing was written"
            raise UnavailableError(f"--pdf needs pdflatex on PATH (e.g. apt-get install "
                                   f"texlive-latex-base); {written}") from None
        except SymcnnError as err:  # name the user's file, not the folder that goes away
            raise type(err)(str(err).replace(os.path.join(folder, "model.tex"),
                                             os.path.basename(pdf))) from None
        data = made.read_bytes()
    write_bytes(pdf, data)


def run_spec(args, out) -> int:
    model = load_args(args)
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
