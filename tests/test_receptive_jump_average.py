"""``jump`` is the average move of the window per output step where the move varies.

Adaptive pooling from ``i`` to ``m`` positions has the jump ``i/m`` (9/4 from 9 to 4), while
its windows start at 0, 2, 4, 6: no step moves by 9/4. The same holds for a strided
transposed convolution (``1/s``) and nearest upsampling (``1/f``). Over a whole period of
``n`` steps the window moves by exactly ``n*jump``; the documentation (``AxisField`` and
the receptive-field table of docs/costs.md) says the jump is that average.
"""

from __future__ import annotations

import pathlib
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc
from symcnn.receptive import AxisField, input_span

from .conftest import require

ROOT = pathlib.Path(__file__).resolve().parents[1]


def torch_starts(module, size: int) -> list:
    """The first input position that reaches each output position, by PyTorch autograd."""
    torch = require("torch")
    module = module.double().eval()
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(p.abs() + 0.1)
    x = torch.ones((1, 1, size), dtype=torch.float64, requires_grad=True)
    out = module(x)
    starts = []
    for o in range(out.shape[-1]):
        (grad,) = torch.autograd.grad(out[0, :, o].sum(), x, retain_graph=True)
        starts.append(int(grad[0, 0].nonzero().flatten()[0]))
    return starts


def average_moves(starts: list, jump) -> None:
    """Over every whole period ``n`` (the denominator of the jump), the window moves by
    ``n*jump``, and the moves of one period average to the jump; no step need move by it."""
    n = Fraction(str(jump)).denominator
    for o in range(len(starts) - n):
        assert starts[o + n] - starts[o] == n * jump
        assert Fraction(sum(b - a for a, b in zip(starts[o:o + n], starts[o + 1:o + n + 1])),
                        n) == Fraction(str(jump))


@pytest.mark.frameworks
@settings(max_examples=25, deadline=None)
@given(st.integers(2, 24), st.integers(1, 24))
def test_adaptive_pooling_moves_its_window_by_the_jump_on_average(i, m):
    torch = require("torch")
    model = sc.nn.Sequential(sc.nn.AdaptiveAvgPool1d(m), input_shape=(1, i))
    (field,) = model.receptive_field
    starts = torch_starts(torch.nn.AdaptiveAvgPool1d(m), i)
    assert [input_span(model, (o,), padding=True)[0][0] for o in range(m)] == starts
    if m == 1:  # one window: the whole input, no move
        assert field == AxisField(i, None, 0)
        return
    assert field.jump == Fraction(i, m)
    average_moves(starts, field.jump)


@pytest.mark.frameworks
@pytest.mark.parametrize("kernel,stride", [(2, 2), (3, 2), (4, 3), (5, 4)])
def test_a_strided_transposed_convolution_moves_its_window_by_the_jump_on_average(kernel,
                                                                                   stride):
    torch = require("torch")
    model = sc.nn.Sequential(sc.nn.ConvTranspose1d(1, 1, kernel, stride), input_shape=(1, 9))
    (field,) = model.receptive_field
    outputs = int(model.output_shape[-1])
    windows = [input_span(model, (o,), padding=True)[0][0] for o in range(outputs)]
    # the first outputs' windows start in the padding (before 0), which autograd cannot see
    assert [max(w, 0) for w in windows] == torch_starts(
        torch.nn.ConvTranspose1d(1, 1, kernel, stride), 9)
    assert field.jump == Fraction(1, stride)
    average_moves(windows, field.jump)


def test_the_docs_call_the_jump_the_average_move():
    assert "average move" in AxisField.__doc__
    table = (ROOT / "docs" / "costs.md").read_text(encoding="utf-8")
    (row,) = [line for line in table.splitlines()
              if line.startswith("| adaptive pooling from `i` to `m` positions")]
    assert "`i/m`, the average move" in row and "jump `9/4`" in row
