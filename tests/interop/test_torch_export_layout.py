"""model.to_torch() takes a model's input in the layout the model states: channels first
when every layer stating one states channels first, looking inside ``Repeat`` blocks and
nested models, and for a model ``sc.from_torch`` read, which states PyTorch's layout itself
(``input_format="channels_first"``).

Two cases were exported channels last and computed something else: a PyTorch-named block
inside ``sc.Repeat`` (``sc.nn.Sequential(sc.Repeat(block, 2), input_shape=...)``: the input
was moved channels last before the block's ``nn.Conv2d``, which failed), and a module of
functions alone (``torch.cat``, ``+``, ``permute``, ``reshape``, ``torch.exp``, ``clamp``),
which ``from_torch`` reads as Keras-named layers that state no layout: the export took the
channels of its ``(3, 4, 5)`` input as last, so on PyTorch's tensor it gave another
function. Each export is run against the PyTorch module it should be, on that module's
weights.
"""

import pytest

import symcnn as sc
from symcnn import nn

from ..conftest import require

pytestmark = pytest.mark.frameworks

torch = require("torch")
tnn = torch.nn


def _same_values(reference, exported, x) -> None:
    """``exported`` given ``reference``'s parameters (in order; drawn from a seeded normal
    distribution) computes its outputs."""
    ours, theirs = list(reference.parameters()), list(exported.parameters())
    assert [p.shape for p in ours] == [p.shape for p in theirs]
    generator = torch.Generator().manual_seed(2)
    with torch.no_grad():
        for a, b in zip(ours, theirs):
            a.copy_(torch.randn(a.shape, generator=generator))
            b.copy_(a)
        expected, got = reference.eval()(x), exported.eval()(x)
    assert expected.std() > 0.1  # not a comparison of vanishing outputs
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def _block():
    return nn.Sequential(nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(), input_shape=(4, 8, 8))


# ------------------------------------------------------------------- Repeat, nested models

def _conv():
    return tnn.Conv2d(4, 4, 3, padding=1)


#: Models of a repeated PyTorch-named block, and the PyTorch module each is.
REPEATED = {
    "a PyTorch-named block repeated": (
        lambda: nn.Sequential(sc.Repeat(_block(), 2), input_shape=(4, 8, 8)),
        lambda: tnn.Sequential(_conv(), tnn.ReLU(), _conv(), tnn.ReLU())),
    "a PyTorch-named layer repeated": (
        lambda: nn.Sequential(sc.Repeat(nn.Conv2d(4, 4, 3, padding=1), 2), nn.ReLU(),
                              input_shape=(4, 8, 8)),
        lambda: tnn.Sequential(_conv(), _conv(), tnn.ReLU())),
    "a nested model of a repeated block": (
        lambda: sc.Sequential([sc.Input((4, 8, 8)),
                               sc.Sequential([sc.Input((4, 8, 8)), sc.Repeat(_block(), 2)])]),
        lambda: tnn.Sequential(_conv(), tnn.ReLU(), _conv(), tnn.ReLU())),
    "a repeated block of a repeated block": (
        lambda: nn.Sequential(
            sc.Repeat(sc.Sequential([sc.Input((4, 8, 8)), sc.Repeat(_block(), 1)]), 2),
            input_shape=(4, 8, 8)),
        lambda: tnn.Sequential(_conv(), tnn.ReLU(), _conv(), tnn.ReLU())),
}


@pytest.mark.parametrize("name", list(REPEATED))
def test_a_repeated_pytorch_named_block_exports_channels_first(name):
    build, reference = REPEATED[name]
    model = build()
    net = model.to_torch()
    x = torch.randn(2, 4, 8, 8, generator=torch.Generator().manual_seed(0))
    assert tuple(net(x).shape[1:]) == model.output_shape == (4, 8, 8)
    _same_values(reference(), net, x)


def test_a_repeated_keras_block_stays_channels_last():
    x = sc.Input((8, 8, 4))
    block = sc.Model(x, sc.Conv2D(4, 3, padding="same", activation="relu")(x))
    model = sc.Sequential([sc.Input((8, 8, 4)), sc.Repeat(block, 2)])
    net = model.to_torch()
    assert tuple(net(torch.zeros(1, 4, 8, 8)).shape[1:]) == (4, 8, 8)  # (N, C, H, W)
    reference = tnn.Sequential(_conv(), tnn.ReLU(), _conv(), tnn.ReLU())
    _same_values(reference, net, torch.randn(2, 4, 8, 8))


# --------------------------------------------------------------- models from_torch read


class Functions(tnn.Module):
    """PyTorch functions alone: each becomes a Keras-named layer (or none)."""

    def forward(self, x):
        y = torch.cat([x, torch.exp(x)], dim=1)
        y = y + y.clamp(0, 6)
        return y.permute(0, 2, 3, 1).reshape(x.shape[0], -1, 6)


class Merged(tnn.Module):
    """Functions alone again: merges, a concatenation along the height, axes swapped."""

    def forward(self, x):
        y = torch.cat([torch.minimum(torch.exp(x), x.clamp(min=0.5)), x], dim=2)
        return y.transpose(1, 3)


class ChannelsLastHead(tnn.Module):
    """A convolution, then channels moved last: the mean over the positions (read as a
    channels-last global pooling) and a linear layer."""

    def __init__(self):
        super().__init__()
        self.conv = tnn.Conv2d(3, 4, 3)
        self.fc = tnn.Linear(4, 2)

    def forward(self, x):
        y = torch.tanh(self.conv(x)).permute(0, 2, 3, 1)
        return torch.cat([self.fc(y).flatten(1), self.fc(y.mean(dim=(1, 2)))], dim=1)


MODULES = {"functions": Functions, "merged along the height": Merged,
           "a channels-last mean and a linear layer": ChannelsLastHead}


@pytest.mark.parametrize("name", list(MODULES))
@pytest.mark.parametrize("symbolic", [False, True])
def test_a_model_read_from_pytorch_exports_as_the_module_it_was(name, symbolic):
    module = MODULES[name]()
    x = torch.randn(2, 3, 4, 5, generator=torch.Generator().manual_seed(1)) * 2
    if symbolic:  # read on symbols, then substituted: the layers still say so
        model = sc.from_torch(module, input_shape=(3, "H", "W")).subs(H=4, W=5)
    else:
        model = sc.from_torch(module, input_shape=(3, 4, 5))
    net = model.to_torch()
    assert tuple(net(x).shape) == tuple(module(x).shape)
    _same_values(module, net, x)


def test_a_model_read_from_pytorch_states_channels_first_itself_not_in_its_layers():
    model = sc.from_torch(Functions(), input_shape=(3, 4, 5))
    read = [r.layer for r in model.layers if r.type != "InputLayer"]
    assert [type(layer).__name__ for layer in read] == [
        "Activation", "Concatenate", "ReLU", "Add", "Permute", "Reshape"]
    assert model.input_format == "channels_first"
    assert {getattr(layer, "input_format", None) for layer in read} == {None}  # no marks
    assert "input_format" not in read[1].get_config()


def test_the_same_layers_built_by_hand_stay_channels_last():
    """Keras' default: a model of layers that state no layout takes its input channels
    last, as before."""
    x = sc.Input((4, 5, 3))
    model = sc.Model(x, sc.Concatenate()([x, sc.Activation("exponential")(x)]))
    net = model.to_torch()
    inputs = torch.randn(2, 3, 4, 5)  # (N, C, H, W) of the (H, W, C) input
    torch.testing.assert_close(net(inputs), torch.cat([inputs, torch.exp(inputs)], 1))
