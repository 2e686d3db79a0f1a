"""Frozen layers after trainable ones keep what the real frameworks keep.

A product keeps each factor only for the other factor's gradient. ``nn.Linear`` (Keras'
``Dense``, ``EinsumDense``) keeps its input for its weight's gradient, so a frozen one on an
input that requires a gradient keeps nothing of it, not even the copy a transposed input is
folded into; symcnn counted the input as if the weight trained. A convolution keeps its input
whether its weight trains or not (PyTorch's convolution backward saves both operands), and
so do PReLU and normalizations.

Keras 3 runs a frozen ``BatchNormalization`` in inference mode (``training and
self.trainable`` in keras/src/layers/normalization/batch_normalization.py), which keeps one
factor per feature, not the input and the batch statistics that ``torch.nn.BatchNorm`` keeps
in training mode, frozen or not.

Every figure is measured with saved-tensor hooks (tests/support/saved_tensors.py): PyTorch
on the ``to_torch`` or ``from_torch`` twin, Keras 3 on its torch backend.
"""

from __future__ import annotations

import os

import pytest
import sympy
from hypothesis import given, settings, strategies as st

import symcnn as sc
from tests.conftest import fuzz_examples, require

torch = require("torch")
from torch import nn  # noqa: E402

from tests.support.saved_tensors import KerasTraining, measure  # noqa: E402

B = sc.symbols("B")
BATCHES = (1, 3)


def _frozen(module):
    for p in module.parameters():
        p.requires_grad_(False)
    return module


# ------------------------------------------------------------------ PyTorch (to_torch twins)

TORCH_NAMED = {  # symcnn models and their input shapes (channels first, as PyTorch's)
    # the docs' case: a frozen Linear after a trainable one keeps nothing of its input
    "linear_then_frozen_linear": (lambda: [sc.nn.Linear(5, 6), sc.nn.Linear(6, 4, trainable=False)],
                                  (5,)),
    "frozen_linear_between_trainable_ones": (lambda: [
        sc.nn.Linear(5, 6), sc.nn.Linear(6, 4, trainable=False), sc.nn.Linear(4, 3)], (5,)),
    "frozen_linear_after_a_relu": (lambda: [
        sc.nn.Linear(5, 6), sc.nn.ReLU(), sc.nn.Linear(6, 4, trainable=False)], (5,)),
    "frozen_linear_on_steps": (lambda: [
        sc.nn.Linear(5, 6), sc.nn.Linear(6, 4, trainable=False)], (7, 5)),
    # the transposed input is folded into a copy that a trainable Linear keeps, a frozen not
    "frozen_linear_on_a_transposed_input": (lambda: [
        sc.nn.Linear(5, 6), sc.nn.ReLU(), sc.Permute((2, 1)),
        sc.nn.Linear(8, 3, trainable=False)], (8, 5)),
    "trainable_linear_on_a_transposed_input": (lambda: [
        sc.nn.Linear(5, 6), sc.nn.ReLU(), sc.Permute((2, 1)), sc.nn.Linear(8, 3)], (8, 5)),
    "frozen_linear_on_the_input": (lambda: [
        sc.nn.Linear(5, 6, trainable=False), sc.nn.Linear(6, 3)], (5,)),
    # convolutions keep their input for a frozen weight too, and the copy they pad it into
    "frozen_conv_after_a_conv": (lambda: [
        sc.nn.Conv2d(3, 4, 3), sc.nn.Conv2d(4, 4, 3, trainable=False)], (3, 8, 8)),
    "frozen_conv_padding_an_even_window": (lambda: [
        sc.nn.Conv2d(3, 4, 3), sc.nn.Conv2d(4, 4, 2, padding="same", trainable=False)],
        (3, 8, 8)),
    "frozen_reflect_padded_conv": (lambda: [
        sc.nn.Conv2d(3, 4, 3), sc.nn.Conv2d(4, 4, 3, padding=1, padding_mode="reflect",
                                            trainable=False)], (3, 8, 8)),
    "frozen_depthwise_conv": (lambda: [
        sc.nn.Conv2d(3, 4, 3), sc.nn.Conv2d(4, 4, 3, groups=4, trainable=False)], (3, 8, 8)),
    "frozen_transposed_conv": (lambda: [
        sc.nn.Conv2d(3, 4, 3), sc.nn.ConvTranspose2d(4, 4, 3, trainable=False)], (3, 8, 8)),
    "frozen_conv1d_then_linear": (lambda: [
        sc.nn.Conv1d(3, 4, 3), sc.nn.Conv1d(4, 4, 3, trainable=False), sc.nn.Flatten(),
        sc.nn.Linear(20, 2, trainable=False)], (3, 9)),
    # torch.nn's batch norm stays in training mode when frozen: input and statistics
    "frozen_torch_batch_norm": (lambda: [
        sc.nn.Conv2d(3, 4, 3), sc.nn.BatchNorm2d(4, trainable=False)], (3, 8, 8)),
    "frozen_prelu_and_layer_norm": (lambda: [
        sc.nn.Linear(5, 6), sc.nn.PReLU(trainable=False), sc.nn.LayerNorm(6, trainable=False)],
        (4, 5)),
}


@pytest.mark.parametrize("name", sorted(TORCH_NAMED))
def test_frozen_layers_keep_what_pytorch_keeps(name):
    layers, shape = TORCH_NAMED[name]
    model = sc.nn.Sequential(*layers(), input_shape=shape)
    closed = model.training_memory(batch="B").activations
    net = model.to_torch()
    for batch in BATCHES:
        assert closed.subs(B, batch) == measure(net, torch.randn(batch, *shape))[0], batch


def test_a_frozen_linear_adds_no_bytes_of_its_own():
    layers, shape = TORCH_NAMED["frozen_linear_on_a_transposed_input"]
    mem = sc.nn.Sequential(*layers(), input_shape=shape).training_memory(batch="B")
    assert mem.layers[-1][2] == 0


class _TwoHeads(nn.Module):
    """A trainable and a frozen Linear on one Linear's output, added."""

    def __init__(self) -> None:
        super().__init__()
        self.first, self.trained, self.frozen = nn.Linear(5, 6), nn.Linear(6, 3), \
            _frozen(nn.Linear(6, 3))

    def forward(self, x):
        h = self.first(x)
        return self.trained(h) + self.frozen(h)


def test_a_frozen_torch_linear_through_from_torch_keeps_what_pytorch_keeps():
    """``requires_grad_(False)`` on a Linear that shares its input with a trainable one:
    the input is kept once, for the trainable one."""
    for net, shape in ((nn.Sequential(nn.Linear(5, 6), _frozen(nn.Linear(6, 4)),
                                      nn.Linear(4, 2)), (7, 5)), (_TwoHeads(), (5,))):
        closed = sc.from_torch(net, shape).training_memory(batch="B").activations
        for batch in BATCHES:
            assert closed.subs(B, batch) == measure(net, torch.randn(batch, *shape))[0]


# ------------------------------------------------------------------ Keras 3 (torch backend)

KERAS = {  # symcnn layers after sc.Input(shape)
    "dense_then_frozen_dense": (lambda: [sc.Dense(6), sc.Dense(4, trainable=False)], (8,)),
    "frozen_dense_with_a_gelu": (lambda: [
        sc.Dense(6), sc.Dense(4, activation="gelu", trainable=False), sc.Dense(3)], (8,)),
    "frozen_dense_on_steps": (lambda: [sc.Dense(6), sc.Dense(4, trainable=False)], (5, 8)),
    "frozen_einsum_dense": (lambda: [
        sc.Dense(6), sc.EinsumDense("abc,cd->abd", (5, 4), trainable=False)], (5, 8)),
    "frozen_lora_dense": (lambda: [sc.Dense(6), sc.Dense(4, lora_rank=2, trainable=False)],
                          (8,)),
    # inference mode: one factor per feature, the same with or without gamma and beta
    "frozen_batch_norm": (lambda: [sc.Dense(6), sc.BatchNormalization(trainable=False)], (8,)),
    "frozen_batch_norm_without_affine": (lambda: [
        sc.Dense(6), sc.BatchNormalization(center=False, scale=False, trainable=False)], (8,)),
    "frozen_batch_norm_on_steps": (lambda: [
        sc.Dense(6), sc.BatchNormalization(trainable=False), sc.ReLU(), sc.Dense(3)], (5, 8)),
    "frozen_batch_norm_on_the_input": (lambda: [
        sc.BatchNormalization(trainable=False), sc.Dense(6)], (8,)),
    "frozen_batch_norm_then_frozen_dense": (lambda: [
        sc.Dense(6), sc.BatchNormalization(trainable=False), sc.Dense(4, trainable=False)],
        (8,)),
}


def _keras_step(model, shape):
    if os.environ.get("KERAS_BACKEND") != "torch":
        pytest.skip("needs KERAS_BACKEND=torch")
    require("keras")
    twin = KerasTraining(model.to_keras())
    return [measure(twin, torch.randn(batch, *shape))[0] for batch in BATCHES]


@pytest.mark.parametrize("name", sorted(KERAS))
def test_frozen_keras_layers_keep_what_keras_on_torch_keeps(name):
    layers, shape = KERAS[name]
    model = sc.Sequential([sc.Input(shape), *layers()])
    closed = model.training_memory(batch="B").activations
    assert [closed.subs(B, batch) for batch in BATCHES] == _keras_step(model, shape)


def _block(trainable: bool = True):
    return [sc.Dense(8, trainable=trainable), sc.BatchNormalization(trainable=trainable),
            sc.ReLU()]


def test_a_batch_norm_in_a_frozen_repeat_runs_in_inference_mode_as_keras_freezes_it():
    """``Repeat(..., trainable=False)`` freezes every layer of its block, as Keras'
    ``trainable = False`` on a model does: its batch normalizations keep one factor per
    feature, whatever the batch. The Keras twin writes the repetitions out, each layer
    frozen."""
    block = sc.Sequential([sc.Input((8,)), *_block()])
    model = sc.Sequential([sc.Input((8,)), sc.Dense(8),
                           sc.Repeat(block, 2, trainable=False), sc.Dense(3)])
    closed = model.training_memory(batch="B").activations
    unrolled = sc.Sequential([sc.Input((8,)), sc.Dense(8), *_block(False), *_block(False),
                              sc.Dense(3)])
    assert [closed.subs(B, batch) for batch in BATCHES] == _keras_step(unrolled, (8,))


def test_a_frozen_keras_batch_norm_keeps_one_factor_per_feature_a_torch_one_its_input():
    """The same frozen batch normalization after a convolution: Keras' keeps 4 values (one
    per channel), ``sc.nn.BatchNorm2d`` with ``requires_grad_(False)`` its input (6*6*4
    values per example) and the batch mean and inverse deviation (2*4)."""
    keras_bn = sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(4, 3),
                              sc.BatchNormalization(trainable=False)])
    torch_bn = sc.nn.Sequential(sc.nn.Conv2d(3, 4, 3), sc.nn.BatchNorm2d(4, trainable=False),
                                input_shape=(3, 8, 8))
    rows = [m.training_memory(batch="B").layers[1][2] for m in (keras_bn, torch_bn)]
    assert rows == [4 * 4, sympy.expand(4 * (6 * 6 * 4 * B + 2 * 4))]


# ------------------------------------------------------------------ random chains


@st.composite
def _sequence_chains(draw):
    """Linears over the last axis of ``(T, F)`` (a transpose now and then, so that a
    Linear folds a copy), each trainable or frozen, with activations between them."""
    steps, width = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    shape, layers = (steps, width), []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["linear", "linear", "activation", "transpose"]))
        if kind == "transpose":
            layers.append(sc.Permute((2, 1)))
            steps, width = width, steps
        elif kind == "activation":
            layers.append(draw(st.sampled_from([sc.nn.ReLU, sc.nn.GELU, sc.nn.Tanh]))())
        else:
            out = draw(st.integers(1, 5))
            layers.append(sc.nn.Linear(width, out, trainable=draw(st.booleans())))
            width = out
    return shape, layers


@st.composite
def _image_chains(draw):
    """Convolutions of ``(C, 6, 6)``, each trainable or frozen (kernel 1 or 3, ``same``
    or ``valid``), activations, then a flatten and a Linear, trainable or frozen."""
    channels = draw(st.integers(1, 3))
    shape, layers, size = (channels, 6, 6), [], 6
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            out, kernel = draw(st.integers(1, 3)), draw(st.sampled_from([1, 3]))
            padding = draw(st.sampled_from(["same", "valid"])) if size >= kernel else "same"
            layers.append(sc.nn.Conv2d(channels, out, kernel, padding=padding,
                                       trainable=draw(st.booleans())))
            channels, size = out, size if padding == "same" else size - kernel + 1
        else:
            layers.append(draw(st.sampled_from([sc.nn.ReLU, sc.nn.SiLU]))())
    layers += [sc.nn.Flatten(), sc.nn.Linear(channels * size * size, 2,
                                             trainable=draw(st.booleans()))]
    return shape, layers


@settings(max_examples=fuzz_examples(60))
@given(st.one_of(_sequence_chains(), _image_chains()))
def test_random_chains_of_frozen_and_trainable_layers_keep_what_pytorch_keeps(chain):
    """Whatever layers train, on the model's input (no gradient) or after others: a Linear
    keeps its input only where its weight trains, a convolution wherever a gradient flows."""
    shape, layers = chain
    model = sc.nn.Sequential(*layers, input_shape=shape)
    closed = model.training_memory(batch="B").activations
    net = model.to_torch()
    for batch in BATCHES:
        assert closed.subs(B, batch) == measure(net, torch.randn(batch, *shape))[0], batch
