"""MobileNetV2 (Sandler et al., 2018) with its width multiplier ``alpha``.

As torchvision builds it: a 3x3 stride-2 stem, seventeen inverted residual blocks
(1x1 expansion by ``t``, 3x3 depthwise, linear 1x1 projection, each with batch normalization
and no bias), a 1x1 convolution to the last width, global average pooling and one fully
connected layer. Every width ``c`` becomes ``make_divisible(c*alpha, 8)``
(:func:`symcnn.zoo.scaling.make_divisible`), and the last width is
``make_divisible(1280*max(1, alpha), 8)``. ``alpha=1`` gives 3,504,872 parameters.

``alpha`` may be a number (a float, NumPy's included, rounds as torchvision's float
arithmetic rounds it, a :class:`~fractions.Fraction` exactly: :mod:`symcnn.zoo.scaling`),
or a symbol (not one SymPy reads as a value, such as ``oo`` or ``nan``): the widths then
stay unevaluated ``make_divisible(c*alpha, 8)`` terms and the parameter count is a
polynomial in them, exact for every ``alpha > 0``. One detail cannot follow a symbol: a
stage's first stride-1 block has a residual connection in torchvision when its input and
output widths happen to round to the same value (which happens only for small ``alpha``).
With a symbolic ``alpha`` that connection is left out; it has no parameters and changes no
shape, so every count and shape stays exact.

>>> import symcnn as sc
>>> sc.zoo.mobilenet_v2().trainable_params
3504872
>>> sc.zoo.mobilenet_v2(alpha=0.5).trainable_params
1968680
>>> sc.zoo.mobilenet_v2(include_top=False).output_shape
(ceiling(H/32), ceiling(W/32), 1280)

With a multiplier symbol (:func:`symcnn.multiplier`) the model substitutes decimals and
fractions exactly, and ``sc.solve_budget(..., step=...)`` finds the widest on a grid:

>>> from fractions import Fraction
>>> alpha = sc.multiplier("alpha")
>>> m = sc.zoo.mobilenet_v2(alpha=alpha)
>>> [m.subs(alpha=a).trainable_params for a in ("0.35", "0.75", "1.4")]
[1677128, 2636424, 6108776]
>>> sc.solve_budget(m.trainable_params, 3_000_000, alpha, step=Fraction(1, 20))
17/20
"""

from __future__ import annotations

import sympy

from .. import arith
from ..layers import (Add, BatchNormalization, Conv2D, Dense, DepthwiseConv2D, Dropout,
                      GlobalAveragePooling2D, ReLU)
from ..model import Model
from ._common import check_flag, model_input, name_arg, size_arg
from .scaling import as_multiplier, make_divisible

__all__ = ["mobilenet_v2"]

#: (expansion t, width c, repeats n, first stride s), from the paper's Table 2.
_SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
             (6, 160, 3, 2), (6, 320, 1, 1))


def _conv_bn(x, filters, kernel, name, strides=1, relu6=True):
    padding = (kernel - 1) // 2
    x = Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=False, name=name)(x)
    x = BatchNormalization(epsilon=1e-5, name=f"{name}_bn")(x)
    return ReLU(max_value=6.0, name=f"{name}_relu")(x) if relu6 else x


def _inverted_residual(x, in_channels, out_channels, strides, expansion, name):
    y = x
    if expansion != 1:
        y = _conv_bn(y, expansion * in_channels, 1, f"{name}_expand")
    y = DepthwiseConv2D(3, strides=strides, padding=1, use_bias=False,
                        name=f"{name}_depthwise")(y)
    y = BatchNormalization(epsilon=1e-5, name=f"{name}_depthwise_bn")(y)
    y = ReLU(max_value=6.0, name=f"{name}_depthwise_relu")(y)
    y = _conv_bn(y, out_channels, 1, f"{name}_project", relu6=False)
    if strides == 1 and arith.decide_equal(in_channels, out_channels) is True:
        y = Add(name=f"{name}_add")([x, y])
    return y


def mobilenet_v2(input_shape=None, *, alpha=1.0, classes=1000, include_top: bool = True,
                 name: str | None = None) -> Model:
    """MobileNetV2 with width multiplier ``alpha`` (torchvision's ``width_mult``).

    >>> import symcnn as sc
    >>> m = sc.zoo.mobilenet_v2(alpha="alpha", include_top=False)
    >>> m.get_layer("stem").output_shape
    (ceiling(H/2), ceiling(W/2), make_divisible(32*alpha, 8))
    >>> m.get_layer("stem").params
    27*make_divisible(32*alpha, 8)
    """
    owner = "mobilenet_v2"
    alpha = as_multiplier(alpha, "alpha", owner)
    check_flag(include_top, "include_top", owner)
    inputs = model_input(input_shape, owner)
    channels = make_divisible(32 * alpha, 8)
    x = _conv_bn(inputs, channels, 3, "stem", strides=2)
    block = 0
    for expansion, width, repeats, first_stride in _SETTINGS:
        out_channels = make_divisible(width * alpha, 8)
        for i in range(repeats):
            x = _inverted_residual(x, channels, out_channels, first_stride if i == 0 else 1,
                                   expansion, f"block_{block}")
            channels = out_channels
            block += 1
    last = make_divisible(1280 * sympy.Max(1, alpha), 8)
    x = _conv_bn(x, last, 1, "top_conv")
    if include_top:
        x = GlobalAveragePooling2D(name="avg_pool")(x)
        x = Dropout(0.2, name="top_dropout")(x)
        x = Dense(size_arg(classes, "classes", owner), name="predictions")(x)
    return Model(inputs, x, name=name_arg(name, owner))
