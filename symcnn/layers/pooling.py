"""Pooling layers: Max/Average pooling 1D/2D/3D and their global versions.

``strides`` defaults to ``pool_size`` as in Keras. Beyond Keras, ``padding`` accepts explicit
amounts and ``ceil_mode=True`` rounds up as PyTorch does (used by :mod:`symcnn.nn`).

>>> import symcnn as sc
>>> sc.MaxPooling2D(2)(sc.Input((29, 29, 16))).shape
(14, 14, 16)
>>> sc.MaxPooling2D(2)(sc.Input(("H", "W", 16))).shape
(floor(H/2), floor(W/2), 16)
"""

from __future__ import annotations

from typing import Any

import sympy

from .. import formulas
from ..derivation import blocks as d
from ..derivation.blocks import sym
from ..errors import LayerArgumentError, brief
from ..structural import expanded
from ..windows import Adaptive, NotAWindow, Whole, Window
from .base import Checker, format_shape
from .saved import NOTHING, kept_input, kept_new, kept_output, window_input_kept
from .spatial import SpatialLayer, join_channels, split_channels

__all__ = [
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
    "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D",
]


class _Pooling(SpatialLayer):
    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None,
                 name: str | None = None, ceil_mode: bool = False, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        rank = self.rank
        self._set(pool_size=self._sizes(pool_size, rank, "pool_size"))
        self._set(
            strides=self.pool_size if strides is None else self._sizes(strides, rank, "strides"),
            padding=self._padding(padding),
            data_format=self._data_format(data_format),
            ceil_mode=self._flag(ceil_mode, "ceil_mode"),
        )
        if self.ceil_mode and self.padding == "same":
            raise LayerArgumentError(
                f"{self.type_name}: `ceil_mode` applies to 'valid' or explicit padding only. "
                f"Received: padding='same', ceil_mode=True"
            )
        if not isinstance(self.padding, str):
            for pair, k in zip(self.padding, self.pool_size):
                for p in pair:
                    if (2 * p > k) is sympy.true:
                        raise LayerArgumentError(
                            f"{self.type_name}: explicit padding must be at most half the pool "
                            f"size. Received: padding={pair}, pool_size={format_shape(self.pool_size)}"
                        )

    def get_config(self) -> dict:
        config = super().get_config()
        if not config["ceil_mode"]:
            del config["ceil_mode"]
        return config

    def output_shape_for(self, shape, check: Checker):
        self._expect_spatial(shape)
        spatial, channels = split_channels(shape, self.data_format)
        out = []
        for axis, i in enumerate(spatial):
            k, s = self.pool_size[axis], self.strides[axis]
            p = self.padding if isinstance(self.padding, str) else self.padding[axis]
            padded, extent = formulas.window_requirement(i, k, p)
            # PyTorch's ceil_mode lets the last window overhang the end by less than a stride
            slack = s - 1 if self.ceil_mode else 0
            check.at_least(
                expanded(padded + slack), extent,
                lambda: f"pool_size is larger than the input along spatial axis {axis}: the window "
                f"spans {extent} but the input has {padded}"
                f"{f' (+ {slack} with ceil_mode)' if slack else ''}. "
                f"Received: pool_size={format_shape(self.pool_size)}",
            )
            out.append(formulas.window_output_size(i, k, s, p, 1, self.ceil_mode))
        return join_channels(tuple(out), channels, self.data_format)

    def window_for(self, input_shape):
        spatial, _ = split_channels(input_shape, self.data_format)
        dilation = getattr(self, "dilation", None)  # PyTorch's max pooling has one
        windows = []
        for axis, i in enumerate(spatial):
            k, s = self.pool_size[axis], self.strides[axis]
            p = self.padding if isinstance(self.padding, str) else self.padding[axis]
            before = formulas.same_padding_before(i, k, s) if p == "same" else \
                formulas.padding_amounts(p, k)[0]
            windows.append(Window(k, s, dilation[axis] if dilation else 1, before))
        return join_channels(tuple(windows), NotAWindow(), self.data_format)

    def ptflops_ops_for(self, input_shapes, output_shape):
        """ptflops: one operation per input element."""
        return formulas.elements(input_shapes[0])

    def derivation_for(self, b, input_shapes, output_shape):
        d.window_steps(b, self, input_shapes[0], output_shape, self.pool_size,
                       getattr(self, "dilation", None), ceil_mode=self.ceil_mode)
        return sympy.Integer(0), {}

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """Max pooling keeps its input and the int64 indices of the maxima, average pooling
        its input; adaptive average pooling to one position (PyTorch's mean) keeps nothing."""
        adaptive = hasattr(self, "output_size")
        source = kept_input() if adaptive else window_input_kept(self, input_shapes[0])
        if "Max" in type(self).__name__:
            return source, kept_new(formulas.prod(output_shapes[0]), "int64")
        spatial, _ = split_channels(output_shapes[0], self.data_format)
        mean = adaptive and self.rank < 3 and all(o == 1 for o in spatial)
        return NOTHING if mean else (source,)


class MaxPooling1D(_Pooling):
    """Max pooling over steps (Keras ``MaxPooling1D``).

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input(("T", 16)), sc.MaxPooling1D(3, strides=2)]).output_shape
    (ceiling(T/2) - 1, 16)
    """

    rank = 1


class MaxPooling2D(_Pooling):
    """Max pooling over height and width (Keras ``MaxPooling2D``).

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input(("H", "W", 3)), sc.MaxPooling2D(2)]).output_shape
    (floor(H/2), floor(W/2), 3)
    >>> m = sc.Sequential([sc.Input(("H", "W", 3)), sc.MaxPooling2D(3, strides=2, padding="same")])
    >>> m.output_shape
    (ceiling(H/2), ceiling(W/2), 3)
    """

    rank = 2


class MaxPooling3D(_Pooling):
    """Max pooling over depth, height and width (Keras ``MaxPooling3D``).

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input(("D", "H", "W", 8)), sc.MaxPooling3D(2)]).output_shape
    (floor(D/2), floor(H/2), floor(W/2), 8)
    """

    rank = 3


class AveragePooling1D(_Pooling):
    """Average pooling over steps (Keras ``AveragePooling1D``).

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input(("T", 16)), sc.AveragePooling1D(4)]).output_shape
    (floor(T/4), 16)
    """

    rank = 1


class AveragePooling2D(_Pooling):
    """Average pooling over height and width (Keras ``AveragePooling2D``).

    >>> import symcnn as sc
    >>> x = sc.Input(("H", "W", 32))
    >>> sc.AveragePooling2D(3, strides=1, padding="same")(x).shape
    (H, W, 32)
    >>> sc.Sequential([sc.Input((7, 7, 32)), sc.AveragePooling2D(2)]).output_shape
    (3, 3, 32)
    """

    rank = 2


class AveragePooling3D(_Pooling):
    """Average pooling over depth, height and width (Keras ``AveragePooling3D``).

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input(("D", "H", "W", 8)), sc.AveragePooling3D((1, 2, 2))]).output_shape
    (D, floor(H/2), floor(W/2), 8)
    """

    rank = 3


class _GlobalPooling(SpatialLayer):
    def __init__(self, data_format=None, keepdims: bool = False, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self._set(data_format=self._data_format(data_format),
                  keepdims=self._flag(keepdims, "keepdims"))

    def output_shape_for(self, shape, check: Checker):
        self._expect_spatial(shape)
        spatial, channels = split_channels(shape, self.data_format)
        if self.keepdims:
            return join_channels((sympy.Integer(1),) * len(spatial), channels, self.data_format)
        return (channels,)

    def saved_for_backward(self, input_shapes, output_shapes) -> tuple:
        """A global maximum (PyTorch's ``amax``) keeps its input and output; a mean nothing."""
        return (kept_input(), kept_output()) if "Max" in type(self).__name__ else NOTHING


    def window_for(self, input_shape):
        spatial, _ = split_channels(input_shape, self.data_format)
        return join_channels((Whole(self.keepdims),) * len(spatial), NotAWindow(),
                             self.data_format)

    def ptflops_ops_for(self, input_shapes, output_shape):
        """ptflops: one operation per input element."""
        return formulas.elements(input_shapes[0])

    def derivation_for(self, b, input_shapes, output_shape):
        cpos = d.channel_position(self.rank, self.data_format)
        C = sym("C_in")
        if self.keepdims:
            b.note("With keepdims=True every spatial axis is kept, with size 1.")
        else:
            b.add("N_out", C, {C: input_shapes[0][cpos]}, output_shape[0])
            b.note("One value per channel: the spatial axes are reduced away.")
        return sympy.Integer(0), {}

class GlobalMaxPooling1D(_GlobalPooling):
    """Maximum over all steps (Keras ``GlobalMaxPooling1D``).

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input(("T", 64)), sc.GlobalMaxPooling1D()]).output_shape
    (64,)
    """

    rank = 1


class GlobalMaxPooling2D(_GlobalPooling):
    """Maximum over height and width (Keras ``GlobalMaxPooling2D``).

    >>> import symcnn as sc
    >>> sc.GlobalMaxPooling2D()(sc.Input(("H", "W", 128))).shape
    (128,)
    """

    rank = 2


class GlobalMaxPooling3D(_GlobalPooling):
    """Maximum over depth, height and width (Keras ``GlobalMaxPooling3D``).

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input(("D", "H", "W", 32)), sc.GlobalMaxPooling3D()]).output_shape
    (32,)
    """

    rank = 3


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over all steps (Keras ``GlobalAveragePooling1D``).

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input(("T", 64)), sc.GlobalAveragePooling1D()]).output_shape
    (64,)
    """

    rank = 1


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over height and width (Keras ``GlobalAveragePooling2D``).

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input(("H", "W", 512)), sc.GlobalAveragePooling2D()]).output_shape
    (512,)
    >>> m = sc.Sequential([sc.Input(("H", "W", 512)), sc.GlobalAveragePooling2D(keepdims=True)])
    >>> m.output_shape
    (1, 1, 512)
    """

    rank = 2


class GlobalAveragePooling3D(_GlobalPooling):
    """Mean over depth, height and width (Keras ``GlobalAveragePooling3D``).

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input(("D", "H", "W", 32)), sc.GlobalAveragePooling3D()]).output_shape
    (32,)
    """

    rank = 3


class _AdaptivePooling(SpatialLayer):
    """Pooling to a fixed ``output_size`` whatever the input size (Keras 3.11+, PyTorch).

    ``output_size`` is one size or one per spatial axis. Beyond Keras, an entry may be
    ``None`` to keep that axis' input size, as in PyTorch's ``AdaptiveAvgPool2d((7, None))``.
    """

    def __init__(self, output_size, data_format=None, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        rank = self.rank
        if output_size is None:
            raise LayerArgumentError(
                f"{self.type_name}: `output_size` must be a size or a tuple of {rank} sizes "
                f"(None keeps an axis). Received: output_size=None"
            )
        if isinstance(output_size, (tuple, list)):
            if len(output_size) != rank:
                raise LayerArgumentError(
                    f"{self.type_name}: `output_size` must be a single size or a tuple of "
                    f"{rank}. Received: output_size={brief(output_size)}"
                )
            sizes = tuple(None if o is None else self._size(o, "output_size")
                          for o in output_size)
        else:
            sizes = (self._size(output_size, "output_size"),) * rank
        self._set(output_size=sizes, data_format=self._data_format(data_format))

    def output_shape_for(self, shape, check: Checker):
        self._expect_spatial(shape)
        spatial, channels = split_channels(shape, self.data_format)
        out = tuple(i if o is None else o for i, o in zip(spatial, self.output_size))
        return join_channels(out, channels, self.data_format)

    saved_for_backward = _Pooling.saved_for_backward


    def window_for(self, input_shape):
        """PyTorch's adaptive windows: output ``o`` of ``m`` reads ``floor(o*i/m)`` to
        ``ceiling((o + 1)*i/m) - 1``."""
        spatial, _ = split_channels(input_shape, self.data_format)
        maps = tuple(None if m is None else Whole() if m == 1 else Adaptive(m)
                     for m in self.output_size)
        return join_channels(maps, NotAWindow(), self.data_format)

    def ptflops_ops_for(self, input_shapes, output_shape):
        """ptflops: one operation per input element."""
        return formulas.elements(input_shapes[0])

    def derivation_for(self, b, input_shapes, output_shape):
        for axis, pos in enumerate(d.spatial_positions(self.rank, self.data_format)):
            if self.output_size[axis] is not None:
                sub = d.SUBS[self.rank][axis]
                O = d.hp("O", sub)
                b.add(f"{d.AXES[self.rank][axis]}_out", O, {O: self.output_size[axis]},
                      output_shape[pos])
        b.note("Adaptive pooling: the output size is the given output_size, whatever the input.")
        return sympy.Integer(0), {}

class AdaptiveAveragePooling1D(_AdaptivePooling):
    """Average pooling to ``output_size`` steps (Keras ``AdaptiveAveragePooling1D``).

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input(("T", 16)), sc.AdaptiveAveragePooling1D(4)]).output_shape
    (4, 16)
    """

    rank = 1


class AdaptiveAveragePooling2D(_AdaptivePooling):
    """Average pooling to an ``output_size`` grid (Keras ``AdaptiveAveragePooling2D``,
    PyTorch ``AdaptiveAvgPool2d``).

    >>> import symcnn as sc
    >>> sc.AdaptiveAveragePooling2D(7)(sc.Input(("H", "W", 512))).shape
    (7, 7, 512)
    >>> sc.AdaptiveAveragePooling2D((1, None), data_format="channels_first")(sc.Input((8, "H", "W"))).shape
    (8, 1, W)
    """

    rank = 2


class AdaptiveAveragePooling3D(_AdaptivePooling):
    """Average pooling to an ``output_size`` volume (Keras ``AdaptiveAveragePooling3D``).

    >>> import symcnn as sc
    >>> m = sc.Sequential([sc.Input(("D", "H", "W", 8)), sc.AdaptiveAveragePooling3D((2, 4, 4))])
    >>> m.output_shape
    (2, 4, 4, 8)
    """

    rank = 3


class AdaptiveMaxPooling1D(_AdaptivePooling):
    """Max pooling to ``output_size`` steps (Keras ``AdaptiveMaxPooling1D``).

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input(("T", 16)), sc.AdaptiveMaxPooling1D(1)]).output_shape
    (1, 16)
    """

    rank = 1


class AdaptiveMaxPooling2D(_AdaptivePooling):
    """Max pooling to an ``output_size`` grid (Keras ``AdaptiveMaxPooling2D``).

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input(("H", "W", 512)), sc.AdaptiveMaxPooling2D(7)]).output_shape
    (7, 7, 512)
    """

    rank = 2


class AdaptiveMaxPooling3D(_AdaptivePooling):
    """Max pooling to an ``output_size`` volume (Keras ``AdaptiveMaxPooling3D``).

    >>> import symcnn as sc
    >>> sc.Sequential([sc.Input(("D", "H", "W", 8)), sc.AdaptiveMaxPooling3D(2)]).output_shape
    (2, 2, 2, 8)
    """

    rank = 3
