"""Transposed convolutions: Conv1DTranspose, Conv2DTranspose, Conv3DTranspose.

Sizes as Keras 3 computes them (``input*stride``, plus the kernel overhang for ``valid``,
without ``output_padding``; the explicit formula with it), or PyTorch's with explicit
padding. Their receptive field reads ``ceiling((o + p - k + 1)/s)`` to ``floor((o + p)/s)``
(:class:`~symcnn.windows.Transposed`).

>>> import symcnn as sc
>>> sc.Conv2DTranspose(8, 3, strides=2, padding="same")(sc.Input(("H", "W", 16))).shape
(2*H, 2*W, 8)
"""

from __future__ import annotations

from typing import Any

import sympy

from .. import arith, formulas
from ..derivation import blocks as d
from ..derivation.blocks import sym
from ..errors import LayerArgumentError, brief
from ..windows import NotAWindow, Transposed
from ..working import MaxOf, Minus, Over, Plus, Times
from .base import Checker, format_shape
from .saved import kept_input, with_activation
from .spatial import SpatialLayer, join_channels, split_channels

__all__ = ["Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"]


def _tuple(values) -> str:
    return format_shape(values)


class _ConvTranspose(SpatialLayer):
    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, groups=1, activation=None, use_bias=True,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        rank = self.rank
        self._set(
            filters=self._size(filters, "filters"),
            kernel_size=self._sizes(kernel_size, rank, "kernel_size"),
            strides=self._sizes(strides, rank, "strides"),
            padding=self._padding(padding),
            output_padding=(None if output_padding is None
                            else self._sizes(output_padding, rank, "output_padding", minimum=0)),
            data_format=self._data_format(data_format),
            dilation_rate=self._sizes(dilation_rate, rank, "dilation_rate"),
            groups=self._size(groups, "groups"),
            activation=activation,
            use_bias=self._flag(use_bias, "use_bias"),
        )
        if self.output_padding is not None:
            for op, s, d in zip(self.output_padding, self.strides, self.dilation_rate):
                bound = sympy.Max(s, d)
                if (op >= bound) is sympy.true:
                    raise LayerArgumentError(
                        f"{self.type_name}: `output_padding` must be smaller than the stride "
                        f"or the dilation. Received: output_padding={_tuple(self.output_padding)}"
                        f", strides={_tuple(self.strides)}"
                    )

    def output_shape_for(self, shape, check: Checker):
        spatial, channels = self._grouped_input(shape, check)
        out = []
        for axis, i in enumerate(spatial):
            k, s, d = self.kernel_size[axis], self.strides[axis], self.dilation_rate[axis]
            op = None if self.output_padding is None else self.output_padding[axis]
            if isinstance(self.padding, str):
                size = formulas.keras_conv_transpose_output_size(i, k, s, self.padding, op, d)
            else:
                size = formulas.conv_transpose_output_size(i, k, s, self.padding[axis],
                                                           op or 0, d)
            check.at_least(size, 1, f"the output size along spatial axis {axis} would be "
                                    f"{size}, below 1. Received: padding={brief(self.padding)}")
            out.append(size)
        return join_channels(tuple(out), self.filters, self.data_format)

    def params_formula(self, input_shape):
        """``C_in*K_h*K_w*F + F`` (``F/G`` with groups, no ``+ F`` without bias)."""
        _, channels = split_channels(input_shape, self.data_format)
        F, C, G = sym("F"), sym("C_in"), sym("G")
        grouped = not d.same(self.groups, 1)
        weights = Times(C, *d.kernel_symbols(self.rank), Over(F, G) if grouped else F)
        bind = {C: channels, **d.kernel_bind(self), F: self.filters}
        if grouped:
            bind[G] = self.groups
        return d.with_bias(weights, self, F), bind

    def macs_for(self, input_shapes, output_shape):
        spatial, channels = split_channels(input_shapes[0], self.data_format)
        return formulas.conv_transpose_macs(spatial, channels, self.kernel_size, self.filters,
                                            self.groups)

    def ptflops_ops_for(self, input_shapes, output_shape):
        """ptflops: one add per output element for the bias, and the fused activation."""
        out = formulas.elements(output_shape)
        return (out if self.use_bias else sympy.Integer(0)) + \
            formulas.ptflops_activation_ops(self.activation, out)

    def _pad_before(self, axis: int):
        """Left padding of the equivalent convolution (Keras' for string padding)."""
        if not isinstance(self.padding, str):
            return self.padding[axis][0]
        if self.padding == "valid":
            return sympy.Integer(0)
        s, op = self.strides[axis], None if self.output_padding is None else \
            self.output_padding[axis]
        k_eff = formulas.effective_kernel(self.kernel_size[axis], self.dilation_rate[axis])
        pad_len = s + k_eff - 2 if op is None else k_eff + k_eff % 2 - 2 + op
        return sympy.expand(k_eff - 1 - sympy.Min(arith.ceil_div(pad_len, 2), k_eff - 1))

    def window_for(self, input_shape):
        """One :class:`~symcnn.windows.Transposed` per spatial axis; None when a stride above 1
        meets a dilation above 1 or a kernel shorter than the stride (some outputs then read
        no input at all)."""
        maps = []
        for axis in range(self.rank):
            k, s, dil = self.kernel_size[axis], self.strides[axis], self.dilation_rate[axis]
            if s != 1:
                gap = sympy.expand(k - s)
                if dil != 1 or not (gap.is_number and gap >= 0):
                    return None
            maps.append(Transposed(k, s, dil, self._pad_before(axis)))
        return join_channels(tuple(maps), NotAWindow(), self.data_format)

    def derivation_for(self, b, input_shapes, output_shape):
        x, rank, out = input_shapes[0], self.rank, output_shape
        cpos = d.channel_position(rank, self.data_format)
        for axis, pos in enumerate(d.spatial_positions(rank, self.data_format)):
            name, sub = d.AXES[rank][axis], d.SUBS[rank][axis]
            X, S, K, D, O = (sym(f"{name}_in"), d.hp("S", sub), d.hp("K", sub), d.hp("D", sub),
                             d.hp("O", sub))
            dil = self.dilation_rate[axis]
            bind = {X: x[pos], S: self.strides[axis], K: self.kernel_size[axis]}
            extent = Plus(Times(D, Plus(K, Minus(1))), 1)
            if not d.same(dil, 1):
                bind[D] = dil
            op = None if self.output_padding is None else self.output_padding[axis]
            if isinstance(self.padding, str) and op is None:
                if self.padding == "same":
                    formula = Times(X, S)
                else:
                    formula = Plus(Times(X, S), MaxOf(Plus(*(extent.args if not d.same(dil, 1)
                                                             else (K,)), Minus(S)), 0))
                b.note("Without output_padding Keras sizes a transposed convolution as "
                       "input*stride, plus the kernel overhang for 'valid'.")
            else:
                if isinstance(self.padding, str):
                    pad = arith.floor_div(formulas.effective_kernel(self.kernel_size[axis], dil),
                                          2) if self.padding == "same" else sympy.Integer(0)
                    pair = (pad, pad)
                else:
                    pair = self.padding[axis]
                pads = d.pad_terms(pair, rank, axis, sub, bind)
                grow = extent.args if not d.same(dil, 1) else (K,)
                terms = [Times(Plus(X, Minus(1)), S), *(Minus(p) for p in pads), *grow]
                if op is not None:
                    bind[O] = op
                    terms.append(O)
                formula = Plus(*terms)
            b.add(f"{name}_out", formula, bind, out[pos])
        F = sym("F")
        b.add("C_out", F, {F: self.filters}, out[cpos])
        return self.params_formula(x)

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """The input (the export crops the output rather than pad the input)."""
        return with_activation(self, output_shapes, kept_input())


class Conv1DTranspose(_ConvTranspose):
    """Transposed 1D convolution (Keras ``Conv1DTranspose``).

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("T", 8)), sc.Conv1DTranspose(4, 3, strides=2)])
    >>> m.output_shape, m.params
    ((2*T + 1, 4), 100)
    """

    rank = 1


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2D convolution (Keras ``Conv2DTranspose``).

    >>> import symcnn as sc
    >>> sc.Conv2DTranspose(8, 3, strides=2, padding="same")(sc.Input(("H", "W", 16))).shape
    (2*H, 2*W, 8)
    """

    rank = 2


class Conv3DTranspose(_ConvTranspose):
    """Transposed 3D convolution (Keras ``Conv3DTranspose``).

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("D", "H", "W", 4)), sc.Conv3DTranspose(2, 2, strides=2)])
    >>> m.output_shape, m.params
    ((2*D, 2*H, 2*W, 2), 66)
    """

    rank = 3
