"""What the command line reads: model files and ``NAME=VALUE`` arguments.

FILE is a Python script that defines ``model`` (trusted code, run like any script), a
YAML/JSON model file, a Keras JSON config, or a ``.keras`` file.

>>> parse_assignments(["n=10", "H=2*k"])
{'n': 10, 'H': 2*k}
"""

from __future__ import annotations

import os
import sys

from ..errors import ExpressionError, SpecError, SymcnnError
from ..expr_parser import parse_size
from ..interop.keras import from_keras
from ..model import Model
from ..spec import load_spec
from ..safe_read import regular_file
from .options import UsageError

__all__ = ["UsageError", "load_model", "parse_assignments", "parse_range", "parse_shape"]

_DATA_SUFFIXES = (".yaml", ".yml", ".json")


def load_model(path: str, variable: str = "model"):
    """The model in FILE: a Python script's ``variable``, a model file, or a Keras config."""
    if not os.path.exists(path):
        raise SpecError(f"{path}: no such file. Received: FILE={path!r}")
    if os.path.isdir(path):
        raise SpecError(f"{path}: is a directory, not a model file. Received: FILE={path!r}")
    regular_file(path)  # FIFOs and devices are refused before anything reads them
    lower = path.lower()
    if lower.endswith(".py"):
        return _run_python(path, variable)
    if lower.endswith(_DATA_SUFFIXES):
        return load_spec(path)
    if lower.endswith(".keras"):
        return from_keras(path)
    raise SpecError(f"{path}: unknown kind of file; FILE is a Python script (.py), a model "
                    f"file (.yaml, .yml, .json), a Keras JSON config (.json) or a .keras file. "
                    f"Received: FILE={path!r}")


def _run_python(path: str, variable: str):
    import runpy

    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)
    try:
        namespace = runpy.run_path(path, run_name="__symcnn__")
    except SymcnnError as err:
        raise SpecError(f"{path}: {err}") from err
    except SystemExit as err:
        raise SpecError(f"{path}: the script called exit({err.code}) while being read; define "
                        f"`{variable}` at module level, outside `if __name__ == '__main__'`") \
            from err
    except Exception as err:  # trusted code, but its failure is the file's problem
        raise SpecError(f"{path}: running the script raised {type(err).__name__}: {err}") \
            from err
    finally:
        if sys.path and sys.path[0] == folder:
            del sys.path[0]
    if variable not in namespace:
        found = sorted(k for k, v in namespace.items() if isinstance(v, Model))
        hint = f" Models it defines: {', '.join(found)} (choose with --model NAME)." if found \
            else " Define it at module level (not inside main())."
        raise SpecError(f"{path}: the script defines no `{variable}`.{hint} "
                        f"Received: --model {variable}")
    value = namespace[variable]
    if callable(value) and not isinstance(value, Model):
        try:
            value = value()
        except Exception as err:
            raise SpecError(f"{path}: calling `{variable}()` raised {type(err).__name__}: "
                            f"{err}") from err
    if not isinstance(value, Model):
        raise SpecError(f"{path}: `{variable}` is not a symcnn model. "
                        f"Received: {variable}={type(value).__name__}")
    return value


def _value(text: str, option: str, declare: bool = True):

    try:
        return parse_size(text, declare=declare)
    except ExpressionError as err:
        raise UsageError(f"{option}: {err}") from None


def parse_assignments(items, option: str = "--subs") -> dict:
    """``["n=10", "H=224"]`` as ``{"n": 10, "H": 224}``; values are expressions."""
    out = {}
    for item in items or ():
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier() or not text.strip():
            hint = (" (FILE and RANGE go before the options that take several values)"
                    if not sep else "")
            raise UsageError(f"{option}: expected NAME=VALUE such as n=10{hint}. "
                             f"Received: {item!r}")
        if name in out:
            raise UsageError(f"{option}: {name} is given twice. Received: {item!r}")
        out[name] = _value(text, option)
    return out


def parse_range(text: str, option: str) -> tuple:
    """``"n=1:100"`` or ``"n=1:100:5"`` (stop included) as ``("n", range)``; ``"n=8,16,32"``.

    >>> parse_range("n=1:9:4", "sweep")
    ('n', [1, 5, 9])
    """
    name, sep, spec = text.partition("=")
    if not sep or not name.strip().isidentifier():
        raise UsageError(f"{option}: expected NAME=START:STOP[:STEP] or NAME=A,B,C. "
                         f"Received: {text!r}")
    name = name.strip()
    if ":" in spec:
        parts = [_value(p, option, declare=False) for p in spec.split(":")]
        if len(parts) not in (2, 3) or not all(isinstance(p, int) for p in parts):
            raise UsageError(f"{option}: a range is START:STOP[:STEP] of integers. "
                             f"Received: {text!r}")
        start, stop, step = (*parts, 1) if len(parts) == 2 else parts
        if step <= 0 or stop < start:
            raise UsageError(f"{option}: a range needs START <= STOP and STEP >= 1. "
                             f"Received: {text!r}")
        if (stop - start) // step >= 10_000_000:
            raise UsageError(f"{option}: more than 10,000,000 points. Received: {text!r}")
        values = list(range(start, stop + 1, step))
    else:
        values = [_value(p, option, declare=False) for p in spec.split(",")]
        if not all(isinstance(v, int) for v in values):
            raise UsageError(f"{option}: values must be integers. Received: {text!r}")
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
    return tuple(_value(p, option) for p in parts)
