"""Specification of Keras' PReLU (``sc.PReLU``; PyTorch's is ``sc.nn.PReLU``): one learned
slope per element of the axes not in ``shared_axes``, the same shape, no multiply-accumulates,
and what Keras 3 keeps for backward on the torch backend; each fact checked against Keras 3."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings, strategies as st

import symcnn as sc

from ..conftest import require

H, W, C, B = sc.symbols("H W C B")

#: shared_axes cases on an image (rank 3 without the batch axis)
SHARINGS = [None, [1], [2], [3], [1, 2], [1, 3], [2, 3], [1, 2, 3], 2, [2, 2]]


def test_the_slopes_have_the_inputs_shape_without_the_shared_axes():
    x = sc.Input((H, W, C))
    counts = {str(axes): sc.Model(x, sc.PReLU(shared_axes=axes)(x)).params
              for axes in (None, [1, 2], [3], [1, 2, 3])}
    assert counts == {"None": H * W * C, "[1, 2]": C, "[3]": H * W, "[1, 2, 3]": 1}
    assert sc.PReLU(shared_axes=[1, 2]).alpha_shape((H, W, C)) == (1, 1, C)


@pytest.mark.frameworks
@pytest.mark.parametrize("shared_axes", SHARINGS)
def test_count_and_shape_are_keras_at_every_size_of_a_symbolic_image(shared_axes):
    keras = require("keras")
    x = sc.Input((H, W, 3))
    ours = sc.Model(x, sc.PReLU(shared_axes=shared_axes)(x))
    for h, w in [(1, 1), (2, 5), (4, 3), (7, 6)]:
        theirs = keras.Sequential([keras.Input((h, w, 3)),
                                   keras.layers.PReLU(shared_axes=shared_axes)])
        assert ours.params.subs({H: h, W: w}) == theirs.count_params(), (h, w)
        assert tuple(theirs.output_shape[1:]) == ours.subs(H=h, W=w).output_shape


@pytest.mark.frameworks
@settings(max_examples=20, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), data=st.data())
def test_counts_and_values_are_keras_on_random_inputs_and_sharings(shape, data):
    """On Keras' own slopes (drawn at random), ``x`` where ``x >= 0`` and ``alpha*x``
    elsewhere, computed from ``alpha_shape``: the shape symcnn states is Keras'."""
    keras = require("keras")
    import numpy as np

    axes = data.draw(st.lists(st.integers(1, len(shape)), max_size=len(shape)))
    shared = axes or None
    theirs = keras.layers.PReLU(shared_axes=shared)
    model = keras.Sequential([keras.Input(tuple(shape)), theirs])
    ours = sc.Sequential([sc.Input(tuple(shape)), sc.PReLU(shared_axes=shared)])
    assert ours.params == model.count_params()
    rng = np.random.default_rng(len(shape))
    alpha = rng.normal(size=theirs.alpha.shape).astype("float32")
    theirs.alpha.assign(alpha)
    assert tuple(theirs.alpha.shape) == ours.layers[0].layer.alpha_shape(tuple(shape))
    x = rng.normal(size=(2, *shape)).astype("float32")
    expected = np.where(x >= 0, x, alpha * x)
    got = keras.ops.convert_to_numpy(model(x))
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("value, message", [
    (0, "counted with the batch axis as 0, so from 1"),
    ([-1], "counted with the batch axis as 0, so from 1"),
    ("1", "must be an int, a list of ints or None"),
    ([1.0], "must be an int, a list of ints or None"),
    (True, "must be an int, a list of ints or None"),
])
def test_shared_axes_are_axes_from_1_and_other_values_are_refused(value, message):
    with pytest.raises(sc.LayerArgumentError, match=rf"PReLU: `shared_axes` .*{message}.*"
                                                    rf"Received: shared_axes="):
        sc.PReLU(shared_axes=value)


@pytest.mark.frameworks
def test_keras_reads_a_zero_or_negative_axis_as_another_axis_which_symcnn_refuses():
    """Keras sets ``alpha_shape[axis - 1]`` to 1: 0 shares the last axis, -1 the one before
    it, never the axis named. symcnn refuses them rather than count another sharing."""
    keras = require("keras")
    for axis, shared_instead in ((0, 3), (-1, 2)):
        layer = keras.layers.PReLU(shared_axes=[axis])
        keras.Sequential([keras.Input((4, 5, 6)), layer])
        assert layer.alpha.shape[shared_instead - 1] == 1
        assert sc.PReLU(shared_axes=[shared_instead]).alpha_shape((4, 5, 6)) == \
            tuple(layer.alpha.shape)


@pytest.mark.frameworks
def test_an_axis_past_the_inputs_rank_is_a_shape_error_as_keras_fails_on_it():
    keras = require("keras")
    with pytest.raises(IndexError):
        keras.Sequential([keras.Input((4, 5)), keras.layers.PReLU(shared_axes=[3])])
    with pytest.raises(sc.ShapeError, match=r"`shared_axes` names axis 3, but the input has "
                                            r"axes 1 to 2 .*Received: shared_axes=\(3,\)"):
        sc.Sequential([sc.Input((4, 5)), sc.PReLU(shared_axes=[3])])


@pytest.mark.frameworks
def test_no_macs_as_the_torch_flop_counter_measures_keras():
    keras = require("keras")
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    theirs = keras.Sequential([keras.Input((6, 5, 3)), keras.layers.Conv2D(4, 3),
                               keras.layers.PReLU(), keras.layers.Flatten(),
                               keras.layers.Dense(2)])
    with FlopCounterMode(display=False) as counter:
        theirs(torch.randn(1, 6, 5, 3))
    ours = sc.from_keras(theirs)
    assert ours.layers[1].type == "PReLU" and ours.layers[1].macs == 0
    assert 2 * ours.macs == counter.get_total_flops()


def test_ptflops_counts_one_per_element_as_for_torchs_prelu():
    record = sc.Sequential([sc.Input((H, W, 8)), sc.PReLU(shared_axes=[1, 2])]).layers[0]
    assert sc.costs.flops(record, "ptflops") == 8 * H * W


def test_positions_pass_through_for_the_receptive_field():
    plain = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(4, 3), sc.MaxPooling2D(2)])
    with_prelu = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(4, 3), sc.PReLU(),
                                sc.MaxPooling2D(2)])
    assert with_prelu.receptive_field == plain.receptive_field


def test_the_derivation_names_the_axes_that_carry_slopes():
    model = sc.Sequential([sc.Input((H, W, 16)), sc.PReLU(shared_axes=[2])])
    text = str(model.layers[0].derivation)
    assert "params = H_in*C_in = H*16 = 16*H" in text
    assert "shared_axes=(2,): one slope along axes 2 of the input" in text


def test_initializers_change_no_count_and_reach_the_config():
    layer = sc.PReLU(alpha_initializer="ones", alpha_constraint="non_neg")
    assert layer.get_config() == {"shared_axes": None, "alpha_initializer": "ones",
                                  "alpha_constraint": "non_neg"}
    assert sc.PReLU().get_config() == {"shared_axes": None}


def test_a_model_file_keeps_the_sharing_and_reads_pytorch_arguments_as_nn_prelus():
    model = sc.Sequential([sc.Input((H, W, 8)), sc.PReLU(shared_axes=[1, 2])])
    spec = sc.model_to_spec(model)
    assert {"PReLU": {"shared_axes": [1, 2]}} in spec["layers"]
    assert sc.model_from_spec(spec).params == 8
    with pytest.raises(sc.SpecError, match=r"PReLU is Keras' layer, which takes no "
                                           r"`num_parameters`; PyTorch's layer of that name.* "
                                           r"is nn.PReLU"):
        sc.model_from_spec({"input": [8, 4, 4], "layers": [{"PReLU": {"num_parameters": 8}}]})
    assert sc.model_from_spec({"input": [8, 4, 4], "layers": [
        {"nn.PReLU": {"num_parameters": 8}}]}).params == 8


# ------------------------------------------------------------------ training memory (Keras)

MEMORY = {  # layers after sc.Input(shape)
    "after_a_dense": (lambda: [sc.Dense(3), sc.PReLU(), sc.Dense(2)], (4, 5, 3)),
    "shared_after_a_dense": (lambda: [sc.Dense(3), sc.PReLU(shared_axes=[1, 2]), sc.Dense(2)],
                             (4, 5, 3)),
    "on_the_model_input": (lambda: [sc.PReLU(shared_axes=[1]), sc.Dense(2)], (4, 5, 3)),
    "frozen_on_the_model_input": (lambda: [sc.PReLU(trainable=False), sc.Dense(2)], (4, 5, 3)),
    "frozen_after_a_dense": (lambda: [sc.Dense(3), sc.PReLU(trainable=False), sc.Dense(2)],
                             (4, 5, 3)),
    # element-wise in its input's memory order: the Dense after it copies the transpose
    "after_a_permute": (lambda: [sc.Dense(3), sc.Permute((2, 1, 3)),
                                 sc.PReLU(shared_axes=[1, 2]), sc.Dense(2)], (4, 5, 3)),
    "on_vectors": (lambda: [sc.Dense(6), sc.PReLU(), sc.Dense(2)], (5,)),
}


@pytest.mark.frameworks
@pytest.mark.parametrize("name", sorted(MEMORY))
def test_it_keeps_what_a_keras_training_step_keeps_on_the_torch_backend(name):
    """Keras computes ``relu(x) - alpha*relu(-x)``: both ReLUs' outputs and ``-alpha``
    where the input requires a gradient; ``relu(-x)`` alone (for the slopes) on the model's
    input; nothing frozen on the model's input."""
    if os.environ.get("KERAS_BACKEND") != "torch":
        pytest.skip("needs KERAS_BACKEND=torch")
    require("keras")
    from ..support.saved_tensors import assert_keras_keeps

    layers, shape = MEMORY[name]
    assert_keras_keeps(sc.Sequential([sc.Input(shape), *layers()]), shape)
