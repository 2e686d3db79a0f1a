"""Strided slices and ``contiguous()`` of a tensor whose layout symcnn does not state.

A slice is a view: the layer after it that keeps its input keeps the sliced tensor's base (a
concatenation, here) or, where PyTorch's reshape or ``contiguous()`` copies, the copy. symcnn
did not follow the crops for ``nn.StridedSlice`` and ``nn.Contiguous`` of such a tensor (it
stated no layout, so a ``Linear`` or ``contiguous()`` after them counted the whole
concatenation where PyTorch keeps a copy of the crop): ``torch.cat([a, b], 1)[:, 1:, ::3]``
of two 1x1 convolutions of 2 channels each, on 7 rows of 8, then a ``Linear``, 1,568 bytes at
batch 1 against PyTorch's 960; a crop ``[:, 1:3, 1:5]`` of it on 6 rows, ``contiguous()``
and a ``Linear``, 1,344 against 832. The slice is now a :class:`~symcnn.layers.layout.Cut`,
its axes cut short and read with a step, and the layers after it copy where PyTorch copies
whatever the order in memory. The model's input, whose order symcnn does not rely on (it
requires no gradient), is sliced the same way. (The tests below concatenate 2 and 1
channels.)

Every figure is PyTorch's, measured with saved-tensor hooks (tests/support/saved_tensors.py)
at batches 1, 2 and 3 on the model ``from_torch`` reads.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

import symcnn as sc
from symcnn.layers.layout import Cut, sliced, unordered_contiguous_copy
from tests.conftest import fuzz_examples, require

torch = require("torch")
from torch import nn  # noqa: E402

from tests.support.saved_tensors import measure  # noqa: E402

B = sc.symbols("B")
BATCHES = (1, 2, 3)
ALL = slice(None)

#: What follows the slices: the layer after them keeps its input (a Linear folds it, a
#: convolution keeps it as it is), or ``contiguous()``, a ReLU or a flatten, then a Linear.
AFTER = {
    "linear": lambda y: y,
    "conv": lambda y: y,
    "contiguous": lambda y: y.contiguous(),
    "relu": torch.relu,
    "flatten": lambda y: torch.flatten(y, 1),
}


class _Sliced(nn.Module):
    """Two convolutions concatenated (a layout symcnn does not state), or the model's input,
    indexed with ``cuts`` one after the other, then ``after``."""

    def __init__(self, channels: int, shape, cuts, source: str, after: str) -> None:
        super().__init__()
        self.cuts, self.source, self.after = cuts, source, after
        self.left, self.right = nn.Conv2d(channels, 2, 1), nn.Conv2d(channels, 1, 1)
        with torch.no_grad():
            y = AFTER[after](self._sliced(torch.zeros(1, channels, *shape)))
        self.last = nn.Conv2d(y.shape[1], 2, 1) if after == "conv" else \
            nn.Linear(y.shape[-1], 2)

    def _sliced(self, x):
        y = torch.cat([self.left(x), self.right(x)], 1) if self.source == "concatenation" \
            else x
        for cut in self.cuts:
            y = y[cut]
        return y

    def forward(self, x):
        return self.last(AFTER[self.after](self._sliced(x)))


def _closed_and_measured(channels, shape, cuts, source="concatenation", after="linear"):
    net = _Sliced(channels, shape, cuts, source, after)
    model = sc.from_torch(net, input_shape=(channels, *shape))
    closed = model.training_memory(batch="B").activations
    return ([closed.subs(B, b) for b in BATCHES],
            [measure(net, torch.randn(b, channels, *shape))[0] for b in BATCHES])


def _agrees(channels, shape, cuts, source="concatenation", after="linear"):
    ours, pytorch = _closed_and_measured(channels, shape, cuts, source, after)
    assert ours == pytorch


@pytest.mark.parametrize("rows", [6, 7])
@pytest.mark.parametrize("after", ["linear", "contiguous", "flatten"])
def test_a_strided_slice_of_a_concatenation_keeps_what_pytorch_keeps(after, rows):
    """``[:, 1:, ::3]``: 7 rows do not fit under the channels after the step (7 != 3*3), so
    the Linear copies at every batch; 6 rows do (6 == 3*2), and only the channels, cut
    short, need a copy from batch 2 on; ``contiguous()`` copies a step in any order."""
    _agrees(3, (rows, 8), [(ALL, slice(1, None), slice(None, None, 3))], after=after)


@pytest.mark.parametrize("cuts", [
    [(ALL, slice(None, None, 2)), (ALL, ALL, ALL, slice(None, 1))],
    [(ALL, ALL, slice(None, None, 2)), (ALL, slice(1, 3))],
    [(ALL, ALL, ALL, slice(None, None, 3)), (ALL, ALL, slice(0, 4))],
])
def test_a_plain_slice_after_a_strided_one_keeps_the_crop(cuts):
    """``nn.Slice`` after ``nn.StridedSlice`` forgot the crop it was given (its layout read
    None for a cut): ``cat[:, ::2][..., :1]``, ``contiguous()`` and a Linear, 960 bytes at
    batch 1 against PyTorch's 432."""
    _agrees(2, (6, 8), cuts, after="contiguous")


@pytest.mark.parametrize("rows", [6, 7])
@pytest.mark.parametrize("cut", [
    (ALL, slice(1, 3), slice(1, 5)),               # channels and rows
    (ALL, ALL, slice(1, 5)),                       # rows: the channels are merged with them
    (ALL, slice(1, 3)),                            # channels: a copy from batch 2 on
    (ALL, ALL, ALL, slice(None, None, 2)),         # a step on the last axis: always a copy
])
def test_contiguous_of_a_crop_of_a_concatenation_keeps_what_pytorch_keeps(cut, rows):
    _agrees(3, (rows, 8), [cut], after="contiguous")


@pytest.mark.parametrize("cut", [(ALL, slice(1, 3), slice(1, 5)), (ALL, ALL, ALL, slice(1, 4)),
                                 (ALL, ALL, slice(None, None, 2)),
                                 (ALL, slice(None, None, 2), ALL, slice(None, None, 3))])
@pytest.mark.parametrize("after", ["contiguous", "linear"])
def test_a_slice_of_the_models_input_keeps_what_pytorch_keeps(cut, after):
    """The model's input requires no gradient: PyTorch copies a slice of it for
    ``contiguous()`` (and the Linear keeps the copy) as it copies any tensor."""
    _agrees(3, (6, 8), [cut], source="input", after=after)


def test_a_step_on_an_axis_cut_short_before_forgets_that_gap_only():
    """``[:, 1:, :5][:, :, ::2]`` of a concatenation: whether the rows fit under the
    channels again depends on how many there were (6: they fit), which a Cut does not
    record, so the rows' gap is dropped; the channels' gap stays, and the Linear copies from
    batch 2 on, as in PyTorch."""
    cuts = [(ALL, slice(1, None), slice(None, 5)), (ALL, ALL, slice(None, None, 2))]
    _agrees(3, (6, 8), cuts)
    stepped = sc.nn.StridedSlice(((None, None, None), (None, None, 2)))
    assert stepped.layout_for([Cut(frozenset({1, 2}))], [(3, 5, 8)], [(3, 3, 8)]) == \
        (Cut(frozenset({1}), None, frozenset({2})),)


def test_the_same_slices_on_seven_rows_count_the_view_where_pytorch_copies_at_batch_1():
    """The other side of the test above (documented): 7 rows no longer fit under the
    channels, so PyTorch copies at batch 1 too, while symcnn, which dropped that gap,
    counts the concatenation the slices view (3 x 7 x 8 values, at 4 bytes) for the copy
    (2 x 3 x 8)."""
    cuts = [(ALL, slice(1, None), slice(None, 5)), (ALL, ALL, slice(None, None, 2))]
    ours, pytorch = _closed_and_measured(3, (7, 8), cuts)
    assert [a - b for a, b in zip(ours, pytorch)] == [4 * (3 * 7 * 8 - 2 * 3 * 8), 0, 0]


@pytest.mark.parametrize("index,cut", [
    ((ALL, slice(1, None)), sliced(None, [1])),                      # from batch 2 on
    ((ALL, ALL, slice(1, 5)), sliced(None, [2])),                    # at every batch
    ((ALL, ALL, ALL, slice(None, None, 2)), sliced(None, [], steps=[3])),
    ((ALL, ALL, slice(None, None, 2)), sliced(None, [], steps=[2])),
])
def test_contiguous_copies_a_cut_where_pytorch_finds_it_not_contiguous(index, cut):
    b = sc.symbols("b")
    sizes = torch.zeros(1, 5, 6, 8)[index].shape[1:]
    copy = unordered_contiguous_copy(cut, (b, *sizes))
    assert [copy.subs(b, n) for n in (1, 2)] == \
        [int(not torch.zeros(n, 5, 6, 8)[index].is_contiguous()) for n in (1, 2)]


# ------------------------------------------------------------------ random slices

_BOUNDS = st.sampled_from([None, 0, 1, 2, 3, -1, -2])
_STEPS = st.sampled_from([None, 1, 2, 3, 5])


@st.composite
def _cases(draw):
    """A source, its shape, one or two slices with a non-empty result, and what follows.

    Left out, as symcnn cannot tell them without the order in memory (it counts the view):
    a step over 1 on an axis cut short before (whether it fits again depends on its length
    before, the test above), and, before a reshape or ``contiguous()`` (the Linear's fold
    leaves the last axis alone), an axis that a slice changed left one element long
    (whether the axes around it fit depends on the order: ``x[:, 1:2]``); such a slice is
    drawn as the whole axis."""
    source = draw(st.sampled_from(["concatenation", "input"]))
    after = draw(st.sampled_from(sorted(AFTER)))
    channels = draw(st.integers(1, 3))
    shape = (draw(st.integers(1, 7)), draw(st.integers(1, 7)))
    sizes = [3 if source == "concatenation" else channels, *shape]
    gaps, cuts = set(), []
    for k in range(draw(st.integers(1, 2))):
        triples = [[draw(_BOUNDS), draw(_BOUNDS), draw(_STEPS)] for _ in sizes]
        for axis, n in enumerate(sizes):
            if axis in gaps and n > 1:
                triples[axis][2] = None
        cut, new_sizes, new_gaps = [], list(sizes), set(gaps)
        for axis, (n, (start, stop, step)) in enumerate(zip(sizes, triples)):
            if not range(n)[start:stop:step]:
                start, stop = None, None
            m = len(range(n)[start:stop:step])
            changes = m != n or (step or 1) > 1
            if changes and m == 1 and n > 1 and after in ("contiguous", "flatten", "linear") \
                    and not (after == "linear" and axis == len(sizes) - 1):
                start, stop, step, m = None, None, None, n
            if n > 1 and n != (step or 1) * m:
                new_gaps.add(axis)
            cut.append(slice(start, stop, step))
            new_sizes[axis] = m
        cuts.append((ALL, *cut))
        sizes, gaps = new_sizes, new_gaps
    return channels, shape, cuts, source, after


@settings(max_examples=fuzz_examples(40))
@given(_cases())
def test_random_slices_then_a_linear_conv_contiguous_or_relu_keep_what_pytorch_keeps(case):
    _agrees(*case)
