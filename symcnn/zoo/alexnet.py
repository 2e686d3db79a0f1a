"""AlexNet (Krizhevsky, Sutskever & Hinton, 2012): the single-tower variant and the original.

* :func:`alexnet` is the single-tower network used today, as torchvision builds it (after
  Krizhevsky's "one weird trick" paper, 2014): five convolutions of 64, 192, 384, 256 and
  256 filters, three 3x3 stride-2 max pools, an adaptive average pool to 6x6 (so any input
  of at least 63x63 works) and three fully connected layers. 61,100,840 parameters.
* :func:`alexnet_two_tower` is the 2012 network, split over two GPUs: 96, 256, 384, 384 and
  256 filters, where the second, fourth and fifth convolutions see only their own tower's
  half of the channels (``groups=2``). Its fully connected layers read the flattened last
  feature map directly, so their size depends on the input: at 227x227 (the size the
  published layer sizes imply; the paper's text says 224) it has 60,965,224 parameters.
  The local response normalization after the first two convolutions has no parameters and
  keeps the shape; it is left out.

>>> import symcnn as sc
>>> sc.zoo.alexnet().params
61100840
>>> sc.zoo.alexnet_two_tower((227, 227, 3)).params
60965224
>>> print(sc.format_shape(sc.zoo.alexnet_two_tower(include_top=False).output_shape))
(floor((H + 29)/32) - 2, floor((W + 29)/32) - 2, 256)
"""

from __future__ import annotations

from ..errors import LayerArgumentError
from ..layers import (AdaptiveAveragePooling2D, Conv2D, Dense, Dropout, Flatten,
                      MaxPooling2D)
from ..model import Model
from ._common import check_flag, model_input, name_arg, size_arg

__all__ = ["alexnet", "alexnet_two_tower"]


def _filters(filters, owner: str) -> tuple:
    if not isinstance(filters, (tuple, list)) or len(filters) != 5:
        raise LayerArgumentError(f"{owner}: `filters` must be a tuple of 5 sizes, one per "
                                 f"convolution. Received: filters={filters!r}")
    return tuple(size_arg(f, "filters", owner) for f in filters)


def _head(x, units, classes, owner: str, dropout_first: bool):
    units = size_arg(units, "units", owner)
    x = Flatten(name="flatten")(x)
    if dropout_first:  # torchvision: Dropout, Linear, ReLU, Dropout, Linear, ReLU, Linear
        x = Dropout(0.5, name="fc6_dropout")(x)
    x = Dense(units, activation="relu", name="fc6")(x)
    x = Dropout(0.5, name="fc7_dropout" if dropout_first else "fc6_dropout")(x)
    x = Dense(units, activation="relu", name="fc7")(x)
    if not dropout_first:
        x = Dropout(0.5, name="fc7_dropout")(x)
    return Dense(size_arg(classes, "classes", owner), name="predictions")(x)


def alexnet(input_shape=None, *, classes=1000, filters=(64, 192, 384, 256, 256), units=4096,
            include_top: bool = True, name: str | None = None) -> Model:
    """Single-tower AlexNet as in torchvision (61,100,840 parameters).

    ``filters`` are the five convolutions' widths and ``units`` the hidden fully connected
    layers' width; any of them may be a symbol.

    >>> import symcnn as sc
    >>> print(sc.format_shape(sc.zoo.alexnet(include_top=False).output_shape))
    (floor((H + 1)/32) - 1, floor((W + 1)/32) - 1, 256)
    >>> sc.zoo.alexnet().constraints
    [H >= 63, W >= 63]
    """
    owner = "alexnet"
    check_flag(include_top, "include_top", owner)
    f1, f2, f3, f4, f5 = _filters(filters, owner)
    inputs = x = model_input(input_shape, owner)
    x = Conv2D(f1, 11, strides=4, padding=2, activation="relu", name="conv1")(x)
    x = MaxPooling2D(3, strides=2, name="pool1")(x)
    x = Conv2D(f2, 5, padding=2, activation="relu", name="conv2")(x)
    x = MaxPooling2D(3, strides=2, name="pool2")(x)
    x = Conv2D(f3, 3, padding=1, activation="relu", name="conv3")(x)
    x = Conv2D(f4, 3, padding=1, activation="relu", name="conv4")(x)
    x = Conv2D(f5, 3, padding=1, activation="relu", name="conv5")(x)
    x = MaxPooling2D(3, strides=2, name="pool5")(x)
    if include_top:
        x = AdaptiveAveragePooling2D((6, 6), name="avg_pool")(x)
        x = _head(x, units, classes, owner, dropout_first=True)
    return Model(inputs, x, name=name_arg(name, owner))


def alexnet_two_tower(input_shape=None, *, classes=1000, filters=(96, 256, 384, 384, 256),
                      units=4096, include_top: bool = True, name: str | None = None) -> Model:
    """The original two-tower AlexNet (2012): ``groups=2`` in convolutions 2, 4 and 5.

    Every width in ``filters`` that is split between the towers must be even.

    >>> import symcnn as sc
    >>> m = sc.zoo.alexnet_two_tower()
    >>> m.get_layer("conv2").params
    307456
    >>> m.constraints
    [H >= 67, W >= 67]
    """
    owner = "alexnet_two_tower"
    check_flag(include_top, "include_top", owner)
    f1, f2, f3, f4, f5 = _filters(filters, owner)
    inputs = x = model_input(input_shape, owner)
    x = Conv2D(f1, 11, strides=4, activation="relu", name="conv1")(x)
    x = MaxPooling2D(3, strides=2, name="pool1")(x)
    x = Conv2D(f2, 5, padding=2, groups=2, activation="relu", name="conv2")(x)
    x = MaxPooling2D(3, strides=2, name="pool2")(x)
    x = Conv2D(f3, 3, padding=1, activation="relu", name="conv3")(x)
    x = Conv2D(f4, 3, padding=1, groups=2, activation="relu", name="conv4")(x)
    x = Conv2D(f5, 3, padding=1, groups=2, activation="relu", name="conv5")(x)
    x = MaxPooling2D(3, strides=2, name="pool5")(x)
    if include_top:
        x = _head(x, units, classes, owner, dropout_first=False)
    return Model(inputs, x, name=name_arg(name, owner))
