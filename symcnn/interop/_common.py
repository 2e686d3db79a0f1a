"""What the bridges share: the report of unsupported operations, numeric-size checks."""

from __future__ import annotations

import importlib
import os
import sys

import sympy

from .. import layers
from ..errors import ConversionError, UnavailableError
from ..layers.base import Layer

__all__ = ["Problems", "require_numeric", "import_framework", "keras_base", "as_int"]


class Problems:
    """Collects every unsupported operation so one error can list them all."""

    def __init__(self, action: str) -> None:
        self.action = action
        self.items: list = []

    def add(self, where: str, what: str) -> None:
        self.items.append(f"{where}: {what}")

    def raise_if_any(self, hint: str = "") -> None:
        if not self.items:
            return
        n = len(self.items)
        listing = "\n".join(f"  - {item}" for item in self.items)
        tail = f"\n{hint}" if hint else ""
        raise ConversionError(
            f"{self.action}: {n} operation{'s' if n != 1 else ''} ha{'ve' if n != 1 else 's'} "
            f"no symcnn equivalent:\n{listing}{tail}\nReceived: {n} unsupported operation"
            f"{'s' if n != 1 else ''}"
        )


def require_numeric(model, target: str) -> None:
    """Refuse a model whose sizes still hold symbols, naming them and the fix."""
    symbols = sorted(model.free_symbols, key=lambda s: s.name)
    if symbols:
        names = ", ".join(s.name for s in symbols)
        example = ", ".join(f"{s.name}=..." for s in symbols)
        raise ConversionError(
            f"{target}: a framework model needs numbers for every size, but model "
            f"{model.display_name!r} has the symbols {names}. Substitute them first: "
            f"model.subs({example}).{target.split('.')[-1]}(). Received: free symbols {names}"
        )


def as_int(value):
    """SymPy integers (also inside tuples and lists) as Python ints, for framework calls."""
    if isinstance(value, sympy.Basic):
        if value.is_Integer:
            return int(value)
        if value.is_Rational:
            return float(value)
        return value
    if isinstance(value, tuple):
        return tuple(as_int(v) for v in value)
    if isinstance(value, list):
        return [as_int(v) for v in value]
    return value


def import_framework(name: str):
    """Import ``torch`` or ``keras`` for an export, or say how to install it.

    Keras picks its backend when first imported; when ``KERAS_BACKEND`` is unset and
    TensorFlow is not installed, the first of JAX and PyTorch that is installed is chosen, so
    ``to_keras()`` works in an environment with only ``torch``.
    """
    if name == "keras" and "keras" not in sys.modules and "KERAS_BACKEND" not in os.environ:
        from importlib.util import find_spec

        if find_spec("tensorflow") is None:
            for backend in ("jax", "torch"):
                if find_spec(backend) is not None:
                    os.environ["KERAS_BACKEND"] = backend
                    break
    try:
        return importlib.import_module(name)
    except ImportError as err:
        raise UnavailableError(
            f"this needs {name}, which is not installed ({err}). Install it with "
            f"`pip install symcnn[{name}]`. Received: import {name}"
        ) from None


def keras_base(layer: Layer):
    """The Keras-named symcnn class a layer is (for PyTorch-named ones, their parent).

    >>> from symcnn import nn
    >>> keras_base(nn.Conv2d(3, 8, 3)).__name__, keras_base(nn.Dropout2d()).__name__
    ('Conv2D', 'SpatialDropout2D')
    """
    known = set(layers.layer_classes().values())
    for cls in type(layer).__mro__:
        if cls in known:
            return cls
    return None
