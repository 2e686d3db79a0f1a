"""PyTorch's padding modules with negative amounts (crops): symcnn accepts exactly the input
sizes PyTorch accepts, for a number of elements and, as constraints, for a symbol.

Every expectation is a real PyTorch forward pass over a grid of amounts and sizes. Constant
padding with one side cropping and the other padding needs the input to cover the crop
(``ZeroPad2d((0, 0, 3, -3))`` refuses 1 row, although the output would have 1). Circular
padding is held to where PyTorch runs in every memory layout and computes the crop wrapped
around (its own accepted set depends on the layout, see the tests at the end).
"""

import sys

import pytest
import sympy

import symcnn as sc
from symcnn import nn
from symcnn.errors import ShapeError

from ..conftest import require

pytestmark = pytest.mark.frameworks

AMOUNTS = range(-4, 5)
SIZES = range(1, 12)
H = sc.symbols("H")


def _torch_size(torch, cls, rank, pair, h):
    """The size PyTorch gives the last axis of ``h`` elements padded by ``pair``, None
    where it refuses (an empty output counts as refused, as symcnn refuses it)."""
    args = ((*pair, *(0, 0) * (rank - 1)),) + ((0.0,) if cls == "ConstantPad" else ())
    x = torch.zeros((1, 1) + (5,) * (rank - 1) + (h,))
    try:
        y = getattr(torch.nn, f"{cls}{rank}d")(*args)(x)
    except (RuntimeError, ValueError, IndexError):
        return None
    return int(y.shape[-1]) if y.numel() else None


def _symcnn_size(cls, rank, pair, h):
    args = ((*pair, *(0, 0) * (rank - 1)),) + ((0.0,) if cls == "ConstantPad" else ())
    try:
        model = nn.Sequential(getattr(nn, f"{cls}{rank}d")(*args),
                              input_shape=(1,) + (5,) * (rank - 1) + (h,))
    except ShapeError:
        return None
    return int(model.output_shape[-1])


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("cls", ["ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad"])
def test_pads_accept_what_pytorch_accepts(cls, rank):
    torch = require("torch")
    mismatches = []
    for a in AMOUNTS:
        for b in AMOUNTS:
            args = ((a, b, *(0, 0) * (rank - 1)),) + ((0.0,) if cls == "ConstantPad" else ())
            symbolic = nn.Sequential(getattr(nn, f"{cls}{rank}d")(*args),
                                     input_shape=(1,) + (5,) * (rank - 1) + (H,))
            for h in SIZES:
                truth = _torch_size(torch, cls, rank, (a, b), h)
                concrete = _symcnn_size(cls, rank, (a, b), h)
                admitted = all(bool(c.subs(H, h)) for c in symbolic.constraints)
                closed = symbolic.output_shape[-1].subs(H, h) if admitted else None
                if not truth == concrete == closed:
                    mismatches.append((a, b, h, truth, concrete, closed))
    assert not mismatches


def test_mixed_sign_crop_is_refused_with_the_values():
    with pytest.raises(ShapeError, match=r"ZeroPad2d.*crops 3 of the 1 elements of dim 2.*"
                                         r"Received: padding=\(0, 0, 3, -3\)"):
        nn.Sequential(nn.ZeroPad2d((0, 0, 3, -3)), input_shape=(1, 1, 5))
    model = nn.Sequential(nn.ZeroPad2d((0, 0, 3, -3)), input_shape=(1, H, 5))
    assert model.constraints == [H >= 3]


def test_from_torch_follows():
    torch = require("torch")
    module = torch.nn.ZeroPad2d((0, 0, 3, -3))
    for h in SIZES:
        truth = _torch_size(torch, "ZeroPad", 2, (3, -3), h)
        try:
            got = sc.from_torch(module, input_shape=(1, h, 5)).output_shape[1]
        except ShapeError:
            got = None
        assert got == truth
    symbolic = sc.from_torch(module, input_shape=(1, H, 5))
    assert [h for h in SIZES if all(bool(c.subs(H, h)) for c in symbolic.constraints)] == [
        h for h in SIZES if _torch_size(torch, "ZeroPad", 2, (3, -3), h) is not None]


def test_symbolic_pad_beside_a_crop():
    """A size-valued amount may be 0, where the crop alone must leave an element."""
    torch = require("torch")
    P = sympy.Symbol("P", integer=True, nonnegative=True)
    model = nn.Sequential(nn.ZeroPad1d((P, -3)), input_shape=(1, H))
    for p in range(0, 5):
        for h in SIZES:
            admitted = all(bool(c.subs({H: h, P: p})) for c in model.constraints)
            assert admitted == (_torch_size(torch, "ZeroPad", 1, (p, -3), h) is not None)


# Circular padding with one side cropping and the other padding. PyTorch's own accepted set
# depends on the memory layout (batch, channels, the other axes) and includes sizes whose
# output is uninitialised memory (the crop takes the whole input), so the truth here is
# where PyTorch *always* accepts and computes the crop wrapped around: every layout below
# runs, and every output equals the brute-force wrap of the cropped input.

def _wrap_index(torch, size, pair):
    """The input index of each output element: crop, then wrap around what is left (None
    where the crop leaves nothing, so no output is right)."""
    a, b = pair
    start, stop = max(-a, 0), size - max(-b, 0)
    left = stop - start
    if left <= 0:
        return None
    return torch.tensor([start + (j - max(a, 0)) % left
                         for j in range(left + max(a, 0) + max(b, 0))])


def _circular_truth(torch, rank, pads, spatial_sizes):
    """The output's spatial shape if PyTorch runs ``CircularPad{rank}d`` by ``pads`` (one
    (before, after) pair per spatial axis, first axis first) and gets the wrapped crop in
    every layout probed, else None."""
    flat = tuple(p for pair in pads[::-1] for p in pair)
    module = getattr(torch.nn, f"CircularPad{rank}d")(flat)
    shapes = [(1, 1, *spatial_sizes), (2, 3, *spatial_sizes),
              # batch, channels and the unpadded axes 1: PyTorch's overlap check sees the
              # copies that wrap more than once, and refuses them
              (1, 1, *(n if pair != (0, 0) else 1 for n, pair in zip(spatial_sizes, pads)))]
    result = None
    for shape in shapes:
        indices = [_wrap_index(torch, n, pair) for n, pair in zip(shape[2:], pads)]
        x = torch.arange(1.0, 1.0 + torch.Size(shape).numel()).reshape(shape)
        try:
            y = module(x)
        except RuntimeError:
            return None
        if y.numel() == 0 or any(i is None for i in indices):
            return None
        want = x
        for k, idx in enumerate(indices):
            want = want.index_select(2 + k, idx)
        if not torch.equal(y, want):
            return None
        result = result or tuple(y.shape[2:])  # the first layout's, at the sizes asked
    return result


def _circular_symcnn(rank, pads, spatial_sizes):
    flat = tuple(p for pair in pads[::-1] for p in pair)
    try:
        model = nn.Sequential(getattr(nn, f"CircularPad{rank}d")(flat),
                              input_shape=(1, *spatial_sizes))
    except ShapeError:
        return None
    return tuple(int(v) for v in model.output_shape[1:])



@pytest.fixture(autouse=True)
def _autograd_restored():
    """Some tests here turn autograd off for speed; it is restored after each, since later
    tests (training memory against what autograd saves) need it on."""
    torch = sys.modules.get("torch")
    before = torch.is_grad_enabled() if torch is not None else True
    yield
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_grad_enabled(before)

@pytest.mark.parametrize("rank,axis", [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)])
def test_circular_pad_accepts_where_pytorch_wraps_the_crop(rank, axis):
    torch = require("torch")
    torch.set_grad_enabled(False)
    mismatches, refused_by_torch, wrapped = [], 0, 0
    for a in AMOUNTS:
        for b in AMOUNTS:
            pads = [(0, 0)] * rank
            pads[axis] = (a, b)
            flat = tuple(p for pair in pads[::-1] for p in pair)
            sym_sizes = [5] * rank
            sym_sizes[axis] = H
            symbolic = nn.Sequential(getattr(nn, f"CircularPad{rank}d")(flat),
                                     input_shape=(1, *sym_sizes))
            for h in SIZES:
                sizes = [5] * rank
                sizes[axis] = h
                truth = _circular_truth(torch, rank, pads, sizes)
                concrete = _circular_symcnn(rank, pads, sizes)
                admitted = all(bool(c.subs(H, h)) for c in symbolic.constraints)
                closed = (tuple(int(v.subs(H, h)) for v in symbolic.output_shape[1:])
                          if admitted else None)
                if not truth == concrete == closed:
                    mismatches.append((a, b, h, truth, concrete, closed))
                if a * b < 0 and truth is None:
                    refused_by_torch += 1
                if a * b < 0 and truth is not None:
                    wrapped += 1
    assert not mismatches
    assert refused_by_torch and wrapped  # the grid reaches both sides of the rule


def test_circular_pad_on_several_axes_at_once():
    """Mixed-sign pairs on two or three axes together: symcnn accepts where each axis alone
    is accepted (by the single-axis truth), and there PyTorch wraps every crop."""
    import random

    torch = require("torch")
    torch.set_grad_enabled(False)
    rng = random.Random(20240613)
    mismatches, seen = [], set()
    for rank in (2, 3):
        for _ in range(250):
            pads = [(rng.randint(-3, 3), rng.randint(-3, 3)) for _ in range(rank)]
            sizes = [rng.randint(1, 7) for _ in range(rank)]
            per_axis = []
            for k in range(rank):
                alone = [(0, 0)] * rank
                alone[k] = pads[k]
                per_axis.append(_circular_truth(torch, rank, alone, sizes))
            expected = (tuple(t[k] for k, t in enumerate(per_axis))
                        if all(t is not None for t in per_axis) else None)
            got = _circular_symcnn(rank, pads, sizes)
            seen.add(got is None)
            if got != expected or (got is not None
                                   and _circular_truth(torch, rank, pads, sizes) != got):
                mismatches.append((pads, sizes, expected, got))
    assert not mismatches
    assert seen == {True, False}


def test_circular_crop_is_refused_with_the_values():
    torch = require("torch")
    # PyTorch runs this on 3 and 4 elements (output of uninitialised memory) but not on 5
    with pytest.raises(ShapeError, match=r"CircularPad1d.*crops 4 and then wraps 2 .*at "
                                         r"least 6 elements.*dim 2 has 5.*"
                                         r"Received: padding=\(-4, 2\)"):
        nn.Sequential(nn.CircularPad1d((-4, 2)), input_shape=(1, 5))
    with pytest.raises(RuntimeError):
        torch.nn.CircularPad1d((-4, 2))(torch.zeros(1, 1, 5))
    model = nn.Sequential(nn.CircularPad2d((0, 0, 2, -3)), input_shape=(1, H, 5))
    assert (H >= 5) in model.constraints


def test_symbolic_pad_beside_a_circular_crop():
    torch = require("torch")
    torch.set_grad_enabled(False)
    P = sympy.Symbol("P", integer=True, nonnegative=True)
    model = nn.Sequential(nn.CircularPad1d((P, -3)), input_shape=(1, H))
    for p in range(0, 6):
        for h in SIZES:
            admitted = all(bool(c.subs({H: h, P: p})) for c in model.constraints)
            assert admitted == (_circular_truth(torch, 1, [(p, -3)], [h]) is not None)
