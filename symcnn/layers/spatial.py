"""Helpers shared by layers that work on spatial axes: data formats and padding arguments."""

from __future__ import annotations

from typing import Any

from ..errors import LayerArgumentError, brief
from .base import Layer
from .layout import when_contiguous

__all__ = ["SpatialLayer", "split_channels", "join_channels", "PADDING_MODES"]

DATA_FORMATS = ("channels_last", "channels_first")
#: The padding words: modes, never amounts (a model file passes them through unparsed, and
#: ``ZeroPadding2D("same")`` refuses them rather than make a symbol named ``same``).
PADDING_MODES = ("valid", "same", "causal", "full")


def split_channels(shape: tuple, data_format: str):
    """``(spatial_sizes, channels)`` of a shape in the given data format."""
    if data_format == "channels_first":
        return tuple(shape[1:]), shape[0]
    return tuple(shape[:-1]), shape[-1]


def join_channels(spatial, channels, data_format: str) -> tuple:
    """The shape with ``spatial`` sizes and ``channels`` in the given data format."""
    if data_format == "channels_first":
        return (channels, *spatial)
    return (*spatial, channels)


class SpatialLayer(Layer):
    """A layer with ``rank`` spatial axes and a channel axis placed by ``data_format``."""

    rank: int = 2

    def _data_format(self, value: Any) -> str:
        if value is None:
            return "channels_last"
        return self._choice(value, "data_format", DATA_FORMATS)

    def _meaning(self) -> str:
        axes = {1: "steps", 2: "height, width", 3: "depth, height, width"}[self.rank]
        if self.data_format == "channels_first":
            return f"channels, {axes}"
        return f"{axes}, channels"

    def layout_for(self, input_layouts, input_shapes, output_shapes) -> tuple:
        """Channels first, PyTorch computes on symcnn's axes and writes a new tensor:
        contiguous for a contiguous input. Channels last (``to_torch`` moves the channels
        first around the layer): not stated."""
        if getattr(self, "data_format", None) != "channels_first":
            return (None,) * len(output_shapes)
        return when_contiguous(input_layouts, output_shapes)

    def _expect_spatial(self, shape) -> None:
        self._expect_rank(shape, self.rank + 1, self._meaning())

    def _grouped_input(self, shape, check) -> tuple:
        """``(spatial_sizes, channels)`` of the input of a layer with ``groups`` (the
        convolutions), checked: ``rank`` spatial axes, channels divisible by ``groups``."""
        self._expect_spatial(shape)
        spatial, channels = split_channels(shape, self.data_format)
        if self.groups != 1:
            check.divisible(channels, self.groups,
                            f"the input channels ({channels}) must be divisible by `groups`. "
                            f"Received: groups={self.groups}")
        return spatial, channels

    def _padding(self, value: Any, allowed=("valid", "same")):
        """A padding string, or explicit amounts normalised to ``rank`` ``(left, right)`` pairs.

        Explicit amounts (PyTorch style) may be one int, ``rank`` ints, or ``rank`` pairs.
        """
        if isinstance(value, str):
            return self._choice(value, "padding", allowed)
        rank = self.rank
        if isinstance(value, (tuple, list)):
            if len(value) != rank:
                raise LayerArgumentError(
                    f"{self.type_name}: `padding` must be one of "
                    f"{', '.join(repr(a) for a in allowed)}, an int, or a tuple of {rank} ints "
                    f"or {rank} (left, right) pairs. Received: padding={brief(value)}"
                )
            pairs = []
            for item in value:
                if isinstance(item, (tuple, list)):
                    pairs.append(tuple(self._sizes(item, 2, "padding", minimum=0)))
                else:
                    p = self._size(item, "padding", minimum=0)
                    pairs.append((p, p))
            return tuple(pairs)
        p = self._size(value, "padding", minimum=0)
        return ((p, p),) * rank
