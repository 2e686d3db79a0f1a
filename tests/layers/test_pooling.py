"""Specification of the pooling family: window sizes (PyTorch's ceil_mode included) against
brute-force counts, and the derivations that show them; adaptive pooling against real
``torch.nn.AdaptiveAvgPool*d`` / ``AdaptiveMaxPool*d`` (channels first) and Keras 3's
``AdaptiveAveragePooling*D``; global pooling."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import assume, given, settings, strategies as st

import symcnn as sc
from symcnn import formulas, symbols

from ..conftest import require

H = symbols("H")
sizes = st.integers(1, 64)
small = st.integers(1, 7)


def _only(model):
    (record,) = model.layers
    return record.derivation


def brute_ceil_mode(i, k, s, p, d):
    """PyTorch ceil_mode: the last window may run past the end, but must start before the
    right padding."""
    extent = d * (k - 1) + 1
    return sum(1 for start in range(0, i + 2 * p + s, s)
               if start + extent <= i + 2 * p + s - 1 and start < i + p)


@given(i=sizes, k=small, s=small, p=st.integers(0, 3), d=st.integers(1, 3))
def test_ceil_mode_counts_windows_that_start_before_the_right_padding(i, k, s, p, d):
    assume(i + 2 * p >= d * (k - 1) + 1)
    expected = brute_ceil_mode(i, k, s, p, d)
    assert formulas.window_output_size(i, k, s, p, d, ceil_mode=True) == expected
    assert formulas.window_output_size(H, k, s, p, d, ceil_mode=True).subs(H, i) == expected


def test_pytorch_ceil_mode_is_a_min_of_ceiling_and_last_window_start():
    d = _only(sc.Sequential([sc.Input((5, 5, 1)), sc.MaxPooling2D(1, strides=3, padding=0,
                                                                  ceil_mode=True)]))
    assert str(d["H_out"].formula).startswith("min(ceiling(")
    assert d["H_out"].value == 2 == d["H_out"].evaluate()


@given(i=sizes, k=small, s=small, p=st.integers(0, 3))
def test_a_pooling_window_reads_the_positions_its_formula_says(i, k, s, p):
    assume(2 * p <= k and i + 2 * p >= k)
    layer = sc.MaxPooling1D(k, strides=s, padding=p)
    (window, _) = layer.window_for((i, 1))
    for o in range(int(formulas.window_output_size(i, k, s, p))):
        assert window.bounds(o, i) == (s * o - p, s * o - p + k - 1)


# ------------------------------------------------------------------ adaptive pooling


RANKS = {1: "1D", 2: "2D", 3: "3D"}


@settings(max_examples=60, deadline=None)
@given(rank=st.sampled_from([1, 2, 3]), data=st.data())
def test_adaptive_pooling_output_is_output_size_for_any_input_size_as_in_torch(rank, data):
    torch = require("torch")
    spatial = tuple(data.draw(st.integers(1, 9)) for _ in range(rank))
    entry = st.integers(1, 12) if rank == 1 else st.one_of(st.none(), st.integers(1, 12))
    output_size = tuple(data.draw(entry) for _ in range(rank))  # torch: None from 2D on
    kind = data.draw(st.sampled_from(["Avg", "Max"]))
    module = getattr(torch.nn, f"Adaptive{kind}Pool{rank}d")(output_size)
    real = tuple(module(torch.zeros(1, 3, *spatial)).shape[1:])
    name = "AdaptiveAveragePooling" if kind == "Avg" else "AdaptiveMaxPooling"
    layer = getattr(sc, name + RANKS[rank])(output_size, data_format="channels_first")
    model = sc.Sequential([sc.Input((3, *spatial)), layer])
    assert model.output_shape == real
    assert model.params == 0


@pytest.mark.frameworks
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_adaptive_average_pooling_matches_keras_in_both_data_formats(data_format):
    keras = require("keras")
    shape = (11, 6, 4) if data_format == "channels_last" else (4, 11, 6)
    theirs = keras.layers.AdaptiveAveragePooling2D((3, 8), data_format=data_format)
    expected = tuple(theirs(keras.Input(shape)).shape[1:])
    ours = sc.AdaptiveAveragePooling2D((3, 8), data_format=data_format)(sc.Input(shape))
    assert ours.shape == expected


def test_adaptive_pooling_keeps_symbolic_channels_and_drops_the_input_size():
    H, W, C = sc.symbols("H W C")
    assert sc.AdaptiveAveragePooling2D(7)(sc.Input((H, W, C))).shape == (7, 7, C)
    assert sc.AdaptiveMaxPooling1D("n")(sc.Input((H, C))).shape == (sc.symbols("n"), C)


def test_none_in_output_size_keeps_that_axis_as_pytorch_does():
    H, W = sc.symbols("H W")
    out = sc.AdaptiveAveragePooling2D((None, 1), data_format="channels_first")(sc.Input((8, H, W)))
    assert out.shape == (8, H, 1)


def test_a_symbolic_output_size_substitutes_like_any_layer_argument():
    n = sc.symbols("n")
    model = sc.Sequential([sc.Input((9, 9, 2)), sc.AdaptiveAveragePooling2D(n), sc.Flatten()])
    assert model.output_shape == (2 * n**2,)
    assert model.subs(n=3).output_shape == (18,)
    assert sc.AdaptiveAveragePooling2D(n).subs({n: 3}).output_size == (3, 3)


@pytest.mark.parametrize("bad", [0, -2, 2.5, (1, 2, 3), None])
def test_output_size_must_be_positive_sizes_one_per_axis(bad):
    with pytest.raises(sc.LayerArgumentError, match=r"output_size.*Received: output_size="):
        sc.AdaptiveAveragePooling2D(bad)


def test_adaptive_pooling_on_the_wrong_rank_names_the_layer():
    with pytest.raises(sc.ShapeError, match="AdaptiveMaxPooling2D layer.*rank 3"):
        sc.AdaptiveMaxPooling2D(2)(sc.Input((5, 4)))


@given(i=st.integers(1, 40), m=st.integers(2, 12))
def test_adaptive_windows_are_pytorchs_start_and_end_indices(i, m):
    (window, _) = sc.AdaptiveAveragePooling1D(m).window_for((i, 1))
    for o in range(m):
        start, end = (o * i) // m, -(-((o + 1) * i) // m)  # torch's adaptive pooling indices
        assert window.bounds(o, i) == (start, end - 1)


# ------------------------------------------------------------------ global pooling


def test_keepdims_sizes_are_sympy_integers_and_the_model_substitutes():
    x = sc.Input(("H", "W", "c"))
    y = sc.GlobalAveragePooling2D(keepdims=True)(x)
    assert all(isinstance(d, sympy.Integer) for d in y.shape[:2])
    model = sc.Model(x, sc.Conv2D(8, 1)(y))
    assert {s.name for s in model.free_symbols} == {"H", "W", "c"}
    assert model.subs(c=4).params == 4 * 8 + 8
