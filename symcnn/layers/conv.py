"""Convolution layers: ConvND, DepthwiseConvND, SeparableConvND, ConvNDTranspose.

Arguments and counting follow Keras 3. Beyond Keras, ``padding`` also accepts explicit
amounts (PyTorch style: an int, a tuple per axis, or ``(left, right)`` pairs), which is what
the PyTorch-named layers in :mod:`symcnn.nn` use.

>>> import symcnn as sc
>>> x = sc.Input(("H", "W", 3))
>>> y = sc.Conv2D(64, 3, strides=2, padding="same")(x)
>>> y.shape
(ceiling(H/2), ceiling(W/2), 64)
"""

from __future__ import annotations

from typing import Any

import sympy

from .. import formulas
from ..derivation import blocks as d
from ..derivation.blocks import sym
from ..errors import LayerArgumentError
from ..windows import COPYING_MODES, Copied, NotAWindow, Window
from ..working import Over, Plus, Times
from .base import Checker, format_shape
from .lora import LoRA
from .saved import kept_new, window_input_kept, with_activation
from .spatial import SpatialLayer, join_channels, split_channels
from .conv_transpose import Conv1DTranspose, Conv2DTranspose, Conv3DTranspose  # noqa: F401

__all__ = [
    "Conv1D", "Conv2D", "Conv3D",
    "DepthwiseConv1D", "DepthwiseConv2D",
    "SeparableConv1D", "SeparableConv2D",
    "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
]


class _WindowConv(SpatialLayer):
    """Shared machinery of convolutions that slide a window (not transposed)."""

    #: the padding words the layer takes, besides explicit amounts; ``causal`` in 1D only
    paddings = ("valid", "same", "causal")

    def _window_args(self, kernel_size, strides, padding, data_format, dilation_rate) -> None:
        rank = self.rank
        allowed = self.paddings if rank == 1 else ("valid", "same")
        self._set(
            kernel_size=self._sizes(kernel_size, rank, "kernel_size"),
            strides=self._sizes(strides, rank, "strides"),
            padding=self._padding(padding, allowed),
            data_format=self._data_format(data_format),
            dilation_rate=self._sizes(dilation_rate, rank, "dilation_rate"),
        )

    def _axis_padding(self, axis: int):
        return self.padding if isinstance(self.padding, str) else self.padding[axis]

    def _window_sizes(self, spatial, check: Checker) -> tuple:
        out = []
        for axis, i in enumerate(spatial):
            k, s, d = self.kernel_size[axis], self.strides[axis], self.dilation_rate[axis]
            p = self._axis_padding(axis)
            padded, extent = formulas.window_requirement(i, k, p, d)
            check.at_least(
                padded, extent,
                lambda: f"kernel_size is larger than the {'padded ' if p != 'valid' else ''}"
                f"input along spatial axis {axis}: the window spans {extent} but the input has "
                f"{padded}. Received: kernel_size={_tuple(self.kernel_size)}, "
                f"dilation_rate={_tuple(self.dilation_rate)}",
            )
            out.append(formulas.window_output_size(i, k, s, p, d))
        return tuple(out)

    def window_for(self, input_shape):
        """One :class:`~symcnn.windows.Window` per spatial axis; the channels mix. With
        PyTorch's ``padding_mode`` ``reflect``, ``replicate`` or ``circular``, each window is
        wrapped in a :class:`~symcnn.windows.Copied` (the padding copies input positions)."""
        spatial, _ = split_channels(input_shape, self.data_format)
        mode = getattr(self, "padding_mode", "zeros")
        windows = []
        for axis, i in enumerate(spatial):
            k, s, dil = self.kernel_size[axis], self.strides[axis], self.dilation_rate[axis]
            p = self._axis_padding(axis)
            before = formulas.same_padding_before(i, k, s, dil) if p == "same" else \
                formulas.padding_amounts(p, k, dil)[0]
            window = Window(k, s, dil, before)
            windows.append(Copied(window, mode, layer=self._where()) if mode in COPYING_MODES
                           else window)
        return join_channels(tuple(windows), NotAWindow(), self.data_format)

    def _bias_ops(self, output_shape) -> sympy.Expr:
        out = formulas.elements(output_shape)
        return (out if self.use_bias else sympy.Integer(0)) + \
            formulas.ptflops_activation_ops(self.activation, out)

    def ptflops_ops_for(self, input_shapes, output_shape):
        """ptflops: one add per output element for the bias, and the fused activation."""
        return self._bias_ops(output_shape)

    def derivation_for(self, b, input_shapes, output_shape):
        """The output sizes, and the parameter formula when the layer states one."""
        d.window_steps(b, self, input_shapes[0], output_shape, self.kernel_size,
                       self.dilation_rate)
        return self.params_formula(input_shapes[0]) or (None, {})

    def _filter_steps(self, b, x, output_shape) -> None:
        """The steps of a layer with ``filters``: the output sizes, then ``C_out = F``."""
        d.window_steps(b, self, x, output_shape, self.kernel_size, self.dilation_rate)
        F = sym("F")
        b.add("C_out", F, {F: self.filters},
              output_shape[d.channel_position(self.rank, self.data_format)])

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """The input (for the weight gradient), and what the activation keeps."""
        return with_activation(self, output_shapes, window_input_kept(self, input_shapes[0]))


def _tuple(values) -> str:
    return format_shape(values)


class _Conv(LoRA, _WindowConv):
    merged_kernel_kept = "always"  # under LoRA (LoRA.lora_saved_for_backward)

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True, lora_rank=None,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self._set(filters=self._size(filters, "filters"))
        self._window_args(kernel_size, strides, padding, data_format, dilation_rate)
        self._set(groups=self._size(groups, "groups"), activation=activation,
                  use_bias=self._flag(use_bias, "use_bias"))
        self._lora_arg(lora_rank)
        if self.filters.is_Integer and self.groups.is_Integer and self.filters % self.groups:
            raise LayerArgumentError(
                f"{self.type_name}: `filters` must be divisible by `groups`. "
                f"Received: filters={self.filters}, groups={self.groups}"
            )

    def output_shape_for(self, shape, check: Checker):
        spatial, _ = self._grouped_input(shape, check)
        if self.groups != 1:
            check.divisible(self.filters, self.groups,
                            f"`filters` must be divisible by `groups`. "
                            f"Received: filters={self.filters}, groups={self.groups}")
        return join_channels(self._window_sizes(spatial, check), self.filters, self.data_format)

    def _kernel_formula(self, input_shape) -> tuple:
        """``C_in*K_h*K_w*F + F`` (``C_in/G`` with groups, no ``+ F`` without bias)."""
        _, channels = split_channels(input_shape, self.data_format)
        F, C, G = sym("F"), sym("C_in"), sym("G")
        grouped = not d.same(self.groups, 1)
        fan_in = [Over(C, G) if grouped else C, *d.kernel_symbols(self.rank)]
        bind = {C: channels, **d.kernel_bind(self), F: self.filters}
        if grouped:
            bind[G] = self.groups
        return Times(*fan_in, F), Times(*fan_in), F, (F if self.use_bias else None), bind

    def macs_for(self, input_shapes, output_shape):
        _, channels = split_channels(input_shapes[0], self.data_format)
        out_spatial, _ = split_channels(output_shape, self.data_format)
        return formulas.conv_macs(out_spatial, channels, self.kernel_size, self.filters,
                                  self.groups)

    def derivation_for(self, b, input_shapes, output_shape):
        x = input_shapes[0]
        self._filter_steps(b, x, output_shape)
        if not d.same(self.groups, 1):
            b.note("With G groups each filter sees C_in/G of the input channels.")
        return self.params_formula(x)


class Conv1D(_Conv):
    """1D convolution (Keras ``Conv1D``); input ``(steps, channels)``.

    >>> import symcnn as sc
    >>> sc.Conv1D(16, 5, padding="causal", dilation_rate=2)(sc.Input(("L", 8))).shape
    (L, 16)
    """

    rank = 1


class Conv2D(_Conv):
    """2D convolution (Keras ``Conv2D``); input ``(height, width, channels)``.

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input((7, 9, 3)), sc.Conv2D(2, (5, 2), use_bias=False)])
    >>> m.output_shape, m.params
    ((3, 8, 2), 60)
    """

    rank = 2


class Conv3D(_Conv):
    """3D convolution (Keras ``Conv3D``); input ``(depth, height, width, channels)``.

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("D", "H", "W", 3)), sc.Conv3D(16, 3)])
    >>> m.output_shape, m.params
    ((D - 2, H - 2, W - 2, 16), 1312)
    """

    rank = 3


class _DepthwiseConv(_WindowConv):
    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self._window_args(kernel_size, strides, padding, data_format, dilation_rate)
        self._set(depth_multiplier=self._size(depth_multiplier, "depth_multiplier"),
                  activation=activation, use_bias=self._flag(use_bias, "use_bias"))

    def output_shape_for(self, shape, check: Checker):
        self._expect_spatial(shape)
        spatial, channels = split_channels(shape, self.data_format)
        return join_channels(self._window_sizes(spatial, check),
                             sympy.expand(channels * self.depth_multiplier), self.data_format)

    def params_formula(self, input_shape):
        """``C_in*K_h*K_w*M + C_in*M`` (no bias term without bias)."""
        _, channels = split_channels(input_shape, self.data_format)
        C, M = sym("C_in"), sym("M")
        weights = Times(C, *d.kernel_symbols(self.rank), M)
        bind = {C: channels, **d.kernel_bind(self), M: self.depth_multiplier}
        return d.with_bias(weights, self, Times(C, M)), bind

    def macs_for(self, input_shapes, output_shape):
        _, channels = split_channels(input_shapes[0], self.data_format)
        out_spatial, _ = split_channels(output_shape, self.data_format)
        return formulas.depthwise_conv_macs(out_spatial, channels, self.kernel_size,
                                            self.depth_multiplier)

    def derivation_for(self, b, input_shapes, output_shape):
        x, rank = input_shapes[0], self.rank
        cpos = d.channel_position(rank, self.data_format)
        d.window_steps(b, self, x, output_shape, self.kernel_size, self.dilation_rate)
        C, M = sym("C_in"), sym("M")
        b.add("C_out", Times(C, M), {C: x[cpos], M: self.depth_multiplier}, output_shape[cpos])
        return self.params_formula(x)


class DepthwiseConv1D(_DepthwiseConv):
    """Depthwise 1D convolution (Keras ``DepthwiseConv1D``).

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("T", 8)), sc.DepthwiseConv1D(5, depth_multiplier=2)])
    >>> m.output_shape, m.params
    ((T - 4, 16), 96)
    """

    rank = 1


class DepthwiseConv2D(_DepthwiseConv):
    """Depthwise 2D convolution (Keras ``DepthwiseConv2D``): ``C*k_h*k_w*m (+ C*m)`` params.

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input((8, 8, 32)), sc.DepthwiseConv2D(3)]).params
    320
    """

    rank = 2


class _SeparableConv(_WindowConv):
    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self._set(filters=self._size(filters, "filters"))
        self._window_args(kernel_size, strides, padding, data_format, dilation_rate)
        self._set(depth_multiplier=self._size(depth_multiplier, "depth_multiplier"),
                  activation=activation, use_bias=self._flag(use_bias, "use_bias"))

    def output_shape_for(self, shape, check: Checker):
        self._expect_spatial(shape)
        spatial, _ = split_channels(shape, self.data_format)
        return join_channels(self._window_sizes(spatial, check), self.filters, self.data_format)

    def params_formula(self, input_shape):
        """Depthwise ``C_in*K_h*K_w*M``, then pointwise ``C_in*M*F``, ``+ F`` with bias."""
        _, channels = split_channels(input_shape, self.data_format)
        C, M, F = sym("C_in"), sym("M"), sym("F")
        bind = {C: channels, **d.kernel_bind(self), M: self.depth_multiplier, F: self.filters}
        count = Plus(Times(C, *d.kernel_symbols(self.rank), M), Times(C, M, F))
        return (Plus(*count.args, F) if self.use_bias else count), bind

    def macs_for(self, input_shapes, output_shape):
        _, channels = split_channels(input_shapes[0], self.data_format)
        out_spatial, _ = split_channels(output_shape, self.data_format)
        return formulas.separable_conv_macs(out_spatial, channels, self.kernel_size,
                                            self.filters, self.depth_multiplier)

    def derivation_for(self, b, input_shapes, output_shape):
        x = input_shapes[0]
        self._filter_steps(b, x, output_shape)
        kernel = "*".join(str(k) for k in d.kernel_symbols(self.rank))
        b.note(f"A depthwise convolution (C_in*{kernel}*M weights), then a pointwise one "
               f"(C_in*M*F).")
        return self.params_formula(x)

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """The input and the depthwise result (the pointwise convolution's input)."""
        spatial, channels = split_channels(output_shapes[0], self.data_format)
        middle = formulas.prod(spatial) * split_channels(input_shapes[0], self.data_format)[1]
        return with_activation(self, output_shapes, window_input_kept(self, input_shapes[0]),
                               kept_new(middle * self.depth_multiplier))


class SeparableConv1D(_SeparableConv):
    """Depthwise-separable 1D convolution (Keras ``SeparableConv1D``).

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("T", 8)), sc.SeparableConv1D(16, 3, padding="same")])
    >>> m.output_shape, m.params
    ((T, 16), 168)
    """

    rank = 1


class SeparableConv2D(_SeparableConv):
    """Depthwise-separable 2D convolution (Keras ``SeparableConv2D``).

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input((8, 8, 32)), sc.SeparableConv2D(64, 3)]).params
    2400
    """

    rank = 2
