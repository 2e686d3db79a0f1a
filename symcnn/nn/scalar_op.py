"""``x * 2``, ``2 - x``, ``x / 3``, ``x ** 2``: a tensor and a Python number, as PyTorch
computes them.

:func:`symcnn.from_torch` reads arithmetic between a tensor and a number (``-x`` is
``x * -1``) as :class:`ScalarOp`, and :meth:`symcnn.Model.to_torch` writes it back as the
Python operator, so a model read and exported again computes the same function. It is Keras'
:class:`~symcnn.layers.scale.Elementwise` (the same operations, shape, counts and exports)
with what PyTorch's eager autograd keeps for backward, where the number stays a number
(Keras' torch backend makes it a 0-d tensor, which its products keep).
"""

from __future__ import annotations

from ..formulas import prod
from ..layers.layout import elementwise, reads_cuts
from ..layers.saved import NOTHING, kept_input, kept_new, kept_output
from ..layers.scale import Elementwise

__all__ = ["ScalarOp"]


class ScalarOp(Elementwise):
    """``x op constant`` (``constant op x`` with ``constant_first``) for a Python number, as
    PyTorch computes it: ``op`` is one of Keras' :class:`~symcnn.layers.scale.Elementwise`
    operations (``maximum``/``minimum`` are ``torch.clamp`` with one bound). Same shape, no
    weights, no MACs.

    >>> import symcnn as sc
    >>> m = sc.nn.Sequential(sc.nn.Linear(4, 8), sc.nn.ScalarOp("power", 2),
    ...                      sc.nn.Linear(8, 2), input_shape=(4,))
    >>> m.output_shape, m.params, m.macs
    ((2,), 58, 48)
    >>> m.training_memory(batch="B").activations  # bytes: the input, the power's input and
    80*B
    >>> # output (the second Linear's input): 4*(4 + 8 + 8) per example
    """

    @reads_cuts
    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """Element-wise: in the input's memory order
        (:func:`~symcnn.layers.layout.elementwise`)."""
        return (elementwise(input_layouts, input_shapes),)

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """What PyTorch's eager autograd keeps (measured with saved_tensors_hooks): nothing
        for ``+``, ``-``, ``*`` and ``x / c``; the input for ``x ** c`` and a clamp; the
        input and the output for ``c ** x``; for ``c / x`` (``x.reciprocal() * c``) the
        reciprocal, a new tensor of the input's size."""
        first = getattr(self, "constant_first", False)
        if self.op == "power":
            return (kept_input(), kept_output()) if first else (kept_input(),)
        if self.op in ("maximum", "minimum"):
            return (kept_input(),)
        if first and self.op in ("divide", "true_divide"):
            return (kept_new(prod(input_shapes[0])),)
        return NOTHING
