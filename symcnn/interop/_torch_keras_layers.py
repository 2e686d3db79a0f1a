"""PyTorch modules computing what Keras 3 computes on its torch backend for layers
``torch.nn`` has no module for: ``UnitNormalization``, ``Resizing``, ``CenterCrop`` and
``SeparableConv1D``/``SeparableConv2D`` (used by :mod:`._torch_emit` for
``model.to_torch()``), and Keras' padding as PyTorch's modules and ``F.pad`` apply it.

Each runs the same ``torch`` operations as Keras' own code on the torch backend
(``keras.src.ops.nn.normalize``, ``keras.src.backend.torch.image.resize``,
``keras.src.utils.image_utils.smart_resize``), so it gives Keras' values, and states the
symcnn layer it is (``symcnn_layer(name, trainable)``), so ``sc.from_torch`` reads an
export back. The image modules and the separable convolutions take channels-first
``(N, C, ...)`` tensors, as the export gives them.

>>> import torch
>>> KerasResizing(4, 6)(torch.zeros(2, 3, 8, 8)).shape
torch.Size([2, 3, 4, 6])
>>> crop = KerasCenterCrop(4, 6)
>>> crop(torch.zeros(2, 3, 8, 8)).shape, crop(torch.zeros(2, 3, 2, 8)).shape  # a crop, a resize
(torch.Size([2, 3, 4, 6]), torch.Size([2, 3, 4, 6]))
"""

from __future__ import annotations

import functools
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from .. import layers as L
from ..formulas import same_padding
from ._torch_base import module_trainable

__all__ = ["KerasUnitNormalization", "KerasResizing", "KerasCenterCrop", "KerasSeparableConv",
           "TORCH_MODES", "padding_pairs", "own_padding"]

#: Keras' interpolations that its torch backend runs, as ``F.interpolate`` modes.
TORCH_MODES = {"bilinear": "bilinear", "nearest": "nearest-exact", "bicubic": "bicubic"}

#: Keras' ``UnitNormalization`` epsilon: the inverse norm is at most ``1/epsilon``.
_EPSILON = 1e-12


class KerasUnitNormalization(nn.Module):
    """Keras' ``UnitNormalization`` over the PyTorch ``dims``:
    ``x*minimum(rsqrt(sum(x**2, dims)), 1/epsilon)``, Keras' own computation.

    >>> m = KerasUnitNormalization((1,))
    >>> m(torch.tensor([[3.0, 4.0]])).tolist(), m.symcnn_layer("u", True)
    ([[0.6000000238418579, 0.800000011920929]], UnitNormalization(axis=(1,), name='u'))
    """

    def __init__(self, dims) -> None:
        super().__init__()
        self.dims = tuple(dims)

    def forward(self, x):
        square_sum = torch.sum(torch.square(x), dim=self.dims, keepdim=True)
        cap = torch.tensor(1.0 / _EPSILON, dtype=x.dtype, device=x.device)  # made per call,
        return x * torch.minimum(torch.rsqrt(square_sum), cap)  # as Keras makes it

    def symcnn_layer(self, name: str, trainable: bool):
        """What ``from_torch`` reads: Keras' ``UnitNormalization`` over the same axes."""
        return L.UnitNormalization(axis=self.dims, name=name, trainable=trainable)

    def extra_repr(self) -> str:
        return f"dims={self.dims}"


def _resize(x, size, interpolation: str, antialias: bool = False):
    """``F.interpolate`` as Keras' torch backend calls it."""
    antialias = antialias and interpolation in ("bilinear", "bicubic")
    corners = False if interpolation in ("bilinear", "bicubic") else None
    return F.interpolate(x, size=size, mode=TORCH_MODES[interpolation], align_corners=corners,
                         antialias=antialias)


def _aspect_crop(x, height: int, width: int):
    """The largest centred window of ``height/width``'s aspect ratio (Keras' arithmetic)."""
    h, w = x.shape[-2], x.shape[-1]
    crop_h = max(min(h, int(float(w * height) / width)), 1)
    crop_w = max(min(w, int(float(h * width) / height)), 1)
    top, left = int(float(h - crop_h) / 2), int(float(w - crop_w) / 2)
    return x[:, :, top:top + crop_h, left:left + crop_w]


class KerasResizing(nn.Module):
    """Keras' ``Resizing`` on ``(N, C, H, W)``: a crop or padding to the target's aspect
    ratio if asked, then ``F.interpolate`` to ``height x width``."""

    def __init__(self, height: int, width: int, interpolation: str = "bilinear",
                 crop_to_aspect_ratio: bool = False, pad_to_aspect_ratio: bool = False,
                 fill_value: float = 0.0, antialias: bool = False) -> None:
        super().__init__()
        if interpolation not in TORCH_MODES:
            raise ValueError(f"interpolation must be one of {', '.join(TORCH_MODES)}. "
                             f"Received: interpolation={interpolation!r}")
        self.keras = dict(height=height, width=width, interpolation=interpolation,
                          crop_to_aspect_ratio=crop_to_aspect_ratio,
                          pad_to_aspect_ratio=pad_to_aspect_ratio, fill_value=fill_value,
                          antialias=antialias)

    def forward(self, x):
        k = self.keras
        height, width = k["height"], k["width"]
        if k["crop_to_aspect_ratio"]:
            x = _aspect_crop(x, height, width)
        elif k["pad_to_aspect_ratio"]:
            h, w = x.shape[-2], x.shape[-1]
            top = int(float(max(h, int(float(w * height) / width)) - h) / 2)
            left = int(float(max(w, int(float(h * width) / height)) - w) / 2)
            x = F.pad(x, (left, left, top, top), value=float(k["fill_value"]))
        return _resize(x, (height, width), k["interpolation"], k["antialias"])

    def symcnn_layer(self, name: str, trainable: bool):
        """What ``from_torch`` reads: Keras' ``Resizing``, channels first."""
        return L.Resizing(**self.keras, data_format="channels_first", name=name,
                          trainable=trainable)

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.keras.items())


class KerasCenterCrop(nn.Module):
    """Keras' ``CenterCrop`` on ``(N, C, H, W)``: the central ``height x width`` window, or,
    for an input smaller along either axis, Keras' ``smart_resize`` to that size (the
    largest centred window of its aspect ratio, resized bilinearly)."""

    def __init__(self, height: int, width: int) -> None:
        super().__init__()
        self.height, self.width = height, width

    def forward(self, x):
        h_diff, w_diff = x.shape[-2] - self.height, x.shape[-1] - self.width
        if h_diff >= 0 and w_diff >= 0:
            top, left = h_diff // 2, w_diff // 2
            return x[:, :, top:top + self.height, left:left + self.width]
        cropped = _aspect_crop(x, self.height, self.width)
        return _resize(cropped, (self.height, self.width), "bilinear")

    def symcnn_layer(self, name: str, trainable: bool):
        """What ``from_torch`` reads: Keras' ``CenterCrop``, channels first."""
        return L.CenterCrop(self.height, self.width, data_format="channels_first", name=name,
                            trainable=trainable)

    def extra_repr(self) -> str:
        return f"height={self.height}, width={self.width}"


# ------------------------------------------------------------------------------ padding


@functools.lru_cache(maxsize=4096)
def _keras_same(i: int, k_eff: int, s: int) -> tuple:
    """Keras' split of 'same' padding (:func:`symcnn.formulas.same_padding`), as ints."""
    return tuple(int(p) for p in same_padding(i, k_eff, s))


def padding_pairs(padding, spatial, kernel, strides, dilation) -> list:
    """Keras' ``padding`` (``"valid"``, ``"same"``, ``"causal"`` or explicit ``(before,
    after)`` pairs) of each spatial axis of sizes ``spatial``, as ``(before, after)`` ints.

    >>> padding_pairs("same", (7, 8), (3, 3), (2, 2), (1, 1))
    [(1, 1), (0, 1)]
    >>> padding_pairs("causal", (9,), (3,), (1,), (2,))
    [(4, 0)]
    """
    out = []
    for axis, i in enumerate(spatial):
        k_eff = dilation[axis] * (kernel[axis] - 1) + 1
        if padding == "valid":
            out.append((0, 0))
        elif padding == "same":
            out.append(_keras_same(int(i), k_eff, strides[axis]))
        elif padding == "causal":
            out.append((k_eff - 1, 0))
        else:
            out.append(tuple(int(p) for p in padding[axis]))
    return out


def own_padding(padding, kernel, strides, dilation):
    """The padding a PyTorch convolution or pooling module applies itself for Keras'
    ``padding``, one int per axis, where it is symmetric and the same for every input size
    (``valid``, symmetric explicit pairs, ``same`` with stride 1 and an odd window); None
    where ``F.pad`` pads first (:func:`padding_pairs`).

    >>> own_padding("same", (3, 5), (1, 1), (1, 1)), own_padding("same", (3, 3), (2, 2), (1, 1))
    ((1, 2), None)
    """
    if padding == "valid":
        return (0,) * len(kernel)
    if padding == "same":
        windows = [d * (k - 1) for k, d in zip(kernel, dilation)]
        if all(s == 1 for s in strides) and all(w % 2 == 0 for w in windows):
            return tuple(w // 2 for w in windows)
        return None
    if isinstance(padding, str):  # causal: before only
        return None
    pairs = [tuple(int(p) for p in pair) for pair in padding]
    return tuple(a for a, _ in pairs) if all(a == b for a, b in pairs) else None


# ---------------------------------------------------------------- separable convolution


class KerasSeparableConv(nn.Sequential):
    """Keras' ``SeparableConv1D``/``SeparableConv2D`` on ``(N, C, ...)``: Keras' padding, a
    depthwise convolution (``depth_multiplier`` filters per channel, no bias), then a
    pointwise one (1-wide, ``filters`` outputs, the bias), the state dict of the
    ``nn.Sequential`` of the two (``depthwise.weight``, ``pointwise.weight``,
    ``pointwise.bias``). The depthwise convolution pads where its own ``padding`` can say
    Keras' (:func:`own_padding`); elsewhere ``F.pad`` pads first by Keras' split for the
    input's size (:func:`padding_pairs`), so the module is Keras' layer on any input size.
    Keras' ``activation`` is not part of it (the export applies it after the module).

    >>> m = KerasSeparableConv(3, 8, (3, 3), strides=(2, 2), padding="same")
    >>> m(torch.zeros(1, 3, 7, 8)).shape, sorted(m.state_dict())
    (torch.Size([1, 8, 4, 4]), ['depthwise.weight', 'pointwise.bias', 'pointwise.weight'])
    >>> m.symcnn_layer("sep", True)
    SeparableConv2D(filters=8, kernel_size=(3, 3), strides=(2, 2), padding='same',
    data_format='channels_first', dilation_rate=(1, 1), depth_multiplier=1, activation=None,
    use_bias=True, name='sep')
    """

    def __init__(self, channels: int, filters: int, kernel_size, strides=None, padding="valid",
                 dilation_rate=None, depth_multiplier: int = 1, use_bias: bool = True) -> None:
        kernel = tuple(kernel_size)
        rank = len(kernel)
        strides = tuple(strides or (1,) * rank)
        dilation = tuple(dilation_rate or (1,) * rank)
        own = own_padding(padding, kernel, strides, dilation)
        conv = getattr(nn, f"Conv{rank}d")
        mid = channels * depth_multiplier
        super().__init__(OrderedDict(
            depthwise=conv(channels, mid, kernel, strides, own or 0, dilation, groups=channels,
                           bias=False),
            pointwise=conv(mid, filters, 1, bias=use_bias)))
        self.pads_first = own is None
        self.keras = dict(filters=filters, kernel_size=kernel, strides=strides, padding=padding,
                          dilation_rate=dilation, depth_multiplier=depth_multiplier,
                          use_bias=use_bias)

    def forward(self, x):
        if self.pads_first:
            k = self.keras
            pairs = padding_pairs(k["padding"], x.shape[2:], k["kernel_size"], k["strides"],
                                  k["dilation_rate"])
            if any(a or b for a, b in pairs):
                x = F.pad(x, [p for pair in reversed(pairs) for p in pair])
        return super().forward(x)

    def symcnn_layer(self, name: str, trainable: bool):
        """What ``from_torch`` reads: Keras' separable convolution, channels first; it
        trains if both convolutions do (a symcnn layer trains all its weights or none)."""
        cls = getattr(L, f"SeparableConv{len(self.keras['kernel_size'])}D")
        trainable = trainable and module_trainable(self, cls.__name__)
        return cls(**self.keras, data_format="channels_first", name=name, trainable=trainable)

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.keras.items())
