"""What the command line reads: model files (``NAME=VALUE`` arguments are parsed by
:mod:`symcnn.cli.arguments`, re-exported here).

FILE is a Python script that defines ``model`` (trusted code, run like any script), a
YAML/JSON model file, a Keras JSON config, or a ``.keras`` file.

>>> parse_assignments(["n=10", "H=2*k"])
{'n': 10, 'H': 2*k}
"""

from __future__ import annotations

import os
import sys

from ..errors import SpecError, SymcnnError, UnavailableError
from ..interop.keras import from_keras
from ..model import Model
from ..spec import load_spec
from ..safe_read import regular_file
from .arguments import UsageError, parse_assignments, parse_range, parse_shape, substitute
from .options import LoadError

__all__ = ["UsageError", "load_model", "load_args", "parse_assignments", "parse_range",
           "parse_shape"]

_DATA_SUFFIXES = (".yaml", ".yml", ".json")


def load_model(path: str, variable: str = "model"):
    """The model in FILE: a Python script's ``variable``, a model file, or a Keras config.
    Another ``variable`` (``--model NAME``) with a file that is no Python script is a
    :class:`UsageError`: the file holds one model, and the option would be ignored."""
    if not os.path.lexists(path):  # a broken or looping link: said so by regular_file
        raise SpecError(f"{path}: no such file. Received: FILE={path!r}")
    if os.path.isdir(path):
        raise SpecError(f"{path}: is a directory, not a model file. Received: FILE={path!r}")
    regular_file(path)  # FIFOs and devices are refused before anything reads them
    lower = path.lower()
    if lower.endswith(".py"):
        return _run_python(path, variable)
    if variable != "model":  # it would be ignored: a data file holds one model
        raise UsageError(f"--model names the variable holding the model in a Python FILE "
                         f"(.py); {path} holds one model, so leave --model out. "
                         f"Received: --model {variable}")
    if lower.endswith(_DATA_SUFFIXES):
        return load_spec(path)
    if lower.endswith(".keras"):
        return from_keras(path)
    raise SpecError(f"{path}: unknown kind of file; FILE is a Python script (.py), a model "
                    f"file (.yaml, .yml, .json), a Keras JSON config (.json) or a .keras file. "
                    f"Received: FILE={path!r}")


def load_args(args, substituted: bool = True):
    """The model of a command's FILE (``args.file``, ``--model``), ``--subs`` substituted
    (unless ``substituted`` is false: ``symcnn memory`` substitutes them itself).

    A file that cannot be turned into a model is a :class:`LoadError` (exit code 3); a
    missing optional capability stays an ``UnavailableError`` (exit code 4).
    """
    try:
        model = load_model(args.file, getattr(args, "model", "model") or "model")
    except UnavailableError:
        raise
    except SymcnnError as err:
        raise LoadError(err) from err
    return substitute(model, getattr(args, "subs", None)) if substituted else model


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
    _refuse_foreign(path, variable, value)  # before calling it: a Keras or torch model is
    if callable(value) and not isinstance(value, Model):  # callable too
        try:
            value = value()
        except Exception as err:
            raise SpecError(f"{path}: calling `{variable}()` raised {type(err).__name__}: "
                            f"{err}") from err
        _refuse_foreign(path, variable, value, called=True)
    if not isinstance(value, Model):
        raise SpecError(f"{path}: `{variable}` is not a symcnn model. "
                        f"Received: {variable}={type(value).__name__}")
    return value


def _foreign_kind(obj) -> str | None:
    """``"keras"`` for a Keras model (or its class), ``"keras layer"`` for another Keras
    layer, ``"torch"`` for a ``torch.nn.Module``, None otherwise: read from the names of its
    classes, so that neither framework is imported to ask (a Keras layer on the torch
    backend is also a ``torch.nn.Module``: Keras is checked first).

    >>> _foreign_kind(3) is None, _foreign_kind(Model) is None
    (True, True)
    """
    cls = obj if isinstance(obj, type) else type(obj)
    try:
        names = [((c.__module__ or "").split(".")[0], c.__qualname__) for c in cls.__mro__]
    except (AttributeError, TypeError):
        return None
    keras = {name for module, name in names if module in ("keras", "tf_keras")}
    if "Model" in keras:
        return "keras"
    if "Layer" in keras:
        return "keras layer"
    if any(f"{c.__module__}.{c.__qualname__}" == "torch.nn.modules.module.Module"
           for c in cls.__mro__):
        return "torch"
    return None


def _refuse_foreign(path: str, variable: str, value, called: bool = False) -> None:
    """A :class:`SpecError` saying how to convert a Keras model or a ``torch.nn.Module``
    that FILE defines as ``variable`` (or that ``variable()`` returned, when ``called``):
    calling one without inputs fails obscurely."""
    kind = _foreign_kind(value)
    if kind is None:
        return
    given = f"{variable}()" if called or isinstance(value, type) else variable
    what, how = {
        "keras": ("a Keras model", f"convert it with sc.from_keras({given})"),
        "keras layer": ("a Keras layer", "put it in a Keras model and convert that with "
                                         "sc.from_keras(keras_model)"),
        "torch": ("a torch.nn.Module", f"convert it with sc.from_torch({given}, "
                                       f"input_shape=(3, 'H', 'W'))"),
    }[kind]
    if isinstance(value, type):
        what = f"{what} class"
    subject = f"calling `{variable}()` returned" if called else f"`{variable}` is"
    raise SpecError(f"{path}: {subject} {what}, not a symcnn model: {how} in the script "
                    f"(import symcnn as sc). Received: "
                    f"{variable}={getattr(value, '__name__', type(value).__name__)}")
