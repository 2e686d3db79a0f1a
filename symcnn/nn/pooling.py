"""PyTorch pooling: ``MaxPool``, ``AvgPool`` (with ``ceil_mode``) and the adaptive ones.

``ceil_mode=True`` rounds the output size up, except that no window may start in the right
padding (PyTorch's rule); ``stride`` defaults to ``kernel_size``.
"""

from __future__ import annotations

import sympy

from .. import formulas
from ..errors import LayerArgumentError, brief
from ..layers import pooling as _pool
from ..layers.base import Checker, format_shape
from ..layers.spatial import join_channels, split_channels
from ..symbols import as_size_tuple
from ._base import TorchLayer, flag, torch_padding

__all__ = [
    "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d",
]


class _PoolNd(TorchLayer):
    #: PyTorch's AvgPool3d also requires the unpadded input to be at least the kernel.
    _input_at_least_kernel = False

    def _pool_args(self, kernel_size, stride, padding, ceil_mode, name, trainable) -> None:
        t, rank = self.type_name, self.rank
        if isinstance(padding, str):
            raise LayerArgumentError(f"{t}: `padding` must be an int or a tuple of ints. "
                                     f"Received: padding={brief(padding)}")
        as_size_tuple(kernel_size, rank, "kernel_size", t)
        if stride is not None and stride != () and stride != []:
            as_size_tuple(stride, rank, "stride", t)
        else:
            stride = None
        super().__init__(pool_size=kernel_size, strides=stride, padding=padding,
                         data_format="channels_first", ceil_mode=flag(t, ceil_mode, "ceil_mode"),
                         name=name, trainable=trainable)
        return stride

    def output_shape_for(self, shape, check: Checker):
        """PyTorch's sizes: with ``ceil_mode`` a window may overhang the input's end, so the
        requirement is an output of at least 1 (``padded + stride - 1 >= window``)."""
        dilation = getattr(self, "dilation", (1,) * self.rank)
        if self._input_at_least_kernel:
            self._expect_spatial(shape)
            for axis, (i, k) in enumerate(zip(split_channels(shape, self.data_format)[0],
                                              self.pool_size)):
                check.at_least(i, k, lambda: f"the input ({i}) is smaller than the kernel ({k}) "
                               f"along spatial axis {axis}, which {self.type_name} refuses "
                               f"whatever the padding. Received: kernel_size="
                               f"{format_shape(self.pool_size)}")
        if not self.ceil_mode and all(d == 1 for d in dilation):
            return super().output_shape_for(shape, check)
        self._expect_spatial(shape)
        spatial, channels = split_channels(shape, self.data_format)
        out = []
        for axis, i in enumerate(spatial):
            k, s, d, p = self.pool_size[axis], self.strides[axis], dilation[axis], self.padding[axis]
            padded, extent = formulas.window_requirement(i, k, p, d)
            slack = s - 1 if self.ceil_mode else 0
            check.at_least(sympy.expand(padded + slack), extent,
                           lambda: f"the window spans {extent} but the padded input has {padded} "
                           f"along spatial axis {axis}, so the output would be empty. Received: "
                           f"kernel_size={format_shape(self.pool_size)}, "
                           f"stride={format_shape(self.strides)}, "
                           + (f"dilation={format_shape(dilation)}, "
                              if any(d != 1 for d in dilation) else "")
                           + f"ceil_mode={self.ceil_mode}")
            out.append(formulas.window_output_size(i, k, s, p, d, self.ceil_mode))
        return join_channels(tuple(out), channels, self.data_format)


class _MaxPoolNd(_PoolNd):
    _optional = (("stride", None), ("padding", 0), ("dilation", 1), ("return_indices", False),
                 ("ceil_mode", False))

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False, name: str | None = None, trainable: bool = True) -> None:
        if return_indices is not False:
            raise LayerArgumentError(f"{self.type_name}: `return_indices=True` (a second output) "
                                     f"is not supported. Received: return_indices={brief(return_indices)}")
        stride = self._pool_args(kernel_size, stride, padding, ceil_mode, name, trainable)
        self._set(dilation=self._sizes(dilation, self.rank, "dilation"))
        self._torch_config(kernel_size=self.pool_size,
                           stride=None if stride is None else self.strides,
                           padding=torch_padding(self.padding), dilation=self.dilation,
                           return_indices=False, ceil_mode=self.ceil_mode)


class MaxPool1d(_MaxPoolNd, _pool.MaxPooling1D):
    """``torch.nn.MaxPool1d``: input ``(C, L)``.

    >>> from symcnn import nn, Input
    >>> nn.MaxPool1d(3, stride=2, dilation=2)(Input((4, "L"))).shape
    (4, ceiling(L/2) - 2)
    """


class MaxPool2d(_MaxPoolNd, _pool.MaxPooling2D):
    """``torch.nn.MaxPool2d``: input ``(C, H, W)``.

    >>> from symcnn import nn, Input
    >>> nn.MaxPool2d(3, stride=2, padding=1)(Input((64, "H", "W"))).shape
    (64, ceiling(H/2), ceiling(W/2))
    >>> nn.MaxPool2d(2, ceil_mode=True)(Input((16, 7, 7))).shape
    (16, 4, 4)
    """


class MaxPool3d(_MaxPoolNd, _pool.MaxPooling3D):
    """``torch.nn.MaxPool3d``: input ``(C, D, H, W)``."""


class _AvgPoolNd(_PoolNd):
    _optional = (("stride", None), ("padding", 0), ("ceil_mode", False),
                 ("count_include_pad", True), ("divisor_override", None))

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None, name: str | None = None,
                 trainable: bool = True) -> None:
        _check_divisor(self.type_name, divisor_override)
        stride = self._pool_args(kernel_size, stride, padding, ceil_mode, name, trainable)
        self._torch_config(kernel_size=self.pool_size,
                           stride=None if stride is None else self.strides,
                           padding=torch_padding(self.padding), ceil_mode=self.ceil_mode,
                           count_include_pad=count_include_pad, divisor_override=divisor_override)


def _check_divisor(owner: str, value) -> None:
    """PyTorch's rule for ``divisor_override``: None or an int other than 0 (a negative one
    is taken; 0 fails in forward with "divisor must be not zero", a float or bool at the
    call)."""
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool):
        raise LayerArgumentError(f"{owner}: `divisor_override` must be an int or None, as "
                                 f"PyTorch requires. Received: divisor_override={brief(value)}")
    if value == 0:
        raise LayerArgumentError(f"{owner}: `divisor_override` must not be 0 (PyTorch refuses "
                                 f"it: \"divisor must be not zero\"). Received: "
                                 f"divisor_override={value}")


class AvgPool1d(_AvgPoolNd, _pool.AveragePooling1D):
    """``torch.nn.AvgPool1d``: input ``(C, L)``."""

    _optional = _AvgPoolNd._optional[:-1]

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, name: str | None = None, trainable: bool = True):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad, None,
                         name=name, trainable=trainable)
        del self._torch["divisor_override"]


class AvgPool2d(_AvgPoolNd, _pool.AveragePooling2D):
    """``torch.nn.AvgPool2d``: input ``(C, H, W)``.

    >>> from symcnn import nn, Input
    >>> nn.AvgPool2d(2)(Input((8, "H", "W"))).shape
    (8, floor(H/2), floor(W/2))
    """


class AvgPool3d(_AvgPoolNd, _pool.AveragePooling3D):
    """``torch.nn.AvgPool3d``: input ``(C, D, H, W)``, at least the kernel on every axis
    before padding (PyTorch's own check)."""

    _input_at_least_kernel = True


class _AdaptiveNd(TorchLayer):
    def __init__(self, output_size, name: str | None = None, trainable: bool = True) -> None:
        super().__init__(output_size, data_format="channels_first", name=name,
                         trainable=trainable)
        self._torch_config(output_size=self.output_size)


class _AdaptiveMaxNd(_AdaptiveNd):
    def __init__(self, output_size, return_indices=False, name: str | None = None,
                 trainable: bool = True) -> None:
        if return_indices is not False:
            raise LayerArgumentError(f"{self.type_name}: `return_indices=True` (a second output) "
                                     f"is not supported. Received: return_indices={brief(return_indices)}")
        super().__init__(output_size, name=name, trainable=trainable)


class AdaptiveAvgPool1d(_AdaptiveNd, _pool.AdaptiveAveragePooling1D):
    """``torch.nn.AdaptiveAvgPool1d``: ``(C, L)`` to ``(C, output_size)``."""


class AdaptiveAvgPool2d(_AdaptiveNd, _pool.AdaptiveAveragePooling2D):
    """``torch.nn.AdaptiveAvgPool2d``: ``(C, H, W)`` to ``(C, *output_size)``.

    >>> from symcnn import nn, Input
    >>> nn.AdaptiveAvgPool2d((1, 1))(Input((2048, "H", "W"))).shape
    (2048, 1, 1)
    """


class AdaptiveAvgPool3d(_AdaptiveNd, _pool.AdaptiveAveragePooling3D):
    """``torch.nn.AdaptiveAvgPool3d``."""


class AdaptiveMaxPool1d(_AdaptiveMaxNd, _pool.AdaptiveMaxPooling1D):
    """``torch.nn.AdaptiveMaxPool1d``."""


class AdaptiveMaxPool2d(_AdaptiveMaxNd, _pool.AdaptiveMaxPooling2D):
    """``torch.nn.AdaptiveMaxPool2d``."""


class AdaptiveMaxPool3d(_AdaptiveMaxNd, _pool.AdaptiveMaxPooling3D):
    """``torch.nn.AdaptiveMaxPool3d``."""
