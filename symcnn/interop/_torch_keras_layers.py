"""PyTorch modules computing what Keras 3 computes on its torch backend for layers
``torch.nn`` has no module for: ``UnitNormalization``, ``Resizing`` and ``CenterCrop``
(used by :mod:`._torch_emit` for ``model.to_torch()``).

Each runs the same ``torch`` operations as Keras' own code on the torch backend
(``keras.src.ops.nn.normalize``, ``keras.src.backend.torch.image.resize``,
``keras.src.utils.image_utils.smart_resize``), so it gives Keras' values, and states the
symcnn layer it is (``symcnn_layer(name, trainable)``), so ``sc.from_torch`` reads an
export back. The image modules take channels-first ``(N, C, H, W)`` tensors, as the export
gives them.

>>> import torch
>>> KerasResizing(4, 6)(torch.zeros(2, 3, 8, 8)).shape
torch.Size([2, 3, 4, 6])
>>> crop = KerasCenterCrop(4, 6)
>>> crop(torch.zeros(2, 3, 8, 8)).shape, crop(torch.zeros(2, 3, 2, 8)).shape  # a crop, a resize
(torch.Size([2, 3, 4, 6]), torch.Size([2, 3, 4, 6]))
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .. import layers as L

__all__ = ["KerasUnitNormalization", "KerasResizing", "KerasCenterCrop", "TORCH_MODES"]

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
