"""MobileNetV3-Large and -Small (Howard et al., 2019) with a width multiplier, as torchvision.

A 3x3 stride-2 stem with hard swish, the inverted residual blocks of the paper's Tables 1
and 2 (a 1x1 expansion unless the expanded width equals the input width, a depthwise
``k x k``, an optional squeeze-and-excitation with ReLU and hard sigmoid, a linear 1x1
projection; batch normalization and no bias), a 1x1 convolution to six times the last
width, global average pooling, and a classifier ``Dense(last) -> hard swish -> dropout ->
Dense(classes)``. Every width ``c`` becomes ``make_divisible(c*alpha, 8)``
(:func:`symcnn.zoo.scaling.make_divisible`) and a squeeze width ``make_divisible(e/4, 8)``
of the expanded width ``e``.

``alpha`` may be a number or a multiplier symbol (:func:`symcnn.multiplier`). With a symbol,
an expansion is drawn whenever the table's expanded and input widths differ; torchvision
leaves it out where both round to the same multiple of 8 (``make_divisible(24*alpha, 8) =
make_divisible(72*alpha, 8)``), which happens for every ``alpha`` up to a boundary and for
none above: ``5/36`` for the large model and ``10/81`` for the small one, where the
first expansion (16 to 64, and 16 to 72) still rounds to 8 on both sides (``64*5/36`` and
``72*10/81`` are 80/9, whose 8 is exactly 90 %; an exact scan of every width's rounding
steps finds no
other). So the closed forms of shapes, parameters and MACs hold for ``alpha > 5/36``
(large) and ``alpha > 10/81`` (small), which the model records as a constraint
(``model.subs(alpha="0.1")`` is refused: build the model with the number,
``mobilenet_v3_large(alpha=0.1)``, which always gives torchvision's network).

A residual connection is drawn where a stride-1 block's table keeps the width; torchvision
also adds one where its input and output widths round to the same multiple of 8 (the small
model's 40 -> 48 block at ``alpha = 0.5``, both 24). The addition has no parameters and no
MACs; only the activation count of the symbolic model lacks its output there (a number
draws it).

>>> import symcnn as sc
>>> sc.zoo.mobilenet_v3_large().trainable_params, sc.zoo.mobilenet_v3_small().trainable_params
(5483032, 2542856)
>>> alpha = sc.multiplier("alpha")
>>> m = sc.zoo.mobilenet_v3_large(alpha=alpha)
>>> m.constraints, m.subs(alpha="0.75").trainable_params
([alpha > 5/36], 3377576)
"""

from __future__ import annotations

import sympy

from .. import arith
from ..layers import (Activation, Add, BatchNormalization, Conv2D, Dense, DepthwiseConv2D,
                      Dropout, GlobalAveragePooling2D, Multiply)
from ..model import Model
from ._common import check_flag, model_input, name_arg, size_arg
from .scaling import as_multiplier, make_divisible

__all__ = ["mobilenet_v3_large", "mobilenet_v3_small"]

#: (input, kernel, expanded, output, squeeze-and-excitation, hard swish, stride): Table 1.
_LARGE = ((16, 3, 16, 16, False, False, 1), (16, 3, 64, 24, False, False, 2),
          (24, 3, 72, 24, False, False, 1), (24, 5, 72, 40, True, False, 2),
          (40, 5, 120, 40, True, False, 1), (40, 5, 120, 40, True, False, 1),
          (40, 3, 240, 80, False, True, 2), (80, 3, 200, 80, False, True, 1),
          (80, 3, 184, 80, False, True, 1), (80, 3, 184, 80, False, True, 1),
          (80, 3, 480, 112, True, True, 1), (112, 3, 672, 112, True, True, 1),
          (112, 5, 672, 160, True, True, 2), (160, 5, 960, 160, True, True, 1),
          (160, 5, 960, 160, True, True, 1))
#: Table 2.
_SMALL = ((16, 3, 16, 16, True, False, 2), (16, 3, 72, 24, False, False, 2),
          (24, 3, 88, 24, False, False, 1), (24, 5, 96, 40, True, True, 2),
          (40, 5, 240, 40, True, True, 1), (40, 5, 240, 40, True, True, 1),
          (40, 5, 120, 48, True, True, 1), (48, 5, 144, 48, True, True, 1),
          (48, 5, 288, 96, True, True, 2), (96, 5, 576, 96, True, True, 1),
          (96, 5, 576, 96, True, True, 1))


def _conv_bn(x, filters, kernel, name, strides=1, activation=None, depthwise=False):
    padding = (kernel - 1) // 2
    if depthwise:
        x = DepthwiseConv2D(kernel, strides=strides, padding=padding, use_bias=False,
                            name=name)(x)
    else:
        x = Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=False,
                   name=name)(x)
    x = BatchNormalization(epsilon=0.001, name=f"{name}_bn")(x)
    return Activation(activation, name=f"{name}_{activation}")(x) if activation else x


def _block(x, setting, alpha, name):
    c_in, kernel, c_exp, c_out, se, hard, strides = setting
    c_in, c_exp, c_out = (make_divisible(c * alpha, 8) for c in (c_in, c_exp, c_out))
    act = "hard_swish" if hard else "relu"
    y = x
    if arith.decide_equal(c_exp, c_in) is not True:
        y = _conv_bn(y, c_exp, 1, f"{name}_expand", activation=act)
    y = _conv_bn(y, c_exp, kernel, f"{name}_depthwise", strides, act, depthwise=True)
    if se:
        s = GlobalAveragePooling2D(keepdims=True, name=f"{name}_se_squeeze")(y)
        s = Conv2D(make_divisible(c_exp / 4, 8), 1, activation="relu",
                   name=f"{name}_se_reduce")(s)
        s = Conv2D(c_exp, 1, activation="hard_sigmoid", name=f"{name}_se_expand")(s)
        y = Multiply(name=f"{name}_se_excite")([y, s])
    y = _conv_bn(y, c_out, 1, f"{name}_project")
    if strides == 1 and arith.decide_equal(c_in, c_out) is True:
        y = Add(name=f"{name}_add")([x, y])
    return y, c_out


#: The largest ``alpha`` at which torchvision leaves out an expansion the tables draw (where
#: ``make_divisible(c_in*alpha, 8) = make_divisible(c_exp*alpha, 8)``): it does for every
#: ``alpha`` up to it and for none above (module docstring; tests/zoo/test_mobilenet_v3.py
#: scans each rounding step exactly, and torchvision on a grid).
_EXPANSIONS_UP_TO = {"mobilenet_v3_large": sympy.Rational(5, 36),
                     "mobilenet_v3_small": sympy.Rational(10, 81)}


def _mobilenet_v3(settings, last: int, owner: str, input_shape, alpha, classes,
                  include_top, name) -> Model:
    alpha = as_multiplier(alpha, "alpha", owner)
    check_flag(include_top, "include_top", owner)
    inputs = model_input(input_shape, owner)
    x = _conv_bn(inputs, make_divisible(16 * alpha, 8), 3, "stem", 2, "hard_swish")
    channels = None
    for index, setting in enumerate(settings):
        x, channels = _block(x, setting, alpha, f"block_{index}")
    x = _conv_bn(x, 6 * channels, 1, "top_conv", activation="hard_swish")
    if include_top:
        x = GlobalAveragePooling2D(name="avg_pool")(x)
        x = Dense(make_divisible(last * alpha, 8), activation="hard_swish", name="fc1")(x)
        x = Dropout(0.2, name="top_dropout")(x)
        x = Dense(size_arg(classes, "classes", owner), name="predictions")(x)
    # a symbolic alpha draws every expansion; up to the boundary torchvision drops some
    holds = [] if alpha.is_number else [alpha > _EXPANSIONS_UP_TO[owner]]
    return Model(inputs, x, name=name_arg(name, owner), constraints=holds)


def mobilenet_v3_large(input_shape=None, *, alpha=1.0, classes=1000,
                       include_top: bool = True, name: str | None = None) -> Model:
    """MobileNetV3-Large with width multiplier ``alpha`` (torchvision's ``width_mult``).

    >>> import symcnn as sc
    >>> sc.zoo.mobilenet_v3_large(include_top=False).output_shape
    (ceiling(H/32), ceiling(W/32), 960)
    """
    return _mobilenet_v3(_LARGE, 1280, "mobilenet_v3_large", input_shape, alpha, classes,
                         include_top, name)


def mobilenet_v3_small(input_shape=None, *, alpha=1.0, classes=1000,
                       include_top: bool = True, name: str | None = None) -> Model:
    """MobileNetV3-Small with width multiplier ``alpha`` (torchvision's ``width_mult``).

    >>> import symcnn as sc
    >>> sc.zoo.mobilenet_v3_small(include_top=False).output_shape
    (ceiling(H/32), ceiling(W/32), 576)
    """
    return _mobilenet_v3(_SMALL, 1024, "mobilenet_v3_small", input_shape, alpha, classes,
                         include_top, name)
