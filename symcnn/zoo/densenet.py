"""DenseNet-121 (Huang et al., 2017), DenseNet-BC as torchvision builds it.

A 7x7 stride-2 stem and a 3x3 stride-2 max pool, four dense blocks of 6, 12, 24 and 16
layers, and between them transitions that halve the channels (``floor(c/2)``) with a 1x1
convolution and halve the map with a 2x2 average pool. A dense layer is BN-ReLU-1x1
convolution to ``bn_size*k`` channels, BN-ReLU-3x3 convolution to ``k`` (the growth rate)
channels, and its output is concatenated to its input. Convolutions have no bias. With
``k = 32`` and 64 stem channels: 7,978,856 parameters.

``growth_rate`` may be a symbol; the stem's width defaults to ``2*growth_rate`` (64 for
``k = 32``, as in the paper's DenseNet-BC). A transition's ``floor(c/2)`` of an odd symbolic
width stays a floor in the closed form.

>>> import symcnn as sc
>>> sc.zoo.densenet121().trainable_params
7978856
>>> print(sc.format_shape(sc.zoo.densenet121(include_top=False).output_shape))
(floor((H + 3)/32), floor((W + 3)/32), 1024)
"""

from __future__ import annotations

from .. import arith
from ..errors import LayerArgumentError
from ..layers import (Activation, AveragePooling2D, BatchNormalization, Concatenate, Conv2D,
                      Dense, GlobalAveragePooling2D, MaxPooling2D)
from ..model import Model
from ._common import check_count, check_flag, model_input, name_arg, plain_int, size_arg

__all__ = ["densenet", "densenet121"]


def _bn_relu(x, name):
    x = BatchNormalization(epsilon=1e-5, name=f"{name}_bn")(x)
    return Activation("relu", name=f"{name}_relu")(x)


def _dense_layer(x, growth_rate, bn_size, name):
    y = _bn_relu(x, f"{name}_0")
    y = Conv2D(bn_size * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(y)
    y = _bn_relu(y, f"{name}_1")
    y = Conv2D(growth_rate, 3, padding=1, use_bias=False, name=f"{name}_2_conv")(y)
    return Concatenate(name=f"{name}_concat")([x, y])


def densenet(blocks, input_shape=None, *, classes=1000, growth_rate=32, init_filters=None,
             bn_size=4, include_top: bool = True, name: str | None = None) -> Model:
    """A DenseNet-BC with ``blocks`` dense layers per block (torchvision's definition).

    >>> import symcnn as sc
    >>> sc.zoo.densenet((3, 2), growth_rate="k", classes=10).trainable_params
    246*k**2 + 13*k*floor(k/2) + 424*k + 16*floor(k/2) + 10
    """
    return _densenet("densenet", blocks, input_shape, classes, growth_rate, init_filters,
                     bn_size, include_top, name)


def _densenet(owner: str, blocks, input_shape, classes, growth_rate, init_filters, bn_size,
              include_top, name) -> Model:
    """:func:`densenet`; ``owner`` (the public function) names it in errors and is the
    model's default name."""
    name = name_arg(name, owner)
    counts = [plain_int(b) for b in blocks] if isinstance(blocks, (tuple, list)) else []
    if not counts or not all(b is not None and b > 0 for b in counts):
        raise LayerArgumentError(f"{owner}: `blocks` must be a tuple of positive ints, one per "
                                 f"dense block. Received: blocks={blocks!r}")
    blocks = counts
    for count in counts:
        check_count(count, "blocks", owner, blocks, symbolic=False)
    check_flag(include_top, "include_top", owner)
    growth_rate = size_arg(growth_rate, "growth_rate", owner)
    bn_size = size_arg(bn_size, "bn_size", owner)
    channels = 2 * growth_rate if init_filters is None else size_arg(init_filters,
                                                                     "init_filters", owner)
    inputs = model_input(input_shape, owner)
    x = Conv2D(channels, 7, strides=2, padding=3, use_bias=False, name="conv1_conv")(inputs)
    x = _bn_relu(x, "conv1")
    x = MaxPooling2D(3, strides=2, padding=1, name="pool1")(x)
    for stage, layers in enumerate(blocks, start=2):
        for i in range(1, layers + 1):
            x = _dense_layer(x, growth_rate, bn_size, f"conv{stage}_block{i}")
        channels = channels + layers * growth_rate
        if stage < len(blocks) + 1:
            channels = arith.floor_div(channels, 2)
            x = _bn_relu(x, f"pool{stage}")
            x = Conv2D(channels, 1, use_bias=False, name=f"pool{stage}_conv")(x)
            x = AveragePooling2D(2, name=f"pool{stage}_pool")(x)
    x = _bn_relu(x, "top")
    if include_top:
        x = GlobalAveragePooling2D(name="avg_pool")(x)
        x = Dense(size_arg(classes, "classes", owner), name="predictions")(x)
    return Model(inputs, x, name=name)


def densenet121(input_shape=None, *, classes=1000, growth_rate=32, init_filters=None,
                bn_size=4, include_top: bool = True, name: str | None = None) -> Model:
    """DenseNet-121: dense blocks of 6, 12, 24 and 16 layers (7,978,856 parameters).

    >>> import symcnn as sc
    >>> m = sc.zoo.densenet121(growth_rate="k")
    >>> m.trainable_params
    6700*k**2 + 34908*k + 1000
    >>> m.subs(k=32).trainable_params
    7978856
    """
    return _densenet("densenet121", (6, 12, 24, 16), input_shape, classes, growth_rate,
                     init_filters, bn_size, include_top, name)
