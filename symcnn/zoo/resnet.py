"""ResNet-18/34/50/101/152 (He et al., 2015) as torchvision builds them.

torchvision's ResNet is "v1.5": a bottleneck block strides in its 3x3 convolution, not in its
first 1x1. Convolutions have no bias; each is followed by batch normalization. The stem is a
7x7 stride-2 convolution padded by 3 and a 3x3 stride-2 max pool padded by 1, and the four
stages have widths ``width``, ``2*width``, ``4*width`` and ``8*width`` (``width=64`` as
published; a symbol gives the parameter count as a polynomial in it). Layer names follow
``keras.applications`` (``conv2_block1_1_conv``).

>>> import symcnn as sc
>>> m = sc.zoo.resnet50()
>>> m.trainable_params, m.output_shape
(25557032, (1000,))
>>> sc.zoo.resnet50(include_top=False).output_shape
(ceiling(H/32), ceiling(W/32), 2048)
"""

from __future__ import annotations

from ..errors import LayerArgumentError
from ..layers import (Activation, Add, BatchNormalization, Conv2D, Dense, GlobalAveragePooling2D,
                      Input, MaxPooling2D, Repeat)
from ..model import Model
from ._common import check_flag, model_input, name_arg, plain_int, size_arg, written_out

__all__ = ["resnet", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]

_DEPTHS = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}


def _conv_bn(x, filters, kernel, name, strides=1, padding=0, relu=True):
    x = Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=False,
               name=f"{name}_conv")(x)
    x = BatchNormalization(epsilon=1e-5, name=f"{name}_bn")(x)
    return Activation("relu", name=f"{name}_relu")(x) if relu else x


def _basic_block(x, width, strides, shortcut: bool, name: str):
    identity = _conv_bn(x, width, 1, f"{name}_0", strides=strides, relu=False) if shortcut else x
    y = _conv_bn(x, width, 3, f"{name}_1", strides=strides, padding=1)
    y = _conv_bn(y, width, 3, f"{name}_2", padding=1, relu=False)
    return Activation("relu", name=f"{name}_out")(Add(name=f"{name}_add")([y, identity]))


def _bottleneck_block(x, width, strides, shortcut: bool, name: str):
    identity = (_conv_bn(x, 4 * width, 1, f"{name}_0", strides=strides, relu=False)
                if shortcut else x)
    y = _conv_bn(x, width, 1, f"{name}_1")
    y = _conv_bn(y, width, 3, f"{name}_2", strides=strides, padding=1)
    y = _conv_bn(y, 4 * width, 1, f"{name}_3", relu=False)
    return Activation("relu", name=f"{name}_out")(Add(name=f"{name}_add")([y, identity]))


def resnet(depth: int | None = None, input_shape=None, *, blocks=None, bottleneck=None,
           classes=1000, width=64, include_top: bool = True, name: str | None = None) -> Model:
    """A ResNet of ``depth`` 18, 34, 50, 101 or 152 (torchvision's definition), or of any
    ``blocks`` per stage.

    ``width`` is the stem's channel count and the first stage's width (64 in the paper);
    ``include_top=False`` ends the model at the last stage's feature map. ``blocks=(a, b, c,
    d)`` sets the blocks of the four stages (numbers or symbols, each at least 1) and
    ``bottleneck`` the block type (``True`` for ResNet-50's, ``False`` for ResNet-18's); a
    symbolic count repeats the stage's second block (:class:`symcnn.Repeat`), so the
    parameter count is linear in each count.

    >>> import symcnn as sc
    >>> sc.zoo.resnet(18, classes=10, width="w").trainable_params
    2724*w**2 + 377*w + 10
    >>> sc.zoo.resnet(blocks=("a", "b", "c", "d"), bottleneck=True).trainable_params
    70400*a + 280064*b + 1117184*c + 4462592*d + 4134696
    """
    if blocks is None:
        number = plain_int(depth)
        if number not in _DEPTHS:
            raise LayerArgumentError(f"resnet: `depth` must be one of 18, 34, 50, 101, 152 "
                                     f"(or give `blocks`). Received: depth={depth!r}")
        owner = f"resnet{number}"
        kind, repeats = _DEPTHS[number]
        if bottleneck is not None:
            check_flag(bottleneck, "bottleneck", owner)
            if bottleneck != (kind == "bottleneck"):
                raise LayerArgumentError(
                    f"{owner}: `bottleneck` must agree with `depth`: ResNet-{number} has {kind} "
                    f"blocks (give `blocks` for other stages). "
                    f"Received: depth={depth!r}, bottleneck={bottleneck!r}")
    else:
        owner = "resnet"
        if depth is not None:
            raise LayerArgumentError(f"resnet: give `depth` or `blocks`, not both. "
                                     f"Received: depth={depth!r}, blocks={blocks!r}")
        if bottleneck is None:
            raise LayerArgumentError(
                "resnet: with `blocks`, `bottleneck` must be True (ResNet-50's bottleneck "
                "blocks) or False (ResNet-18's basic blocks). Received: bottleneck=None")
        check_flag(bottleneck, "bottleneck", owner)
        if not isinstance(blocks, (tuple, list)) or len(blocks) != 4:
            raise LayerArgumentError(f"resnet: `blocks` must be four counts, one per stage. "
                                     f"Received: blocks={blocks!r}")
        kind = "bottleneck" if bottleneck else "basic"
        repeats = tuple(size_arg(n, "blocks", owner) for n in blocks)
    width = size_arg(width, "width", owner)
    check_flag(include_top, "include_top", owner)
    block = _basic_block if kind == "basic" else _bottleneck_block
    inputs = model_input(input_shape, owner)
    x = _conv_bn(inputs, width, 7, "conv1", strides=2, padding=3)
    x = MaxPooling2D(3, strides=2, padding=1, name="pool1_pool")(x)
    for stage, count in enumerate(repeats):
        stage_width = width * 2**stage
        # torchvision adds a projection shortcut where the stride or the width changes:
        # the first block of every stage, except the first stage of a basic-block ResNet.
        x = block(x, stage_width, 2 if stage > 0 else 1, stage > 0 or kind == "bottleneck",
                  f"conv{stage + 2}_block1")
        if written_out(count):
            for b in range(1, int(count)):
                x = block(x, stage_width, 1, False, f"conv{stage + 2}_block{b + 1}")
        else:
            first = Input(x.shape)
            repeated = Model(first, block(first, stage_width, 1, False,
                                          f"conv{stage + 2}_block2"),
                             name=f"conv{stage + 2}_block")
            x = Repeat(repeated, count - 1, name=f"conv{stage + 2}_repeat")(x)
    if include_top:
        x = GlobalAveragePooling2D(name="avg_pool")(x)
        x = Dense(size_arg(classes, "classes", owner), name="predictions")(x)
    return Model(inputs, x, name=name_arg(name, owner))


def resnet18(input_shape=None, *, classes=1000, width=64, include_top: bool = True,
             name: str | None = None) -> Model:
    """ResNet-18: basic blocks, 2-2-2-2 (11,689,512 parameters in torchvision).

    >>> import symcnn as sc
    >>> sc.zoo.resnet18().trainable_params
    11689512
    """
    return resnet(18, input_shape, classes=classes, width=width, include_top=include_top,
                  name=name)


def resnet34(input_shape=None, *, classes=1000, width=64, include_top: bool = True,
             name: str | None = None) -> Model:
    """ResNet-34: basic blocks, 3-4-6-3 (21,797,672 parameters in torchvision).

    >>> import symcnn as sc
    >>> sc.zoo.resnet34().trainable_params
    21797672
    """
    return resnet(34, input_shape, classes=classes, width=width, include_top=include_top,
                  name=name)


def resnet50(input_shape=None, *, classes=1000, width=64, include_top: bool = True,
             name: str | None = None) -> Model:
    """ResNet-50: bottleneck blocks, 3-4-6-3 (25,557,032 parameters in torchvision).

    >>> import symcnn as sc
    >>> sc.zoo.resnet50((224, 224, 3), include_top=False).output_shape
    (7, 7, 2048)
    """
    return resnet(50, input_shape, classes=classes, width=width, include_top=include_top,
                  name=name)


def resnet101(input_shape=None, *, classes=1000, width=64, include_top: bool = True,
              name: str | None = None) -> Model:
    """ResNet-101: bottleneck blocks, 3-4-23-3 (44,549,160 parameters in torchvision).

    >>> import symcnn as sc
    >>> sc.zoo.resnet101().trainable_params
    44549160
    """
    return resnet(101, input_shape, classes=classes, width=width, include_top=include_top,
                  name=name)


def resnet152(input_shape=None, *, classes=1000, width=64, include_top: bool = True,
              name: str | None = None) -> Model:
    """ResNet-152: bottleneck blocks, 3-8-36-3 (60,192,808 parameters in torchvision).

    >>> import symcnn as sc
    >>> sc.zoo.resnet152().trainable_params
    60192808
    """
    return resnet(152, input_shape, classes=classes, width=width, include_top=include_top,
                  name=name)
