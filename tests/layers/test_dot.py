"""Specification of Dot: the dot product of two tensors along one axis each, with Keras 3's
output shapes (``batch_dot``: the first input's other axes, then the second's; ``(1,)`` for
two vectors), no weights, ``prod(output)*K`` MACs (PyTorch's FlopCounterMode / 2 on Keras'
own call) and what a training step keeps, checked against Keras 3 (torch backend)."""

from __future__ import annotations

import itertools
import os
import warnings

import pytest
from hypothesis import given, settings, strategies as st

import symcnn as sc

from ..conftest import require
from ..support.flops import torch_macs

T, S, K = sc.symbols("T S K")


def test_scores_of_two_sequences_are_t_by_s_with_t_s_k_macs():
    x, y = sc.Input((T, K)), sc.Input((S, K))
    m = sc.Model([x, y], sc.Dot(axes=2)([x, y]))
    assert (m.output_shape, m.params, m.macs) == ((T, S), 0, T * S * K)


def test_two_vectors_give_one_value_and_a_vector_times_a_matrix_a_vector():
    a, b, M = sc.Input((K,)), sc.Input((K,)), sc.Input((K, S))
    assert sc.Dot(axes=1)([a, b]).shape == (1,)
    assert sc.Dot(axes=(1, 1))([a, M]).shape == (S,)
    assert sc.Model([a, M], sc.Dot(axes=(1, 1))([a, M])).macs == K * S


def test_negative_axes_count_from_each_inputs_end():
    x, y = sc.Input((T, K)), sc.Input((K,))
    assert sc.Dot(axes=-1)([x, y]).shape == (T,)
    assert sc.Dot(axes=(-1, 1))([x, y]).shape == (T,)


@pytest.mark.parametrize("axes, message", [
    ((1, 2, 3), r"axes=\(1, 2, 3\)"), ("1", r"axes='1'"), ((1.0, 2), r"axes=\(1.0, 2\)"),
    (True, r"axes=True"),
])
def test_axes_is_an_int_or_a_pair_of_ints(axes, message):
    with pytest.raises(sc.LayerArgumentError, match=rf"Dot: `axes` must be an int or a pair of "
                                                    rf"ints.*{message}"):
        sc.Dot(axes)


def test_the_batch_axis_and_axes_out_of_range_are_refused():
    x, y = sc.Input((5, 4)), sc.Input((6, 4))
    with pytest.raises(sc.ShapeError, match=r"Dot layer on input shape .*the batch axis \(0\) "
                                            r"cannot be summed.*Received: axes=0"):
        sc.Dot(axes=0)([x, y])
    with pytest.raises(sc.ShapeError, match=r"axis 3 of input 0.*axes=3"):
        sc.Dot(axes=3)([x, y])


def test_the_summed_axes_must_have_one_size():
    with pytest.raises(sc.ShapeError, match=r"axis 1 of input 0 has 5, axis 1 of input 1 has "
                                            r"6"):
        sc.Dot(axes=1)([sc.Input((5, 4)), sc.Input((6, 4))])
    with pytest.raises(sc.ShapeError, match=r"Dot layer.*expects 2 input tensors"):
        sc.Dot(axes=1)([sc.Input((5,))] * 3)


def test_normalize_adds_no_macs_and_is_a_flag():
    x, y = sc.Input((T, K)), sc.Input((S, K))
    plain = sc.Model([x, y], sc.Dot(2)([x, y]))
    cosine = sc.Model([x, y], sc.Dot(2, normalize=True)([x, y]))
    assert cosine.macs == plain.macs
    with pytest.raises(sc.LayerArgumentError, match=r"Dot: `normalize` must be True or False. "
                                                    r"Received: normalize='yes'"):
        sc.Dot(1, normalize="yes")


def test_its_output_positions_are_no_window_of_the_inputs():
    x = sc.Input(("T", 8))
    model = sc.Model(x, sc.Dot(axes=2)([x, x]))
    assert model.layers[-1].layer.window_for([(5, 8), (5, 8)]) is None
    assert model.receptive_field is None


# ----------------------------------------------------------------------- against Keras 3


@st.composite
def dot_cases(draw):
    """Two inputs of rank 1 to 3 (without the batch axis) and the axes Keras sums, given as an
    int (the same axis of both) or a pair, positive or negative. Summed sizes from 2 (PyTorch
    turns a sum over one term into an element-wise product, which FlopCounterMode misses)."""
    ranks = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    summed = draw(st.integers(2, 5))
    picks = [draw(st.integers(1, r)) for r in ranks]
    shapes = []
    for rank, pick in zip(ranks, picks):
        shapes.append(tuple(summed if a == pick else draw(st.integers(1, 4))
                            for a in range(1, rank + 1)))
    negative = [draw(st.booleans()) for _ in ranks]
    axes = tuple(p - r - 1 if n else p for p, r, n in zip(picks, ranks, negative))
    if axes[0] == axes[1] and draw(st.booleans()):
        axes = axes[0]
    return axes, draw(st.booleans()), shapes


@pytest.mark.frameworks
@settings(max_examples=60, deadline=None)
@given(case=dot_cases())
def test_random_dots_agree_with_keras_in_shape_count_and_macs(case):
    keras = require("keras")
    torch = require("torch")
    axes, normalize, shapes = case
    theirs = keras.layers.Dot(axes=axes, normalize=normalize)
    tensors = [torch.randn(1, *s) for s in shapes]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        real = theirs(tensors)
        real_macs = torch_macs(lambda *t: theirs(list(t)), *tensors)  # normalizing: none
    inputs = [sc.Input(s) for s in shapes]
    model = sc.Model(inputs, sc.Dot(axes=axes, normalize=normalize)(inputs))
    assert model.output_shape == tuple(real.shape[1:])
    assert model.params == theirs.count_params() == 0
    assert model.macs == real_macs


@pytest.mark.frameworks
def test_symbolic_sizes_equal_keras_at_every_integer_size():
    keras = require("keras")
    torch = require("torch")
    x, y = sc.Input((T, K)), sc.Input((K, S))
    model = sc.Model([x, y], sc.Dot(axes=(2, 1))([x, y]))
    for t, s, k in itertools.product((1, 3), (2, 5), (2, 4)):
        tensors = [torch.randn(1, t, k), torch.randn(1, k, s)]
        theirs = keras.layers.Dot(axes=(2, 1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            real = theirs(tensors)
            real_macs = torch_macs(lambda a, b: theirs([a, b]), *tensors)
        at = {T: t, S: s, K: k}
        assert tuple(d.subs(at) for d in model.output_shape) == tuple(real.shape[1:])
        assert model.macs.subs(at) == model.subs(T=t, S=s, K=k).macs == real_macs


# ------------------------------------------------------------------------- training memory


MEMORY_CASES = [  # (axes, normalize, how each input is made from x of shape (T, 8))
    (2, False, ("dense", "dense")), (2, False, ("x", "dense")), (2, False, ("dense", "x")),
    ((1, 1), False, ("x", "dense5")), (2, True, ("dense", "x")), (2, True, ("dense", "dense")),
    (1, True, ("same", "same")), (1, False, ("flat", "flat2")), (1, True, ("flat", "flat2")),
]


@pytest.mark.frameworks
@pytest.mark.parametrize("axes, normalize, made", MEMORY_CASES)
def test_what_training_keeps_equals_a_keras_training_step(axes, normalize, made):
    """Measured with PyTorch's saved-tensor hooks on the model exported to Keras, at two
    lengths and two batch sizes; inputs with and without a gradient, one tensor twice,
    vectors."""
    if os.environ.get("KERAS_BACKEND") != "torch":
        pytest.skip("needs KERAS_BACKEND=torch")
    require("keras")
    import torch

    from ..support.saved_tensors import KerasTraining, measure

    B = sc.symbols("B")
    x = sc.Input((T, 8))
    dense = sc.Dense(8)(x)
    tensors = {"x": x, "dense": sc.Dense(8)(x), "dense5": sc.Dense(5)(x), "same": dense,
               "flat": sc.Flatten()(sc.Dense(2)(x)), "flat2": sc.Flatten()(sc.Dense(2)(x))}
    inputs = [tensors[m] for m in made]
    model = sc.Model(x, sc.Dot(axes=axes, normalize=normalize)(inputs))
    closed = model.training_memory(batch=B).activations
    for t, batch in itertools.product((4, 7), (2, 3)):
        twin = KerasTraining(model.subs(T=t).to_keras())
        assert closed.subs({T: t, B: batch}) == measure(twin, torch.randn(batch, t, 8))[0]


def test_training_memory_is_refused_for_inputs_keras_folds():
    x = sc.Input((2, "T", 8))
    h = sc.Dense(8)(x)
    with pytest.raises(sc.CostError, match=r"Dot layer: what it keeps for backward is stated "
                                           r"for inputs of rank 1 or 2"):
        sc.Model(x, sc.Dot(axes=3)([h, h])).training_memory()
