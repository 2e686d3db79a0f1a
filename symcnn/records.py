"""Layer records: what a model knows about each of its layers, and the cost views that
records and models share.

A record is data: the layer object, every call of it (its nodes), its Keras-style name and
the names feeding it. Shapes and counts come from the first call; costs cover every call.

>>> import symcnn as sc
>>> record = sc.zoo.textbook.free_width().layers[0]
>>> record.name, record.output_shape, record.params, record.macs
('conv2d', (36, 28, 20), 320, 322560)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy

from . import arith, costs, receptive
from .derivation import derive
from .layers.base import Layer, Node, format_shape
from .render.exprs import show
from .render.html import derivation_html
from .shape import Shape, as_shape

__all__ = ["LayerRecord"]


class _CostViews:
    """Costs of a layer record (over all its calls) or of a whole model (one inference).

    Each view delegates to :mod:`symcnn.costs` or :mod:`symcnn.receptive`, which compute on
    first access and keep the result (in their own caches).
    """

    @property
    def macs(self) -> sympy.Expr:
        """Multiply-accumulates (convolution and Dense layers; :mod:`symcnn.costs`)."""
        return costs.macs(self)

    @property
    def flops(self) -> sympy.Expr:
        """FLOPs as ``2 * macs``; other conventions: ``sc.costs.flops(obj, "mac")``."""
        return costs.flops(self)

    @property
    def activation_elements(self) -> sympy.Expr:
        """Elements of the layer outputs, one per call."""
        return costs.activation_elements(self)

    def activation_bytes(self, dtype="float32") -> sympy.Expr:
        """Bytes of the layer outputs at ``dtype``."""
        return costs.activation_bytes(self, dtype)

    def param_bytes(self, dtype="float32") -> sympy.Expr:
        """Bytes of the parameters at ``dtype``."""
        return costs.param_bytes(self, dtype)

    @property
    def receptive_field(self):
        """Per spatial axis of the model input: ``size``, ``jump`` and ``start`` of the
        (first) output, or None where undefined (:mod:`symcnn.receptive`)."""
        return receptive.receptive_field(self)


@dataclass(frozen=True, eq=False)
class LayerRecord(_CostViews):
    """What a model knows about one of its layers (shapes from its first call).

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("H", "W", 3)), sc.Conv2D(16, 3)])
    >>> r = m.layers[0]
    >>> r.index, r.name, r.type, r.input_shape, r.output_shape, r.params
    (0, 'conv2d', 'Conv2D', (H, W, 3), (H - 2, W - 2, 16), 448)
    """

    index: int
    name: str
    layer: Layer
    nodes: tuple
    inbound: tuple = field(default=())
    model: Any = field(default=None, repr=False, compare=False)  # the owning model

    @property
    def node(self) -> Node:
        return self.nodes[0]

    @property
    def type(self) -> str:
        """The layer's class name, as Keras prints it (``Conv2D``)."""
        return self.layer.type_name

    @property
    def input_shape(self):
        shapes = self.node.input_shapes
        return Shape(shapes[0]) if len(shapes) == 1 else as_shape(list(shapes))

    @property
    def input_shapes(self) -> list:
        return self.node.input_shapes

    @property
    def output_shape(self):
        shapes = [Shape(t.shape) for t in self.node.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def params(self) -> sympy.Expr:
        return self.node.computed.params

    @property
    def trainable_params(self) -> sympy.Expr:
        return self.node.computed.trainable

    @property
    def non_trainable_params(self) -> sympy.Expr:
        return self.node.computed.non_trainable

    @property
    def constraints(self) -> list:
        """Conditions this layer (over all its calls) puts on the symbols."""
        return arith.ConstraintSet(c for n in self.nodes for c in n.constraints).as_list()

    @property
    def calls(self) -> int:
        return len(self.nodes)

    @property
    def derivation(self):
        """Formula, working and value of each output size and the parameter count
        (:func:`symcnn.derivation.derive`); displays as LaTeX in Jupyter."""
        return derive(self)

    def _repr_latex_(self) -> str:
        return self.derivation._repr_latex_()

    def _repr_html_(self) -> str:  # the same derivation, MathML
        return derivation_html(self.derivation)

    def __repr__(self) -> str:
        return (f"<LayerRecord #{self.index} {self.name!r} ({self.type}) "
                f"output_shape={format_shape(self.output_shape)} params={show(self.params)}>")
