"""The teaching commands: ``symcnn check MODEL CLAIMS`` and ``symcnn exercises TOPIC``.

``check`` marks a student's table (a Markdown or CSV table, a copied symcnn or Keras
``summary()``, or a JSON list of rows ``{"layer", "output_shape", "params"}``; ``-`` reads
standard input) against MODEL and
prints the report; its exit code is 0 when every row is right and 1 otherwise (a wrong row,
a row about no layer of MODEL, or nothing claimed at all: a blank table does not pass).
``exercises`` writes a sheet of generated exercises with worked solutions; ``--notation
PRESET`` writes its questions, prose, formulas and answers in a lecture's names
(``sc.exercises.generate(..., notation=PRESET)``), in every ``--format``.

>>> import io
>>> out = io.StringIO()
>>> main_args = ["exercises", "padding_for_same", "-n", "2", "--format", "markdown"]
>>> from symcnn.cli import main
>>> main(main_args, out=out), out.getvalue().splitlines()[0]
(0, '# Exercises: the padding that keeps the size')
"""

from __future__ import annotations

import os
import sys

from ..errors import SymcnnError, SpecError
from ..safe_read import MAX_FILE_BYTES, decode_text, load_json, read_text, write_bytes
from ..teach import ClaimError, check
from ..teach import exercises as _exercises
from .loading import load_model
from .options import LoadError, UsageError
from .options import TEACH_EXAMPLES as EXAMPLES  # noqa: F401  (issue 16: parsed without SymPy)
from .options import register_teach as register  # noqa: F401

__all__ = ["register", "run_check", "run_exercises", "EXAMPLES"]

def _claims_text(path: str):
    """The claims in ``path`` (``-``: standard input), read as model files are: a regular
    file of at most ``MAX_FILE_BYTES`` of UTF-8, JSON with bounded nesting and integers."""
    what = "a table of claims"
    if path == "-":
        stream = getattr(sys.stdin, "buffer", sys.stdin)  # bytes from a terminal or a pipe
        data = stream.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise SpecError(f"standard input: larger than {MAX_FILE_BYTES:,} bytes; {what} "
                            f"is small. Received: more than {MAX_FILE_BYTES:,} bytes")
        text = decode_text(data, "standard input") if isinstance(data, bytes) else data
    else:
        if not os.path.lexists(path):
            raise SpecError(f"{path}: no such file. Received: CLAIMS={path!r}")
        text = read_text(path, MAX_FILE_BYTES, what)  # a directory, a device: said so
    if text.lstrip().startswith(("[", "{")):
        rows = load_json(text, path)
        if not isinstance(rows, list):
            raise SpecError(f"check: {path}: a JSON table of claims is a list of rows "
                            f'[{{"layer": ..., "output_shape": ..., "params": ...}}, ...]. '
                            f"Received: a JSON {type(rows).__name__}")
        return rows
    return text


def run_check(args, out) -> int:
    try:
        model = load_model(args.file, args.model or "model")
    except SymcnnError as err:
        raise LoadError(err) from err
    try:  # an unreadable claims table is a file error (3), not a wrong answer (1)
        claims = _claims_text(args.claims)
    except SymcnnError as err:
        raise LoadError(err) from err
    try:  # a table that cannot be marked as a whole (no table, no header): 3
        report = check(model, claims)
    except ClaimError as err:
        raise LoadError(err) from err
    writer = {"text": report.to_text, "markdown": report.to_markdown,
              "latex": report.to_latex, "html": report.to_html}[args.format]
    out.write(writer())
    return 0 if report.ok else 1


def run_exercises(args, out) -> int:
    # --notation: None when not given (argparse refused an unknown preset already)
    notation = getattr(args, "notation", None) or "keras"
    try:  # the options are the generator's arguments: a bad one is a usage error (2)
        items = _exercises.generate(args.topic, n=args.n, seed=args.seed, notation=notation)
    except SymcnnError as err:
        raise UsageError(str(err)) from None
    text = _exercises.sheet(items, format=args.format, solutions=not args.no_solutions)
    if args.output:
        write_bytes(args.output, (text if text.endswith("\n") else text + "\n").encode("utf-8"))
        count = f"{len(items)} exercise{'' if len(items) == 1 else 's'}"
        print(f"wrote {args.output} ({count})", file=out)
    else:
        out.write(text)
    return 0
