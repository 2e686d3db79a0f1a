"""What the ``symcnn`` command knows before it runs one: its errors, the choices its options
offer, and the commands registered by name (issue 16).

Nothing here imports SymPy, so ``symcnn --help`` and a malformed command line answer in a
fraction of SymPy's import time; a command's module is imported when that command runs.
The choices repeat constants of the modules that use them (``costs.QUANTITIES``...);
``tests/test_cli_startup.py`` checks that they agree.

>>> run = deferred("zoo", "run_zoo")
>>> run.__name__
'run_zoo'
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

from ..errors import SUBS_HINT

__all__ = ["UsageError", "LoadError", "deferred", "EXIT_NO_SOLUTION", "QUANTITIES", "OPTIMIZERS", "TOPICS",
           "SHEET_FORMATS", "NOTATIONS", "NOTATION_FORMATS", "check_early", "check_notation",
           "NOTATION_ANY_FORMAT", "MEMORY_EXAMPLES", "TEACH_EXAMPLES", "register_memory",
           "register_teach", "subs_example", "in_cli_words", "BEFORE_MULTI_VALUE_OPTIONS"]

#: The exit code of ``solve`` (and ``memory --budget``) when no value fits the budget.
EXIT_NO_SOLUTION = 5
#: ``symcnn.costs.QUANTITIES``: what --budget and --y name.
QUANTITIES = ("params", "trainable_params", "non_trainable_params", "macs", "flops",
              "activation_elements", "peak_activation_elements", "param_bytes",
              "activation_bytes", "peak_activation_memory")
#: The keys of ``symcnn.training_memory.OPTIMIZER_STATES``.
OPTIMIZERS = ("sgd", "momentum", "adam", "adamw")
#: The keys of ``symcnn.teach.exercises.TOPICS``.
TOPICS = ("output_size", "params", "macs", "receptive_field", "padding_for_same", "budget",
          "scaling")
#: ``symcnn.teach.sheets.FORMATS``.
SHEET_FORMATS = ("latex", "markdown", "html", "moodle")
#: The keys of ``symcnn.render.notation.NOTATIONS``: a lecture's names for the formulas.
NOTATIONS = ("keras", "cs231n", "d2l", "dumoulin")
#: The ``--format`` values of ``summary`` and ``zoo NAME`` whose printer takes ``notation=``
#: (``model.to_markdown``, ``model.to_latex``); text and JSON name symbols as symcnn does.
NOTATION_FORMATS = ("markdown", "latex")
#: Commands that take ``--notation`` in every ``--format``: an exercise sheet's text is
#: written in the preset (``sc.exercises.generate(..., notation=...)``), whatever its format.
NOTATION_ANY_FORMAT = ("exercises",)

#: The hint when an option taking several values (``--subs``, ``--y``...) took FILE or
#: RANGE as one of its values.
BEFORE_MULTI_VALUE_OPTIONS = "FILE and RANGE go before the options that take several values"


class UsageError(Exception):
    """A command-line argument is malformed (exit code 2)."""


class LoadError(Exception):
    """FILE could not be turned into a model (exit code 3); wraps the SymcnnError."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def check_early(args) -> None:
    """Refuse what the command line alone shows is wrong, before SymPy is imported and FILE
    read (a :class:`UsageError`, exit code 2, naming the options and their values):
    options of one model's table given to the zoo's list (``symcnn zoo --columns ...``,
    ignored otherwise), ``--notation`` where no printer takes it, ``--columns`` with
    ``--format json`` (the JSON document has every column), and ``latex``'s table options
    with ``--style derivation`` or a ``--caption`` that is not printable text.

    >>> from argparse import Namespace
    >>> check_early(Namespace(command="summary", format="latex", notation="d2l", columns=None))
    >>> check_early(Namespace(command="summary", format="json", notation=None,
    ...                       columns=["layer,params"]))
    Traceback (most recent call last):
    ...
    symcnn.cli.options.UsageError: --columns applies to text, markdown and latex, not json (the
    JSON document has every column). Received: --columns layer,params
    """
    fmt, notation = getattr(args, "format", None), getattr(args, "notation", None)
    if args.command == "zoo" and not args.name:
        _only_for_one_model(args)
    if args.command == "latex":
        _check_latex(args)
    check_notation(args.command, fmt, notation)
    if fmt == "json" and getattr(args, "columns", None):
        raise UsageError(f"--columns applies to text, markdown and latex, not json (the JSON "
                         f"document has every column). Received: --columns "
                         f"{' '.join(args.columns)}")


def _check_latex(args) -> None:
    """``symcnn latex``: ``--columns`` and ``--caption`` shape the table (``--style
    derivation`` has none), and a caption is printable, as ``model.to_latex`` requires
    (no control characters or line breaks, most of which stop pdflatex).

    >>> from argparse import Namespace
    >>> _check_latex(Namespace(style="derivation", columns=None, caption="x"))
    Traceback (most recent call last):
    ...
    symcnn.cli.options.UsageError: --caption applies to --style table, not derivation. Received: --style derivation --caption 'x'
    """
    given = {option: value for option, value in (("--columns", args.columns),
                                                 ("--caption", args.caption))
             if value is not None}
    if args.style == "derivation" and given:
        verb = "applies" if len(given) == 1 else "apply"
        shown = " ".join(f"{o} {' '.join(v) if isinstance(v, list) else repr(v)}"
                         for o, v in given.items())
        raise UsageError(f"{' and '.join(given)} {verb} to --style table, not derivation. "
                         f"Received: --style derivation {shown}")
    if args.caption is not None and not args.caption.isprintable():
        raise UsageError(f"--caption must be printable: no control characters, line breaks or "
                         f"direction overrides (pdflatex stops at most of them). "
                         f"Received: --caption {args.caption!r}")


def _only_for_one_model(args) -> None:
    """Refuse the options that shape one model's table when the zoo is listed (they were
    ignored): the list is text, or ``--format json``."""
    given = {option: " ".join(map(str, value)) if isinstance(value, list) else value
             for option, value in (("--columns", args.columns), ("--subs", args.subs),
                                   ("--arg", args.arg), ("--input", args.input),
                                   ("--notation", args.notation)) if value}
    if args.format in NOTATION_FORMATS:
        given[f"--format {args.format}"] = None
    if given:
        verb = "applies" if len(given) == 1 else "apply"
        received = "; ".join(o if v is None else f"{o} {v}" for o, v in given.items())
        raise UsageError(f"{', '.join(given)} {verb} to one model's table (`symcnn zoo NAME "
                         f"...`), not the list of models, which is text or --format json. "
                         f"Received: {received}")


def check_notation(command: str, fmt: str | None, notation: str | None) -> None:
    """Refuse ``--notation`` where no printer takes it: a :class:`UsageError` naming the
    option and the received value. ``fmt`` is the command's ``--format`` (None for
    ``latex``, which always takes it).

    >>> check_notation("summary", "latex", "d2l"), check_notation("latex", None, "cs231n")
    (None, None)
    >>> check_notation("exercises", "moodle", "d2l")  # a sheet's text is in the preset
    >>> check_notation("summary", "json", "d2l")
    Traceback (most recent call last):
    ...
    symcnn.cli.options.UsageError: --notation applies to --format markdown and latex, not json
    ... Received: --notation d2l
    """
    if notation is None or command in NOTATION_ANY_FORMAT:
        return
    if fmt is not None and fmt not in NOTATION_FORMATS:
        raise UsageError(f"--notation applies to --format {' and '.join(NOTATION_FORMATS)}, "
                         f"not {fmt} (the {fmt} output names symbols as symcnn does). "
                         f"Received: --notation {notation}")


def subs_example(names) -> str:
    """How the command line says to fix ``names``: ``--subs (e.g. --subs C=... H=...)``.

    >>> subs_example(["H", "C"])
    '--subs (e.g. --subs C=... H=...)'
    """
    return f"--subs (e.g. --subs {' '.join(n + '=...' for n in sorted(names))})"


def in_cli_words(err: Exception) -> str:
    """The message of a library error said the command line's way: where the library says
    to substitute ``(model.subs(...), or --subs on the command line)``, ``with --subs
    (e.g. --subs L=...)``, naming the symbols the error knows (``err.substitute``).

    >>> from symcnn.errors import CostError
    >>> in_cli_words(CostError("substitute the count (model.subs(...), or --subs on the "
    ...                        "command line). Received: times=L", substitute=["L"]))
    'substitute the count with --subs (e.g. --subs L=...). Received: times=L'
    """
    names = getattr(err, "substitute", ())
    return str(err).replace(SUBS_HINT, f"with {subs_example(names)}" if names
                            else "with --subs")


def deferred(module: str, name: str) -> Callable[[Any, Any], int]:
    """The function ``symcnn.cli.<module>.<name>``, imported when it is first called."""

    def run(args, out) -> int:
        target = getattr(importlib.import_module(f".{module}", __package__), name)
        return target(args, out)

    run.__name__ = run.__qualname__ = name
    return run


MEMORY_EXAMPLES = {
    "memory": """examples:
  symcnn memory --zoo resnet50 --input 224,224,3 --budget 24GiB
  symcnn memory --zoo mobilenet_v2 --batch 64 --optimizer sgd --layers
  symcnn memory net.yaml --subs H=128 W=128 --budget 8GB --format json
  symcnn memory --zoo resnet18 --batch 32 --budget 4GiB --for H --subs W=H""",
}

TEACH_EXAMPLES = {
    "check": """examples:
  symcnn check examples/models/free_width.yaml examples/claims/free_width_table.md
  symcnn check net.py table.csv --format markdown
  cat table.md | symcnn check net.yaml -""",
    "exercises": """examples:
  symcnn exercises output_size -n 10 --seed 1 --format latex -o sheet.tex
  symcnn exercises params -n 20 --format moodle -o params.xml
  symcnn exercises budget --format markdown --no-solutions
  symcnn exercises padding_for_same --notation cs231n -o sheet.tex""",
}


def register_memory(command) -> None:
    """Add ``memory`` through ``build_parser``'s ``command(name, help, run)``."""
    p = command("memory", "training memory: weights, gradients, optimizer state, activations",
                deferred("memory", "run_memory"))
    p.add_argument("file", nargs="?", metavar="FILE", help="the model (or use --zoo)")
    p.add_argument("--model", metavar="NAME", default="model",
                   help="for a Python FILE: the variable holding the model (default: model)")
    p.add_argument("--zoo", metavar="NAME", help="a zoo model instead of FILE (symcnn zoo)")
    p.add_argument("--input", metavar="H,W,C", help="with --zoo: the input shape")
    p.add_argument("--subs", nargs="+", metavar="NAME=VALUE", action="extend",
                   help="substitute symbols first, e.g. --subs H=224 W=224 (any symbol the "
                        "figures show, such as a Repeat's count)")
    p.add_argument("--batch", metavar="B",
                   help="the batch size: a positive integer or a symbol name (default: B, "
                        "or batch where B is a symbol of the model)")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="adam")
    p.add_argument("--dtype", default="float32", help="float32 (default), bfloat16, ...")
    p.add_argument("--budget", metavar="BYTES", help="e.g. 24GiB: print the largest value of "
                                                     "--for whose total fits")
    p.add_argument("--for", dest="for_", metavar="SYMBOL",
                   help="the symbol to solve for with --budget (default: the batch symbol)")
    p.add_argument("--layers", action="store_true", help="list the activation bytes per layer")
    p.add_argument("--format", choices=("text", "json"), default="text")


#: What a FILE (or MODEL) argument may be, in every command's help.
FILE_HELP = ("a Python script defining `model`, a YAML/JSON model file, a Keras JSON "
             "config (model.to_json()) or a .keras file")


def register_teach(command) -> None:
    """Add ``check`` and ``exercises`` through ``build_parser``'s ``command``."""
    p = command("check", "mark a student's table of output shapes and parameter counts",
                deferred("teach", "run_check"))
    p.add_argument("file", metavar="MODEL", help=f"the model: {FILE_HELP}")
    p.add_argument("claims", metavar="CLAIMS", help="the student's table: Markdown, CSV, "
                   "a copied symcnn or Keras summary, or a JSON list of rows; - for "
                   "standard input")
    p.add_argument("--model", metavar="NAME", default="model",
                   help="for a Python MODEL: the variable holding the model (default: model)")
    p.add_argument("--format", choices=("text", "markdown", "latex", "html"), default="text")

    p = command("exercises", "generate exercises with worked solutions as a sheet",
                deferred("teach", "run_exercises"))
    p.add_argument("topic", metavar="TOPIC", choices=list(TOPICS),
                   help=f"one of: {', '.join(TOPICS)}")
    p.add_argument("-n", type=int, default=10, help="how many exercises (default: 10)")
    p.add_argument("--seed", type=int, default=1, help="the same seed gives the same sheet")
    p.add_argument("--format", choices=SHEET_FORMATS, default="latex")
    p.add_argument("--no-solutions", action="store_true", help="the questions only")
    p.add_argument("--notation", choices=NOTATIONS, default=None,
                   help=f"write the questions, formulas and answers in a lecture's names: "
                        f"{', '.join(NOTATIONS)} (default: keras, symcnn's own)")
    p.add_argument("-o", "--output", metavar="OUT", help="write here instead of stdout")
