"""LoRA (low-rank adaptation) as Keras 3 counts it: ``lora_rank=r`` on ``Dense``,
``Embedding`` and ``Conv1D``/``Conv2D``/``Conv3D`` freezes the layer's kernel and adds two
trainable factors, ``A`` (the kernel's fan-in by ``r``) and ``B`` (``r`` by its outputs):
``r*(fan_in + outputs)`` more weights, all trainable, while the kernel turns non-trainable.
The bias stays trainable. ``lora_alpha`` scales the update and changes no count.

In training, Keras merges the kernel at every call, ``kernel + (lora_alpha/r)*(A @ B)``: a new
tensor of the kernel's size (not per example), which PyTorch keeps for backward where the
layer's product needs it (:meth:`LoRA.lora_saved_for_backward`; training memory adds it to
what the layer keeps).

>>> import symcnn as sc
>>> m = sc.Sequential([sc.Input((64,)), sc.Dense(32, lora_rank=4)])
>>> m.trainable_params, m.non_trainable_params
(416, 2048)
>>> print(m.layers[0].derivation["params"])
params = N_in*U + U + r*(N_in + U) = 64*32 + 32 + 4*(64 + 32) = 2,464
"""

from __future__ import annotations

from typing import Any

import sympy

from ..derivation.blocks import sym, value_of
from ..working import Plus, Times
from .saved import kept_new

__all__ = ["LoRA"]


class LoRA:
    """Mixin of the layers that take ``lora_rank`` (Keras' ``Dense``, ``EinsumDense``,
    ``Embedding`` and convolutions). A layer states its kernel's formula once, through
    :meth:`_kernel_formula`; the mixin adds the factors to ``params_formula`` and states the
    frozen kernel as ``frozen_formula``."""

    #: The rank of the update (a size), or None without LoRA.
    lora_rank = None
    #: When the layer's product keeps the merged kernel for backward
    #: (:meth:`lora_saved_for_backward`): ``"always"`` (a convolution), ``"input_gradient"``
    #: (a matrix product, for its input's gradient) or ``"never"`` (a lookup).
    merged_kernel_kept = "input_gradient"

    def _lora_arg(self, lora_rank: Any) -> None:
        if lora_rank is not None:
            self._set(lora_rank=self._size(lora_rank, "lora_rank"))

    def _kernel_formula(self, input_shape) -> tuple:
        """``(kernel, fan_in, outputs, bias, bindings)``: the kernel's count as a formula, its
        fan-in and outputs (the two sides of the factors) and the bias term (or None)."""
        raise NotImplementedError

    def params_formula(self, input_shape):
        """The kernel (and bias), plus ``r*(fan_in + outputs)`` under LoRA."""
        kernel, fan_in, outputs, bias, bind = self._kernel_formula(input_shape)
        terms = [kernel] + ([bias] if bias is not None else [])
        if self.lora_rank is not None:
            r = sym("r")
            terms.append(Times(r, Plus(fan_in, outputs)))
            bind = {**bind, r: self.lora_rank}
        return (Plus(*terms) if len(terms) > 1 else kernel), bind

    def frozen_formula(self, input_shape):
        """The kernel under LoRA (Keras freezes it); None without."""
        if self.lora_rank is None:
            return None
        kernel, _, _, _, bind = self._kernel_formula(input_shape)
        return kernel, bind

    def lora_saved_for_backward(self, input_layouts, input_shapes, input_grads=None) -> tuple:
        """What LoRA adds to what the layer keeps for backward (``saved_for_backward``), as
        Keras 3 runs it on the torch backend: the merged kernel ``kernel + (lora_alpha/r)*(A
        @ B)``, a new tensor of the kernel's size each call (not per example), wherever the
        layer's product keeps its weight. The product of the factors, its scaling and the
        sum keep nothing of their own (the factors are weights).

        Each layer class states which (:attr:`merged_kernel_kept`):

        * ``"always"``, a convolution (``Conv1D``/``2D``/``3D``): PyTorch's convolution keeps
          its weight even for an input that requires no gradient.
        * ``"input_gradient"``, a matrix product (``Dense``, ``EinsumDense``): for the
          gradient of its input only, so not on a tensor that requires none (the model's
          input, or what is computed from it alone without trainable weights): as
          ``input_grads`` says (one bool per input; training memory follows it, layer by
          layer), else as the input's layout says (``input_layouts``,
          :mod:`symcnn.layers.layout`); counted where neither is known.
        * ``"never"``, an embedding lookup (the ids have no gradient): nothing.

        Nothing without LoRA.

        >>> import symcnn as sc
        >>> from symcnn.layers.layout import Layout
        >>> dense = sc.Dense(4, lora_rank=2)
        >>> [k.elements for k in dense.lora_saved_for_backward([Layout((0, 1), grad=True)],
        ...                                                   [(6,)])]
        [24]
        >>> dense.lora_saved_for_backward([Layout((0, 1), grad=False)], [(6,)])
        ()
        >>> dense.lora_saved_for_backward([None], [(6,)], input_grads=[False])
        ()
        """
        if self.lora_rank is None or self.merged_kernel_kept == "never":
            return ()
        layout = input_layouts[0] if input_layouts else None
        grad = input_grads[0] if input_grads else (None if layout is None else layout.grad)
        if self.merged_kernel_kept == "input_gradient" and grad is False:
            return ()
        kernel, _, _, _, bind = self._kernel_formula(input_shapes[0])
        return (kept_new(sympy.expand(value_of(kernel, bind)), per_example=False),)
