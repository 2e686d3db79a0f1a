"""What the bridges share: the report of unsupported operations, numeric-size checks."""

from __future__ import annotations

import sympy

from .. import layers
from ..errors import ConversionError
from ..frameworks import import_framework
from ..layers.base import Layer

__all__ = ["Problems", "require_numeric", "import_framework", "keras_base", "as_int",
           "given_shapes", "masked_refusal", "written_out",
           "is_count"]


def given_shapes(input_shape, owner: str, example: str, note: str = "no batch axis") -> list:
    """The shapes a bridge was given as ``input_shape``: one tuple, or a list (or tuple) of
    tuples for several inputs; anything else (a number, a string) is named.

    >>> given_shapes((3, "H", "W"), "from_torch", "(3, 'H', 'W')"), given_shapes([(5,), (7,)], "f", "")
    ([(3, 'H', 'W')], [(5,), (7,)])
    >>> given_shapes("3,H,W", "from_torch", "(3, 'H', 'W')")
    Traceback (most recent call last):
    ...
    symcnn.errors.ConversionError: from_torch: `input_shape` is a tuple such as (3, 'H', 'W') (no batch axis), or a list of them for several inputs. Received: input_shape='3,H,W'
    """
    if not isinstance(input_shape, (tuple, list)) or not input_shape:
        raise ConversionError(
            f"{owner}: `input_shape` is a tuple such as {example} ({note}), or a list of "
            f"them for several inputs. Received: input_shape={input_shape!r}")
    if all(isinstance(s, (tuple, list)) for s in input_shape):
        return [tuple(s) for s in input_shape]
    return [tuple(input_shape)]


class Problems:
    """Collects every unsupported operation so one error can list them all; ``target`` is
    the side that lacks an equivalent (symcnn when importing, the framework when exporting).

    >>> p = Problems("model.to_torch", target="PyTorch")
    >>> p.add("layer 'r' (Repeat)", "no PyTorch equivalent for Repeat")
    >>> p.raise_if_any()
    Traceback (most recent call last):
    ...
    symcnn.errors.ConversionError: model.to_torch: 1 operation has no PyTorch equivalent:
      - layer 'r' (Repeat): no PyTorch equivalent for Repeat
    Received: 1 unsupported operation
    """

    def __init__(self, action: str, target: str = "symcnn") -> None:
        self.action = action
        self.target = target
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
            f"no {self.target} equivalent:\n{listing}{tail}\nReceived: {n} unsupported operation"
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




def masked_refusal(layer: Layer) -> str | None:
    """Why ``layer`` cannot be exported as called, if a call gave it a mask symcnn does not
    record (``MultiHeadAttention(...)(q, v, use_causal_mask=True)``): the exported layer
    would attend to every position. None otherwise."""
    masked = getattr(layer, "masked_call", None)
    if masked is None:
        return None
    return (f"called with {masked}: masks change no shape, count or MAC, so symcnn counts "
            f"the call but does not record the mask, and the exported layer would attend to "
            f"every position; export the model without the mask and add it in the framework")


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


def is_count(value) -> bool:
    """Whether a repetition count is a number (an ``int`` or a SymPy integer)."""
    return isinstance(value, int) or getattr(value, "is_Integer", False)


def written_out(cache: dict, node):
    """``node.layer.inner_graph(node.input_shapes)`` (a Repeat's repetitions written out, and
    how many times), made once per Repeat and input shapes in ``cache``: a Repeat called
    twice on one shape is one set of layers in the export, so its weights are shared, as
    symcnn counts them (both exporters)."""
    key = (id(node.layer), tuple(map(tuple, node.input_shapes)))
    if key not in cache:
        cache[key] = node.layer.inner_graph(node.input_shapes)
    return cache[key]
