"""``x.contiguous()``: the same values, stored contiguously.

PyTorch returns ``x`` itself where it is contiguous already and otherwise a contiguous copy,
which the next layer keeps for backward instead of ``x`` (after ``x.transpose(1, 2)``,
``x.permute(0, 2, 3, 1)``, ``x[..., ::2]``). :func:`symcnn.from_torch` reads
``x.contiguous()`` as this layer, and :meth:`symcnn.Model.to_torch` writes it back as
``x.contiguous()``.
"""

from __future__ import annotations

import sympy

from ..layers import core as _core
from ..arith import prove_nonnegative
from ..layers.layout import (contiguous, is_stepped, order_unknown, reads_cuts,
                             unordered_contiguous_copy)
from ..layers.views import contiguous_copy
from ._base import TorchLayer

__all__ = ["Contiguous"]


class Contiguous(TorchLayer, _core.Identity):
    """``x.contiguous()``: shape unchanged, no parameters, keeps nothing for backward; a
    contiguous tensor, a copy of its input where that is not contiguous.

    >>> import symcnn as sc
    >>> def head(*middle):
    ...     return sc.nn.Sequential(sc.nn.Linear(5, 6), sc.Permute((2, 1)), *middle,
    ...                             sc.nn.ReLU(), sc.nn.Linear(8, 3), input_shape=(8, 5))
    >>> head(sc.nn.Contiguous()).output_shape, head(sc.nn.Contiguous()).params
    ((6, 3), 63)
    >>> head(sc.nn.Contiguous()).training_memory(batch="B").activations  # input, ReLU output
    352*B
    >>> head().training_memory(batch="B").activations  # the ReLU keeps the transposed order
    192*B*Min(1, B - 1) + 352*B
    """

    #: ``to_torch`` calls this tensor method (there is no ``torch.nn`` module for it).
    torch_method = "contiguous"

    def __init__(self, name: str | None = None, trainable: bool = True) -> None:
        _core.Identity.__init__(self, name=name, trainable=trainable)
        self._torch_config()

    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """Contiguous, whatever the input."""
        return (contiguous(len(output_shapes[0]) + 1),)

    @reads_cuts
    def output_copy_for(self, input_layouts, input_shapes, output_shapes, batch):
        """1 where the input is not contiguous (PyTorch copies it), 0 where it is (the
        output is the input). The input itself where its layout is not known. Where only
        its axes cut short or read with a step are known (a crop or slice of a tensor whose
        layout is not stated, :class:`~symcnn.layers.layout.Cut`, or an input that requires
        no gradient, computed from the model's input alone, whose order ``to_torch`` gives
        channels first), a copy where it copies whatever the order
        (:func:`~symcnn.layers.layout.unordered_contiguous_copy`: a crop of the channels from
        batch 2 on, a step), the input elsewhere.

        A :class:`~symcnn.layers.layout.Stepped` input (``x[..., ::2]``) is contiguous only
        where all its sizes are 1: a copy unless every size is 1, ``Min(1, s - 1)`` for each
        size ``s`` that may be 1.

        >>> from symcnn import symbols
        >>> B = symbols("B")
        >>> from symcnn.layers.layout import Stepped
        >>> stepped = Stepped((0, 1, 2), grad=True)
        >>> Contiguous().output_copy_for([stepped], [(1, 1)], [(1, 1)], B)
        Min(1, B - 1)
        >>> Contiguous().output_copy_for([stepped], [(1, 3)], [(1, 3)], B)
        1
        >>> from symcnn.layers.layout import sliced
        >>> Contiguous().output_copy_for([sliced(None, [1])], [(2, 6, 8)], [(2, 6, 8)], B)
        Min(1, B - 1)
        """
        layout = input_layouts[0]
        if layout is None:
            return sympy.Integer(0)
        sizes = (batch, *input_shapes[0])
        if order_unknown(layout):
            return unordered_contiguous_copy(layout, sizes)
        if is_stepped(layout):
            free = {sympy.sympify(s) for s in sizes} - {sympy.Integer(1)}
            if any(prove_nonnegative(s - 2) for s in free):
                return sympy.Integer(1)  # a size of 2 or more
            return sympy.expand(1 - sympy.Mul(*(1 - sympy.Min(1, s - 1) for s in free)))
        return contiguous_copy(layout, sizes)
