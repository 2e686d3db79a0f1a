"""``Conv1d/2d/3d`` and ``ConvTranspose1d/2d/3d`` with PyTorch's arguments, channels first."""

from __future__ import annotations

from .. import formulas
from ..errors import LayerArgumentError, brief
from ..layers import conv as _conv
from ..layers.base import Checker
from ..layers.saved import torch_conv_input_kept
from ..symbols import as_size, as_size_tuple
from ._base import TorchLayer, check_wrapping_pad, compact, flag, torch_padding

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]


def _check_groups(owner, in_channels, out_channels, groups) -> None:
    for arg, value in (("in_channels", in_channels), ("out_channels", out_channels)):
        if value.is_Integer and groups.is_Integer and value % groups:
            raise LayerArgumentError(f"{owner}: `{arg}` must be divisible by `groups`. "
                                     f"Received: {arg}={value}, groups={groups}")


class _ConvNd(TorchLayer):
    _optional = (("stride", 1), ("padding", 0), ("dilation", 1), ("groups", 1), ("bias", True),
                 ("padding_mode", "zeros"))
    paddings = ("valid", "same")  # PyTorch has no "causal"

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=None, name: str | None = None, trainable: bool = True) -> None:
        t, rank = self.type_name, self.rank
        in_channels = as_size(in_channels, "in_channels", t)
        out_channels = as_size(out_channels, "out_channels", t)
        strides = as_size_tuple(stride, rank, "stride", t)
        as_size_tuple(dilation, rank, "dilation", t)
        groups = as_size(groups, "groups", t)
        _check_groups(t, in_channels, out_channels, groups)
        if padding == "same" and any(s != 1 for s in strides):
            raise LayerArgumentError(f"{t}: padding='same' is not supported for strided "
                                     f"convolutions. Received: padding='same', "
                                     f"stride={compact(strides)}")
        super().__init__(out_channels, kernel_size, strides=stride, padding=padding,
                         data_format="channels_first", dilation_rate=dilation, groups=groups,
                         use_bias=flag(t, bias, "bias"), name=name, trainable=trainable)
        self._set(in_channels=in_channels,
                  padding_mode=self._choice(padding_mode, "padding_mode",
                                            ("zeros", "reflect", "replicate", "circular")))
        self._torch_config(in_channels=in_channels, out_channels=self.filters,
                           kernel_size=self.kernel_size, stride=self.strides,
                           padding=torch_padding(self.padding), dilation=self.dilation_rate,
                           groups=self.groups, bias=self.use_bias,
                           padding_mode=self.padding_mode)

    def _check_input(self, shape, check: Checker) -> None:
        self._expect_spatial(shape)
        self._declared(check, shape[0], self.in_channels, "in_channels", "channels")
        if self.padding_mode in ("reflect", "circular") and self.padding != "valid":
            received = f"padding={brief(compact(self._torch['padding']))}, " \
                       f"padding_mode={brief(self.padding_mode)}"
            for axis, size in enumerate(shape[1:]):
                pair = formulas.same_padding(size, self.kernel_size[axis], 1,
                                             self.dilation_rate[axis]) \
                    if self.padding == "same" else self.padding[axis]  # PyTorch's split too
                check_wrapping_pad(check, self.padding_mode, size, pair, axis + 2, received)

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """The input, or the copy PyTorch pads it into first (``padding_mode``, ``same``
        with an even window): :func:`symcnn.layers.saved.torch_conv_input_kept`."""
        return torch_conv_input_kept(self, input_shapes[0])


class Conv1d(_ConvNd, _conv.Conv1D):
    """``torch.nn.Conv1d``: input ``(C_in, L)``.

    >>> from symcnn import nn, Input
    >>> nn.Conv1d(16, 33, 3, stride=2)(Input((16, "L"))).shape
    (33, ceiling(L/2) - 1)
    """


class Conv2d(_ConvNd, _conv.Conv2D):
    """``torch.nn.Conv2d``: input ``(C_in, H, W)``; ``in_channels`` is checked.

    >>> from symcnn import nn, Input
    >>> nn.Conv2d(3, 64, 3, padding=1)(Input((3, "H", "W"))).shape
    (64, H, W)
    >>> nn.Conv2d(3, 64, 3, stride=2)
    Conv2d(in_channels=3, out_channels=64, kernel_size=3, stride=2)
    """


class Conv3d(_ConvNd, _conv.Conv3D):
    """``torch.nn.Conv3d``: input ``(C_in, D, H, W)``.

    >>> from symcnn import nn, Input
    >>> nn.Conv3d(1, 8, 3)(Input((1, 16, 16, 16))).shape
    (8, 14, 14, 14)
    """


class _ConvTransposeNd(TorchLayer):
    _optional = (("stride", 1), ("padding", 0), ("output_padding", 0), ("groups", 1),
                 ("bias", True), ("dilation", 1), ("padding_mode", "zeros"))

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None, name: str | None = None, trainable: bool = True):
        t, rank = self.type_name, self.rank
        in_channels = as_size(in_channels, "in_channels", t)
        out_channels = as_size(out_channels, "out_channels", t)
        groups = as_size(groups, "groups", t)
        _check_groups(t, in_channels, out_channels, groups)
        if isinstance(padding, str):
            raise LayerArgumentError(f"{t}: `padding` must be an int or a tuple of ints. "
                                     f"Received: padding={brief(padding)}")
        as_size_tuple(stride, rank, "stride", t)
        as_size_tuple(dilation, rank, "dilation", t)
        super().__init__(out_channels, kernel_size, strides=stride, padding=padding,
                         output_padding=output_padding, data_format="channels_first",
                         dilation_rate=dilation, groups=groups,
                         use_bias=flag(t, bias, "bias"), name=name, trainable=trainable)
        self._set(in_channels=in_channels,
                  padding_mode=self._choice(padding_mode, "padding_mode", ("zeros",)))
        self._torch_config(in_channels=in_channels, out_channels=self.filters,
                           kernel_size=self.kernel_size, stride=self.strides,
                           padding=torch_padding(self.padding),
                           output_padding=self.output_padding, groups=self.groups,
                           bias=self.use_bias, dilation=self.dilation_rate,
                           padding_mode=self.padding_mode)

    def _check_input(self, shape, check: Checker) -> None:
        self._expect_spatial(shape)
        self._declared(check, shape[0], self.in_channels, "in_channels", "channels")


class ConvTranspose1d(_ConvTransposeNd, _conv.Conv1DTranspose):
    """``torch.nn.ConvTranspose1d``: input ``(C_in, L)``.

    >>> from symcnn import nn, Input
    >>> nn.ConvTranspose1d(8, 4, 4, stride=2, padding=1)(Input((8, "L"))).shape
    (4, 2*L)
    """


class ConvTranspose2d(_ConvTransposeNd, _conv.Conv2DTranspose):
    """``torch.nn.ConvTranspose2d``: ``(i - 1)*s - 2p + d*(k - 1) + output_padding + 1``.

    >>> from symcnn import nn, Input
    >>> nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1)(Input((16, "H", "W"))).shape
    (8, 2*H, 2*W)
    """


class ConvTranspose3d(_ConvTransposeNd, _conv.Conv3DTranspose):
    """``torch.nn.ConvTranspose3d``: input ``(C_in, D, H, W)``.

    >>> from symcnn import nn, Input
    >>> nn.ConvTranspose3d(8, 4, 2, stride=2)(Input((8, 4, 4, 4))).shape
    (4, 8, 8, 8)
    """
