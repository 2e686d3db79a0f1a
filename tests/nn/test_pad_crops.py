"""PyTorch's padding modules with negative amounts (crops): symcnn accepts exactly the input
sizes PyTorch accepts, for a number of elements and, as constraints, for a symbol.

Every expectation is a real PyTorch forward pass over a grid of amounts and sizes. Constant
padding with one side cropping and the other padding needs the input to cover the crop
(``ZeroPad2d((0, 0, 3, -3))`` refuses 1 row, although the output would have 1).
"""

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
