"""Hostile layer arguments get a SymcnnError naming the layer, the argument and the value,
never a raw Python, NumPy or SymPy exception (docs/errors.md): integers too long for
Python's int->str limit, NumPy scalars and arrays, values Keras or PyTorch refuse, unknown
keywords and call arguments."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np
import pytest

import symcnn as sc
from symcnn import nn

B = 10**5000  # over Python's 4,300-digit int->str limit
SHOWN = "<an integer of 5,001 digits>"


def _model(layer, shape=(4,)):
    return sc.Sequential([sc.Input(shape), layer])


def _merge(layer):
    a, b = sc.Input((4,)), sc.Input((4,))
    return sc.Model([a, b], layer([a, b]))


# -- 1. huge integers in messages ---------------------------------------------------------

HUGE = {
    "Dense name": lambda: sc.Dense(4, name=B),
    "Dense use_bias": lambda: sc.Dense(4, use_bias=B),
    "Dense activation": lambda: sc.Dense(4, activation=B),
    "Conv2D data_format": lambda: sc.Conv2D(4, 3, data_format=B),
    "Elementwise op": lambda: sc.Elementwise(B),
    "BatchNormalization axis": lambda: _model(sc.BatchNormalization(axis=B)),
    "LayerNormalization axis": lambda: _model(sc.LayerNormalization(axis=B)),
    "Softmax axis": lambda: _model(sc.Softmax(axis=B)),
    "Concatenate axis": lambda: _merge(sc.Concatenate(axis=B)),
    "Permute dims": lambda: _model(sc.Permute((B,))),
    "nn.ZeroPad3d": lambda: _model(nn.ZeroPad3d(B), (3, 4, 4, 4)),
    "nn.ZeroPad3d negative": lambda: _model(nn.ZeroPad3d(-B), (3, 4, 4, 4)),
    "nn.CircularPad1d": lambda: _model(nn.CircularPad1d(B), (3, 4)),
    "nn.ReflectionPad1d": lambda: _model(nn.ReflectionPad1d(B), (3, 4)),
    "nn.ConstantPad1d": lambda: _model(nn.ConstantPad1d(B, 0.0), (3, 4)),
    "nn.Flatten start_dim": lambda: _model(nn.Flatten(start_dim=B), (3, 4)),
    "nn.Unflatten dim": lambda: _model(nn.Unflatten(B, (2, 2))),
    "nn.Slice": lambda: _model(nn.Slice((slice(None), slice(B))), (3, 4)),
    "nn.Softmax dim": lambda: _model(nn.Softmax(dim=B), (3, 4)),
    "nn.RNN nonlinearity": lambda: nn.RNN(4, 4, nonlinearity=B),
    "nn.Conv2d padding_mode": lambda: nn.Conv2d(3, 4, 3, padding_mode=B),
    "nn.LayerNorm elementwise_affine": lambda: nn.LayerNorm(4, elementwise_affine=B),
    "Sequential element": lambda: sc.Sequential([sc.Input((4,)), B]),
    "nn.ParameterAdd shape": lambda: _model(nn.ParameterAdd((B, "x"))),
    "nn.Einsum equation": lambda: nn.Einsum(B),
}


@pytest.mark.parametrize("make", HUGE.values(), ids=HUGE.keys())
def test_an_integer_over_4300_digits_is_shown_by_its_size(make):
    with pytest.raises(sc.SymcnnError) as err:
        make()
    message = str(err.value)
    assert SHOWN in message or "too large to show" in message
    assert "Received:" in message


def test_brief_shows_any_value_without_failing():
    assert sc.errors.brief(B) == SHOWN
    assert sc.errors.brief((B,)) == "<a tuple too large to show>"
    assert sc.errors.brief("x" * 1000).endswith("...")


# -- 2. NumPy arguments ---------------------------------------------------------------------

def test_numpy_integer_scalars_count_as_ints_as_pytorch_takes_them():
    torch = pytest.importorskip("torch")
    x = torch.zeros(1, 3, 17, 17)
    for make in (nn.MaxPool2d, nn.AvgPool2d):
        ours = _model(make(3, stride=np.int64(2)), (3, 17, 17))
        theirs = getattr(torch.nn, make.__name__)(3, stride=np.int64(2))(x)
        assert ours.output_shape == tuple(theirs.shape[1:])
        assert ours.layers[-1].layer.get_config() == make(3, stride=2).get_config()
    conv = nn.Conv2d(3, 4, np.int64(3), padding=np.int64(1))
    assert _model(conv, (3, 17, 17)).output_shape == tuple(
        torch.nn.Conv2d(3, 4, np.int64(3), padding=np.int64(1))(x).shape[1:])
    assert type(sc.ReLU(threshold=np.float32(0.5)).get_config()["threshold"]) is float


ARRAYS = {
    "nn.MaxPool2d stride": (lambda a: nn.MaxPool2d(3, stride=a), "stride"),
    "nn.AvgPool1d stride": (lambda a: nn.AvgPool1d(3, stride=a), "stride"),
    "Reshape": (lambda a: sc.Reshape((a, 4)), "target_shape"),
    "nn.Unflatten": (lambda a: nn.Unflatten(1, (a,)), "unflattened_size"),
    "nn.RNN nonlinearity": (lambda a: nn.RNN(4, 4, nonlinearity=a), "nonlinearity"),
    "nn.Upsample": (lambda a: nn.Upsample(size=33, recompute_scale_factor=a),
                    "recompute_scale_factor"),
    "nn.Conv2d padding": (lambda a: nn.Conv2d(3, 4, 3, padding=a), "padding"),
    "ReLU threshold": (lambda a: sc.ReLU(threshold=a), "threshold"),
    "nn.PReLU init": (lambda a: nn.PReLU(init=a), "init"),
}


@pytest.mark.parametrize("make, arg", ARRAYS.values(), ids=ARRAYS.keys())
def test_a_numpy_array_is_refused_naming_the_argument(make, arg):
    with pytest.raises(sc.LayerArgumentError, match=rf"`{arg}` cannot be a NumPy array "
                                                    rf"\(shape \(2,\)\).*Received: {arg}="):
        make(np.array([2, 2]))


# -- 5. values Keras or PyTorch refuse -------------------------------------------------------

KERAS_REFUSES = {
    "ReLU threshold text": (lambda L: L.ReLU(threshold="abc"), "threshold"),
    "ReLU max_value text": (lambda L: L.ReLU(max_value="abc"), "max_value"),
    "ReLU max_value negative": (lambda L: L.ReLU(max_value=-1.0), "max_value"),
    "ReLU negative_slope negative": (lambda L: L.ReLU(negative_slope=-1.0), "negative_slope"),
    "ReLU threshold negative": (lambda L: L.ReLU(threshold=-1.0), "threshold"),
    "LeakyReLU negative_slope text": (lambda L: L.LeakyReLU(negative_slope="x"),
                                      "negative_slope"),
    "LeakyReLU negative_slope negative": (lambda L: L.LeakyReLU(negative_slope=-1.0),
                                          "negative_slope"),
    "SpatialDropout2D data_format": (lambda L: L.SpatialDropout2D(0.5, data_format="bogus"),
                                     "data_format"),
}


@pytest.mark.parametrize("make, arg", KERAS_REFUSES.values(), ids=KERAS_REFUSES.keys())
def test_what_the_keras_constructor_refuses_is_refused(make, arg):
    keras = pytest.importorskip("keras")
    with pytest.raises((ValueError, TypeError)):
        make(keras.layers)
    with pytest.raises(sc.LayerArgumentError, match=rf"`{arg}` must be .*Received: {arg}="):
        make(sc)


def test_elu_alpha_must_be_a_number_as_keras_needs_it_in_the_call():
    keras = pytest.importorskip("keras")
    with pytest.raises(TypeError):
        keras.layers.ELU(alpha=None)(np.zeros((1, 4), "float32"))
    with pytest.raises(sc.LayerArgumentError, match=r"`alpha` must be a number"):
        sc.ELU(alpha=None)


def test_prelu_init_must_be_a_number_as_pytorch_requires():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError):
        torch.nn.PReLU(init="x")
    with pytest.raises(sc.LayerArgumentError, match=r"PReLU: `init` must be a number"):
        nn.PReLU(init="x")
    assert nn.PReLU(init=0.1).get_config()["init"] == 0.1


def test_pytorch_leaky_relu_keeps_a_negative_slope():
    torch = pytest.importorskip("torch")
    assert torch.nn.LeakyReLU(-0.5).negative_slope == -0.5
    assert nn.LeakyReLU(-0.5).get_config()["negative_slope"] == -0.5


@pytest.mark.parametrize("make", [lambda: sc.ReLU(max_value=float("nan")),
                                  lambda: sc.ReLU(threshold=float("nan")),
                                  lambda: sc.LeakyReLU(negative_slope=float("nan")),
                                  lambda: sc.BatchNormalization(epsilon=-1),
                                  lambda: sc.BatchNormalization(epsilon=float("nan"))])
def test_a_nan_or_a_negative_epsilon_is_refused(make):
    # Keras and PyTorch take these and compute NaN; symcnn refuses them (docs/errors.md)
    with pytest.raises(sc.LayerArgumentError, match=r"must be a (non-negative )?number"):
        make()


@pytest.mark.parametrize("kind, rank", [("SpatialDropout1D", 2), ("SpatialDropout2D", 3),
                                        ("SpatialDropout3D", 4)])
def test_spatial_dropout_takes_only_keras_rank(kind, rank):
    keras = pytest.importorskip("keras")
    for r in range(1, 6):
        shape = (4,) * r
        keras_takes = True
        try:
            getattr(keras.layers, kind)(0.5)(np.zeros((1, *shape), "float32"))
        except ValueError:
            keras_takes = False
        assert keras_takes == (r == rank)
        if keras_takes:
            assert _model(getattr(sc, kind)(0.5), shape).output_shape == shape
        else:
            with pytest.raises(sc.ShapeError, match=rf"expects an input of rank {rank}"):
                _model(getattr(sc, kind)(0.5), shape)


# -- 6. unknown keywords, positionals and call arguments -------------------------------------

def test_an_unknown_keyword_of_a_pytorch_named_layer_is_a_layer_argument_error():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError):
        torch.nn.Linear(3, 4, bogus=1)
    with pytest.raises(sc.LayerArgumentError, match=r"^Linear: unexpected argument `bogus`; "
                                                    r"it takes in_features, out_features"):
        nn.Linear(3, 4, bogus=1)
    with pytest.raises(sc.LayerArgumentError, match=r"Did you mean 'bias'\?"):
        nn.Linear(3, 4, biass=True)
    with pytest.raises(sc.LayerArgumentError, match=r"^Linear: takes at most 7 positional"):
        nn.Linear(3, 4, True, None, None, "n", True, 9)
    with pytest.raises(sc.LayerArgumentError, match=r"^Linear: missing argument `out_features`"):
        nn.Linear(3)
    with pytest.raises(sc.LayerArgumentError, match=r"`in_features` is given twice"):
        nn.Linear(3, 4, in_features=3)
    for cls in (nn.Conv2d, nn.MaxPool2d, nn.BatchNorm2d, nn.LSTM, nn.Flatten, nn.Embedding):
        with pytest.raises(sc.LayerArgumentError, match="unexpected argument `bogus`"):
            cls(*[3] * 3 if cls is nn.Conv2d else [3] * (cls is not nn.Flatten) + [4] * (
                cls in (nn.LSTM, nn.Embedding)), bogus=1)


def test_model_keywords_are_checked():
    x = sc.Input((4,))
    with pytest.raises(sc.LayerArgumentError, match=r"unexpected argument `bogus`; it takes "
                                                    r"inputs, outputs, name, constraints"):
        sc.Model(x, sc.Dense(2)(x), bogus=3)


def test_a_layer_call_takes_training_and_refuses_a_mask():
    x = sc.Input((4,))
    assert sc.Model(x, sc.Dense(3)(x, training=True)).params == \
        sc.Model(x, sc.Dense(3)(x)).params
    assert sc.Dense(3)(x, training=None, mask=None).shape == (3,)
    with pytest.raises(sc.LayerArgumentError, match=r"does not model masks.*Received: mask="):
        sc.Dense(3)(x, mask=x)
    with pytest.raises(sc.LayerArgumentError, match=r"unexpected call argument `bogus`"):
        sc.Dense(3)(x, bogus=1)
    with pytest.raises(sc.LayerArgumentError, match=r"`training` must be True, False or None"):
        sc.Dense(3)(x, training="yes")


def test_printing_options_are_checked_like_summary_text():
    model = sc.Sequential([sc.Input((4,)), sc.Dense(2)])
    with pytest.raises(sc.ArgumentError, match=r"^summary_text: unexpected argument `bogus`"):
        model.summary_text(bogus=1)
    with pytest.raises(sc.ArgumentError, match=r"^to_latex: unexpected argument `bogus`; it "
                                               r"takes style, standalone, assume_divisible"):
        model.to_latex(bogus=1)
    with pytest.raises(sc.ArgumentError, match=r"^to_html: unexpected argument `caption`"):
        model.to_html(caption=3)
    assert "caption" not in model.to_html(standalone=False)
    assert r"\caption{c}" in model.to_latex(caption="c")
