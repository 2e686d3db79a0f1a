"""The Keras models among the worked examples, written in real Keras 3.

These are the independent twins of ``symcnn.zoo.textbook``: tests build both and compare.
"""

from __future__ import annotations


def cifar(keras):
    """Example B: the 32x32 CIFAR-style functional model."""
    L = keras.layers
    inputs = x = keras.Input((32, 32, 3))
    for filters, stride in ((64, 1), (128, 1), (256, 2)):
        x = L.Conv2D(filters, 3, strides=stride, padding="same")(x)
        x = L.BatchNormalization()(x)
        x = L.Activation("relu")(x)
        x = L.MaxPooling2D(2)(x)
    x = L.Conv2D(512, 3, strides=2, padding="same")(x)
    x = L.BatchNormalization()(x)
    x = L.Activation("relu")(x)
    x = L.GlobalAveragePooling2D()(x)
    x = L.Dropout(0.5)(x)
    x = L.Dense(50, activation="relu")(x)
    x = L.Dropout(0.5)(x)
    return keras.Model(inputs, L.Dense(10, activation="softmax")(x), name="cifar")


def lenet_code(keras):
    """Example C as its code is written."""
    L = keras.layers
    return keras.Sequential([
        keras.Input((64, 64, 3)),
        L.Conv2D(6, 3, activation="relu"), L.MaxPooling2D(2),
        L.Conv2D(16, 3, activation="relu"), L.MaxPooling2D(2),
        L.Flatten(), L.Dense(120, activation="relu"), L.Dense(84, activation="relu"),
        L.Dense(10, activation="softmax")], name="lenet_code")


def free_width(keras, width):
    """Example D at one width."""
    L = keras.layers
    return keras.Sequential([
        keras.Input((39, 31, 1)),
        L.Conv2D(20, 4, use_bias=False), L.MaxPooling2D(2),
        L.Conv2D(40, 3, use_bias=False), L.MaxPooling2D(2),
        L.Conv2D(60, 3, use_bias=False), L.MaxPooling2D(2),
        L.Conv2D(80, 2, use_bias=False), L.Flatten(), L.Dense(width, use_bias=False),
    ], name="free_width")


def vgg_style(keras):
    """Example E: the VGG-style Sequential model."""
    L = keras.layers
    return keras.Sequential([
        keras.Input((256, 256, 3)),
        L.Conv2D(64, 3, padding="same", activation="relu"),
        L.Conv2D(64, 3, padding="same", activation="relu"),
        L.MaxPool2D(), L.BatchNormalization(), L.Dropout(0.5),
        L.Conv2D(128, 3, padding="same", activation="relu"),
        L.Conv2D(128, 3, padding="same", activation="relu"),
        L.MaxPool2D(), L.BatchNormalization(), L.Dropout(0.3),
        L.GlobalMaxPool2D(), L.Dense(128, activation="relu"), L.Dense(1, activation="sigmoid"),
    ], name="vgg_style")
