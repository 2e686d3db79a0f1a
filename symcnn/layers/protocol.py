"""The layer protocol: what every analysis and printer asks a layer, with the defaults.

A layer states its formulas once, in its own class:

- ``output_shape_for(input_shape, check)`` and ``params_for(input_shape)`` (or
  ``compute(input_shapes, check)`` for several inputs): shapes and parameter counts;
  ``params_formula(input_shape)`` states the count once, as a formula over the layer's own
  names with their values, from which ``params_for`` takes the value and the derivation the
  working;
- ``macs_for(input_shapes, output_shape)``: multiply-accumulates of one call
  (:mod:`symcnn.costs`);
- ``window_for(input_shape)``: per input axis, which input positions one output position
  reads (:mod:`symcnn.windows`, for :mod:`symcnn.receptive`);
- ``derivation_for(builder, input_shapes, output_shape)``: the general formula, the working
  and the value of each output size and of the parameter count (:mod:`symcnn.derivation`);
- ``ptflops_ops_for(input_shapes, output_shape)``: what ptflops' hooks add beyond the MACs;
- ``inner_graph(input_shapes)``: ``(model, times)`` for a layer that runs a model (nesting,
  ``Repeat``), so that every analysis looks inside it;
- ``saved_for_backward(input_shapes, output_shapes)``: what the layer keeps for the backward
  pass (training memory; defined with it);
- ``layout_for(input_layouts, input_shapes, output_shapes)``: how PyTorch lays its outputs
  out in memory, where training memory needs it (:mod:`symcnn.layers.layout`);
- ``output_copy_for(input_layouts, input_shapes, output_shapes, batch)``: for a layer whose
  output is a view of its input (``output_is_view``), where PyTorch copies instead (a
  reshape of axes that do not merge, ``contiguous()``; :mod:`symcnn.layers.views`);
- ``wrapped_arguments``: the names of the arguments whose values are a layer or a model
  (``Bidirectional``'s ``layer`` and ``backward_layer``, ``Repeat``'s ``block``), which model
  files write as nested entries (:mod:`symcnn.spec`).

Analyses never look at a layer's class. A layer that cannot answer says so: the defaults
below raise :class:`~symcnn.errors.CostError` naming the layer and the method it lacks, except
where the answer follows from what every layer states (a layer without weights does no
multiply-accumulates).

>>> import symcnn as sc
>>> sc.Conv2D(8, 3, strides=2).window_for((32, 32, 3))[0]
Window(kernel=3, stride=2, dilation=1, pad_before=0)
"""

from __future__ import annotations

import sympy

from ..errors import CostError, describe_layer
from ..formulas import elements

__all__ = ["LayerProtocol", "PASS", "NO_FORMULA"]

ZERO = sympy.Integer(0)

#: ``window_for`` entry of an axis whose positions pass through unchanged.
PASS = None

#: What a derivation tells its reader about a layer that states no formula (a layer written
#: outside symcnn without ``derivation_for`` or ``params_formula``).
NO_FORMULA = "symcnn has no formula for this layer; its values are computed."


class LayerProtocol:
    """Defaults of the protocol; :class:`~symcnn.layers.base.Layer` inherits them."""

    type_name: str = "Layer"
    name: str | None = None
    #: Whether the layer reads token ids (``Embedding``): a model input it reads has no
    #: channel axis, so every axis of that input is a position axis for receptive fields.
    reads_token_ids: bool = False
    #: The arguments whose values are a layer or a model (``("block",)`` for ``Repeat``):
    #: model files read and write them as nested layer entries or model documents.
    wrapped_arguments: tuple = ()

    def _where(self) -> str:
        return describe_layer(self.type_name, self.name)

    def macs_for(self, input_shapes, output_shape) -> sympy.Expr:
        """Multiply-accumulates of one call. By default 0 for a layer without weights, and
        an error for a layer with weights (its MACs cannot be guessed)."""
        params = self._params_of(input_shapes)
        if params != 0:
            raise CostError(
                f"no MAC formula for {self.type_name} layers, which have parameters: the layer "
                f"states no macs_for(input_shapes, output_shape). Received: "
                f"{self._where()} with {params} params")
        return ZERO

    def _params_of(self, input_shapes) -> sympy.Expr:  # pragma: no cover - Layer overrides
        raise NotImplementedError

    def window_for(self, input_shape):
        """Per input axis: ``None`` (positions pass through) or a :mod:`symcnn.windows` map;
        or None for the whole layer when its output positions are not a window of its input
        positions (Reshape, Permute). The default is an error: it cannot be guessed."""
        raise CostError(
            f"{self._where()}: no receptive field: the layer states no window_for(input_shape) "
            f"(one entry per input axis: None where positions pass through, or a "
            f"symcnn.windows map such as Window(kernel, stride, dilation, pad_before))")

    def ptflops_ops_for(self, input_shapes, output_shape) -> sympy.Expr:
        """Operations ptflops' PyTorch module hooks count beyond the MACs (0 by default:
        ptflops has no hook for a module it does not know)."""
        return ZERO

    def params_formula(self, input_shape):
        """``(formula, bindings)``: the parameter count as a :mod:`symcnn.working` formula
        over the layer's own names, and the value each name takes; None when not stated."""
        return None

    def frozen_formula(self, input_shape):
        """``(formula, bindings)`` of the stated parameters that are not trainable (a kernel
        frozen under LoRA); None when every stated parameter trains."""
        return None

    def derivation_for(self, builder, input_shapes, output_shape):
        """Add the output-size steps to ``builder``; return ``(params_formula, bindings)``.
        By default the stated ``params_formula``; without one, the derivation says to its
        reader that there is no formula and shows the model's values (``docs/extending.md``
        tells the layer's author what to write)."""
        stated = self.params_formula(input_shapes[0]) if len(input_shapes) == 1 else None
        if stated is not None:
            return stated
        builder.note(NO_FORMULA)
        return None, {}

    def inner_graph(self, input_shapes):
        """``(model, times)`` when the layer runs a model on these inputs, else None."""
        return None

    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """How PyTorch lays each output out in memory (a :mod:`symcnn.layers.layout`
        ``Layout``), given the inputs' layouts (None where unknown); None where the layer
        does not state it, the default: training memory then decides nothing from it."""
        return (None,) * len(output_shapes)

    def output_copy_for(self, input_layouts, input_shapes, output_shapes, batch) -> sympy.Expr:
        """For a layer whose output is a view of its input (``output_is_view``): 1 where
        PyTorch makes it a copy instead, 0 where it is the input's storage, as a closed form
        in the sizes and ``batch`` (:mod:`symcnn.layers.views`). 0 by default: a view."""
        return ZERO

    def activation_elements_for(self, input_shapes, output_shapes) -> sympy.Expr:
        """Elements of the tensors one call produces: its outputs by default; a layer that
        hides intermediate tensors no model shows (``Repeat`` of a symbolic number of
        blocks that change the shape) counts them too."""
        return sum((elements(shape) for shape in output_shapes), ZERO)
