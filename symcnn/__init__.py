"""symcnn: a symbolic formula engine for convolutional networks, built on SymPy.

Layers carry SymPy expressions for every size and parameter count, so a model yields closed
forms (``160*n + 48320``) that can be substituted, swept, solved for a budget and printed.

>>> import symcnn as sc
>>> H, W = sc.symbols("H W")
>>> m = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(64, 3, strides=2), sc.GlobalAveragePooling2D()])
>>> m.layers[0].output_shape
(ceiling(H/2) - 1, ceiling(W/2) - 1, 64)
"""

from . import formulas
from .errors import (GraphError, LayerArgumentError, ShapeError, SolveError, SymbolError,
                     SymcnnError)
from .errors import ExpressionError, SpecError, UnavailableError
from .expr_parser import parse_expression
from .layers import *  # noqa: F401,F403
from .layers import __all__ as _layer_names
from .model import Model, Sequential
from .records import LayerRecord
from .layers.base import format_shape
from .render.summary import format_count
from .solving import Solution, solve, solve_budget, within_budget
from .sweeping import Sweep, sweep
from .admissibility import Admissible, admissible
from .plotting import plot
from .spec import load_spec, model_from_spec, model_to_spec
from .symbols import symbols
from .symbols import multiplier  # issue 18
from . import derivation  # noqa: E402  (record.derivation; registers the "working" column)
from . import costs, memory, receptive  # noqa: E402  (costs, memory, receptive fields)
from .render import cost_columns  # noqa: F401  (registers the cost summary columns)
from .errors import CostError
from .errors import ArgumentError, OutputError
from .safe import BoundError
from .errors import ConversionError
from .render.exprs import show  # issue 14: the display form every printer uses
from .shape import Shape

__version__ = "0.1.0"

#: Loaded on first use, so that ``import symcnn`` (and so the command line) costs little
#: beyond importing SymPy: the zoo, the PyTorch-named layers and the framework bridges.
_LAZY = {"zoo": ("zoo", None), "nn": ("nn", None),
         "from_keras": ("interop", "from_keras"), "from_torch": ("interop", "from_torch")}
_LAZY.update({"check": ("teach", "check"), "exercises": ("teach.exercises", None),
              "teach": ("teach", None)})  # issue 19: teaching


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'symcnn' has no attribute {name!r}")
    import importlib

    module, attr = _LAZY[name]
    value = importlib.import_module(f".{module}", __name__)
    value = value if attr is None else getattr(value, attr)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "symbols", "multiplier", "Model", "Sequential", "LayerRecord", "solve_budget", "formulas", "zoo",
    "derivation",
    "solve", "within_budget", "Solution", "sweep", "Sweep",
    "admissible", "Admissible", "plot",
    "format_count", "format_shape",
    "SymcnnError", "ArgumentError", "OutputError", "BoundError", "LayerArgumentError", "ShapeError", "GraphError", "SymbolError", "SolveError",
    "SpecError", "ExpressionError", "UnavailableError", "parse_expression",
    "load_spec", "model_from_spec", "model_to_spec",
    "costs", "memory", "receptive", "CostError",
    "nn", "from_keras", "from_torch", "ConversionError",
    "show", "Shape",
    "check", "exercises", "teach",
    *_layer_names,
]
