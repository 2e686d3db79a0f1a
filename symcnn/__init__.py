"""symcnn: a symbolic formula engine for convolutional networks, built on SymPy.

Layers carry SymPy expressions for every size and parameter count, so a model yields closed
forms (``160*n + 48320``) that can be substituted, swept, solved for a budget and printed.

>>> import symcnn as sc
>>> H, W = sc.symbols("H W")
>>> m = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(64, 3, strides=2), sc.GlobalAveragePooling2D()])
>>> m.layers[0].output_shape
(ceiling(H/2) - 1, ceiling(W/2) - 1, 64)
"""

from . import formulas, zoo
from .errors import (GraphError, LayerArgumentError, ShapeError, SolveError, SymbolError,
                     SymcnnError)
from .errors import ExpressionError, SpecError, UnavailableError
from .expr_parser import parse_expression
from .layers import *  # noqa: F401,F403
from .layers import __all__ as _layer_names
from .model import LayerRecord, Model, Sequential
from .layers.base import format_shape
from .render.summary import format_count
from .solving import Solution, solve, solve_budget, within_budget
from .sweeping import Sweep, sweep
from .admissibility import Admissible, admissible
from .plotting import plot
from .spec import load_spec, model_from_spec, model_to_spec
from .symbols import symbols
from . import derivation  # noqa: E402  (record.derivation; registers the "working" column)
from . import costs, memory, receptive  # noqa: E402  (costs, memory, receptive fields)
from .render import cost_columns  # noqa: F401  (registers the cost summary columns)
from .errors import CostError
from .errors import ConversionError
from . import nn  # noqa: E402  (PyTorch-named layers; imports no framework)
from .interop import from_keras, from_torch  # noqa: E402  (frameworks imported on call)

__version__ = "0.1.0"

__all__ = [
    "symbols", "Model", "Sequential", "LayerRecord", "solve_budget", "formulas", "zoo",
    "derivation",
    "solve", "within_budget", "Solution", "sweep", "Sweep",
    "admissible", "Admissible", "plot",
    "format_count", "format_shape",
    "SymcnnError", "LayerArgumentError", "ShapeError", "GraphError", "SymbolError", "SolveError",
    "SpecError", "ExpressionError", "UnavailableError", "parse_expression",
    "load_spec", "model_from_spec", "model_to_spec",
    "costs", "memory", "receptive", "CostError",
    "nn", "from_keras", "from_torch", "ConversionError",
    *_layer_names,
]
