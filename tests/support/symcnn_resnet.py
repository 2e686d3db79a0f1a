"""ResNet-50 as symcnn layers, call for call the network of ``tests/support/torch_models.py``.

Channels first with PyTorch's explicit paddings, so each symcnn layer is the torch module of
the same position; the input is ``(3, H, W)`` with any sizes (ints or symbols).
"""

from __future__ import annotations

import symcnn as sc


def _bn(x):
    return sc.BatchNormalization(axis=1)(x)


def _conv(x, filters, kernel, stride=1, padding=0):
    return sc.Conv2D(filters, kernel, strides=stride, padding=padding, use_bias=False,
                     data_format="channels_first")(x)


def _bottleneck(x, in_channels, width, stride):
    out = 4 * width
    identity = x
    if stride != 1 or in_channels != out:
        identity = _bn(_conv(x, out, 1, stride))
    y = sc.ReLU()(_bn(_conv(x, width, 1)))
    y = sc.ReLU()(_bn(_conv(y, width, 3, stride, 1)))
    y = _bn(_conv(y, out, 1))
    return sc.ReLU()(sc.Add()([y, identity]))


def resnet50(height="H", width="W", num_classes=1000) -> sc.Model:
    """torchvision's ResNet-50 (25,557,032 trainable parameters) on a ``(3, H, W)`` input."""
    inputs = sc.Input((3, height, width))
    x = sc.ReLU()(_bn(_conv(inputs, 64, 7, 2, 3)))
    x = sc.MaxPooling2D(3, strides=2, padding=1, data_format="channels_first")(x)
    channels = 64
    for stage, blocks in enumerate([3, 4, 6, 3]):
        stage_width = 64 * 2 ** stage
        for b in range(blocks):
            stride = 2 if stage > 0 and b == 0 else 1
            x = _bottleneck(x, channels, stage_width, stride)
            channels = 4 * stage_width
    x = sc.GlobalAveragePooling2D(data_format="channels_first")(x)
    return sc.Model(inputs, sc.Dense(num_classes)(x), name="resnet50")
