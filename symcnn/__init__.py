"""symcnn: a symbolic formula engine for convolutional networks, built on SymPy.

Layers carry SymPy expressions for every size and parameter count, so a model yields closed
forms (``160*n + 48320``) that can be substituted, swept, solved for a budget and printed.

>>> import symcnn as sc
>>> H, W = sc.symbols("H W")
>>> m = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(64, 3, strides=2), sc.GlobalAveragePooling2D()])
>>> m.layers[0].output_shape
(ceiling(H/2) - 1, ceiling(W/2) - 1, 64)

``import symcnn`` itself imports neither SymPy nor any submodule but the errors (issue 16: the
command line answers ``--help`` before SymPy loads). Every public name is loaded on first use
(PEP 562), from the table below; the first one also loads the modules that register summary
columns and cost views, so ``sc.X`` behaves as if everything had been imported up front.

>>> "Conv2D" in dir(sc) and "Conv2D" in sc.__all__ and sc.Conv2D.__name__ == "Conv2D"
True
"""

import importlib as _importlib
import importlib.util as _importlib_util

from .errors import (ArgumentError, ConversionError, CostError, ExpressionError, GraphError,
                     LayerArgumentError, OutputError, ShapeError, SolveError, SpecError,
                     SymbolError, SymcnnError, UnavailableError)
from .lazy_modules import keep_functions as _keep_functions

__version__ = "0.1.0"


def _table(module: str, *names: str) -> dict:
    return {name: (module, name) for name in names}


#: Public name -> (submodule, attribute; None for the submodule itself).
_LAZY = {
    "formulas": ("formulas", None), "derivation": ("derivation", None),
    "costs": ("costs", None), "memory": ("memory", None), "receptive": ("receptive", None),
    "zoo": ("zoo", None), "nn": ("nn", None),
    "exercises": ("teach.exercises", None), "teach": ("teach", None),  # issue 19: teaching
    **_table("expr_parser", "parse_expression"),
    **_table("model", "Model", "Sequential"),
    **_table("records", "LayerRecord"),
    **_table("layers.base", "format_shape"),
    **_table("render.summary", "format_count"),
    **_table("solving", "Solution", "solve", "solve_budget", "within_budget"),
    **_table("sweeping", "Sweep", "sweep"),
    **_table("admissibility", "Admissible", "admissible"),
    **_table("plotting", "plot"),
    **_table("spec", "load_spec", "model_from_spec", "model_to_spec"),
    **_table("symbols", "symbols", "multiplier"),  # multiplier: issue 18
    **_table("safe", "BoundError"),
    **_table("render.exprs", "show"),  # issue 14: the display form every printer uses
    **_table("shape", "Shape"),
    **_table("interop", "from_keras", "from_torch"),
    **_table("teach", "check"),
}

#: Imported with the first public name: what ``import symcnn`` used to import for its side
#: effects (cost views, derivations; the printers import the summary columns they offer).
#: The zoo, the PyTorch-named layers, the framework bridges and teaching load only when
#: asked for.
_CORE = ("errors", "model", "derivation", "costs", "memory", "receptive",
         "solving", "sweeping", "admissibility", "plotting", "spec", "symbols", "safe", "shape",
         "expr_parser", "layers")

#: Public names that are also the names of submodules: importing the submodule must not
#: replace the function (``sc.symbols`` stays the function once ``symcnn.symbols`` is loaded).
_SHADOWED = frozenset(n for n, (m, a) in _LAZY.items() if a is not None and n == m)

_API = [
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
    "check", "exercises", "teach",
    "show", "Shape",
]


_keep_functions(__name__, _SHADOWED)
_loaded = False


def _load_core() -> None:
    global _loaded
    if _loaded:  # also while loading: a module that uses ``sc.X`` as it loads gets X alone
        return
    _loaded = True
    try:
        for module in _CORE:
            _importlib.import_module(f".{module}", __name__)
    except BaseException:
        _loaded = False
        raise


def _layer_names() -> list:
    return list(_importlib.import_module(".layers", __name__).__all__)


def _submodule(name: str):
    """``symcnn.<name>`` imported, or None when there is no such submodule."""
    if _importlib_util.find_spec(f".{name}", __name__) is None:
        return None
    return _importlib.import_module(f".{name}", __name__)


def __getattr__(name: str):
    if name == "__all__":  # the layers' names come from symcnn.layers (its __all__)
        value = [*_API, *_layer_names()]
    elif name.startswith("_"):
        raise AttributeError(f"module 'symcnn' has no attribute {name!r}")
    elif name in _LAZY and _LAZY[name][1] is None:  # a module: nothing else is needed
        value = _importlib.import_module(f".{_LAZY[name][0]}", __name__)
    elif name in _LAZY:
        _load_core()
        module, attr = _LAZY[name]
        value = getattr(_importlib.import_module(f".{module}", __name__), attr)
    else:  # a submodule (``from . import arith``, ``sc.layers``...), else a layer
        value = _submodule(name)
        if value is None:
            if name not in _layer_names():
                raise AttributeError(_no_attribute(name))
            _load_core()
            value = getattr(_importlib.import_module(".layers", __name__), name)
    globals()[name] = value
    return value


def _no_attribute(name: str) -> str:
    """The message of ``sc.<name>`` for an unknown name: the closest public name, and where
    PyTorch's layer of that name is (``sc.Conv2d``: ``sc.nn.Conv2d``), as model files say."""
    did_you_mean = _importlib.import_module(".suggest", __name__).did_you_mean  # loaded lazily
    hint = did_you_mean(name, [*_API, *_layer_names()]) if len(name) <= 64 else ""
    if name in _importlib.import_module(".nn", __name__).__all__:
        where = f"PyTorch's layers are sc.nn.{name}, channels first"
        hint += f" ({where})" if hint else f" {where}."
    return f"module 'symcnn' has no attribute {name!r}" + (f".{hint}" if hint else "")


def __dir__():  # the library, not the package's own loading tools
    return sorted((set(globals()) | set(_LAZY) | set(_layer_names())) - {"lazy_modules"})
