"""``symcnn memory``: the memory of one training step, and the largest batch within a budget.

The model is FILE (as for the other commands) or a zoo model (``--zoo resnet18 --input
224,224,3``). The figures are closed forms in the batch size ``B`` unless ``--batch`` gives
a number; ``--budget 24GiB`` adds the largest value of ``--for`` (default ``B``) whose total
fits (symcnn.solve_budget: exact, never sampled).

>>> import io
>>> from symcnn.cli import main
>>> out = io.StringIO()
>>> main(["memory", "--zoo", "resnet18", "--input", "224,224,3", "--budget", "24GiB"],
...      out=out)
0
>>> print(out.getvalue().splitlines()[-1])
largest B within 24GiB (25,769,803,776 bytes): 1,153
"""

from __future__ import annotations

import json
import re
from fractions import Fraction

import sympy

from ..costs import dtype_bytes
from ..errors import CostError, ExpressionError, SolveError, shorten
from ..expr_parser import parse_size
from ..render.exprs import show
from ..render.summary import format_count
from ..solving import solve_budget
from ..suggest import did_you_mean
from ..training_memory import training_memory
from .arguments import UsageError, parse_assignments, parse_shape, unit_scale
from .commands import unfixed as free_error
from .loading import load_args
from .options import EXIT_NO_SOLUTION
from .report import encode, header
from .zoo import build_model, zoo_entry
from .options import MEMORY_EXAMPLES as EXAMPLES  # noqa: F401  (issue 16: parsed without SymPy)
from .options import register_memory as register  # noqa: F401

__all__ = ["register", "run_memory", "EXAMPLES", "parse_bytes"]


def parse_bytes(text: str) -> int:
    """``"24GiB"`` -> 25769803776; ``"8GB"``, ``"512MiB"``, ``"1000000"``, ``"16e9"`` (bytes,
    read exactly); ``"24G"`` is ``24GB``, as ``solve --budget param_bytes=24G`` reads it.

    >>> parse_bytes("24GiB"), parse_bytes("1.5 GB"), parse_bytes("4096"), parse_bytes("16e9")
    (25769803776, 1500000000, 4096, 16000000000)
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?(?:[eE]\+?\d{1,2})?)\s*([A-Za-z]*)\s*", str(text))
    unit = match.group(2) if match else ""
    scale = 1 if match and not unit else unit_scale(unit, byte_units=True)
    if not match or scale is None:
        raise UsageError(f"--budget: expected bytes such as 24GiB, 8GB, 512MiB, 1000000 or "
                         f"16e9. Received: {text!r}")
    value = int(Fraction(match.group(1)) * scale)  # whole bytes, rounded down
    if value <= 0:
        raise UsageError(f"--budget: a budget is a positive number of bytes. Received: {text!r}")
    return value


def _model(args):
    """The model with the ``--subs`` of its own symbols substituted (a ``Repeat``'s count
    included), and the other ``--subs``, which the memory figures refuse naming them."""
    if (args.file is None) == (args.zoo is None):
        raise UsageError("give FILE or --zoo NAME (one of them)")
    values = parse_assignments(args.subs, "--subs")
    if args.file is not None:
        model = load_args(args, substituted=False)
    else:
        build = zoo_entry(args.zoo)
        if build is None:
            raise UsageError(f"the zoo has no model {args.zoo!r} (`symcnn zoo` lists them)")
        model = build_model(build, {"input_shape": parse_shape(args.input)} if args.input
                            else {})
    own = {k: v for k, v in values.items() if k in model.symbols_by_name}
    rest = {k: v for k, v in values.items() if k not in own}
    return (model.subs(own) if own else model), rest


def _batch(text, model):
    """``--batch``: a positive integer or a symbol name that is not one of the model's (None:
    the library's default); anything else is a usage error."""
    if text is None:
        return None
    received = f"Received: --batch {shorten(repr(text), 60)}"
    try:
        value = parse_size(text, declare=True)
    except ExpressionError:
        value = None
    if not isinstance(value, (int, sympy.Symbol)) or isinstance(value, int) and value <= 0:
        raise UsageError(f"--batch: a positive integer or a symbol name (the batch size, such "
                         f"as 32 or N). {received}")
    if isinstance(value, sympy.Symbol) and value.name in model.symbols_by_name:
        raise UsageError(f"--batch: {value.name} is a symbol of the model, and the batch size "
                         f"would be the same symbol; name it another way (--batch N) or give a "
                         f"number. {received}")
    return value if isinstance(value, int) else value.name


def _number_or_form(expr) -> str:
    return format_count(int(expr)) if expr.is_Integer else show(expr)


def _dtype(text: str) -> str:
    """``--dtype``: a name :func:`symcnn.costs.dtype_bytes` knows (``float32``, ``bfloat16``,
    ``int8``...), else a usage error naming the option and the value, before FILE is read."""
    try:
        dtype_bytes(text)
    except CostError:
        raise UsageError(f"--dtype: a name such as float32, float16, bfloat16 or int8. "
                         f"Received: --dtype {shorten(repr(text), 60)}") from None
    return text


def _for(name: str, total, fixed) -> None:
    """Refuse ``--for NAME`` when the memory has no symbol ``NAME``, as ``solve --for``
    does (the request fails on a valid model: exit code 1); say so when ``--subs`` (the
    ``fixed`` assignments) took it away."""
    names = sorted(s.name for s in total.free_symbols)
    if name in names:
        return
    if any(item.split("=", 1)[0].strip() == name for item in fixed or ()):
        hint = f" --subs fixed {name} already: leave it out of --subs to solve for it."
    else:
        hint = did_you_mean(name, names)
    raise SolveError(f"memory: the training memory has no symbol {name!r} (its symbols: "
                     f"{', '.join(names) or 'none'}).{hint} Received: --for {name}")


def _no_for(args, mem, rest) -> UsageError:
    """``--budget`` without ``--for`` once the batch size is a number: said for what fixed
    it (``--batch 4``, or ``--subs B=4`` naming the batch symbol), with a symbol of the
    memory as the example."""
    names = sorted(s.name for s in mem.total.free_symbols)
    example = f"--for {names[0]}" if names else ""
    if args.batch is not None:
        given = f"--batch {args.batch}"
    else:
        fixed = [item.strip() for item in args.subs or ()
                 if item.split("=", 1)[0].strip() in rest]  # the batch symbol among them
        given = f"--subs {' '.join(fixed)}" if fixed else "--subs"
    if not names:
        return UsageError(f"--budget: the batch size is a number ({given} fixed it) and so is "
                          f"every other size: the memory has no symbol left to solve for "
                          f"(leave one out of --subs and name it with --for). "
                          f"Received: --budget {args.budget}")
    return UsageError(f"--budget: the batch size is a number ({given} fixed it), so say which "
                      f"symbol to solve for with --for (e.g. {example}). "
                      f"Received: --budget {args.budget}")


def _whole(name: str, total) -> None:
    """``--for`` a multiplier: ``memory --budget`` answers over whole numbers only (it has
    no ``--step``), so say what the command line can do instead of the library's hint."""
    symbol = next(s for s in total.free_symbols if s.name == name)
    if symbol.is_integer:
        return
    raise SolveError(f"memory: {name} is a multiplier (it takes fractional values), and "
                     f"memory --budget answers over whole numbers (it has no --step); fix "
                     f"{name} with --subs (e.g. --subs {name}=0.75) and solve for another "
                     f"symbol, or solve on a grid in Python with sc.solve_budget("
                     f"model.training_memory(...), budget, {name!r}, step=Fraction(1, 20)). "
                     f"Received: --for {name}")


def run_memory(args, out) -> int:
    dtype = _dtype(args.dtype)
    model, rest = _model(args)
    mem = training_memory(model, batch=_batch(args.batch, model), optimizer=args.optimizer,
                          dtype=dtype)
    if rest:  # names the model does not have: refused as TrainingMemory.subs refuses them
        mem = mem.subs(rest)
    figures = {"weights": mem.weights, "gradients": mem.gradients,
               "optimizer_state": mem.optimizer_state, "activations": mem.activations,
               "total": mem.total}
    largest = None
    if args.budget is not None:
        budget = parse_bytes(args.budget)
        symbol = args.for_ or (mem.batch.name if isinstance(mem.batch, sympy.Symbol) else None)
        if symbol is None:
            raise _no_for(args, mem, rest)
        _for(symbol, mem.total, args.subs)
        _whole(symbol, mem.total)
        unfixed = {s.name for s in mem.total.free_symbols} - {symbol}
        if unfixed:
            raise free_error("--budget: the memory still depends", unfixed, symbol, args.subs,
                             batch=getattr(mem.batch, "name", None))
        largest = solve_budget(mem, budget, symbol)  # under the model's conditions
    if args.format == "json":
        doc = {**header("memory"), "model": model.display_name, "batch": encode(mem.batch),
               "optimizer": mem.optimizer, "dtype": mem.dtype,
               "bytes": {k: encode(v) for k, v in figures.items()}}
        if args.layers:
            doc["layers"] = [{"name": n, "type": t, "activation_bytes": encode(b)}
                             for n, t, b in mem.layers]
        if args.budget is not None:
            doc["budget"] = {"bytes": budget, "for": symbol, "largest": largest}
        print(json.dumps(doc, indent=2), file=out)
        return 0 if args.budget is None or largest is not None else EXIT_NO_SOLUTION
    print(f"Training memory of {model.display_name} (batch {show(mem.batch)}, "
          f"{mem.optimizer}, {mem.dtype}), bytes:", file=out)
    for name, value in figures.items():
        print(f"  {name.replace('_', ' '):<16} {_number_or_form(value)}", file=out)
    if args.layers:
        print("activation bytes per layer:", file=out)
        width = max((len(n) for n, _, _ in mem.layers), default=0)
        kinds = max((len(k) for _, k, _ in mem.layers), default=0)  # as wide as the longest
        for name, kind, value in mem.layers:
            print(f"  {name:<{width}}  {kind:<{kinds}}  {_number_or_form(value)}", file=out)
    if args.budget is not None:
        shown = args.budget.strip()
        answer = "none fits" if largest is None else format_count(largest)
        print(f"largest {symbol} within {shown} ({format_count(budget)} bytes): {answer}",
              file=out)
    return 0 if args.budget is None or largest is not None else EXIT_NO_SOLUTION
