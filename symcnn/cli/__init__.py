"""The ``symcnn`` command: summaries, budgets, sweeps, LaTeX and the zoo from a terminal.

FILE is a Python script that defines ``model``, a YAML/JSON model file, a Keras JSON
config or a ``.keras`` file. Exit codes (also in ``symcnn --help`` and ``docs/cli.md``):

==== =========================================================================
0    success
1    the request failed on a valid model (a --subs symbol it lacks, unsolvable budget, ...)
2    the command line is malformed (unknown option, an option value wrong whatever the model)
3    FILE cannot be turned into a model (missing, malformed, invalid layers)
4    a needed optional capability is missing (PyYAML, matplotlib, pdflatex, ...)
5    ``solve`` found no value within the budget
70   internal error (a bug in symcnn: please report it with --debug output)
130  interrupted
==== =========================================================================

>>> import io
>>> out = io.StringIO()
>>> main(["zoo", "textbook.free_width", "--subs", "n=10", "--format", "json"], out=out)
0
>>> import json; json.loads(out.getvalue())["totals"]["params"]
49920
"""

from __future__ import annotations

import argparse
import atexit
import gc
import re
import sys

from .. import __version__
from ..errors import SymcnnError, UnavailableError
from ..suggest import did_you_mean
from .options import (NOTATIONS, QUANTITIES, LoadError, UsageError, check_early, deferred,
                      in_cli_words, register_memory, register_teach)
from .options import BEFORE_MULTI_VALUE_OPTIONS, FILE_HELP, MEMORY_EXAMPLES, TEACH_EXAMPLES

__all__ = ["main", "build_parser", "EXIT_CODES"]

EXIT_CODES = {
    "ok": 0, "error": 1, "usage": 2, "file": 3, "unavailable": 4, "no_solution": 5,
    "internal": 70, "interrupted": 130,
}

_EXIT_HELP = """exit codes:
  0  success                     3  FILE cannot be turned into a model
  1  the request failed          4  an optional capability is missing
  2  bad command line            5  solve: no value fits the budget
  70 internal error (please report with --debug)   130 interrupted"""


_EXAMPLES = {
    "summary": """examples:
  symcnn summary examples/models/free_width.json
  symcnn summary examples/models/free_width.yaml --subs n=10
  symcnn summary net.py --format json > net.json
  symcnn summary net.yaml --columns layer,output_shape,params --format markdown""",
    "solve": """examples:
  symcnn solve examples/models/free_width.json --budget params=100000 --for n
  symcnn solve net.yaml --budget params=5e6 --budget macs=1e9 --for w --subs H=224 W=224
  symcnn solve mnet.py --budget trainable_params=3e6 --for alpha --step 0.05
    (mnet.py: model = sc.zoo.mobilenet_v2(alpha=sc.multiplier("alpha")))""",
    "sweep": """examples:
  symcnn sweep examples/models/free_width.json n=1:10
  symcnn sweep net.yaml w=8,16,32,64 --y params,macs --subs H=224 W=224 --format csv""",
    "latex": """examples:
  symcnn latex examples/models/free_width.yaml -o notes.tex
  symcnn latex net.py --style derivation --assume-divisible H=32 W=32
  symcnn latex net.py --style derivation --notation cs231n
  symcnn latex net.py -o notes.tex --pdf""",
    "plot": """examples:
  symcnn plot examples/models/free_width.json n=1:400 --budget params=100000 -o params.png
  symcnn plot net.yaml w=8:128:8 --y params,macs --subs H=224 W=224 -o cost.png""",
    "zoo": """examples:
  symcnn zoo
  symcnn zoo resnet50
  symcnn zoo resnet50 --input 224,224,3 --format json
  symcnn zoo resnet18 --arg width=w --columns layer,params""",
    "spec": """examples:
  symcnn spec net.py -o net.yaml
  symcnn spec keras_model.json --format yaml""",
}


class _CommandLineError(Exception):
    """argparse's complaint about the command line, reported as one line (exit code 2)."""

    def __init__(self, prog: str, message: str) -> None:
        super().__init__(message)
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, without the usage block (docs/cli.md)."""

    def parse_known_args(self, args=None, namespace=None):
        # kept for error(): the command's own arguments (a subcommand's parser gets them)
        self._argv = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def error(self, message: str):
        raise _CommandLineError(self.prog, f"{message}{_suggestion(message)}"
                                           f"{self._swallowed(message)} "
                                           f"(see `{self.prog} --help`)")

    def _swallowed(self, message: str) -> str:
        """The hint when FILE or RANGE is missing and an option taking several values was
        given: it took them as its values (``summary --subs n=10 net.yaml``)."""
        found = _REQUIRED.search(message)
        if found is None or not {"FILE", "RANGE"} & set(found.group(1).split(", ")):
            return ""
        given = [token for token in getattr(self, "_argv", ()) if token.startswith("--")
                 and "=" not in token]
        for action in self._actions:
            if action.nargs not in ("+", "*") or not action.option_strings:
                continue
            for option in action.option_strings:
                # argparse takes an unambiguous prefix (--sub for --subs) too
                if any(option == token or (len(token) > 2 and option.startswith(token))
                       for token in given):
                    return f" ({BEFORE_MULTI_VALUE_OPTIONS}, such as {option})"
        return ""


_REQUIRED = re.compile(r"the following arguments are required: (.*)$")
_INVALID_CHOICE = re.compile(r"invalid choice: '([^']*)' \(choose from (.*)\)$")


def _suggestion(message: str) -> str:
    """" Did you mean 'summary'?" for argparse's "invalid choice" on a near miss."""
    found = _INVALID_CHOICE.search(message)
    if found is None:
        return ""
    return did_you_mean(found.group(1), re.findall(r"'([^']*)'", found.group(2)))


def _add_common(p, file: bool = True, subs: bool = True) -> None:
    if file:
        p.add_argument("file", metavar="FILE", help=FILE_HELP)
        p.add_argument("--model", metavar="NAME", default="model",
                       help="for a Python FILE: the variable holding the model (default: model)")
    if subs:
        p.add_argument("--subs", nargs="+", metavar="NAME=VALUE", action="extend",
                       help="substitute symbols first, e.g. --subs n=10 H=224")


def _add_table(p) -> None:
    p.add_argument("--format", choices=("text", "markdown", "latex", "json"), default="text",
                   help="output format (default: text); json follows the documented schema")
    p.add_argument("--columns", nargs="+", metavar="COL", action="extend",
                   help="columns of the table, e.g. layer,output_shape,params,macs")
    _add_notation(p, " (markdown and latex)")


def _add_notation(p, where: str = "") -> None:
    p.add_argument("--notation", choices=NOTATIONS, default=None,
                   help=f"write the formulas in a lecture's names{where}: "
                        f"{', '.join(NOTATIONS)} (default: keras, symcnn's own)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``symcnn`` command."""
    parser = _Parser(
        prog="symcnn", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Exact closed-form shapes, parameter counts and costs of CNNs.",
        epilog="Run `symcnn COMMAND --help` for a command's options and examples.\n\n"
               + _EXIT_HELP)
    parser.add_argument("--version", action="version", version=f"symcnn {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback when something fails")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def command(name, help_text, run):
        p = sub.add_parser(name, help=help_text, description=help_text,
                           epilog=_EXAMPLES[name] + "\n\n" + _EXIT_HELP,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show the full traceback when something fails")
        p.set_defaults(run=run)
        return p

    p = command("summary", "print the model's table: shapes, parameters, totals, constraints",
                deferred("commands", "run_summary"))
    _add_common(p)
    _add_table(p)

    p = command("solve", "the largest value of a symbol that keeps quantities within budgets",
                deferred("commands", "run_solve"))
    _add_common(p)
    p.add_argument("--budget", action="append", required=True, metavar="QUANTITY=VALUE",
                   help=f"a budget, repeatable, such as params=25M or macs=4.1e9 (k, M, G, T; "
                        f"bytes also 24GiB, 8GB); quantities: {', '.join(QUANTITIES)}")
    p.add_argument("--for", dest="for_", required=True, metavar="SYMBOL",
                   help="the symbol to solve for (the others must be fixed with --subs)")
    p.add_argument("--step", metavar="STEP",
                   help="answer on the grid STEP, 2*STEP, ... (a multiplier such as alpha "
                        "takes fractional values: --step 0.05)")
    p.add_argument("--format", choices=("text", "json"), default="text")

    p = command("sweep", "evaluate quantities over a range of one symbol",
                deferred("sweep", "run_sweep"))
    _add_common(p)
    p.add_argument("range", metavar="RANGE", help="NAME=START:STOP[:STEP] (stop included) "
                                                  "or NAME=A,B,C")
    p.add_argument("--y", nargs="+", action="extend", metavar="QUANTITY",
                   help="quantities to evaluate (default: params)")
    p.add_argument("--format", choices=("text", "csv", "json"), default="text")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (it is shown on a terminal only)")

    p = command("latex", "write the model as LaTeX: a table or the derivation",
                deferred("commands", "run_latex"))
    _add_common(p)
    p.add_argument("-o", "--output", metavar="OUT.tex", help="write here instead of stdout")
    p.add_argument("--style", choices=("table", "derivation"), default=None,
                   help="a booktabs table (default) or a per-layer derivation")
    p.add_argument("--standalone", action="store_true",
                   help="a complete document (implied by --pdf)")
    p.add_argument("--pdf", action="store_true", help="also compile OUT.tex with pdflatex")
    p.add_argument("--assume-divisible", nargs="+", action="extend", metavar="NAME=D",
                   help="rewrite closed forms assuming NAME is divisible by D, e.g. H=32")
    p.add_argument("--columns", nargs="+", action="extend", metavar="COL",
                   help="table columns, e.g. layer,type,output_shape,working")
    p.add_argument("--caption", help="put the table in a float with this caption")
    _add_notation(p)

    p = command("plot", "plot quantities against one symbol into an image",
                deferred("sweep", "run_plot"))
    _add_common(p)
    p.add_argument("range", metavar="RANGE", help="NAME=START:STOP[:STEP] or NAME=A,B,C")
    p.add_argument("--y", nargs="+", action="extend", metavar="QUANTITY",
                   help="quantities to plot (default: params)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.png",
                   help="image to write (format from the suffix: png, pdf, svg)")
    p.add_argument("--budget", nargs="+", action="extend", metavar="QUANTITY=VALUE",
                   help="draw a budget line and mark the largest value within it (params=25M, "
                        "macs=4.1e9, param_bytes=24GiB)")
    p.add_argument("--logy", action="store_true", help="logarithmic y axis")
    p.add_argument("--title", help="the plot's title")

    p = command("zoo", "list the ready-made models, or summarise one",
                deferred("zoo", "run_zoo"))
    p.add_argument("name", nargs="?", metavar="NAME", help="a model from the list")
    p.add_argument("--input", metavar="H,W,C", help="input shape, e.g. 224,224,3 or H,W,3")
    p.add_argument("--arg", nargs="+", action="extend", metavar="NAME=VALUE",
                   help="other arguments of the model function, e.g. width=w classes=10")
    _add_common(p, file=False)
    _add_table(p)

    p = command("spec", "write a model (any FILE) as a YAML/JSON model file",
                deferred("commands", "run_spec"))
    _add_common(p)
    p.add_argument("-o", "--output", metavar="OUT", help="write here instead of stdout")
    p.add_argument("--format", choices=("yaml", "json"),
                   help="default: from OUT's suffix, else json")

    _EXAMPLES.update(TEACH_EXAMPLES)
    register_teach(command)
    _EXAMPLES.update(MEMORY_EXAMPLES)
    register_memory(command)
    return parser


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so the exit flush cannot fail a second time."""
    import os

    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass


#: The longest error line the command prints.
MAX_ERROR_CHARS = 2000


def _fail(command: str | None, message: str, code: int) -> int:
    prog = f"symcnn {command}" if command else "symcnn"
    message = " ".join(str(message).split())
    if command:  # the library's own prefix ("check: ...") says what the program name says
        message = message.removeprefix(f"{command}: ")
    if len(message) > MAX_ERROR_CHARS:  # a huge received value shown whole (a safety net)
        message = message[:MAX_ERROR_CHARS - 30] + f"... ({len(message):,} characters)"
    print(f"{prog}: error: {message}", file=sys.stderr)
    return code


def main(argv=None, out=None) -> int:
    """Run the ``symcnn`` command with ``argv`` (default: ``sys.argv[1:]``); the exit code.

    Run as the command itself (``argv`` None: the ``symcnn`` script, ``python -m symcnn``),
    the process skips the garbage collector's last pass over every object when it exits
    (``gc.freeze`` at exit; the output is written and closed by then): freeing what the OS
    takes back anyway cost about 80 ms of a zoo model's summary here (issue 16).
    """
    if argv is None:
        atexit.register(gc.freeze)
    out = out if out is not None else sys.stdout
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # said by the command, not by `symcnn`
            raise _CommandLineError(f"symcnn {args.command}", f"unrecognized arguments: "
                                    f"{' '.join(extra)} (see `symcnn {args.command} --help`)")
    except _CommandLineError as err:
        print(f"{err.prog}: error: {' '.join(str(err).split())}", file=sys.stderr)
        return EXIT_CODES["usage"]
    except SystemExit as exit_:  # --help and --version
        return int(exit_.code or 0)
    debug = getattr(args, "debug", False)
    try:
        # before the command's module (SymPy) is imported and FILE read: a usage error (2)
        check_early(args)
        code = args.run(args, out)
        out.flush()  # a full disk (`> /dev/full`) fails here at the latest: never silently
        return code
    except UsageError as err:
        if debug:
            raise
        return _fail(args.command, err, EXIT_CODES["usage"])
    except LoadError as err:
        if debug:
            raise err.error
        return _fail(args.command, err, EXIT_CODES["file"])
    except UnavailableError as err:
        if debug:
            raise
        return _fail(args.command, err, EXIT_CODES["unavailable"])
    except SymcnnError as err:
        if debug:
            raise
        return _fail(args.command, in_cli_words(err), EXIT_CODES["error"])
    except KeyboardInterrupt:
        if debug:
            raise
        return _fail(args.command, "interrupted", EXIT_CODES["interrupted"])
    except BrokenPipeError:  # the reader went away (`symcnn zoo | head`): nothing to report
        _silence_stdout()
        return 0
    except OSError as err:  # writing the output failed: a full disk, a closed file, ...
        if debug:
            raise
        _silence_stdout()
        return _fail(args.command, f"cannot write the output: {err.strerror or err}. "
                     f"Received: {getattr(err, 'filename', None) or getattr(args, 'output', None) or 'standard output'}",
                     EXIT_CODES["error"])
    except Exception as err:  # a bug: say so in one line unless --debug
        if debug:
            raise
        return _fail(args.command, f"internal error: {type(err).__name__}: {err} (run again "
                     f"with --debug for the traceback, and please report it)",
                     EXIT_CODES["internal"])
