"""The worked examples of ``shared/reference/worked-examples.md`` as symcnn models.

Each function returns the model the example describes; where an example's text and code
differ, both readings are here (``lenet_table`` and ``lenet_code``).

>>> single_convolutions()[1].output_shape
(3, 8, 2)
>>> cifar().params, cifar().non_trainable_params
(1580976, 1920)
"""

from __future__ import annotations

import symcnn as sc

from ._common import model_input, name_arg

__all__ = [
    "single_convolutions", "cifar", "lenet_table", "lenet_code", "free_width", "vgg_style",
    "alexnet_two_tower_convs",
]


def single_convolutions() -> list:
    """Example A: four single convolutions, bias left out as in the example's working."""
    cases = [((7, 7, 3), (3, 3), 0, (1, 1), 4), ((7, 9, 3), (5, 2), 0, (1, 1), 2),
             ((9, 9, 3), (3, 2), 0, (1, 3), 2), ((7, 7, 2), (3, 3), 1, (1, 1), 1)]
    return [
        sc.Sequential([sc.Input(shape), sc.Conv2D(f, k, strides=s, padding=p, use_bias=False)],
                      name=f"example_a{i + 1}")
        for i, (shape, k, p, s, f) in enumerate(cases)
    ]


def cifar(input_shape=(32, 32, 3), *, name: str | None = None) -> sc.Model:
    """Example B: a 32x32 CIFAR-style functional network (Conv-BN-ReLU-Pool blocks)."""
    inputs = x = model_input(input_shape, "textbook.cifar")
    for filters, stride in ((64, 1), (128, 1), (256, 2)):
        x = sc.Conv2D(filters, 3, strides=stride, padding="same")(x)
        x = sc.BatchNormalization()(x)
        x = sc.Activation("relu")(x)
        x = sc.MaxPooling2D(2)(x)
    x = sc.Conv2D(512, 3, strides=2, padding="same")(x)
    x = sc.BatchNormalization()(x)
    x = sc.Activation("relu")(x)
    x = sc.GlobalAveragePooling2D()(x)
    x = sc.Dropout(0.5)(x)
    x = sc.Dense(50, activation="relu")(x)
    x = sc.Dropout(0.5)(x)
    outputs = sc.Dense(10, activation="softmax")(x)
    return sc.Model(inputs, outputs, name=name_arg(name, "cifar"))


def lenet_table(input_shape=(64, 64, 3), *, name: str | None = None) -> sc.Sequential:
    """Example C as its table describes it: no bias, a 4x4 second convolution, one Dense."""
    return sc.Sequential([
        model_input(input_shape, "textbook.lenet_table"),
        sc.Conv2D(6, 3, use_bias=False), sc.MaxPooling2D(2),
        sc.Conv2D(16, 4, use_bias=False), sc.MaxPooling2D(2),
        sc.Flatten(), sc.Dense(10, use_bias=False),
    ], name=name_arg(name, "lenet_table"))


def lenet_code(input_shape=(64, 64, 3), *, name: str | None = None) -> sc.Sequential:
    """Example C as its code is written: biases, a 3x3 second convolution, Dense 120-84-10."""
    return sc.Sequential([
        model_input(input_shape, "textbook.lenet_code"),
        sc.Conv2D(6, 3, activation="relu"), sc.MaxPooling2D(2),
        sc.Conv2D(16, 3, activation="relu"), sc.MaxPooling2D(2),
        sc.Flatten(),
        sc.Dense(120, activation="relu"), sc.Dense(84, activation="relu"),
        sc.Dense(10, activation="softmax"),
    ], name=name_arg(name, "lenet_code"))


def free_width(width="n", input_shape=(39, 31, 1), *, name: str | None = None) -> sc.Sequential:
    """Example D, the headline: no bias anywhere, a Dense layer of free width ``n``.

    >>> free_width().params
    160*n + 48320
    """
    return sc.Sequential([
        model_input(input_shape, "textbook.free_width"),
        sc.Conv2D(20, 4, use_bias=False), sc.MaxPooling2D(2),
        sc.Conv2D(40, 3, use_bias=False), sc.MaxPooling2D(2),
        sc.Conv2D(60, 3, use_bias=False), sc.MaxPooling2D(2),
        sc.Conv2D(80, 2, use_bias=False),
        sc.Flatten(),
        sc.Dense(width, use_bias=False),
    ], name=name_arg(name, "free_width"))


def vgg_style(input_shape=(256, 256, 3), *, name: str | None = None) -> sc.Sequential:
    """Example E: a VGG-style Keras Sequential model on 256x256x3."""
    return sc.Sequential([
        model_input(input_shape, "textbook.vgg_style"),
        sc.Conv2D(64, 3, padding="same", activation="relu"),
        sc.Conv2D(64, 3, padding="same", activation="relu"),
        sc.MaxPooling2D(), sc.BatchNormalization(), sc.Dropout(0.5),
        sc.Conv2D(128, 3, padding="same", activation="relu"),
        sc.Conv2D(128, 3, padding="same", activation="relu"),
        sc.MaxPooling2D(), sc.BatchNormalization(), sc.Dropout(0.3),
        sc.GlobalMaxPooling2D(),
        sc.Dense(128, activation="relu"),
        sc.Dense(1, activation="sigmoid"),
    ], name=name_arg(name, "vgg_style"))


def alexnet_two_tower_convs(input_shape=(227, 227, 3), *,
                            name: str | None = None) -> sc.Sequential:
    """Example F: AlexNet's first two convolutions; the second is two towers (groups=2)."""
    return sc.Sequential([
        model_input(input_shape, "textbook.alexnet_two_tower_convs"),
        sc.Conv2D(96, 11, strides=4),
        sc.MaxPooling2D(3, strides=2),
        sc.ZeroPadding2D(2),
        sc.Conv2D(256, 5, groups=2),
    ], name=name_arg(name, "alexnet_towers"))
