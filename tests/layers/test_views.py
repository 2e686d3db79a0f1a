"""symcnn.layers.views: whether PyTorch's reshape and contiguous() copy, over a Layout.

Every layout of 2 to 4 axes (axis order, cropped axes) with sizes 1 to 3 is built as a real
strided tensor and reshaped by PyTorch itself: the closed forms say "copy" exactly where
PyTorch's result has another storage, and the layout stated for the result predicts what
PyTorch does with it next (contiguous(), and the fold to a matrix that nn.Linear makes).
Closed forms over symbolic sizes equal those answers at every value.
"""

from __future__ import annotations

import itertools

import pytest
import sympy

import symcnn as sc
from symcnn.errors import CostError
from symcnn.layers.layout import Layout, contiguous, fold_copy, permuted
from symcnn.layers.views import contiguous_copy, reshape_copy, reshaped
from tests.conftest import require

torch = require("torch")


def _strided(order, gaps, sizes):
    """A tensor of ``sizes`` stored in ``order`` (outermost first), cropped where ``gaps``."""
    position = {a: i for i, a in enumerate(order)}
    buffer = torch.zeros([sizes[a] + gaps[a] for a in order])
    for a, cropped in enumerate(gaps):
        if cropped:
            buffer = buffer.narrow(position[a], 1, sizes[a])
    return buffer.permute([position[a] for a in range(len(sizes))])


def _copies(before, after) -> int:
    return int(before.untyped_storage().data_ptr() != after.untyped_storage().data_ptr())


def _factorizations(n: int):
    yield (n,)
    for d in range(2, n):
        if n % d == 0:
            for rest in _factorizations(n // d):
                yield (d, *rest)


def _targets(sizes):
    """Reshapes that keep the batch axis: every factorization of the rest, every merge of
    consecutive axes, and a size-1 axis added in front or behind."""
    batch, rest = sizes[0], tuple(sizes[1:])
    total = 1
    for s in rest:
        total *= s
    found = {(batch, *f) for f in _factorizations(total)} if total > 1 else {(batch, 1)}
    for i in range(len(rest)):
        for j in range(i + 1, len(rest) + 1):
            merged = 1
            for s in rest[i:j]:
                merged *= s
            found.add((batch, *rest[:i], merged, *rest[j:]))
    return sorted(found | {(batch, *rest, 1), (batch, 1, *rest)})


def _layouts(rank):
    for order in itertools.permutations(range(rank)):
        for gaps in itertools.product((False, True), repeat=rank):
            yield order, gaps, Layout(order, frozenset(a for a in range(rank) if gaps[a]), True)


def _cases():
    for rank, values in ((2, (1, 2, 3, 4)), (3, (1, 2, 3)), (4, (1, 2))):
        for order, gaps, layout in _layouts(rank):
            for sizes in itertools.product(values, repeat=rank):
                yield order, gaps, layout, sizes


def test_contiguous_copy_is_one_exactly_where_torch_contiguous_copies():
    for order, gaps, layout, sizes in _cases():
        x = _strided(order, gaps, sizes)
        assert contiguous_copy(layout, sizes) == _copies(x, x.contiguous()), (order, gaps, sizes)


def test_reshape_copy_is_one_exactly_where_torch_reshape_copies():
    """Merges (flatten), splits, other factorizations and added size-1 axes."""
    for order, gaps, layout, sizes in _cases():
        x = _strided(order, gaps, sizes)
        for target in _targets(sizes):
            copies = _copies(x, x.reshape(target))
            assert reshape_copy(layout, sizes, target) == copies, (order, gaps, sizes, target)


def test_the_layout_stated_for_a_reshape_predicts_what_torch_does_with_it_next():
    """Where ``reshaped`` states a layout (for any batch size), it says where PyTorch's
    contiguous() and nn.Linear's fold of the result copy; it is stated for most of them."""
    stated = total = 0
    for order, gaps, layout, sizes in _cases():
        x = _strided(order, gaps, sizes)
        for target in _targets(sizes):
            total += 1
            result = reshaped(layout, sizes[1:], target[1:])
            if result is None:
                continue
            stated += 1
            y = x.reshape(target)
            folded = y.reshape(-1, target[-1])
            assert (contiguous_copy(result, target), fold_copy(result, target)) == \
                (_copies(y, y.contiguous()), _copies(y, folded)), (order, gaps, sizes, target)
    assert stated > total // 2


B, H, W, T = sc.symbols("B H W T")


@pytest.mark.parametrize("order", [(0, 2, 1), (1, 0, 2), (2, 0, 1), (0, 1, 2)])
def test_symbolic_closed_forms_equal_the_answer_at_every_size(order):
    """``Min(1, s - 1)`` is 1 from ``s = 2`` on and 0 at ``s = 1``: the closed form over
    symbolic sizes equals the numeric answer (checked above against PyTorch) at each size."""
    layout = Layout(order, grad=True)
    sizes, merged, split = (B, H, W), (B, H * W), (B, H, W, 1)
    forms = (contiguous_copy(layout, sizes), reshape_copy(layout, sizes, merged),
             reshape_copy(layout, sizes, split))
    for b, h, w in itertools.product((1, 2, 3), repeat=3):
        values = {B: b, H: h, W: w}
        assert [sympy.sympify(f).subs(values) for f in forms] == [
            contiguous_copy(layout, (b, h, w)), reshape_copy(layout, (b, h, w), (b, h * w)),
            reshape_copy(layout, (b, h, w), (b, h, w, 1))], values


def test_flattening_a_permuted_map_copies_unless_the_moved_axis_has_size_one():
    nhwc = permuted(contiguous(4), (2, 3, 1))  # x.permute(0, 2, 3, 1) of (B, C, H, W)
    assert reshape_copy(nhwc, (B, H, W, T), (B, H * W * T)) == sympy.expand(
        sympy.Min(1, T - 1) * (1 - (1 - sympy.Min(1, H - 1)) * (1 - sympy.Min(1, W - 1))))


def test_a_reshape_that_sizes_cannot_decide_asks_for_numbers():
    """Whether (H, W) read as (W, H) after a transpose copies depends on H == W."""
    with pytest.raises(CostError, match="substitute numbers"):
        reshape_copy(Layout((0, 2, 1), grad=True), (B, H, W), (B, W, H))
    assert reshaped(Layout((0, 2, 1)), (H, W), (W, H)) is None
