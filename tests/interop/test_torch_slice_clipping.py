"""sc.from_torch of slices that PyTorch clips: ``x[..., :W]`` on an axis of ``H`` elements
keeps ``min(H, W)``.

A clip whose side depends on how two sizes compare (``H >= W`` or not) has no single closed
form on ``H, W``: it is refused, naming the slice and both sizes, rather than taking one side
(symcnn answered ``W`` rows for ``x[:, :, :W]``, with a constraint ``H - W >= 0`` that
excluded half of the sizes PyTorch accepts).
Sizes that decide it (numbers, or one symbol for both) give PyTorch's shape on both sides.
A clip against one size (``:6`` on ``H`` rows) stays a recorded threshold, ``H >= 6``, like a
kernel's. Every expectation is PyTorch's own output shape.
"""

import pytest

import symcnn as sc

from ..conftest import require

pytestmark = pytest.mark.frameworks

H = sc.symbols("H")
SIDES = ((8, 5), (5, 8))  # H > W and H < W


def _module(forward):
    torch = require("torch")

    class Sliced(torch.nn.Module):
        def forward(self, x):
            return forward(x)

    return Sliced()


def _torch_shape(module, h, w) -> tuple:
    torch = require("torch")
    return tuple(module(torch.zeros(1, 3, h, w)).shape[1:])


TWO_SIZES = {
    "stop at W on H rows": (lambda x: x[:, :, :x.size(3)],
                            r"dim 2 has H elements and the slice stops at W, so it keeps "
                            r"min\(H, W\) elements: W where H >= W, H otherwise"),
    "stop at H on W columns": (lambda x: x[..., :x.size(2)],
                               r"dim 3 has W elements and the slice stops at H, so it keeps "
                               r"min\(W, H\) elements"),
    "the last W of H rows": (lambda x: x[:, :, -x.size(3):],
                             r"dim 2 has H elements and the slice starts at -W, so it keeps "
                             r"min\(H, W\) elements"),
    "a start whose sign depends": (lambda x: x[:, :, x.size(3) - x.size(2):],
                                   r"whether it counts from the start or from the end "
                                   r"depends on the sizes"),
}


@pytest.mark.parametrize("name", list(TWO_SIZES))
def test_a_clip_that_depends_on_how_two_sizes_compare_is_refused_naming_them(name):
    forward, message = TWO_SIZES[name]
    module = _module(forward)
    (a, b) = (_torch_shape(module, h, w) for h, w in SIDES)
    assert a != b and {a[1:], b[1:]} != {(8, 5), (5, 8)}  # PyTorch does clip on one side
    with pytest.raises(sc.ConversionError, match=message) as err:
        sc.from_torch(module, input_shape=(3, "H", "W"))
    text = str(err.value)
    assert "getitem" in text and "symcnn does not pick one side silently" in text
    assert "input_shape=" in text


@pytest.mark.parametrize("name", list(TWO_SIZES))
def test_sizes_that_decide_the_clip_give_pytorchs_shape_on_both_sides(name):
    module = _module(TWO_SIZES[name][0])
    for h, w in SIDES:
        model = sc.from_torch(module, input_shape=(3, h, w))
        assert model.output_shape == _torch_shape(module, h, w)
    square = sc.from_torch(module, input_shape=(3, "H", "H"))
    for h in (5, 8):
        assert tuple(d.subs(H, h) for d in square.output_shape) == _torch_shape(module, h, h)


def test_a_clip_against_one_size_is_a_recorded_threshold_and_an_empty_side_a_condition():
    """``:6`` on H rows is 6 rows where H >= 6 (a threshold, as a kernel's); ``W:`` on H rows
    is H - W rows where H > W, and nothing otherwise, which symcnn calls empty: neither is
    refused."""
    threshold = _module(lambda x: x[:, :, :6])
    model = sc.from_torch(threshold, input_shape=(3, "H", "W"))
    assert (H >= 6) in model.constraints
    assert model.subs(H=9, W=5).output_shape == _torch_shape(threshold, 9, 5)
    start = _module(lambda x: x[:, :, x.size(3):])
    model = sc.from_torch(start, input_shape=(3, "H", "W"))
    assert model.subs(H=8, W=5).output_shape == _torch_shape(start, 8, 5)
    assert _torch_shape(start, 5, 8)[1] == 0
    with pytest.raises(sc.ShapeError, match="would be empty"):
        model.subs(H=5, W=8)
