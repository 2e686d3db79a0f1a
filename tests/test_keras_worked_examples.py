"""The Keras models among the worked examples, built in real Keras 3 (torch backend).

Total, trainable and non-trainable counts and every layer's output shape must equal symcnn's.
"""

import pytest

from symcnn.zoo import textbook

from .conftest import require

pytestmark = pytest.mark.frameworks


def keras_counts(model):
    import numpy as np

    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    return model.count_params(), trainable, non_trainable


def keras_layers(model):
    return [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]


def assert_same(keras_model, symcnn_model):
    assert keras_counts(keras_model) == (symcnn_model.params, symcnn_model.trainable_params,
                                         symcnn_model.non_trainable_params)
    ours = symcnn_model.layers
    theirs = keras_layers(keras_model)
    assert [type(l).__name__ for l in theirs] == [r.type for r in ours]
    for layer, record in zip(theirs, ours):
        assert tuple(layer.output.shape[1:]) == record.output_shape, layer.name
        assert layer.count_params() == record.params, layer.name


def test_example_b_cifar_functional_model_matches_keras():
    keras = require("keras")
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
    outputs = L.Dense(10, activation="softmax")(x)
    assert_same(keras.Model(inputs, outputs), textbook.cifar())


def test_example_c_lenet_code_matches_keras():
    keras = require("keras")
    L = keras.layers
    model = keras.Sequential([
        keras.Input((64, 64, 3)),
        L.Conv2D(6, 3, activation="relu"), L.MaxPooling2D(2),
        L.Conv2D(16, 3, activation="relu"), L.MaxPooling2D(2),
        L.Flatten(), L.Dense(120, activation="relu"), L.Dense(84, activation="relu"),
        L.Dense(10, activation="softmax"),
    ])
    assert_same(model, textbook.lenet_code())


def test_example_e_vgg_style_sequential_matches_keras_including_names():
    keras = require("keras")
    keras.backend.clear_session()  # Keras numbers names per session; start from conv2d
    L = keras.layers
    model = keras.Sequential([
        keras.Input((256, 256, 3)),
        L.Conv2D(64, 3, padding="same", activation="relu"),
        L.Conv2D(64, 3, padding="same", activation="relu"),
        L.MaxPool2D(), L.BatchNormalization(), L.Dropout(0.5),
        L.Conv2D(128, 3, padding="same", activation="relu"),
        L.Conv2D(128, 3, padding="same", activation="relu"),
        L.MaxPool2D(), L.BatchNormalization(), L.Dropout(0.3),
        L.GlobalMaxPool2D(), L.Dense(128, activation="relu"), L.Dense(1, activation="sigmoid"),
    ])
    ours = textbook.vgg_style()
    assert_same(model, ours)
    assert [l.name for l in keras_layers(model)] == [r.name for r in ours.layers]


def test_example_d_free_width_matches_keras_at_several_widths():
    keras = require("keras")
    L = keras.layers
    model = textbook.free_width()
    for width in (1, 7, 323):
        k = keras.Sequential([
            keras.Input((39, 31, 1)),
            L.Conv2D(20, 4, use_bias=False), L.MaxPooling2D(2),
            L.Conv2D(40, 3, use_bias=False), L.MaxPooling2D(2),
            L.Conv2D(60, 3, use_bias=False), L.MaxPooling2D(2),
            L.Conv2D(80, 2, use_bias=False), L.Flatten(), L.Dense(width, use_bias=False),
        ])
        assert_same(k, model.subs(n=width))
