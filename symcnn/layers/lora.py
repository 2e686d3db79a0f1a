"""LoRA (low-rank adaptation) as Keras 3 counts it: ``lora_rank=r`` on ``Dense``,
``Embedding`` and ``Conv1D``/``Conv2D``/``Conv3D`` freezes the layer's kernel and adds two
trainable factors, ``A`` (the kernel's fan-in by ``r``) and ``B`` (``r`` by its outputs):
``r*(fan_in + outputs)`` more weights, all trainable, while the kernel turns non-trainable.
The bias stays trainable. ``lora_alpha`` scales the update and changes no count.

>>> import symcnn as sc
>>> m = sc.Sequential([sc.Input((64,)), sc.Dense(32, lora_rank=4)])
>>> m.trainable_params, m.non_trainable_params
(416, 2048)
>>> print(m.layers[0].derivation["params"])
params = N_in*U + U + r*(N_in + U) = 64*32 + 32 + 4*(64 + 32) = 2,464
"""

from __future__ import annotations

from typing import Any

from ..derivation.blocks import sym
from ..working import Plus, Times

__all__ = ["LoRA"]


class LoRA:
    """Mixin of the layers that take ``lora_rank`` (Keras' ``Dense``, ``EinsumDense``,
    ``Embedding`` and convolutions). A layer states its kernel's formula once, through
    :meth:`_kernel_formula`; the mixin adds the factors to ``params_formula`` and states the
    frozen kernel as ``frozen_formula``."""

    #: The rank of the update (a size), or None without LoRA.
    lora_rank = None

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
