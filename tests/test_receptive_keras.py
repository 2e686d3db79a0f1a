"""Receptive fields under Keras' own padding rules ("same", "valid", "causal", transposed),
checked against the positions Keras 3 (torch backend) layers actually reach by autograd."""

import pytest
from hypothesis import assume, event, given, settings, strategies as st

import symcnn as sc
from symcnn.receptive import input_span

from .conftest import require

pytestmark = pytest.mark.frameworks


@st.composite
def keras_layer(draw):
    kind = draw(st.sampled_from(["conv", "conv", "pool", "tconv"]))
    padding = draw(st.sampled_from(["same", "valid"]))
    k = draw(st.integers(1, 4))
    if kind == "conv":
        stride, dilation = draw(st.sampled_from([(1, 1), (1, 2), (1, 3), (2, 1), (3, 1)]))
        return ("Conv2D", dict(filters=2, kernel_size=k, strides=stride, padding=padding,
                               dilation_rate=dilation))
    if kind == "pool":
        return ("AveragePooling2D", dict(pool_size=k, strides=draw(st.integers(1, 3)),
                                         padding=padding))
    stride = draw(st.integers(1, 3))
    return ("Conv2DTranspose", dict(filters=2, kernel_size=max(k, stride), strides=stride,
                                    padding=padding))


def keras_reach(layers, shape, position):
    """(first, last) input row and column whose value changes output ``position``."""
    torch = require("torch")
    keras = require("keras")
    import numpy as np

    model = keras.Sequential([keras.Input(shape)] + [getattr(keras.layers, name)(**args)
                                                     for name, args in layers])
    for variable in model.weights:  # positive kernels, zero biases: no cancellation
        value = np.asarray(variable.numpy())
        variable.assign(np.zeros_like(value) if "bias" in variable.path else np.abs(value) + 0.1)
        variable.value.requires_grad_(False)
    x = torch.ones((1, *shape), dtype=torch.float32, requires_grad=True)
    out = model(x)
    out[(0, *position, slice(None))].sum().backward()
    hit = x.grad[0].abs().sum(dim=-1) > 0
    rows, cols = hit.any(dim=1).nonzero().flatten(), hit.any(dim=0).nonzero().flatten()
    if len(rows) == 0:  # only padding reaches it
        return (None, None), tuple(out.shape[1:3])
    return ((int(rows[0]), int(rows[-1])), (int(cols[0]), int(cols[-1]))), tuple(out.shape[1:3])


@settings(max_examples=15)
@given(st.lists(keras_layer(), min_size=1, max_size=3), st.integers(16, 30), st.integers(16, 30))
def test_spans_under_keras_padding_rules_equal_what_keras_layers_reach(layers, h, w):
    try:
        model = sc.Sequential([sc.Input((h, w, 1))] + [getattr(sc, name)(**args)
                                                        for name, args in layers])
    except sc.ShapeError:
        assume(False)
    out_h, out_w = (int(d) for d in model.output_shape[:2])
    padded = 0
    for oy in sorted({0, out_h // 2, out_h - 1}):
        for ox in sorted({0, out_w - 1}):
            reach, shape = keras_reach(layers, (h, w, 1), (oy, ox))
            assert shape == (out_h, out_w)
            assert reach == input_span(model, (oy, ox))  # borders too: padding is not read
            (y0, y1), (x0, x1) = input_span(model, (oy, ox), padding=True)
            padded += not (0 <= y0 and y1 < h and 0 <= x0 and x1 < w)
    event("some windows cover padding" if padded else "no window covers padding")


def test_causal_padding_reads_only_the_past():
    model = sc.Sequential([sc.Input(("L", 1)), sc.Conv1D(1, 3, padding="causal", dilation_rate=2),
                           sc.Conv1D(1, 2, padding="causal")])
    (field,) = model.receptive_field
    assert (field.size, field.jump, field.start) == (6, 1, -5)
    assert input_span(model, (7,)) == ((2, 7),)
