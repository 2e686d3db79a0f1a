"""The Keras models among the worked examples, built in real Keras 3 (torch backend).

Total, trainable and non-trainable counts and every layer's output shape must equal symcnn's.
"""

import pytest

from symcnn.zoo import textbook

from .conftest import require
from .support import keras_worked_examples as keras_examples

pytestmark = pytest.mark.frameworks


def keras_counts(model):
    import numpy as np

    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    return model.count_params(), trainable, non_trainable


def keras_layers(model):
    """Keras' own ``model.layers``: a functional model lists its InputLayer first, as ours."""
    return list(model.layers)


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
    assert_same(keras_examples.cifar(keras), textbook.cifar())


def test_example_c_lenet_code_matches_keras():
    keras = require("keras")
    assert_same(keras_examples.lenet_code(keras), textbook.lenet_code())


def test_example_e_vgg_style_sequential_matches_keras_including_names():
    keras = require("keras")
    keras.backend.clear_session()  # Keras numbers names per session; start from conv2d
    model = keras_examples.vgg_style(keras)
    ours = textbook.vgg_style()
    assert_same(model, ours)
    assert [l.name for l in keras_layers(model)] == [r.name for r in ours.layers]


def test_example_d_free_width_matches_keras_at_several_widths():
    keras = require("keras")
    model = textbook.free_width()
    for width in (1, 7, 323):
        assert_same(keras_examples.free_width(keras, width), model.subs(n=width))
