"""Image preprocessing layers that fix the output's spatial size: ``Resizing`` and
``CenterCrop`` (Keras 3).

Both take images of rank 3 (``(H, W, C)``, or ``(C, H, W)`` with
``data_format="channels_first"``) and give ``height x width`` images of the same channels,
whatever the input's size: no weights, no multiply-accumulates (interpolation weighs a few
neighbours by fixed coefficients, as ``UpSampling2D(interpolation="bilinear")`` does, which
``FlopCounterMode`` does not count), and nothing kept for backward (Keras 3 on the torch
backend keeps no tensor for the gradient of an interpolation or a crop).

>>> import symcnn as sc
>>> m = sc.Sequential([sc.Input(("H", "W", 3)), sc.Resizing(224, 224), sc.Conv2D(8, 3)])
>>> m.output_shape, m.macs
((222, 222, 8), 10645344)
"""

from __future__ import annotations

from typing import Any

import sympy

from .. import formulas
from ..arith import floor_div
from ..derivation import blocks as d
from ..errors import LayerArgumentError, brief
from ..signs import prove_nonnegative
from ..windows import NotAWindow, Window
from .base import Checker, real_number
from .layout import reads_cuts, sliced
from .saved import NOTHING
from .spatial import SpatialLayer, join_channels, split_channels

__all__ = ["Resizing", "CenterCrop"]

#: Keras' interpolations for ``Resizing`` ("area" is TensorFlow's; the torch backend has
#: neither it nor the Lanczos ones).
INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5", "area")


class _ImageSize(SpatialLayer):
    """An image layer whose output is ``height x width``, its channels kept."""

    rank = 2
    #: What the derivation notes about the output size.
    _how = ""

    def _target(self, height, width, data_format) -> None:
        self._set(height=self._size(height, "height"), width=self._size(width, "width"),
                  data_format=self._data_format(data_format))

    def output_shape_for(self, shape, check: Checker):
        self._expect_spatial(shape)
        _, channels = split_channels(shape, self.data_format)
        return join_channels((self.height, self.width), channels, self.data_format)

    def derivation_for(self, b, input_shapes, output_shape):
        for axis, pos in enumerate(d.spatial_positions(self.rank, self.data_format)):
            O = d.hp("O", d.SUBS[self.rank][axis])
            b.add(f"{d.AXES[self.rank][axis]}_out", O,
                  {O: (self.height, self.width)[axis]}, output_shape[pos])
        b.note(self._how)
        return sympy.Integer(0), {}

    def macs_for(self, input_shapes, output_shape) -> sympy.Expr:
        """No multiply-accumulates: interpolation and cropping have no weights."""
        return sympy.Integer(0)

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """Nothing: Keras 3 on the torch backend keeps no tensor for the gradient of an
        interpolation or a slice (measured with ``saved_tensors_hooks``)."""
        return NOTHING


class Resizing(_ImageSize):
    """Resize images to ``height x width`` (Keras ``Resizing``): the channels are kept and
    the spatial size is the arguments', whatever the input's.

    ``interpolation`` is one of ``"bilinear"`` (the default), ``"nearest"``, ``"bicubic"``,
    ``"lanczos3"``, ``"lanczos5"`` and ``"area"``; ``crop_to_aspect_ratio`` (crop the
    largest centred window of the target's aspect ratio first) and ``pad_to_aspect_ratio``
    (pad the short side with ``fill_value`` first) exclude each other, as in Keras; neither
    changes the output's shape. The receptive field is undefined after it (an output
    position interpolates input positions at the ratio of the sizes).

    >>> import symcnn as sc
    >>> sc.Resizing(128, 96, data_format="channels_first")(sc.Input((3, "H", "W"))).shape
    (3, 128, 96)
    >>> sc.Resizing(64, 64, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    Traceback (most recent call last):
    ...
    symcnn.errors.LayerArgumentError: Resizing: only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio` can be True, as Keras requires. Received: crop_to_aspect_ratio=True, pad_to_aspect_ratio=True
    """

    interpolation = "bilinear"
    crop_to_aspect_ratio = False
    pad_to_aspect_ratio = False
    fill_mode = "constant"
    fill_value = 0.0
    antialias = False
    _how = "Resizing: the output size is the given height and width, whatever the input."

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0,
                 antialias=False, data_format=None, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self._target(height, width, data_format)
        crop = self._flag(crop_to_aspect_ratio, "crop_to_aspect_ratio")
        pad = self._flag(pad_to_aspect_ratio, "pad_to_aspect_ratio")
        if crop and pad:
            raise LayerArgumentError(
                "Resizing: only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio` can be "
                "True, as Keras requires. Received: crop_to_aspect_ratio=True, "
                "pad_to_aspect_ratio=True")
        if not real_number(fill_value):
            raise LayerArgumentError(f"Resizing: `fill_value` must be a number. "
                                     f"Received: fill_value={brief(fill_value)}")
        given = {"interpolation": self._choice(interpolation, "interpolation", INTERPOLATIONS),
                 "crop_to_aspect_ratio": crop, "pad_to_aspect_ratio": pad,
                 "fill_mode": self._choice(fill_mode, "fill_mode", ("constant",)),
                 "fill_value": fill_value, "antialias": self._flag(antialias, "antialias")}
        # in the config where they differ from Keras' defaults, so that a plain layer's
        # config, repr and model-file entry stay short
        self._set(**{k: v for k, v in given.items() if v != getattr(type(self), k)})

    def window_for(self, input_shape):
        """Not a window: an output position interpolates input positions at the ratio of
        the sizes (after a crop or padding to the aspect ratio)."""
        return None

    def ptflops_ops_for(self, input_shapes, output_shape):
        """ptflops: one per output element, as its hook counts ``torch.nn.Upsample``
        (``UpSampling2D`` counts the same)."""
        return formulas.elements(output_shape)


class CenterCrop(_ImageSize):
    """Crop the central ``height x width`` window of images (Keras ``CenterCrop``).

    As Keras 3 does, an input smaller than the target along either axis is not padded: it
    is resized instead (Keras' ``smart_resize``: the largest centred window of the target's
    aspect ratio, interpolated bilinearly to ``height x width``). The output is
    ``height x width`` either way. Where the input is at least the target along both axes,
    output position ``o`` reads input position ``o + floor((i - t)/2)`` (``i`` the input's
    size, ``t`` the target's), a window of 1; elsewhere, and where the symbols leave it
    open, the receptive field is undefined.

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input((256, 256, 3)), sc.CenterCrop(224, 224), sc.Conv2D(8, 3)])
    >>> m.output_shape, m.receptive_field
    ((222, 222, 8), (AxisField(size=3, jump=1, start=16), AxisField(size=3, jump=1, start=16)))
    >>> sc.CenterCrop(224, 224)(sc.Input((200, 300, 3))).shape       # resized, not padded
    (224, 224, 3)
    """

    output_is_view = True  # a slice of the input where it crops (output_copy_for)
    _how = ("CenterCrop: the output size is the given height and width; an input smaller "
            "than that along either axis is resized to it (Keras' smart_resize).")

    def __init__(self, height, width, data_format=None, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self._target(height, width, data_format)

    def _cuts(self, shape) -> tuple:
        """Per spatial axis, ``input - target``: what the crop removes."""
        spatial, _ = split_channels(shape, self.data_format)
        return tuple(sympy.expand(i - t) for i, t in zip(spatial, (self.height, self.width)))

    def crops(self, shape) -> bool | None:
        """Whether the layer crops an input of ``shape`` (True: at least the target along
        both axes), resizes it (False), or the symbols leave it open (None).

        >>> from symcnn import symbols
        >>> H = symbols("H")
        >>> [CenterCrop(224, 224).crops(s) for s in [(256, 256, 3), (H, 300, 3), (H, 200, 3)]]
        [True, None, False]
        """
        cuts = self._cuts(shape)
        if all(prove_nonnegative(c) for c in cuts):
            return True
        if any(prove_nonnegative(-c - 1) for c in cuts):
            return False
        return None

    def window_for(self, input_shape):
        """Where it crops: output ``o`` reads ``o + floor((i - t)/2)`` (a 1-wide window);
        where it resizes, or may: not a window."""
        if not self.crops(input_shape):
            return None
        return join_channels(tuple(Window(1, pad_before=-floor_div(c, 2))
                                   for c in self._cuts(input_shape)),
                             NotAWindow(), self.data_format)

    def output_copy_for(self, input_layouts, input_shapes, output_shapes, batch):
        """0 where it crops (Keras slices the input: a view of it), 1 where it resizes (a
        new tensor); where the symbols leave it open, 1 exactly at the sizes below the
        target along an axis (``Min(1, Max(0, t - i))`` for each)."""
        crops = self.crops(input_shapes[0])
        if crops is not None:
            return sympy.Integer(0 if crops else 1)
        fits = sympy.Integer(1)
        for cut in self._cuts(input_shapes[0]):
            if not prove_nonnegative(cut):
                fits *= 1 - sympy.Min(1, sympy.Max(0, -cut))
        return sympy.expand(1 - fits)

    @reads_cuts
    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """Where it crops, the input's memory with a gap along each axis cut short (a
        :class:`~symcnn.layers.layout.Cut` where the input's layout is not known: a
        ``Dense`` after a crop of both spatial axes keeps a copy of the crop, whatever the
        order); where it resizes, as the other spatial layers (contiguous channels first);
        not stated where the symbols leave either open.

        >>> import symcnn as sc
        >>> m = sc.Sequential([sc.Input((10, 12, 3)), sc.Conv2D(3, 3), sc.CenterCrop(6, 6),
        ...                    sc.Dense(2)])
        >>> m.training_memory(batch="B").activations   # the input, the crop's copy
        1872*B
        """
        shape = input_shapes[0]
        crops = self.crops(shape)
        if crops is False:
            return super().layout_for(input_layouts, input_shapes, output_shapes)
        cuts = self._cuts(shape)
        if not crops or not all(c == 0 or prove_nonnegative(c - 1) for c in cuts):
            return (None,)
        first = 2 if self.data_format == "channels_first" else 1
        return (sliced(input_layouts[0], [first + axis for axis, c in enumerate(cuts) if c != 0]),)
