"""Receptive fields take the layout a model states (``Model(..., input_format=...)``) before
what its layers say: which input axes are positions and which holds the channels.

A ``Dense`` on a ``(4, 16)`` input computes along the last axis. Stated channels first (4
channels of 16 positions, as PyTorch's ``nn.Linear`` on ``(N, 4, 16)`` reads it), every
output position reads all 16 input positions; unstated, the input is Keras' channels last (4
positions of 16 features) and each position reads itself. A stated ``channels_last`` comes
before a PyTorch-named layer's channels first in the same way, and a nested model's
statement counts for its part. Each span is pinned against PyTorch by NaN perturbation.
"""

import pytest

import symcnn as sc
from symcnn.receptive import input_span

from .conftest import require

torch = require("torch")


def nan_reads(run, shape, positions_axis: int):
    """Per output position along ``positions_axis`` (of the per-example shape, PyTorch's
    tensor having the batch first), the first and last input position along the same axis
    whose NaN reaches it (every other axis whole)."""
    reached: dict = {}
    for i in range(shape[positions_axis]):
        x = torch.ones((1, *shape))
        index = [0] + [slice(None)] * len(shape)
        index[1 + positions_axis] = i
        x[tuple(index)] = float("nan")
        with torch.no_grad():
            out = run(x)
        hit = torch.isnan(out[0]).movedim(positions_axis, 0).flatten(1).any(dim=1)
        for o in torch.nonzero(hit).flatten().tolist():
            reached.setdefault(o, []).append(i)
    return {o: (min(v), max(v)) for o, v in reached.items()}


def spans(model, count):
    return {o: input_span(model, (o,))[0] for o in range(count)}


def test_a_dense_model_stated_channels_first_reads_every_position():
    torch.manual_seed(0)
    linear = torch.nn.Linear(16, 8)
    x = sc.Input((4, 16))
    model = sc.Model(x, sc.Dense(8)(x), input_format="channels_first")
    expected = nan_reads(linear, (4, 16), positions_axis=1)
    assert spans(model, 8) == expected == {o: (0, 15) for o in range(8)}
    assert model.receptive_field[0].size == 16


def test_the_same_model_unstated_is_channels_last():
    torch.manual_seed(0)
    linear = torch.nn.Linear(16, 8)  # (N, 4, 16): positions along dim 1, features last
    x = sc.Input((4, 16))
    model = sc.Model(x, sc.Dense(8)(x))
    expected = nan_reads(linear, (4, 16), positions_axis=0)
    assert spans(model, 4) == expected == {o: (o, o) for o in range(4)}


def test_a_stated_channels_last_comes_before_a_pytorch_named_layer():
    torch.manual_seed(0)
    linear = torch.nn.Linear(4, 8)
    x = sc.Input((16, 4))
    stated = sc.Model(x, sc.nn.Linear(4, 8)(x), input_format="channels_last")
    assert spans(stated, 16) == nan_reads(linear, (16, 4), positions_axis=0)
    unstated = sc.Model(x, sc.nn.Linear(4, 8)(x))  # as nn.Linear says: channels first
    assert spans(unstated, 8) == nan_reads(linear, (16, 4), positions_axis=1)


@pytest.mark.parametrize("outer_format", [None, "channels_first"])
def test_a_nested_models_statement_counts_for_its_part(outer_format):
    torch.manual_seed(0)
    linear = torch.nn.Linear(16, 8)
    x = sc.Input((4, 16))
    inner = sc.Model(x, sc.Dense(8)(x), input_format="channels_first")
    outer = sc.Sequential([sc.Input((4, 16)), inner, sc.Activation("relu")],
                          input_format=outer_format)
    expected = nan_reads(lambda t: torch.relu(linear(t)), (4, 16), positions_axis=1)
    assert spans(outer, 8) == expected
