"""Rescaling, Normalization, LayerScale, CustomScaleLayer, Elementwise: Keras' counts.

Normalization counts its adapted mean, variance and count as non-trainable weights, as Keras
does; with mean and variance given it has none. The scale layers of Keras' applications
(ConvNeXt's LayerScale, InceptionResNetV2's CustomScaleLayer) are checked against the
applications' own classes, and ``keras.ops`` arithmetic with a constant against a Keras model
that uses it.
"""

import pytest
from hypothesis import given, settings, strategies as st

import symcnn as sc

from ..conftest import require


def _keras_counts(layer):
    import math

    return (layer.count_params(),
            sum(math.prod(w.shape) for w in layer.trainable_weights),
            sum(math.prod(w.shape) for w in layer.non_trainable_weights))


def _ours(model):
    return model.params, model.trainable_params, model.non_trainable_params


@pytest.mark.frameworks
@settings(max_examples=20, deadline=None)
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=3), data=st.data())
def test_normalization_counts_as_keras_for_any_kept_axes(shape, data):
    keras = require("keras")
    rank = len(shape) + 1
    axes = data.draw(st.one_of(
        st.none(), st.integers(1, rank - 1), st.integers(-(rank - 1), -1),
        st.lists(st.integers(1, rank - 1), min_size=1, max_size=rank - 1, unique=True)))
    given_stats = data.draw(st.booleans())
    kwargs = {"axis": axes}
    if given_stats:
        kwargs.update(mean=0.5, variance=2.0)
    theirs = keras.layers.Normalization(**kwargs)
    keras.Sequential([keras.Input(tuple(shape)), theirs])
    model = sc.Sequential([sc.Input(tuple(shape)), sc.Normalization(**kwargs)])
    assert _ours(model) == _keras_counts(theirs)
    assert model.output_shape == tuple(shape) and model.macs == 0


def test_normalization_closed_form_is_2c_plus_1_non_trainable():
    C = sc.symbols("C")
    m = sc.Sequential([sc.Input(("H", "W", C)), sc.Normalization()])
    assert _ours(m) == (2 * C + 1, 0, 2 * C + 1)


@pytest.mark.parametrize("build, message", [
    (lambda: sc.Rescaling("a"), "Rescaling: `scale`.*scale='a'"),
    (lambda: sc.Normalization(axis=1.5), "Normalization: `axis`.*axis=1.5"),
    (lambda: sc.Normalization(mean=1.0), "Normalization: `mean` and `variance`"),
    (lambda: sc.LayerScale("big"), "LayerScale: `init_values`.*init_values='big'"),
    (lambda: sc.CustomScaleLayer(None), "CustomScaleLayer: `scale`.*scale=None"),
    (lambda: sc.Elementwise("add", "x"), "Elementwise: `constant`.*constant='x'"),
])
def test_bad_arguments_name_the_layer_the_argument_and_the_value(build, message):
    with pytest.raises(sc.LayerArgumentError, match=message):
        build()


def test_normalization_axis_out_of_range_is_a_shape_error():
    with pytest.raises(sc.ShapeError, match="Normalization layer.*axis"):
        sc.Normalization(axis=4)(sc.Input((5, 4)))


@pytest.mark.frameworks
def test_rescaling_and_the_applications_scale_layers_count_as_keras():
    keras = require("keras")
    from keras.src.applications.convnext import LayerScale
    from keras.src.applications.inception_resnet_v2 import CustomScaleLayer

    x = keras.Input((7, 7, 16))
    scale = LayerScale(1e-6, 16)
    custom = CustomScaleLayer(0.17)
    rescale = keras.layers.Rescaling(1 / 255, offset=-1.0)
    y = custom([rescale(x), scale(x)])
    theirs = keras.Model(x, y)
    ours = sc.from_keras(theirs)
    assert _ours(ours) == _keras_counts(theirs) == (16, 16, 0)
    assert ours.output_shape == tuple(y.shape[1:])
    t = sc.Input((7, 7, 16))
    built = sc.Model(t, sc.CustomScaleLayer(0.17)([sc.Rescaling(1 / 255, -1.0)(t),
                                                  sc.LayerScale(1e-6, 16)(t)]))
    assert _ours(built) == _ours(ours)


@pytest.mark.frameworks
def test_keras_ops_arithmetic_with_a_constant_imports_as_elementwise_layers():
    keras = require("keras")
    x = keras.Input((4, 4, 8))
    hard_sigmoid = keras.ops.multiply(keras.layers.ReLU(6.0)(keras.ops.add(x, 3.0)), 1 / 6)
    y = keras.layers.Multiply()([x, hard_sigmoid])
    theirs = keras.Model(x, y)
    ours = sc.from_keras(theirs)
    kinds = [(r.type, getattr(r.layer, "op", None)) for r in ours.layers]
    assert ("Elementwise", "add") in kinds and ("Elementwise", "multiply") in kinds
    assert ours.output_shape == tuple(y.shape[1:]) and ours.params == theirs.count_params() == 0


@pytest.mark.frameworks
@pytest.mark.parametrize("shape, projection_dim", [
    ((7, 7, 16), 1), ((7, 7, 16), 16), ((7, 7, 1), 4), ((7, 7, 1), 1), ((5, 16), 1), ((16,), 1),
])
def test_layer_scale_broadcasts_a_dimension_of_one_as_keras_does(shape, projection_dim):
    """``LayerScale(..., projection_dim=1)`` on 16 channels was refused ("must equal"); Keras'
    applications' LayerScale multiplies by a vector of length ``projection_dim``, so one factor
    is broadcast over every channel (1 parameter), and one input channel is broadcast to
    ``projection_dim`` channels."""
    keras = require("keras")
    from keras.src.applications.convnext import LayerScale

    x = keras.Input(shape)
    y = LayerScale(1e-6, projection_dim)(x)
    theirs = keras.Model(x, y)
    t = sc.Input(shape)
    ours = sc.Model(t, sc.LayerScale(1e-6, projection_dim)(t))
    assert _ours(ours) == _keras_counts(theirs)
    assert ours.output_shape == tuple(y.shape[1:])
    imported = sc.from_keras(theirs)
    assert _ours(imported) == _ours(ours) and imported.output_shape == ours.output_shape


@pytest.mark.frameworks
def test_layer_scale_refuses_what_keras_refuses_and_says_why():
    keras = require("keras")
    from keras.src.applications.convnext import LayerScale

    with pytest.raises(Exception):  # Keras: the (4,) factors do not broadcast against 16
        keras.Model(x := keras.Input((7, 7, 16)), LayerScale(1e-6, 4)(x))
    with pytest.raises(sc.ShapeError, match=r"must equal `projection_dim`, or one of them be "
                                            r"1 \(Keras broadcasts.*projection_dim=4"):
        sc.LayerScale(1e-6, 4)(sc.Input((7, 7, 16)))


def test_layer_scale_with_one_factor_counts_one_whatever_the_channels():
    H, W, C = sc.symbols("H W C")
    t = sc.Input((H, W, C))
    model = sc.Model(t, sc.LayerScale(1e-6, 1)(t))
    assert (model.params, model.output_shape, model.constraints) == (1, (H, W, C), [])
    assert model.layers[1].derivation.params.value == 1 and model.subs(C=16).params == 1
