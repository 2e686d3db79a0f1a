"""Embedding layers: Keras' ``Embedding``, and the learned tokens and positions of ViT.

``Embedding(input_dim, output_dim)`` maps each of the input's integer ids to a vector of
``output_dim``: the output adds an axis, ``(T,) -> (T, output_dim)``, and the table has
``input_dim*output_dim`` parameters. A lookup multiplies nothing: 0 MACs (PyTorch's
``FlopCounterMode`` counts none for ``nn.Embedding`` either).

>>> import symcnn as sc
>>> m = sc.Sequential([sc.Input(("T",)), sc.Embedding(10000, 64)])
>>> m.output_shape, m.params, m.macs
((T, 64), 640000, 0)
"""

from __future__ import annotations

from typing import Any

import sympy

from ..derivation.blocks import sym
from ..formulas import prod
from ..windows import NotAWindow
from ..working import Plus, Times
from ..errors import LayerArgumentError, brief
from .base import Checker, Layer
from .lora import LoRA
from .layout import contiguous
from .saved import NOTHING, kept_new

__all__ = ["Embedding", "ClassToken", "PositionEmbedding"]

ZERO = sympy.Integer(0)


class Embedding(LoRA, Layer):
    """A lookup table of ``input_dim`` vectors of ``output_dim`` (Keras ``Embedding``).

    >>> Embedding(0, 8)
    Traceback (most recent call last):
    ...
    symcnn.errors.LayerArgumentError: Embedding: `input_dim` must be a positive integer, a symbol name or a positive-integer SymPy expression. Received: input_dim=0
    """

    merged_kernel_kept = "never"  # under LoRA (LoRA.lora_saved_for_backward)

    reads_token_ids = True

    def __init__(self, input_dim, output_dim, mask_zero: bool = False, weights=None,
                 lora_rank=None, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self._set(input_dim=self._size(input_dim, "input_dim"),
                  output_dim=self._size(output_dim, "output_dim"),
                  mask_zero=self._flag(mask_zero, "mask_zero"))
        self._check_weights(weights)
        self._lora_arg(lora_rank)

    def _check_weights(self, weights) -> None:
        """A given table must have the shape ``(input_dim, output_dim)``, as Keras 3
        requires: an array (anything with a ``shape``, NumPy's or PyTorch's) or a list of
        one. Only its shape matters (symcnn counts, it keeps no values); as a table of
        numbers fixes both sizes, they must be numbers too, not symbols.

        >>> Embedding(100, 8, weights=[[1.0]])
        Traceback (most recent call last):
        ...
        symcnn.errors.LayerArgumentError: Embedding: `weights` must be an array of shape (input_dim, output_dim) = (100, 8), or a list of one such array, as Keras 3 requires. Received: weights=[[1.0]]
        """
        if weights is None:
            return
        table = weights[0] if isinstance(weights, (list, tuple)) and len(weights) == 1 \
            else weights
        shape = getattr(table, "shape", None)
        try:
            shape = None if shape is None else tuple(int(size) for size in shape)
        except (TypeError, ValueError):
            shape = None
        expected = (self.input_dim, self.output_dim)
        shown = f"weights of shape {shape}" if shape is not None else f"weights={brief(weights)}"
        symbolic = not all(sympy.sympify(size).is_Integer for size in expected)
        if symbolic and shape is not None and len(shape) == 2:
            raise LayerArgumentError(
                f"Embedding: given `weights` fix the table's shape, so `input_dim` and "
                f"`output_dim` must be numbers, {shape[0]} and {shape[1]}, not symbols. "
                f"Received: input_dim={self.input_dim}, output_dim={self.output_dim}, {shown}")
        if shape != expected:
            raise LayerArgumentError(
                f"Embedding: `weights` must be an array of shape (input_dim, output_dim) = "
                f"({self.input_dim}, {self.output_dim}), or a list of one such array, as "
                f"Keras 3 requires. Received: {shown}")

    def output_shape_for(self, shape, check: Checker):
        return (*shape, self.output_dim)

    def _kernel_formula(self, input_shape) -> tuple:
        """A table of ``V*D``: ``V`` ids in, ``D`` features out."""
        V, D = sym("V"), sym("D")
        return Times(V, D), V, D, None, {V: self.input_dim, D: self.output_dim}

    def derivation_for(self, b, input_shapes, output_shape):
        """``D_out = D``; a table of ``V*D``."""
        D = sym("D")
        b.add("D_out", D, {D: self.output_dim}, output_shape[-1])
        return self.params_formula(input_shapes[0])

    def macs_for(self, input_shapes, output_shape) -> sympy.Expr:
        """A lookup: no multiply-accumulates."""
        return ZERO

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """The ids, as ``nn.Embedding`` keeps them: int64 whatever the training dtype."""
        return (kept_new(prod(input_shapes[0]), dtype="int64"),)

    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """Contiguous: a lookup writes a new tensor."""
        return (contiguous(len(output_shapes[0]) + 1),)

    def window_for(self, input_shape):
        """Each position's vector is its own token's: positions pass through."""
        return (None,) * len(input_shape)


class ClassToken(Layer):
    """Prepends one learned token to a sequence (ViT's class token): ``(N, d) -> (N + 1, d)``,
    ``d`` parameters, no MACs.

    >>> import symcnn as sc
    >>> sc.ClassToken()(sc.Input(("N", 768))).shape
    (N + 1, 768)
    """

    def __init__(self, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)

    def output_shape_for(self, shape, check: Checker):
        self._expect_rank(shape, 2, "tokens, features")
        return (sympy.expand(shape[0] + 1), shape[1])

    def params_for(self, shape):
        return shape[-1], ZERO

    def derivation_for(self, b, input_shapes, output_shape):
        """``N_out = N + 1``; one token of ``D``."""
        N, D = sym("N"), sym("D")
        b.add("N_out", Plus(N, 1), {N: input_shapes[0][0]}, output_shape[0])
        return D, {D: input_shapes[0][-1]}

    def macs_for(self, input_shapes, output_shape) -> sympy.Expr:
        """A concatenation: no multiply-accumulates."""
        return ZERO

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """A concatenation (torchvision's ViT: ``torch.cat``) keeps nothing."""
        return NOTHING

    def window_for(self, input_shape):
        """The token axis is a concatenation (not a window); features pass through."""
        return (NotAWindow(), None)


class PositionEmbedding(Layer):
    """Adds a learned position embedding, one vector per token: same shape, ``N*d``
    parameters for an input ``(N, d)``, no MACs (additions only).

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("N", 768)), sc.PositionEmbedding()])
    >>> m.output_shape, m.params
    ((N, 768), 768*N)
    """

    def __init__(self, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)

    def output_shape_for(self, shape, check: Checker):
        self._expect_rank(shape, 2, "tokens, features")
        return shape

    def params_for(self, shape):
        return sympy.expand(shape[0] * shape[1]), ZERO

    def derivation_for(self, b, input_shapes, output_shape):
        """One vector of ``D`` per token: ``N*D``."""
        N, D = sym("N"), sym("D")
        return Times(N, D), {N: input_shapes[0][0], D: input_shapes[0][1]}

    def macs_for(self, input_shapes, output_shape) -> sympy.Expr:
        """Additions only: no multiply-accumulates."""
        return ZERO

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """An addition keeps nothing."""
        return NOTHING

    def window_for(self, input_shape):
        """Element-wise: every position passes through."""
        return (None,) * len(input_shape)
