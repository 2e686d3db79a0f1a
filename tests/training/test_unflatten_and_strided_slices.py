"""Training memory of ``nn.Unflatten`` and of strided slices, against PyTorch's saved tensors.

``Unflatten`` stated nothing for training memory (a CostError on any model with one); it is a
view in PyTorch whatever the strides, keeps nothing, and its output keeps its input's memory
order, so that a ``Linear`` after a transposed input still keeps a copy. Strided slices
(``x[:, :, ::2]``, ``from_torch``: ``nn.StridedSlice``) are checked at odd and even sizes,
where whether the ``Linear`` or the reshape after them copies changes.
"""

from __future__ import annotations

import itertools

import pytest

import symcnn as sc
from tests.conftest import require

torch = require("torch")
from tests.support.saved_tensors import measure  # noqa: E402

B, T = sc.symbols("B T")


UNFLATTENS = {  # symcnn models on (T, 6) or (12,), their twins by to_torch
    "contiguous": (lambda: sc.nn.Sequential(
        sc.nn.Linear(12, 6), sc.nn.ReLU(), sc.nn.Unflatten(1, (2, 3)), sc.nn.Linear(3, 4),
        input_shape=(12,)), (12,)),
    # (B, T, 6) -> transposed (B, 6, T) -> (B, 2, 3, T): the Linear keeps a copy
    "transposed": (lambda: sc.nn.Sequential(
        sc.nn.Linear(6, 6), sc.nn.ReLU(), sc.Permute((2, 1)), sc.nn.Unflatten(1, (2, 3)),
        sc.nn.Linear("T", 4), input_shape=("T", 6)), ("T", 6)),
    # the last axis split: (B, 6, T) -> (B, 6, T, 1), the steps stored outermost
    "transposed_last_axis": (lambda: sc.nn.Sequential(
        sc.nn.Linear(6, 6), sc.nn.Tanh(), sc.Permute((2, 1)), sc.nn.Unflatten(2, (-1, 1)),
        sc.nn.Linear(1, 4), input_shape=("T", 6)), ("T", 6)),
}


@pytest.mark.parametrize("name", sorted(UNFLATTENS))
def test_unflatten_keeps_nothing_and_what_follows_keeps_what_pytorch_keeps(name):
    build, shape = UNFLATTENS[name]
    model = build()
    closed = model.training_memory(batch="B").activations
    for steps in (1, 4):
        net = model.subs(T=steps).to_torch() if T in model.free_symbols else model.to_torch()
        for batch in (1, 3):
            x = torch.randn(batch, *[steps if s == "T" else s for s in shape])
            assert closed.subs({B: batch, T: steps}) == measure(net, x)[0], (steps, batch)


def test_unflatten_adds_no_bytes_of_its_own():
    mem = UNFLATTENS["transposed"][0]().training_memory(batch="B")
    assert [bytes_ for _, kind, bytes_ in mem.layers if kind == "Unflatten"] == [0]


class _Cut(torch.nn.Module):
    """A convolution, a ReLU, a strided slice, then ``after`` and a Linear."""

    def __init__(self, cut, after, features: int) -> None:
        super().__init__()
        self.conv, self.cut, self.after = torch.nn.Conv2d(3, 4, 3, padding=1), cut, after
        self.linear = torch.nn.Linear(features, 5)

    def forward(self, x):
        return self.linear(self.after(self.cut(torch.relu(self.conv(x)))))


STRIDED = {
    "rows": lambda y: y[:, :, ::2], "odd_rows": lambda y: y[:, :, 1::2],
    "every_third_row": lambda y: y[:, :, ::3], "channels": lambda y: y[:, ::2],
    "rows_and_channels": lambda y: y[:, 1::3, ::2], "rows_short_end": lambda y: y[:, :, :-1:2],
}
AFTER = {"linear": lambda y: y, "relu": torch.relu, "flatten": lambda y: torch.flatten(y, 1),
         "contiguous": lambda y: y.contiguous()}


@pytest.mark.parametrize("cut,after", list(itertools.product(sorted(STRIDED),
                                                       sorted(AFTER))))
def test_strided_slices_at_odd_and_even_sizes_keep_what_pytorch_keeps(cut, after):
    """``::s`` of ``n`` rows fits under the axis above it only where ``n`` is a multiple
    of ``s``: the Linear (or the reshape) after it copies at odd sizes, not at even ones."""
    for h in (6, 7):
        with torch.no_grad():
            features = AFTER[after](STRIDED[cut](torch.zeros(1, 4, h, 8))).shape[-1]
        net = _Cut(STRIDED[cut], AFTER[after], features)
        model = sc.from_torch(net, (3, h, 8))
        for batch in (1, 3):
            total, _ = measure(net, torch.randn(batch, 3, h, 8))
            assert model.training_memory(batch=batch).activations == total, (h, batch)
