"""symcnn refuses exactly the window layers the frameworks refuse, and sizes the rest alike.

The random-model suites only draw valid models; these single-layer properties probe the
boundary: for any input size, kernel, stride, dilation, padding (and ``ceil_mode``,
``output_padding``), a framework builds and runs the layer with a non-empty output if and
only if symcnn builds it, and then the sizes are equal.
"""

import warnings

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

import symcnn as sc

from ..conftest import require

pytestmark = pytest.mark.frameworks
RELAXED = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])
CF = "channels_first"


def symcnn_length(layer, shape, axis=-1):
    """The output length of ``layer`` on ``shape``, or None when symcnn refuses it."""
    try:
        return sc.Sequential([sc.Input(shape), layer]).output_shape[axis]
    except sc.SymcnnError:
        return None


def torch_length(module, length):
    torch = require("torch")
    try:
        out = module(torch.zeros(1, 2, length)).shape[-1]
    except RuntimeError:
        return None
    return out if out >= 1 else None


@settings(max_examples=300, **RELAXED)
@given(i=st.integers(1, 12), k=st.integers(1, 6), s=st.integers(1, 4), data=st.data(),
       ceil_mode=st.booleans(), kind=st.sampled_from(["Max", "Avg"]))
def test_pytorch_pooling_with_padding_and_ceil_mode_is_refused_exactly_when_torch_refuses(
        i, k, s, data, ceil_mode, kind, tally):
    torch = require("torch")
    p = data.draw(st.integers(0, k // 2))
    module = getattr(torch.nn, f"{kind}Pool1d")(k, s, p, ceil_mode=ceil_mode)
    layer = getattr(sc, "MaxPooling1D" if kind == "Max" else "AveragePooling1D")(
        k, strides=s, padding=p, ceil_mode=ceil_mode, data_format=CF)
    assert symcnn_length(layer, (2, i)) == torch_length(module, i)
    tally["single-layer boundary"] += 1


@settings(max_examples=300, **RELAXED)
@given(i=st.integers(1, 12), k=st.integers(1, 5), s=st.integers(1, 3), d=st.integers(1, 3),
       p=st.one_of(st.integers(0, 3), st.just("same"), st.just("valid")))
def test_pytorch_convolution_is_refused_exactly_when_torch_refuses(i, k, s, d, p, tally):
    torch = require("torch")
    if p == "same":
        s = 1  # PyTorch allows 'same' with stride 1 only
    module = torch.nn.Conv1d(2, 3, k, stride=s, padding=p, dilation=d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 'same' with an even kernel copies the input
        expected = torch_length(module, i)
    layer = sc.Conv1D(3, k, strides=s, padding=p, dilation_rate=d, data_format=CF)
    assert symcnn_length(layer, (2, i)) == expected
    tally["single-layer boundary"] += 1


@settings(max_examples=300, **RELAXED)
@given(i=st.integers(1, 8), k=st.integers(1, 4), s=st.integers(1, 3), d=st.integers(1, 3),
       p=st.integers(0, 4), data=st.data())
def test_pytorch_transposed_convolution_is_refused_exactly_when_torch_refuses(i, k, s, d, p,
                                                                               data, tally):
    torch = require("torch")
    op = data.draw(st.integers(0, max(s, d) - 1))
    module = torch.nn.ConvTranspose1d(2, 3, k, stride=s, padding=p, output_padding=op,
                                      dilation=d)
    layer = sc.Conv1DTranspose(3, k, strides=s, padding=p, output_padding=op, dilation_rate=d,
                               data_format=CF)
    assert symcnn_length(layer, (2, i)) == torch_length(module, i)
    tally["single-layer boundary"] += 1


def keras_length(layer, length):
    keras = require("keras")
    import numpy as np

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x = keras.Input((length, 2))
            y = layer(x)
            out = keras.Model(x, y)(np.zeros((1, length, 2), dtype="float32"))
    except (ValueError, RuntimeError):
        return None
    declared = y.shape[1]
    assert declared == out.shape[1], "Keras' declared shape differs from its forward pass"
    return declared if declared >= 1 else None


@settings(max_examples=150, **RELAXED)
@given(i=st.integers(1, 10), k=st.integers(1, 5), s=st.integers(1, 3), d=st.integers(1, 3),
       padding=st.sampled_from(["valid", "same", "causal"]),
       kind=st.sampled_from(["Conv1D", "MaxPooling1D", "AveragePooling1D", "Conv1DTranspose",
                             "Cropping1D"]))
def test_keras_window_layers_are_refused_exactly_when_keras_refuses(i, k, s, d, padding, kind,
                                                                    tally):
    keras = require("keras")
    if kind == "Cropping1D":
        args = {"cropping": (k - 1, s)}
    elif kind.endswith("Pooling1D"):
        assume(padding != "causal")
        args = {"pool_size": k, "strides": s, "padding": padding}
    else:
        assume(padding != "causal" or kind == "Conv1D")
        assume(s == 1 or d == 1)  # Keras refuses strides > 1 with dilation > 1
        args = {"filters": 3, "kernel_size": k, "strides": s, "padding": padding,
                "dilation_rate": d}
    expected = keras_length(getattr(keras.layers, kind)(**args), i)
    assert symcnn_length(getattr(sc, kind)(**args), (i, 2), axis=0) == expected
    tally["single-layer boundary"] += 1
