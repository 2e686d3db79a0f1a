"""Training memory of LoRA layers (``lora_rank``): Keras 3 merges the kernel at every call,
``kernel + (lora_alpha/r)*(A @ B)``, and PyTorch keeps that merged kernel for backward where
the layer's product needs it.

``Dense`` and ``Embedding`` are measured on Keras 3 itself, run on the torch backend
(``model.to_keras()``); convolutions on a PyTorch twin that computes Keras' merged kernel and
convolves with it, since symcnn counts a Keras convolution as ``torch.nn``'s (whose weight is
a parameter, not an activation). Both with tests/support/saved_tensors.py's
saved_tensors_hooks.
"""

from __future__ import annotations

import os

import pytest
import sympy

import symcnn as sc
from tests.conftest import require

torch = require("torch")
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from tests.support.saved_tensors import measure  # noqa: E402

B = sc.symbols("B")

#: name -> (input shape, layers, integer ids as input)
KERAS_CASES = {
    # on the model's input, which requires no gradient: the product keeps the input only
    "dense_on_the_input": ((8,), lambda: [sc.Dense(4, lora_rank=2)], False),
    "dense_after_relu": ((8,), lambda: [sc.Dense(6), sc.ReLU(), sc.Dense(4, lora_rank=2)],
                         False),
    "dense_on_steps": ((5, 8), lambda: [sc.Dense(6), sc.ReLU(),
                                        sc.Dense(4, lora_rank=2, use_bias=False)], False),
    "two_lora_denses": ((5, 8), lambda: [sc.Dense(6, lora_rank=3), sc.ReLU(),
                                         sc.Dense(4, lora_rank=2, activation="gelu")], False),
    "embedding": ((5,), lambda: [sc.Embedding(50, 8, lora_rank=2)], True),
    "dense_after_embedding": ((5,), lambda: [sc.Embedding(50, 8, lora_rank=2),
                                             sc.Dense(4, lora_rank=2)], True),
}


@pytest.mark.parametrize("name", sorted(KERAS_CASES))
def test_lora_dense_and_embedding_keep_what_keras_on_torch_keeps(name):
    if os.environ.get("KERAS_BACKEND") != "torch":
        pytest.skip("needs KERAS_BACKEND=torch")
    require("keras")
    shape, layers, ids = KERAS_CASES[name]
    model = sc.Sequential([sc.Input(shape), *layers()])
    closed = model.training_memory(batch="B").activations
    twin = model.to_keras()
    for batch in (1, 3):
        x = torch.randint(0, 50, (batch, *shape)) if ids else torch.randn(batch, *shape)
        assert closed.subs(B, batch) == measure(twin, x)[0], batch


def test_a_lora_dense_keeps_its_merged_kernel_once_per_call_whatever_the_batch():
    """The merged kernel has the frozen kernel's size, at the training dtype, and does not
    grow with the batch."""
    def build(rank):
        return sc.Sequential([sc.Input((8,)), sc.Dense(6), sc.ReLU(),
                              sc.Dense(4, lora_rank=rank)])

    lora = build(2)
    mem = lora.training_memory(batch="B", dtype="bfloat16")
    plain = build(None).training_memory(batch="B", dtype="bfloat16")
    merged = lora.non_trainable_params * 2  # the frozen kernel, 2 bytes a value
    assert sympy.expand(mem.activations - plain.activations) == merged
    assert mem.layers[-1][2] == plain.layers[-1][2] + merged


class _LoRAConv(nn.Module):
    """Keras' LoRA convolution in PyTorch: a frozen kernel (kh, ..., C_in/groups, F), factors
    A (kh, ..., C_in/groups, r) and B (r, F), the merged kernel kernel + (alpha/r)*(A @ B)
    moved to PyTorch's (F, C_in/groups, kh, ...) and convolved with."""

    def __init__(self, rank_dims, c_in, filters, k, rank, groups=1, stride=1):
        super().__init__()
        window = (k,) * rank_dims
        self.kernel = nn.Parameter(torch.randn(*window, c_in // groups, filters),
                                   requires_grad=False)
        self.a = nn.Parameter(torch.randn(*window, c_in // groups, rank))
        self.b = nn.Parameter(torch.randn(rank, filters))
        self.bias = nn.Parameter(torch.zeros(filters))
        self.scale, self.groups, self.stride = 1.0, groups, stride
        self.conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[rank_dims]
        self.order = (rank_dims + 1, rank_dims, *range(rank_dims))

    def forward(self, x):
        merged = self.kernel + self.scale * torch.matmul(self.a, self.b)
        return self.conv(x, merged.permute(*self.order), self.bias, stride=self.stride,
                         groups=self.groups)


#: name -> (channels-last input shape, symcnn layers, PyTorch twin on channels first)
CONV_CASES = {
    # a convolution keeps its weight even on an input that requires no gradient
    "conv2d_on_the_input": ((7, 7, 3), lambda: [sc.Conv2D(4, 3, lora_rank=2)],
                            lambda: nn.Sequential(_LoRAConv(2, 3, 4, 3, 2))),
    "conv2d_grouped_after_relu": (
        (8, 8, 4),
        lambda: [sc.Conv2D(4, 1), sc.ReLU(),
                 sc.Conv2D(6, 3, strides=2, groups=2, use_bias=False, lora_rank=3)],
        lambda: nn.Sequential(nn.Conv2d(4, 4, 1), nn.ReLU(),
                              _LoRAConv(2, 4, 6, 3, 3, groups=2, stride=2))),
    "conv1d_after_relu": ((9, 3), lambda: [sc.Conv1D(5, 2), sc.ReLU(),
                                           sc.Conv1D(4, 3, lora_rank=1)],
                          lambda: nn.Sequential(nn.Conv1d(3, 5, 2), nn.ReLU(),
                                                _LoRAConv(1, 5, 4, 3, 1))),
    "conv3d_on_the_input": ((4, 4, 4, 2), lambda: [sc.Conv3D(3, 2, lora_rank=2)],
                            lambda: nn.Sequential(_LoRAConv(3, 2, 3, 2, 2))),
}


@pytest.mark.parametrize("name", sorted(CONV_CASES))
def test_lora_convolutions_keep_the_merged_kernel_as_pytorch_does(name):
    shape, layers, twin = CONV_CASES[name]
    closed = sc.Sequential([sc.Input(shape), *layers()]).training_memory(batch="B").activations
    net = twin()
    channels_first = (shape[-1], *shape[:-1])
    for batch in (1, 3):
        assert closed.subs(B, batch) == measure(net, torch.randn(batch, *channels_first))[0]


def test_a_lora_dense_on_a_concatenation_of_the_input_keeps_no_merged_kernel():
    """A concatenation states no layout, and the merged kernel was counted as if a gradient
    flowed (symcnn measured 32 bytes more than Keras); training memory now follows which
    tensors require a gradient, and the Dense on the model's input alone keeps none."""
    if os.environ.get("KERAS_BACKEND") != "torch":
        pytest.skip("needs KERAS_BACKEND=torch")
    require("keras")
    x = sc.Input((3,))
    model = sc.Model(x, sc.Dense(4, lora_rank=2)(sc.Concatenate()([x, x])))
    closed = model.training_memory(batch="B").activations
    twin = model.to_keras()
    for batch in (1, 3):
        assert closed.subs(B, batch) == measure(twin, torch.randn(batch, 3))[0], batch

#: name -> (input shape, layers): EinsumDense with LoRA, measured on Keras 3 (torch backend)
EINSUM_CASES = {
    # on the model's input: the product keeps the input, not the merged kernel
    "on_the_input": ((5, 8), lambda: [sc.EinsumDense("abc,cd->abd", (5, 4), lora_rank=2)]),
    "after_relu": ((5, 8), lambda: [sc.Dense(6), sc.ReLU(), sc.EinsumDense(
        "abc,cd->abd", (5, 4), bias_axes="d", lora_rank=2)]),
    "two_summed_axes": ((5, 2, 3), lambda: [sc.Dense(3), sc.ReLU(), sc.EinsumDense(
        "abcd,cde->abe", (5, 4), lora_rank=3, activation="gelu")]),
    "ellipsis": ((5, 8), lambda: [sc.Dense(8), sc.Activation("tanh"),
                                  sc.EinsumDense("...b,bc->...c", 4, lora_rank=2)]),
    "kernel_new_axis_first": ((5, 8), lambda: [sc.Dense(8), sc.ReLU(), sc.EinsumDense(
        "abc,dc->abd", (5, 4), lora_rank=2)]),
}


@pytest.mark.parametrize("name", sorted(EINSUM_CASES))
def test_lora_einsum_dense_keeps_what_keras_on_torch_keeps(name):
    """EinsumDense with lora_rank was a CostError; it keeps the merged kernel (once per call)
    where its input requires a gradient, as a LoRA Dense."""
    if os.environ.get("KERAS_BACKEND") != "torch":
        pytest.skip("needs KERAS_BACKEND=torch")
    require("keras")
    shape, layers = EINSUM_CASES[name]
    model = sc.Sequential([sc.Input(shape), *layers()])
    closed = model.training_memory(batch="B").activations
    twin = model.to_keras()
    assert twin.count_params() == model.params
    for batch in (1, 3):
        assert closed.subs(B, batch) == measure(twin, torch.randn(batch, *shape))[0], batch

