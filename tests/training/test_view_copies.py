"""Training memory where PyTorch's views become copies: ``x.contiguous()``, reshapes of
transposed tensors, and what batch normalization writes.

A copy is a new tensor: the layer after it keeps the copy while the layer before may keep
the original (a ReLU keeps its output). Every closed form here has symbolic sizes and is
compared, at several batch and spatial sizes, with the storages PyTorch's eager autograd
saves (tests/support/saved_tensors.py); no figure is typed in.
"""

from __future__ import annotations

import pytest

import symcnn as sc
from tests.conftest import require

torch = require("torch")
from torch import nn  # noqa: E402

from tests.support.saved_tensors import measure  # noqa: E402

B, H, T = sc.symbols("B H T")
BATCHES = (1, 2, 3)


def _agrees_with_torch(closed, net, make_input, sizes, symbol) -> None:
    for size in sizes:
        for batch in BATCHES:
            total, _ = measure(net, make_input(batch, size))
            assert closed.subs({B: batch, symbol: size}) == total, (size, batch)


# ------------------------------------------------------------------ x.contiguous() (from_torch)


class _TransposedThenContiguous(nn.Module):
    """A convolution, its output moved channels last and made contiguous, an activation
    that keeps its output (ReLU, tanh), then a Linear over the channels."""

    def __init__(self, activation) -> None:
        super().__init__()
        self.conv, self.act, self.linear = nn.Conv2d(3, 16, 3, padding=1), activation, \
            nn.Linear(16, 10)

    def forward(self, x):
        return self.linear(self.act(self.conv(x).permute(0, 2, 3, 1).contiguous()))


class _SequenceTransposedThenContiguous(nn.Module):
    """``x.transpose(1, 2).contiguous()`` of a Linear's output, tanh, a Linear."""

    def __init__(self, steps: int) -> None:
        super().__init__()
        self.first, self.second = nn.Linear(5, 6), nn.Linear(steps, 3)

    def forward(self, x):
        return self.second(torch.tanh(self.first(x).transpose(1, 2).contiguous()))


def _channel_shuffle(x, groups: int):
    b, c, h, w = x.size()
    x = x.view(b, groups, c // groups, h, w)
    return torch.transpose(x, 1, 2).contiguous().view(b, -1, h, w)


class _ChannelShuffle(nn.Module):
    """ShuffleNet's channel shuffle between a ReLU and a 1x1 convolution: the convolution
    keeps the shuffled copy, the ReLU its own output."""

    def __init__(self) -> None:
        super().__init__()
        self.expand, self.project = nn.Conv2d(8, 16, 1), nn.Conv2d(16, 4, 1)

    def forward(self, x):
        return self.project(_channel_shuffle(torch.relu(self.expand(x)), 2))


@pytest.mark.parametrize("activation", [nn.ReLU(), nn.Tanh()], ids=["relu", "tanh"])
def test_an_activation_after_contiguous_writes_contiguously_so_the_linear_keeps_no_copy(
        activation):
    """``x.contiguous()`` of a transposed map is a contiguous copy: the activation after it
    writes a contiguous output, which the Linear keeps as it is (symcnn read contiguous()
    as x itself and counted one copy more than PyTorch from batch 2 on)."""
    net = _TransposedThenContiguous(activation)
    closed = sc.from_torch(net, (3, "H", "H")).training_memory(batch="B").activations
    _agrees_with_torch(closed, net, lambda b, h: torch.randn(b, 3, h, h), (1, 3, 6), H)


def test_transpose_contiguous_tanh_linear_on_steps_keeps_what_pytorch_keeps():
    for steps in (1, 4):
        net = _SequenceTransposedThenContiguous(steps)
        closed = sc.from_torch(net, (steps, 5)).training_memory(batch="B").activations
        for batch in BATCHES:
            total, _ = measure(net, torch.randn(batch, steps, 5))
            assert closed.subs(B, batch) == total, (steps, batch)


def test_the_copy_contiguous_makes_is_kept_by_the_layer_after_it():
    """The channel shuffle's copy is a new tensor, kept by the convolution after it, while
    the ReLU keeps the map before it (symcnn counted the ReLU's output once)."""
    net = _ChannelShuffle()
    closed = sc.from_torch(net, (8, "H", "H")).training_memory(batch="B").activations
    _agrees_with_torch(closed, net, lambda b, h: torch.randn(b, 8, h, h), (1, 3, 4), H)


def test_contiguous_of_a_contiguous_tensor_is_the_tensor_itself():
    """No copy where the input is contiguous already: the figure is the model's without the
    call."""
    def build(contiguous: bool):
        layers = [sc.nn.Conv2d(3, 8, 3), sc.nn.ReLU()]
        layers += [sc.nn.Contiguous()] if contiguous else []
        return sc.nn.Sequential(*layers, sc.nn.Conv2d(8, 4, 1), input_shape=(3, "H", "H"))

    assert build(True).training_memory(batch="B").activations == \
        build(False).training_memory(batch="B").activations


# ----------------------------------------------------------- reshapes of transposed tensors


class _PermuteThenFlatten(nn.Module):
    """A convolution and a ReLU (which keeps its output), the map moved channels last, then
    flattened by ``how``, then a Linear."""

    def __init__(self, how: str, width: int) -> None:
        super().__init__()
        self.how = how
        self.conv, self.flat = nn.Conv2d(3, 16, 3, padding=1), nn.Flatten()
        self.linear = nn.Linear(16 * 6 * width, 10)

    def forward(self, x):
        y = torch.relu(self.conv(x)).permute(0, 2, 3, 1)
        if self.how == "torch.flatten":
            y = torch.flatten(y, 1)
        elif self.how == "reshape":
            y = y.reshape(y.shape[0], -1)
        else:
            y = self.flat(y)
        return self.linear(y)


@pytest.mark.parametrize("how", ["torch.flatten", "reshape", "nn.Flatten"])
def test_flattening_a_permuted_map_is_a_copy_the_linear_keeps(how):
    """The axes of a permuted map are not stored one inside the other, so flattening copies
    it, and the Linear keeps the copy besides the ReLU's output (symcnn counted a view)."""
    for width in (1, 8):
        net = _PermuteThenFlatten(how, width)
        closed = sc.from_torch(net, (3, 6, width)).training_memory(batch="B").activations
        for batch in BATCHES:
            total, _ = measure(net, torch.randn(batch, 3, 6, width))
            assert closed.subs(B, batch) == total, (width, batch)


def _keras_permute_then(reshape):
    """Keras layers as to_torch builds them: Dense, ReLU, channels moved first, a reshape,
    Dense. The model's input is given channels first."""
    return sc.Sequential([sc.Input((6, "T", 3)), sc.Dense(16), sc.ReLU(),
                          sc.Permute((3, 1, 2)), reshape, sc.Dense(10)])


RESHAPES = {
    # flattening copies: the Dense keeps the copy and the ReLU its output
    "flatten": lambda: _keras_permute_then(sc.Flatten()),
    # merging the two spatial axes is a view, but one whose channels are stored innermost:
    # the Dense after it folds (B, 16, 6*T) into a matrix, a copy from batch 2 on
    "reshape_view": lambda: _keras_permute_then(sc.Reshape((16, -1))),
    # the PyTorch-named layers, as from_torch reads nn.Flatten after x.permute(0, 2, 3, 1)
    "pytorch_named": lambda: sc.nn.Sequential(
        sc.nn.Conv2d(3, 16, 3, padding=1), sc.nn.ReLU(), sc.Permute((2, 3, 1)),
        sc.nn.Flatten(), sc.nn.Linear(16 * 6 * T, 10), input_shape=(3, 6, "T")),
}


@pytest.mark.parametrize("name", sorted(RESHAPES))
def test_reshapes_of_permuted_maps_keep_what_pytorch_keeps(name):
    model = RESHAPES[name]()
    closed = model.training_memory(batch="B").activations
    for steps in (1, 4):
        net = model.subs(T=steps).to_torch()
        for batch in BATCHES:
            total, _ = measure(net, torch.randn(batch, 3, 6, steps))
            assert closed.subs({B: batch, T: steps}) == total, (steps, batch)


class _MergedHeads(nn.Module):
    """Attention-style heads: split, moved before the steps, tanh, moved back and merged by
    ``x.reshape`` (a copy of the transposed heads) or ``contiguous().view``, then a Linear."""

    def __init__(self, contiguous: bool) -> None:
        super().__init__()
        self.contiguous = contiguous
        self.split, self.merge = nn.Linear(8, 8), nn.Linear(8, 3)

    def forward(self, x):
        b, t, _ = x.shape
        y = torch.tanh(torch.relu(self.split(x)).view(b, t, 2, 4).transpose(1, 2))
        y = y.transpose(1, 2)
        y = y.contiguous().view(b, t, 8) if self.contiguous else y.reshape(b, t, 8)
        return self.merge(y)


@pytest.mark.parametrize("contiguous", [False, True], ids=["reshape", "contiguous_view"])
def test_merging_transposed_heads_keeps_what_pytorch_keeps(contiguous):
    net = _MergedHeads(contiguous)
    closed = sc.from_torch(net, ("T", 8)).training_memory(batch="B").activations
    _agrees_with_torch(closed, net, lambda b, t: torch.randn(b, t, 8), (1, 3, 4), T)


# ---------------------------------------------------------------------- batch normalization


BATCH_NORMS = {
    # nn.BatchNorm1d writes a contiguous (B, C, T): moved back, a Linear copies it
    "pytorch_1d": (lambda: sc.nn.Sequential(
        sc.nn.Linear(5, 6), sc.nn.ReLU(), sc.Permute((2, 1)), sc.nn.BatchNorm1d(6),
        sc.nn.ReLU(), sc.Permute((2, 1)), sc.nn.Linear(6, 3), input_shape=("T", 5)),
        lambda b, t: torch.randn(b, t, 5)),
    # a channels-first 2D map, normalized, moved channels last: a copy for the Linear
    "pytorch_2d": (lambda: sc.nn.Sequential(
        sc.nn.Conv2d(3, 8, 3, padding=1), sc.nn.ReLU(), sc.nn.BatchNorm2d(8), sc.nn.ReLU(),
        sc.Permute((2, 3, 1)), sc.nn.Linear(8, 4), input_shape=(3, "T", 5)),
        lambda b, t: torch.randn(b, 3, t, 5)),
    # a channels-last map seen channels first: batch norm writes it channels last again,
    # so moved back it is contiguous and the Linear keeps it as it is
    "pytorch_2d_channels_last": (lambda: sc.nn.Sequential(
        sc.nn.Linear(3, 8), sc.nn.ReLU(), sc.Permute((3, 1, 2)), sc.nn.BatchNorm2d(8),
        sc.nn.ReLU(), sc.Permute((2, 3, 1)), sc.nn.Linear(8, 4), input_shape=("T", 5, 3)),
        lambda b, t: torch.randn(b, t, 5, 3)),
    # Keras' BatchNormalization over the last axis: to_torch normalizes (B, C, T), contiguous
    "keras_steps": (lambda: sc.Sequential([
        sc.Input(("T", 5)), sc.Dense(8), sc.BatchNormalization(), sc.ReLU(), sc.Dense(3)]),
        lambda b, t: torch.randn(b, 5, t)),
    "keras_map": (lambda: sc.Sequential([
        sc.Input(("T", 5, 3)), sc.Dense(8), sc.BatchNormalization(), sc.ReLU(), sc.Dense(3)]),
        lambda b, t: torch.randn(b, 3, t, 5)),
}


@pytest.mark.parametrize("name", sorted(BATCH_NORMS))
def test_batch_norm_writes_its_input_memory_format_and_the_linear_after_keeps_that(name):
    """PyTorch's batch norm writes a new tensor, contiguous or, for a 4- or 5-axis input
    stored channels last, channels last: the Linear after a transpose of it keeps a copy
    exactly where the axes do not fold (symcnn stated no layout, and counted no copy)."""
    make, make_input = BATCH_NORMS[name]
    model = make()
    closed = model.training_memory(batch="B").activations
    for t in (2, 4):  # batch norm needs two values per channel in training
        net = model.subs(T=t).to_torch()
        for batch in BATCHES:
            total, _ = measure(net, make_input(batch, t))
            assert closed.subs({B: batch, T: t}) == total, (t, batch)


# --------------------------------------------------- one moved tensor, two readers (to_torch)


@pytest.mark.parametrize("readers", [
    lambda x: sc.Add()([sc.Dense(5)(x), sc.Dense(5)(x)]),
    lambda x: sc.Concatenate()([sc.Dense(3)(x), sc.Dense(4)(x), sc.Dense(2)(x)]),
], ids=["two dense", "three dense"])
def test_an_export_moves_a_tensor_once_for_all_the_layers_that_read_it(readers):
    """``to_torch`` moved a tensor to the symcnn layout once per reader, and each
    ``nn.Linear`` copied its non-contiguous view: two copies kept where symcnn counts one
    (384 bytes against 192 at batch 2). The export moves it once and makes it contiguous
    once, as a module written by hand would."""
    x = sc.Input((T, 6))
    model = sc.Model(x, readers(x))
    closed = model.training_memory(batch=B, optimizer="sgd").activations
    for steps in (4, 7):
        net = model.subs(T=steps).to_torch().train()
        assert sum(n.target == torch.movedim for n in net.graph.nodes) == 2  # in and out
        for batch in BATCHES:
            total, _ = measure(net, torch.randn(batch, 6, steps))
            assert closed.subs({B: batch, T: steps}) == total, (steps, batch)
