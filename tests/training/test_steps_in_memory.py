"""Strided slices, then a reshape, ``contiguous()`` or a Linear: PyTorch's copies, counted.

``x[..., ::2]`` reads the axis stored innermost with a stride of 2. symcnn stated no layout
for it, so a ``Flatten`` or ``contiguous()`` after it counted a view where PyTorch copies.
PyTorch's rule, measured here: ``contiguous()`` copies a tensor stepped that way unless all
its sizes are 1; a reshape merges the stepped axis with the one above it without a copy
exactly where the step divides that axis into whole steps (``::2`` of an even size); and a
slice that starts off 0 or stops short leaves a gap above the axis, whichever axis. Every
figure is PyTorch's, measured with saved-tensor hooks on the model ``from_torch`` reads.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings, strategies as st

import symcnn as sc
from symcnn.layers.layout import Cut, Layout, contiguous, sliced
from tests.conftest import fuzz_examples, require

torch = require("torch")
from torch import nn  # noqa: E402

from tests.support.saved_tensors import measure  # noqa: E402

B = sc.symbols("B")
BATCHES = (1, 2, 3)

AFTER = {
    "flatten": lambda y: torch.flatten(y, 1),
    "reshape": lambda y: y.reshape(y.shape[0], -1),
    "flatten_inner": lambda y: torch.flatten(y, 2),
    "contiguous": lambda y: y.contiguous(),
    "linear": lambda y: y,  # the Linear folds its input: x.reshape(-1, K)
}


class _Cut(nn.Module):
    """A Linear over the last axis (its output requires a gradient), an optional permutation
    before or after the slices, the slices, ``after``, and a Linear that keeps its input."""

    def __init__(self, shape, cuts, permute, permute_first: bool, after: str) -> None:
        super().__init__()
        self.first = nn.Linear(shape[-1], shape[-1])
        self.cuts, self.permute, self.permute_first, self.after = \
            cuts, permute, permute_first, after
        with torch.no_grad():
            features = self._middle(torch.zeros(1, *shape)).shape[-1]
        self.last = nn.Linear(features, 2)

    def _middle(self, y):
        if self.permute is not None and self.permute_first:
            y = y.permute(*self.permute)
        for cut in self.cuts:
            y = y[cut]
        if self.permute is not None and not self.permute_first:
            y = y.permute(*self.permute)
        return AFTER[self.after](y)

    def forward(self, x):
        return self.last(self._middle(self.first(x)))


def _agrees_with_pytorch(net, shape) -> None:
    closed = sc.from_torch(net, shape).training_memory(batch="B").activations
    for batch in BATCHES:
        assert closed.subs(B, batch) == measure(net, torch.randn(batch, *shape))[0], batch


@pytest.mark.parametrize("width,step,after", list(itertools.product(
    (6, 7), (2, 3), ("flatten", "reshape", "contiguous", "linear"))))
def test_a_step_over_the_last_axis_keeps_what_pytorch_keeps(width, step, after):
    """``x[..., ::s]`` of a ``(4, 5, width)`` map: ``contiguous()`` always copies; a
    flatten is a view where ``s`` divides the width (6 by 2 and 3) and a copy where it does
    not (7); the Linear's fold keeps the stepped axis apart and needs no copy."""
    cut = (slice(None), slice(None), slice(None), slice(None, None, step))
    _agrees_with_pytorch(_Cut((4, 5, width), [cut], None, True, after), (4, 5, width))


@pytest.mark.parametrize("after", ["contiguous", "flatten"])
def test_a_stepped_tensor_of_size_one_is_contiguous_only_at_batch_one(after):
    """``x[..., 1::5]`` of one row of 5 leaves one element per example: PyTorch's
    ``contiguous()`` copies from batch 2 on, where the batch axis is stored 5 apart, and
    not at batch 1, where every size is 1."""
    cut = (slice(None), slice(None), slice(1, None, 5))
    _agrees_with_pytorch(_Cut((1, 5), [cut], None, True, after), (1, 5))


def test_a_step_on_an_axis_cut_short_before_states_no_layout():
    """``x[:, :5][:, ::2]``: whether the rows still fit under the axis above depends on how
    long the row axis was before the crop (6 rows: 6 == 3*2, they fit; 7 rows: no), which a
    layout does not record, so symcnn states none (a Linear after it keeps its input). Both
    answers are PyTorch's."""
    views = []
    for rows in (6, 7):
        y = torch.zeros(2, rows, 4)[:, :5][:, ::2]
        views.append(y.reshape(-1, 4).data_ptr() == y.data_ptr())
    assert views == [True, False]
    cropped = sliced(Layout((0, 1, 2), grad=True), [1])
    cut = sc.nn.StridedSlice(((None, None, 2),))
    assert cut.layout_for([cropped], [(5, 4)], [(3, 4)]) == (None,)
    # where the order is not relied on (no gradient: a Cut), the crop's gap is dropped
    assert cut.layout_for([sliced(contiguous(3), [1])], [(5, 4)], [(3, 4)]) == \
        (Cut(frozenset(), False, frozenset({1})),)


# ------------------------------------------------------------------ random slices


_BOUNDS = st.sampled_from([None, 0, 1, 2, 3, -1, -2])
_STEPS = st.sampled_from([None, 1, 2, 3, 5])


@st.composite
def _cases(draw):
    """A shape, a permutation and one or two slices with a non-empty result, and what
    follows them. A step over 1 is made 1 on an axis whose memory extent an earlier slice
    changed (cut short or stepped, or stored right under a stepped one): symcnn states no
    layout there (the test above). No reshape follows where an axis of one element that a
    slice changed lies under the innermost longer axis in memory (``x[..., 1:2]``): the
    view's layout is then not stated (``symcnn.layers.views``), and a Linear after it keeps
    its input."""
    rank = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(1, 7)) for _ in range(rank))
    permute = draw(st.none() | st.permutations(range(1, rank + 1)).map(lambda p: (0, *p)))
    permute_first = draw(st.booleans())
    source = list(range(1, rank + 1)) if permute is None or not permute_first else \
        list(permute[1:])  # the input axis each axis of the sliced tensor is
    sizes = [shape[a - 1] for a in source]
    below = {source.index(a): source.index(a + 1) for a in range(1, rank)}  # in memory
    cuts, changed = [], set()
    for _ in range(draw(st.integers(1, 2))):
        cut, changing = [], set()
        for axis, n in enumerate(sizes):
            start, stop, step = draw(_BOUNDS), draw(_BOUNDS), draw(_STEPS)
            if axis in changed and n > 1:
                step = None
            length = len(range(n)[slice(start, stop, step)])
            if length == 0:
                start, stop = None, None
                length = len(range(n)[slice(None, None, step)])
            if n > 1 and (length != n or (step or 1) > 1):
                changing.add(axis)
            if n > 1 and (step or 1) > 1 and axis in below:
                changing.add(below[axis])
            cut.append(slice(start, stop, step))
            sizes[axis] = length
        cuts.append((slice(None), *cut))
        changed |= changing
    memory = sorted(range(rank), key=source.__getitem__)  # outermost first
    longer = [axis for axis in memory if sizes[axis] > 1]
    under = memory[memory.index(longer[-1]) + 1:] if longer else []
    laid_out = not any(sizes[axis] == 1 and axis in changed for axis in under)
    choices = ["contiguous", "linear"] + (["flatten", "reshape"] if laid_out else []) + \
        (["flatten_inner"] if rank == 3 and laid_out else [])
    return shape, cuts, permute, permute_first, draw(st.sampled_from(choices))


@settings(max_examples=fuzz_examples(100))
@given(_cases())
def test_random_slices_then_a_reshape_contiguous_or_linear_keep_what_pytorch_keeps(case):
    shape, cuts, permute, permute_first, after = case
    _agrees_with_pytorch(_Cut(shape, cuts, permute, permute_first, after), shape)
