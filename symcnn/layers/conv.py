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
from ..errors import LayerArgumentError
from .base import Checker, format_shape
from .spatial import SpatialLayer, join_channels, split_channels

__all__ = [
    "Conv1D", "Conv2D", "Conv3D",
    "DepthwiseConv1D", "DepthwiseConv2D",
    "SeparableConv1D", "SeparableConv2D",
    "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
]


class _WindowConv(SpatialLayer):
    """Shared machinery of convolutions that slide a window (not transposed)."""

    def _window_args(self, kernel_size, strides, padding, data_format, dilation_rate) -> None:
        rank = self.rank
        allowed = ("valid", "same", "causal") if rank == 1 else ("valid", "same")
        self._set(
            kernel_size=self._sizes(kernel_size, rank, "kernel_size"),
            strides=self._sizes(strides, rank, "strides"),
            padding=self._padding(padding, allowed),
            data_format=self._data_format(data_format),
            dilation_rate=self._sizes(dilation_rate, rank, "dilation_rate"),
        )
        if self.padding == "causal" and self.data_format == "channels_first":
            raise LayerArgumentError(
                f"{self.type_name}: causal padding works only with channels_last. "
                f"Received: data_format={self.data_format!r}"
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


def _tuple(values) -> str:
    return format_shape(values)


class _Conv(_WindowConv):
    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self._set(filters=self._size(filters, "filters"))
        self._window_args(kernel_size, strides, padding, data_format, dilation_rate)
        self._set(groups=self._size(groups, "groups"), activation=activation,
                  use_bias=self._flag(use_bias, "use_bias"))
        if self.filters.is_Integer and self.groups.is_Integer and self.filters % self.groups:
            raise LayerArgumentError(
                f"{self.type_name}: `filters` must be divisible by `groups`. "
                f"Received: filters={self.filters}, groups={self.groups}"
            )

    def output_shape_for(self, shape, check: Checker):
        self._expect_spatial(shape)
        spatial, channels = split_channels(shape, self.data_format)
        if self.groups != 1:
            check.divisible(channels, self.groups,
                            f"the input channels ({channels}) must be divisible by `groups`. "
                            f"Received: groups={self.groups}")
            check.divisible(self.filters, self.groups,
                            f"`filters` must be divisible by `groups`. "
                            f"Received: filters={self.filters}, groups={self.groups}")
        return join_channels(self._window_sizes(spatial, check), self.filters, self.data_format)

    def params_for(self, shape):
        _, channels = split_channels(shape, self.data_format)
        count = formulas.conv_params(channels, self.kernel_size, self.filters, self.groups,
                                     self.use_bias)
        return count, sympy.Integer(0)


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
    """3D convolution (Keras ``Conv3D``); input ``(depth, height, width, channels)``."""

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

    def params_for(self, shape):
        _, channels = split_channels(shape, self.data_format)
        return formulas.depthwise_conv_params(channels, self.kernel_size, self.depth_multiplier,
                                              self.use_bias), sympy.Integer(0)


class DepthwiseConv1D(_DepthwiseConv):
    """Depthwise 1D convolution (Keras ``DepthwiseConv1D``)."""

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

    def params_for(self, shape):
        _, channels = split_channels(shape, self.data_format)
        return formulas.separable_conv_params(channels, self.kernel_size, self.filters,
                                              self.depth_multiplier, self.use_bias), sympy.Integer(0)


class SeparableConv1D(_SeparableConv):
    """Depthwise-separable 1D convolution (Keras ``SeparableConv1D``)."""

    rank = 1


class SeparableConv2D(_SeparableConv):
    """Depthwise-separable 2D convolution (Keras ``SeparableConv2D``).

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input((8, 8, 32)), sc.SeparableConv2D(64, 3)]).params
    2400
    """

    rank = 2


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
        self._expect_spatial(shape)
        spatial, channels = split_channels(shape, self.data_format)
        if self.groups != 1:
            check.divisible(channels, self.groups,
                            f"the input channels ({channels}) must be divisible by `groups`. "
                            f"Received: groups={self.groups}")
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
                                    f"{size}, below 1. Received: padding={self.padding!r}")
            out.append(size)
        return join_channels(tuple(out), self.filters, self.data_format)

    def params_for(self, shape):
        _, channels = split_channels(shape, self.data_format)
        return formulas.conv_transpose_params(channels, self.kernel_size, self.filters,
                                              self.groups, self.use_bias), sympy.Integer(0)


class Conv1DTranspose(_ConvTranspose):
    """Transposed 1D convolution (Keras ``Conv1DTranspose``)."""

    rank = 1


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2D convolution (Keras ``Conv2DTranspose``).

    >>> import symcnn as sc
    >>> sc.Conv2DTranspose(8, 3, strides=2, padding="same")(sc.Input(("H", "W", 16))).shape
    (2*H, 2*W, 8)
    """

    rank = 2


class Conv3DTranspose(_ConvTranspose):
    """Transposed 3D convolution (Keras ``Conv3DTranspose``)."""

    rank = 3
