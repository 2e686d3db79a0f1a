"""PReLU: a ReLU whose slope below zero is learned (Keras ``PReLU``).

Keras' ``alpha`` has the input's shape without the batch axis, with every axis of
``shared_axes`` set to 1 (one slope shared along it), so the layer has one slope per element
of the axes it does not share: ``H*W*C`` for an image, ``C`` with ``shared_axes=[1, 2]``.
Its products are element-wise: no multiply-accumulates. (PyTorch's ``torch.nn.PReLU``,
one slope or one per channel, is ``symcnn.nn.PReLU``.)

>>> import symcnn as sc
>>> x = sc.Input(("H", "W", 16))
>>> sc.Model(x, sc.PReLU()(x)).params, sc.Model(x, sc.PReLU(shared_axes=[1, 2])(x)).params
(16*H*W, 16)
"""

from __future__ import annotations

from typing import Any

import sympy

from .. import formulas
from ..derivation.blocks import input_names
from ..errors import LayerArgumentError, ShapeError, brief
from ..working import Times
from .base import Checker, Layer, format_shape
from .layout import elementwise
from .saved import Call, kept_new

__all__ = ["PReLU"]

#: Keras' default ``alpha_initializer``: the slopes start at 0 (a ReLU).
_ZEROS = "Zeros"


def _shared_axes(layer: Layer, value) -> tuple | None:
    """``shared_axes`` as a tuple of axes (or None): ints from 1, as Keras counts the input's
    axes with the batch axis as 0. Keras indexes the slopes' shape with ``axis - 1``, so it
    reads 0 as the last axis and -1 as the one before it: refused here, never read so."""
    if value is None:
        return None
    axes = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
        raise LayerArgumentError(f"{layer.type_name}: `shared_axes` must be an int, a list of "
                                 f"ints or None. Received: shared_axes={brief(value)}")
    if any(a < 1 for a in axes):
        raise LayerArgumentError(
            f"{layer.type_name}: `shared_axes` are axes of the input counted with the batch "
            f"axis as 0, so from 1 (the batch axis always shares the slopes; Keras reads 0 "
            f"as the last axis and a negative axis as another one than it names). "
            f"Received: shared_axes={brief(value)}")
    return axes


class PReLU(Layer):
    """Parametric ReLU (Keras ``PReLU``): ``x`` where ``x >= 0``, else ``alpha*x``, with
    ``alpha`` learned per element of the axes not in ``shared_axes`` (counted with the batch
    axis as 0). ``alpha_initializer``, ``alpha_regularizer`` and ``alpha_constraint`` change
    no count; ``to_keras()`` passes them on.

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input((32, 32, 3)), sc.Conv2D(8, 3), sc.PReLU(shared_axes=[1, 2])])
    >>> m.params, m.layers[1].params, m.layers[1].macs
    (232, 8, 0)
    >>> print(m.layers[1].derivation)
    p_re_lu (PReLU): input (30, 30, 8), output (30, 30, 8)
      params = C_in = 8
      note: shared_axes=(1, 2): one slope along axes 1, 2 of the input (Keras' alpha has size 1 there).
    >>> sc.PReLU(shared_axes=0)
    Traceback (most recent call last):
    ...
    symcnn.errors.LayerArgumentError: PReLU: `shared_axes` are axes of the input counted with the batch axis as 0, so from 1 (the batch axis always shares the slopes; Keras reads 0 as the last axis and a negative axis as another one than it names). Received: shared_axes=0
    """

    def __init__(self, alpha_initializer=_ZEROS, alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, name: str | None = None, **kwargs: Any) -> None:
        given = {"alpha_initializer": alpha_initializer, "alpha_regularizer": alpha_regularizer,
                 "alpha_constraint": alpha_constraint}
        defaults = {"alpha_initializer": _ZEROS}  # kept aside (``_extra``) only when given
        kwargs.update({k: v for k, v in given.items() if v is not None and v != defaults.get(k)})
        super().__init__(name=name, **kwargs)
        self._set(shared_axes=_shared_axes(self, shared_axes))

    def _shared(self, shape) -> set:
        """The shared axes as positions in ``shape`` (no batch axis), checked against it."""
        axes = self.shared_axes or ()
        for a in axes:
            if a > len(shape):
                raise ShapeError(
                    f"`shared_axes` names axis {a}, but the input has axes 1 to {len(shape)} "
                    f"(shape {format_shape(shape)}, counted with the batch axis as 0). "
                    f"Received: shared_axes={brief(self.shared_axes)}")
        return {a - 1 for a in axes}

    def alpha_shape(self, input_shape) -> tuple:
        """The shape of Keras' ``alpha`` on an input of ``input_shape`` (no batch axis): the
        input's, with 1 along every shared axis.

        >>> PReLU(shared_axes=[1, 2]).alpha_shape(("H", "W", 16))
        (1, 1, 16)
        """
        shared = self._shared(input_shape)
        return tuple(1 if i in shared else size for i, size in enumerate(input_shape))

    def output_shape_for(self, shape, check: Checker):
        self._shared(shape)
        return shape

    def params_formula(self, input_shape):
        """One slope per element of the axes not shared: the product of their sizes."""
        shared = self._shared(input_shape)
        names = input_names(len(input_shape))
        kept = [(n, s) for i, (n, s) in enumerate(zip(names, input_shape)) if i not in shared]
        if not kept:
            return sympy.Integer(1), {}
        formula = kept[0][0] if len(kept) == 1 else Times(*(n for n, _ in kept))
        return formula, dict(kept)

    def derivation_for(self, b, input_shapes, output_shape):
        if self.shared_axes:
            axes = ", ".join(str(a) for a in sorted(set(self.shared_axes)))
            b.note(f"shared_axes={brief(self.shared_axes)}: one slope along axes {axes} of the "
                   f"input (Keras' alpha has size 1 there).")
        return self.params_formula(input_shapes[0])

    def macs_for(self, input_shapes, output_shape) -> sympy.Expr:
        """A comparison and a product per element: no multiply-accumulates (0, as
        ``FlopCounterMode`` counts Keras' call and ``torch.nn.PReLU``)."""
        return sympy.Integer(0)

    def ptflops_ops_for(self, input_shapes, output_shape):
        """ptflops: one per output element, as its hook counts ``torch.nn.PReLU``."""
        return formulas.elements(output_shape)

    def window_for(self, input_shape):
        """Element-wise: every position passes through."""
        return (None,) * len(input_shape)

    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """Element-wise: in the input's memory order."""
        return (elementwise(input_layouts, input_shapes),)

    def saved_for_backward(self, input_shapes, output_shapes, call: Call | None = None) -> tuple:
        """What Keras 3 keeps on the torch backend, where the layer computes
        ``relu(x) - alpha*relu(-x)``: where the input requires a gradient, both ReLUs'
        outputs (one value per input element each) and ``-alpha`` (the slopes, whatever the
        batch); on the model's input only ``relu(-x)``, for the slopes' gradient (nothing
        when they are frozen too). Measured with ``saved_tensors_hooks``."""
        call = call or Call.of(input_shapes)
        n = formulas.elements(input_shapes[0])
        if not call.grads[0]:
            return (kept_new(n, when="weights"),)
        slopes = formulas.elements(self.alpha_shape(input_shapes[0]))
        return kept_new(n), kept_new(n), kept_new(slopes, per_example=False)
