"""``Rescaling`` and ``Normalization`` with lists or arrays of values: accepted exactly when
Keras 3 computes the shape it declares.

Keras applies a list ``scale``/``offset`` of ``Rescaling`` element-wise along the last axis
and reshapes a given ``mean``/``variance`` of ``Normalization`` onto the last kept axes; a
size that is neither the axis' nor 1 fails when the layer is called. symcnn accepted such
lists silently (a 3-value ``scale`` on 5 channels, a 3-value ``mean`` on 5 channels, a
``(5, 3)`` array ``mean`` was refused). Each case below is decided by running Keras: where
Keras computes the shape it declares, symcnn gives that shape and Keras' count; where it
fails, or computes another shape than it declares (an input of one channel broadcast to a
3-value ``scale``), symcnn refuses with a ShapeError naming the argument.
"""

import pytest

import symcnn as sc

from ..conftest import require


def _keras_verdict(layer, shape):
    """``(declared shape, count)`` when Keras computes the shape it declares, else None."""
    import numpy as np

    keras = require("keras")
    try:
        x = keras.Input(shape)
        y = layer(x)
        model = keras.Model(x, y)
        out = model(np.ones((2, *shape), "float32"))
    except Exception:  # Keras refuses it (at build or at call)
        return None
    declared = tuple(y.shape[1:])
    return (declared, model.count_params()) if tuple(out.shape[1:]) == declared else None


def _ours(layer, shape):
    x = sc.Input(shape)
    model = sc.Model(x, layer(x))
    return model.output_shape, model.params


RESCALING = [
    ((4, 4, 5), [1.0, 2.0, 3.0], 0.0),
    ((4, 4, 5), [2.0], 0.0),
    ((4, 4, 1), [1.0, 2.0, 3.0], 0.0),
    ((4, 4, 1), [1.0, 2.0, 3.0], [1.0, 2.0, 3.0]),
    ((4, 4, 5), 1.0, [1.0, 2.0, 3.0]),
    ((4, 4, 3), [1.0], [1.0, 2.0, 3.0]),
    ((4, 4, 3), [1.0, 2.0, 3.0], [1.0, 2.0, 3.0]),
    ((4, 3), [1.0, 2.0, 3.0, 4.0], 0.0),
    ((4, 3), [1.0, 2.0, 3.0], [1.0, 2.0]),
    ((4, 1), [1.0, 2.0, 3.0], [1.0, 2.0]),
]


@pytest.mark.frameworks
@pytest.mark.parametrize("shape, scale, offset", RESCALING)
def test_rescaling_lists_are_accepted_exactly_when_keras_computes_its_declared_shape(
        shape, scale, offset):
    keras = require("keras")
    theirs = _keras_verdict(keras.layers.Rescaling(scale, offset), shape)
    if theirs is None:
        with pytest.raises(sc.ShapeError, match=r"Rescaling layer.*`(scale|offset)`"):
            _ours(sc.Rescaling(scale, offset), shape)
    else:
        assert _ours(sc.Rescaling(scale, offset), shape) == theirs


def test_rescaling_on_a_symbolic_width_records_that_it_equals_the_list_length():
    C = sc.symbols("C")
    x = sc.Input(("H", "W", C))
    model = sc.Model(x, sc.Rescaling([1.0, 2.0, 3.0])(x))
    assert [str(c) for c in model.constraints] == ["Eq(C, 3)"]
    assert model.subs(C=3).output_shape[-1] == 3
    with pytest.raises(sc.ShapeError, match=r"last axis \(5\) must equal the length of `scale`"):
        model.subs(C=5)


def test_a_model_file_with_a_rescaling_list_of_the_wrong_length_is_refused():
    spec = {"symbols": ["T"], "input": ["T", 16],
            "layers": [{"Rescaling": {"scale": [1.0, 2.0, 3.0]}}]}
    with pytest.raises(sc.ShapeError, match=r"last axis \(16\).*scale=\(1\.0, 2\.0, 3\.0\)"):
        sc.model_from_spec(spec)
    spec["input"] = ["T", 3]
    assert sc.model_from_spec(spec).output_shape[-1] == 3


NORMALIZATION = [  # (input shape, axis, shape of mean and variance)
    ((4, 5), -1, (3,)), ((4, 5), -1, (1,)), ((4, 1), -1, (3,)), ((4, 5), -1, (5,)),
    ((5, 3), (1, 2), (5, 3)), ((5, 3), (1, 2), (5, 1)), ((5, 3), (1, 2), (1, 3)),
    ((5, 3), (1, 2), (3,)), ((5, 3), (1, 2), (5,)), ((5, 3), (1, 2), (15,)),
    ((5, 3), (1, 2), (3, 5)), ((5, 3), (1, 2), (1, 1)), ((5, 3), (1, 2), ()),
    ((5, 3), 1, (5,)), ((5, 3), 1, (3,)), ((2, 5, 3), (1, 3), (2, 3)),
    ((2, 5, 3), (1, 3), (5, 3)),
]


@pytest.mark.frameworks
@pytest.mark.parametrize("shape, axis, stats", NORMALIZATION)
def test_normalization_arrays_are_accepted_exactly_when_keras_computes_them(shape, axis, stats):
    import numpy as np

    keras = require("keras")
    mean, variance = np.full(stats, 0.5), np.full(stats, 2.0)
    theirs = _keras_verdict(keras.layers.Normalization(axis, mean=mean, variance=variance), shape)
    for given in ((mean, variance), (mean.tolist(), variance.tolist())):  # arrays, lists
        layer = sc.Normalization(axis, mean=given[0], variance=given[1])
        if theirs is None:
            with pytest.raises(sc.ShapeError, match=r"Normalization layer.*`mean` and "
                                                    r"`variance` of shape"):
                _ours(layer, shape)
        else:
            assert _ours(layer, shape) == theirs


@pytest.mark.frameworks
@pytest.mark.parametrize("axis, mean, variance", [
    (-1, [1.0, 2.0, 3.0], [1.0] * 5), (None, [1.0], [1.0]), ((1, 2), [[[1.0]]], [[[1.0]]]),
])
def test_normalization_refuses_at_construction_what_keras_refuses_there(axis, mean, variance):
    keras = require("keras")
    with pytest.raises(ValueError):
        keras.layers.Normalization(axis, mean=mean, variance=variance)
    with pytest.raises(sc.LayerArgumentError, match="Normalization: `mean` and `variance`"):
        sc.Normalization(axis, mean=mean, variance=variance)


def test_normalization_on_a_symbolic_kept_axis_records_that_it_equals_the_list_length():
    C = sc.symbols("C")
    x = sc.Input(("T", C))
    model = sc.Model(x, sc.Normalization(mean=[0.0, 1.0, 2.0], variance=[1.0] * 3)(x))
    assert [str(c) for c in model.constraints] == ["Eq(C, 3)"] and model.params == 0
    with pytest.raises(sc.ShapeError, match=r"size 3 must equal the input's axis 2 \(4\)"):
        model.subs(C=4)


@pytest.mark.parametrize("mean", [[[1.0, 2.0], [1.0]], [], "a", [True]])
def test_normalization_refuses_a_ragged_empty_or_non_numeric_mean(mean):
    with pytest.raises(sc.LayerArgumentError, match="Normalization: `mean` must be a number "
                                                    "or an array of numbers"):
        sc.Normalization(mean=mean, variance=mean)
