"""VGG-11/13/16/19 (Simonyan & Zisserman, 2014), with and without batch normalization.

As torchvision builds them: 3x3 convolutions padded by 1 (with bias, followed by batch
normalization in the ``_bn`` variants), five 2x2 max pools, then an adaptive average pool to
7x7 so any input of at least 32x32 works, and three fully connected layers. The stages have
``width``, ``2*width``, ``4*width``, ``8*width`` and ``8*width`` channels (``width=64`` as
published) and the hidden fully connected layers ``units`` (4096); both may be symbols.

>>> import symcnn as sc
>>> sc.zoo.vgg16().params
138357544
>>> sc.zoo.vgg16(include_top=False).output_shape
(floor(H/32), floor(W/32), 512)
"""

from __future__ import annotations

from ..errors import LayerArgumentError
from ..layers import (Activation, AdaptiveAveragePooling2D, BatchNormalization, Conv2D, Dense,
                      Dropout, Flatten, MaxPooling2D)
from ..model import Model
from ._common import check_flag, model_input, name_arg, plain_int, size_arg

__all__ = ["vgg", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19",
           "vgg19_bn"]

#: Convolutions per stage (torchvision's configurations A, B, D and E).
_STAGES = {11: (1, 1, 2, 2, 2), 13: (2, 2, 2, 2, 2), 16: (2, 2, 3, 3, 3), 19: (2, 2, 4, 4, 4)}
_MULTIPLIERS = (1, 2, 4, 8, 8)


def vgg(depth: int, input_shape=None, *, batch_norm: bool = False, classes=1000, width=64,
        units=4096, include_top: bool = True, name: str | None = None) -> Model:
    """A VGG of ``depth`` 11, 13, 16 or 19, optionally with batch normalization.

    >>> import symcnn as sc
    >>> sc.zoo.vgg(11, width="w", units="u", classes=10).params
    u**2 + 392*u*w + 12*u + 2250*w**2 + 70*w + 10
    """
    number = plain_int(depth)
    if number not in _STAGES:
        raise LayerArgumentError(f"vgg: `depth` must be one of 11, 13, 16, 19. "
                                 f"Received: depth={depth!r}")
    owner = f"vgg{number}{'_bn' if batch_norm is True else ''}"
    check_flag(batch_norm, "batch_norm", owner)
    check_flag(include_top, "include_top", owner)
    width = size_arg(width, "width", owner)
    inputs = x = model_input(input_shape, owner)
    for stage, (convs, multiplier) in enumerate(zip(_STAGES[number], _MULTIPLIERS), start=1):
        for i in range(1, convs + 1):
            prefix = f"block{stage}_conv{i}"
            x = Conv2D(multiplier * width, 3, padding=1, name=prefix)(x)
            if batch_norm:
                x = BatchNormalization(epsilon=1e-5, name=f"{prefix}_bn")(x)
            x = Activation("relu", name=f"{prefix}_relu")(x)
        x = MaxPooling2D(2, name=f"block{stage}_pool")(x)
    if include_top:
        units = size_arg(units, "units", owner)
        x = AdaptiveAveragePooling2D((7, 7), name="avg_pool")(x)
        x = Flatten(name="flatten")(x)
        x = Dense(units, activation="relu", name="fc1")(x)
        x = Dropout(0.5, name="fc1_dropout")(x)
        x = Dense(units, activation="relu", name="fc2")(x)
        x = Dropout(0.5, name="fc2_dropout")(x)
        x = Dense(size_arg(classes, "classes", owner), name="predictions")(x)
    return Model(inputs, x, name=name_arg(name, owner))


def _variant(depth: int, batch_norm: bool, count: int):
    def build(input_shape=None, *, classes=1000, width=64, units=4096,
              include_top: bool = True, name: str | None = None) -> Model:
        return vgg(depth, input_shape, batch_norm=batch_norm, classes=classes, width=width,
                   units=units, include_top=include_top, name=name)

    kind = "with batch normalization" if batch_norm else "without batch normalization"
    build.__name__ = build.__qualname__ = f"vgg{depth}{'_bn' if batch_norm else ''}"
    build.__doc__ = (
        f"VGG-{depth} {kind} ({count:,} trainable parameters in torchvision).\n\n"
        f"    >>> import symcnn as sc\n"
        f"    >>> sc.zoo.{build.__name__}().trainable_params\n"
        f"    {count}\n"
    )
    return build


vgg11 = _variant(11, False, 132863336)
vgg11_bn = _variant(11, True, 132868840)
vgg13 = _variant(13, False, 133047848)
vgg13_bn = _variant(13, True, 133053736)
vgg16 = _variant(16, False, 138357544)
vgg16_bn = _variant(16, True, 138365992)
vgg19 = _variant(19, False, 143667240)
vgg19_bn = _variant(19, True, 143678248)
