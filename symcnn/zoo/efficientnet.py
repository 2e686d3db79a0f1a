"""EfficientNet-B0 (Tan & Le, 2019) and its compound scaling, as torchvision builds it.

B0 is a 3x3 stride-2 stem, seven stages of MBConv blocks (1x1 expansion, depthwise ``k x k``,
squeeze-and-excitation, linear 1x1 projection; batch normalization and no bias in the
convolutions, bias in the squeeze-and-excitation ones), a 1x1 convolution to four times the
last width, global average pooling and one fully connected layer: 5,288,548 parameters.

B1-B7 are B0 scaled by a width coefficient ``w`` and a depth coefficient ``d`` (and a
larger input): a width ``c`` becomes ``make_divisible(c*w, 8)``
(:func:`symcnn.zoo.scaling.make_divisible`) and a stage of ``n`` blocks gets
``ceiling(n*d)``. Both coefficients may be numbers (a float, NumPy's included, rounds as
torchvision's float arithmetic rounds it, a :class:`~fractions.Fraction` exactly:
:mod:`symcnn.zoo.scaling`), or symbols:

* a symbolic ``w`` leaves every width an unevaluated ``make_divisible(c*w, 8)`` and the
  parameter count a polynomial in those terms. One rounding simplifies exactly: the expanded
  width ``make_divisible(6*m, 8)`` of a width ``m = make_divisible(c*w, 8)`` is ``6*m`` (a
  multiple of 8 rounds to itself); the squeeze width stays ``Max(1, floor(m/4))``;
* a symbolic ``d`` makes the number of blocks a symbol, so a stage is drawn as its first
  block followed by ``Repeat(block, ceiling(n*d) - 1)`` (:class:`symcnn.Repeat`): the
  repeated block keeps its input shape, and its parameters count ``ceiling(n*d) - 1`` times.

Only the residual connection of a stage's first block depends on a symbolic ``w`` in a way
that cannot be written: torchvision adds it when input and output widths happen to be equal,
which no stage of B0 allows for ``w >= 1``. With a symbolic ``w`` it is left out; it has no
parameters and changes no shape.

>>> import symcnn as sc
>>> sc.zoo.efficientnet_b0().trainable_params
5288548
>>> sc.zoo.efficientnet_b0(width_coefficient=1.1, depth_coefficient=1.2).trainable_params
9109994
>>> m = sc.zoo.efficientnet_b0(depth_coefficient="d", include_top=False)
>>> m.output_shape
(ceiling(H/32), ceiling(W/32), 1280)
>>> m.subs(d=1).trainable_params == sc.zoo.efficientnet_b0(include_top=False).trainable_params
True

With multiplier symbols (:func:`symcnn.multiplier`) the model takes the coefficients
exactly as decimals or fractions (``"1.1"`` is 11/10); substituting a Python float into the
expression instead rounds as torchvision rounds it:

>>> import sympy
>>> w, d = sc.multiplier("w"), sc.multiplier("d")
>>> m = sc.zoo.efficientnet_b0(width_coefficient=w, depth_coefficient=d)
>>> m.subs(w="1.1", d="1.2").trainable_params       # EfficientNet-B2
9109994
>>> m.trainable_params.subs({w: 1.1, d: 1.2})
9109994
"""

from __future__ import annotations

import sympy

from .. import arith
from ..layers import (Activation, Add, BatchNormalization, Conv2D, Dense, DepthwiseConv2D,
                      Dropout, GlobalAveragePooling2D, Input, Multiply, Repeat, Reshape)
from ..model import Model
from ._common import check_count, check_flag, model_input, name_arg, size_arg
from .scaling import as_multiplier, make_divisible, round_repeats

__all__ = ["efficientnet_b0", "EFFICIENTNET_COEFFICIENTS"]

#: (expansion, kernel, first stride, input width, output width, blocks): the paper's Table 1.
_STAGES = ((1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2),
           (6, 3, 2, 40, 80, 3), (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4),
           (6, 3, 1, 192, 320, 1))

#: (width_coefficient, depth_coefficient) of B0-B7, as in torchvision and the paper.
EFFICIENTNET_COEFFICIENTS = {
    "b0": (1.0, 1.0), "b1": (1.0, 1.1), "b2": (1.1, 1.2), "b3": (1.2, 1.4),
    "b4": (1.4, 1.8), "b5": (1.6, 2.2), "b6": (1.8, 2.6), "b7": (2.0, 3.1),
}


def _conv_bn(x, filters, kernel, name, strides=1, silu=True):
    x = Conv2D(filters, kernel, strides=strides, padding=(kernel - 1) // 2, use_bias=False,
               name=f"{name}_conv")(x)
    x = BatchNormalization(epsilon=1e-5, name=f"{name}_bn")(x)
    return Activation("silu", name=f"{name}_activation")(x) if silu else x


def _squeeze_width(in_channels):
    """torchvision's ``max(1, in_channels // 4)``."""
    return sympy.Max(1, arith.floor_div(in_channels, 4))


def _mbconv(x, in_channels, out_channels, kernel, strides, expansion, name):
    expanded = make_divisible(expansion * in_channels, 8)
    y = x
    if arith.decide_equal(expanded, in_channels) is not True:
        y = _conv_bn(y, expanded, 1, f"{name}_expand")
    y = DepthwiseConv2D(kernel, strides=strides, padding=(kernel - 1) // 2, use_bias=False,
                        name=f"{name}_dwconv")(y)
    y = BatchNormalization(epsilon=1e-5, name=f"{name}_bn")(y)
    y = Activation("silu", name=f"{name}_activation")(y)
    se = GlobalAveragePooling2D(name=f"{name}_se_squeeze")(y)
    se = Reshape((1, 1, expanded), name=f"{name}_se_reshape")(se)
    se = Conv2D(_squeeze_width(in_channels), 1, activation="silu", name=f"{name}_se_reduce")(se)
    se = Conv2D(expanded, 1, activation="sigmoid", name=f"{name}_se_expand")(se)
    y = Multiply(name=f"{name}_se_excite")([y, se])
    y = _conv_bn(y, out_channels, 1, f"{name}_project", silu=False)
    if strides == 1 and arith.decide_equal(in_channels, out_channels) is True:
        y = Add(name=f"{name}_add")([y, x])
    return y


def _block_name(stage: int, index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return f"block{stage}{letters}"


def efficientnet_b0(input_shape=None, *, width_coefficient=1.0, depth_coefficient=1.0,
                    classes=1000, include_top: bool = True, name: str | None = None) -> Model:
    """EfficientNet-B0, optionally scaled by ``width_coefficient`` and ``depth_coefficient``.

    :data:`EFFICIENTNET_COEFFICIENTS` lists the coefficients of B0-B7 (B7 is
    ``efficientnet_b0(width_coefficient=2.0, depth_coefficient=3.1)``, at a larger input).

    >>> import symcnn as sc
    >>> m = sc.zoo.efficientnet_b0(depth_coefficient="d")
    >>> m.get_layer("block2b_repeat").layer
    Repeat(block='block2b', times=ceiling(2*d) - 1)
    """
    owner = "efficientnet_b0"
    width = as_multiplier(width_coefficient, "width_coefficient", owner)
    depth = as_multiplier(depth_coefficient, "depth_coefficient", owner)
    check_flag(include_top, "include_top", owner)
    inputs = model_input(input_shape, owner)
    x = _conv_bn(inputs, make_divisible(32 * width, 8), 3, "stem", strides=2)
    for stage, (expansion, kernel, strides, c_in, c_out, blocks) in enumerate(_STAGES, start=1):
        in_channels = make_divisible(c_in * width, 8)
        out_channels = make_divisible(c_out * width, 8)
        repeats = round_repeats(blocks, depth)
        check_count(repeats, "depth_coefficient", owner, depth_coefficient)
        x = _mbconv(x, in_channels, out_channels, kernel, strides, expansion,
                    _block_name(stage, 0))
        if repeats.is_Integer:
            for index in range(1, int(repeats)):
                x = _mbconv(x, out_channels, out_channels, kernel, 1, expansion,
                            _block_name(stage, index))
        else:
            block_name = _block_name(stage, 1)
            block_input = Input(x.shape)
            block = Model(block_input, _mbconv(block_input, out_channels, out_channels, kernel,
                                               1, expansion, block_name), name=block_name)
            x = Repeat(block, repeats - 1, name=f"{block_name}_repeat")(x)
    last = make_divisible(320 * width, 8)
    x = _conv_bn(x, 4 * last, 1, "top")
    if include_top:
        x = GlobalAveragePooling2D(name="avg_pool")(x)
        x = Dropout(0.2, name="top_dropout")(x)
        x = Dense(size_arg(classes, "classes", owner), name="predictions")(x)
    return Model(inputs, x, name=name_arg(name, owner))
