"""LoRA as Keras 3 counts it: ``lora_rank=r`` on Dense, Embedding and Conv1D/2D/3D freezes
the kernel and adds ``r*(fan_in + outputs)`` trainable weights (it was accepted and ignored,
so the counts were wrong). Checked against Keras' own weights, and as closed forms in r."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc

from ..conftest import require

CASES = [  # (input shape, layer name, positional arguments, keyword arguments)
    ((5,), "Embedding", (100, 8), {"lora_rank": 2}),
    ((5, 4), "Dense", (8,), {"lora_rank": 2}),
    ((6,), "Dense", (3,), {"lora_rank": 5, "use_bias": False}),
    ((7, 6), "Conv1D", (4, 3), {"lora_rank": 2}),
    ((9, 9, 6), "Conv2D", (4, 3), {"groups": 2, "lora_rank": 3, "use_bias": False}),
    ((9, 8, 3), "Conv2D", (16, (3, 2)), {"strides": 2, "padding": "same", "lora_rank": 4}),
    ((5, 5, 5, 2), "Conv3D", (4, 2), {"lora_rank": 1}),
]


def keras_counts(model) -> tuple:
    return (sum(math.prod(w.shape) for w in model.trainable_weights),
            sum(math.prod(w.shape) for w in model.non_trainable_weights))


@pytest.mark.frameworks
@pytest.mark.parametrize("shape, name, args, kwargs", CASES)
def test_counts_equal_keras_weights_directly_and_through_both_bridges(shape, name, args, kwargs):
    keras = require("keras")
    x = keras.Input(shape)
    theirs = keras.Model(x, getattr(keras.layers, name)(*args, **kwargs)(x))
    ours = sc.Sequential([sc.Input(shape), getattr(sc, name)(*args, **kwargs)])
    expected = keras_counts(theirs)
    assert (ours.trainable_params, ours.non_trainable_params) == expected
    imported = sc.from_keras(theirs)
    assert (imported.trainable_params, imported.non_trainable_params) == expected
    assert keras_counts(ours.to_keras()) == expected


@pytest.mark.frameworks
def test_lora_enabled_after_building_is_read_from_the_config():
    keras = require("keras")
    x = keras.Input((10,))
    dense = keras.layers.Dense(6)
    theirs = keras.Model(x, dense(x))
    dense.enable_lora(4)
    imported = sc.from_keras(theirs)
    assert (imported.trainable_params, imported.non_trainable_params) == keras_counts(theirs)


def test_the_derivation_shows_the_factors_and_the_frozen_kernel():
    model = sc.Sequential([sc.Input((64,)), sc.Dense(32, lora_rank=4)])
    d = model.layers[0].derivation
    assert str(d["params"]) == "params = N_in*U + U + r*(N_in + U) = 64*32 + 32 + 4*(64 + 32) = 2,464"
    assert str(d["non_trainable"]) == "non_trainable = N_in*U = 64*32 = 2,048"
    assert d["params"].working.doit() == model.params
    assert "frozen" in d.notes[-1]


@settings(max_examples=40, deadline=None)
@given(rank=st.integers(1, 16), filters=st.integers(1, 12), channels=st.integers(1, 6),
       kernel=st.integers(1, 4), groups=st.sampled_from([1, 2]), bias=st.booleans())
def test_a_symbolic_rank_gives_closed_forms_equal_to_every_numeric_rank(
        rank, filters, channels, kernel, groups, bias):
    channels, filters = channels * groups, filters * groups
    r = sc.symbols("r")

    def build(value):
        return sc.Sequential([sc.Input((9, 9, channels)),
                              sc.Conv2D(filters, kernel, groups=groups, use_bias=bias,
                                        lora_rank=value)])

    symbolic, numeric = build(r), build(rank)
    kernel_weights = kernel * kernel * (channels // groups) * filters
    factors = rank * (kernel * kernel * (channels // groups) + filters)
    assert numeric.non_trainable_params == kernel_weights
    assert numeric.trainable_params == factors + (filters if bias else 0)
    assert symbolic.subs(r=rank).params == numeric.params
    assert symbolic.trainable_params.subs(r, rank) == numeric.trainable_params
    assert numeric.macs == build(None).macs  # the factors merge into the kernel: no MACs


def test_training_memory_gives_gradients_and_optimizer_state_to_the_factors_only():
    model = sc.Sequential([sc.Input((64,)), sc.Dense(32, lora_rank=4)])
    memory = model.training_memory(batch=1, optimizer="adam")
    assert memory.gradients == 4 * model.trainable_params == 4 * 416
    assert memory.optimizer_state == 8 * 416
    assert memory.weights == 4 * model.params


def test_to_torch_refuses_lora_and_says_why():
    pytest.importorskip("torch")
    model = sc.Sequential([sc.Input((6,)), sc.Dense(3, lora_rank=2)])
    with pytest.raises(sc.ConversionError, match=r"lora_rank=2: torch.nn has no low-rank"):
        model.to_torch()


def test_a_bad_rank_and_a_layer_without_lora_are_errors_naming_the_argument():
    with pytest.raises(sc.LayerArgumentError, match=r"Conv2D: `lora_rank`.*Received: lora_rank=0"):
        sc.Conv2D(4, 3, lora_rank=0)
    with pytest.raises(sc.LayerArgumentError, match=r"DepthwiseConv2D: unexpected argument "
                                                    r"`lora_rank`"):
        sc.DepthwiseConv2D(3, lora_rank=2)


def test_model_files_keep_the_rank():
    model = sc.Sequential([sc.Input((9, 9, 6)), sc.Conv2D(4, 3, lora_rank="r")])
    back = sc.model_from_spec(sc.model_to_spec(model))
    assert (back.trainable_params, back.non_trainable_params) == \
        (model.trainable_params, model.non_trainable_params)


@pytest.mark.parametrize("units, features, rank", [(32, 64, 4), (5, 7, 3)])
def test_macs_are_the_merged_kernels_and_keras_merges_once_per_call(units, features, rank):
    """symcnn counts the deployed model (the update merged into the kernel); Keras 3 on
    PyTorch computes the merge A @ B at every call: fan_in*r*outputs more MACs per call,
    whatever the batch (docs/costs.md says so)."""
    keras, torch = require("keras"), require("torch")
    from torch.utils.flop_counter import FlopCounterMode

    def keras_macs(lora, batch):
        inputs = keras.Input((features,))
        model = keras.Model(inputs, keras.layers.Dense(units, lora_rank=lora)(inputs))
        with FlopCounterMode(display=False) as counter:
            model(torch.randn(batch, features))
        return counter.get_total_flops() // 2

    ours = sc.Sequential([sc.Input((features,)), sc.Dense(units, lora_rank=rank)]).macs
    assert ours == keras_macs(None, 1)
    for batch in (1, 3):
        assert keras_macs(rank, batch) - keras_macs(None, batch) == features * rank * units
