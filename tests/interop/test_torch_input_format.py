"""A model states its input's layout: ``sc.Model(..., input_format=...)``.

``sc.from_torch`` used to mark each layer it built ``input_format="channels_first"`` from
outside the layer, so that ``to_torch`` and receptive fields knew the model reads PyTorch's
layout. The marks were lost where a layer was built without them or rebuilt:

- a bare ``nn.MultiheadAttention`` (built apart from the other layers) exported channels
  last: the module began with ``torch.movedim(x, 1, -1)``, gave other values at ``T = E``
  (0.91 off) and failed at ``T != E``;
- ``model.subs`` rebuilds the layers whose arguments hold symbols, unmarked: a model of
  ``x.reshape(n, x.size(1), -1)`` read on ``(C, H, W)`` and substituted exported channels
  last;
- a model file kept no mark: read back, the same model exported channels last.

The model now states it, and ``subs`` and model files keep the statement. Every export is
run against the PyTorch module it was read from, on that module's weights.
"""

import json

import pytest

import symcnn as sc

from ..conftest import require

pytestmark = pytest.mark.frameworks

torch = require("torch")
tnn = torch.nn


def _same_function(original, model, *shapes) -> None:
    """``model.to_torch()``, given ``original``'s weights, computes ``original`` on inputs
    of ``shapes`` (channels first, no batch axis)."""
    original = original.eval()
    net = model.to_torch().eval()
    net.load_state_dict(original.state_dict())
    generator = torch.Generator().manual_seed(3)
    xs = [torch.randn(2, *s, generator=generator) for s in shapes]
    with torch.no_grad():
        expected, got = original(*xs), net(*xs)
    assert expected.std() > 0.05  # not a comparison of vanishing outputs
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


class SelfAttention(tnn.Module):
    def __init__(self, embed_dim=8, **kwargs):
        super().__init__()
        torch.manual_seed(0)
        self.a = tnn.MultiheadAttention(embed_dim, 2, batch_first=True, **kwargs)

    def forward(self, x):
        return self.a(x, x, x)[0]


class CrossAttention(tnn.Module):
    def __init__(self, **kwargs):
        super().__init__()
        torch.manual_seed(0)
        self.a = tnn.MultiheadAttention(8, 2, batch_first=True, **kwargs)

    def forward(self, q, k, v):
        return self.a(q, k, v)[0]


class Flattened(tnn.Module):
    """A function alone, whose layer holds a symbol (``Reshape`` to ``(C, -1)``)."""

    def forward(self, x):
        return x.reshape(x.size(0), x.size(1), -1)


class Functions(tnn.Module):
    """Functions alone on a symbolic number of channels: no layer fixes the widths."""

    def forward(self, x):
        y = torch.cat([x, torch.exp(x)], dim=1)
        z = (torch.relu(y) + y).permute(0, 2, 3, 1)
        return z.reshape(z.size(0), -1)


class Sliced(tnn.Module):
    def __init__(self):
        super().__init__()
        self.conv = tnn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        y = self.conv(x)[:, :, : x.size(2) // 2]
        return torch.tanh(y).reshape(y.size(0), y.size(1), -1)


# -- the reproducer: a bare nn.MultiheadAttention --------------------------------------------

@pytest.mark.parametrize("steps", [1, 3, 5, 8, 13])
def test_a_bare_self_attention_read_from_pytorch_exports_as_itself(steps):
    module = SelfAttention()
    model = sc.from_torch(module, input_shape=(steps, 8))
    assert model.input_format == "channels_first"
    _same_function(module, model, (steps, 8))


@pytest.mark.parametrize("kwargs, shapes", [
    ({}, [(4, 8), (7, 8), (7, 8)]),
    ({}, [(8, 8), (3, 8), (3, 8)]),
    ({"kdim": 6, "vdim": 5}, [(4, 8), (7, 6), (7, 5)]),
    ({"kdim": 6, "vdim": 5, "bias": False}, [(3, 8), (2, 6), (2, 5)]),
], ids=["cross", "cross, as many queries as features", "kdim and vdim", "kdim, vdim, no bias"])
def test_a_bare_cross_attention_read_from_pytorch_exports_as_itself(kwargs, shapes):
    module = CrossAttention(**kwargs)
    model = sc.from_torch(module, input_shape=shapes)
    assert model.params == sum(p.numel() for p in module.parameters())
    _same_function(module, model, *shapes)


def test_an_exported_attention_takes_its_input_as_it_is():
    net = sc.from_torch(SelfAttention(), input_shape=(5, 8)).to_torch()
    assert "movedim" not in net.code and "permute" not in net.code


# -- subs keeps the statement ----------------------------------------------------------------

SYMBOLIC = {
    "x.reshape(n, C, -1) on (C, H, W)": (Flattened, ("C", "H", "W"), {"C": 3, "H": 4, "W": 5}),
    "functions on C channels": (Functions, ("C", "H", "W"), {"C": 3, "H": 4, "W": 5}),
    "a slice and a reshape": (Sliced, (3, "H", "W"), {"H": 6, "W": 5}),
    "self-attention on T steps": (SelfAttention, ("T", 8), {"T": 5}),
}


@pytest.mark.parametrize("name", list(SYMBOLIC))
def test_subs_of_a_model_read_from_pytorch_keeps_its_layout(name):
    cls, shape, values = SYMBOLIC[name]
    module = cls()
    model = sc.from_torch(module, input_shape=shape).subs(**values)
    assert model.input_format == "channels_first"
    _same_function(module, model, tuple(values.get(s, s) for s in shape))


def test_subs_of_symbolic_widths_keeps_the_layout_and_rebuilds_the_layers():
    """The layers holding ``C`` are new objects after ``subs``: the statement is the
    model's, so it survives them."""
    model = sc.from_torch(Flattened(), input_shape=("C", "H", "W"))
    numeric = model.subs(C=3, H=4, W=5)
    assert numeric.layers[-1].layer is not model.layers[-1].layer
    assert numeric.layers[-1].layer.target_shape == (3, -1)
    assert (numeric.input_format, numeric.output_shape) == ("channels_first", (3, 20))


# -- model files keep the statement ----------------------------------------------------------

@pytest.mark.parametrize("name", list(SYMBOLIC))
def test_a_model_file_keeps_the_layout_of_a_model_read_from_pytorch(name):
    cls, shape, values = SYMBOLIC[name]
    module = cls()
    spec = sc.model_to_spec(sc.from_torch(module, input_shape=shape))
    assert spec["input_format"] == "channels_first"
    read = sc.model_from_spec(json.loads(json.dumps(spec)))
    assert read.input_format == "channels_first"
    _same_function(module, read.subs(**values), tuple(values.get(s, s) for s in shape))


def test_a_nested_model_read_from_pytorch_keeps_its_layout_in_a_model_file():
    inner = sc.from_torch(Flattened(), input_shape=(3, 4, 5))
    outer = sc.Sequential([sc.Input((3, 4, 5)), inner, sc.Activation("tanh")])
    spec = sc.model_to_spec(outer)
    assert "input_format" not in spec  # the outer model states none
    assert spec["layers"][0]["Functional"]["input_format"] == "channels_first"
    read = sc.model_from_spec(json.loads(json.dumps(spec)))
    assert read.input_format is None and read.layers[0].layer.input_format == "channels_first"
    expected = torch.nn.Sequential(Flattened(), torch.nn.Tanh())
    for model in (outer, read):  # the nested statement counts for the whole: channels first
        _same_function(expected, model, (3, 4, 5))


# -- the argument ----------------------------------------------------------------------------

def test_a_model_of_keras_named_layers_stating_channels_first_exports_so():
    x = sc.Input((3, 4, 5))
    y = sc.Concatenate()([x, sc.Activation("exponential")(x)])
    net = sc.Model(x, y, input_format="channels_first").to_torch()
    inputs = torch.randn(2, 3, 4, 5)  # symcnn's axes are PyTorch's
    torch.testing.assert_close(net(inputs), torch.cat([inputs, torch.exp(inputs)], -1))


def test_a_stated_channels_last_comes_before_what_the_layers_state():
    """``nn.ReLU`` states channels first; the model's ``channels_last`` decides: its
    ``(4, 5, 3)`` input is PyTorch's ``(N, 3, 4, 5)``, concatenated along the channels."""
    x = sc.Input((4, 5, 3))
    y = sc.Concatenate()([x, sc.nn.ReLU()(x)])
    inputs = torch.randn(2, 3, 4, 5)
    stated = sc.Model(x, y, input_format="channels_last").to_torch()
    torch.testing.assert_close(stated(inputs), torch.cat([inputs, torch.relu(inputs)], 1))
    unstated = sc.Model(x, y).to_torch()  # as the layers say: channels first
    torch.testing.assert_close(unstated(inputs.permute(0, 2, 3, 1)),
                               torch.cat([inputs, torch.relu(inputs)], 1).permute(0, 2, 3, 1))


def test_sequential_and_the_pytorch_named_sequential_take_it():
    keras_named = sc.Sequential([sc.Input((3, 4, 5)), sc.Activation("exponential")],
                                input_format="channels_first")
    torch_named = sc.nn.Sequential(sc.nn.Flatten(), input_shape=(3, 4, 5),
                                   input_format="channels_last")
    assert (keras_named.input_format, torch_named.input_format) == (
        "channels_first", "channels_last")
    assert keras_named.subs().input_format == "channels_first"
    assert sc.Sequential([sc.Input((3,)), sc.Dense(2)]).input_format is None


@pytest.mark.parametrize("value", ["NCHW", "channels-first", "", 1, True])
def test_an_unknown_input_format_is_refused_naming_it(value):
    x = sc.Input((3, 4))
    with pytest.raises(sc.GraphError, match=r"`input_format`.*Received: input_format="):
        sc.Model(x, sc.Activation("relu")(x), input_format=value)
    with pytest.raises(sc.GraphError, match="`input_format`"):
        sc.Sequential([sc.Input((3, 4)), sc.Activation("relu")], input_format=value)
    with pytest.raises(sc.GraphError, match="`input_format`"):
        sc.nn.Sequential(sc.nn.ReLU(), input_shape=(3, 4), input_format=value)


def test_the_input_format_is_keyword_only():
    x = sc.Input((3, 4))
    with pytest.raises(sc.LayerArgumentError, match="at most 3 positional"):
        sc.Model(x, x, None, (), "channels_first")


def test_a_block_without_input_shape_refuses_an_input_format():
    with pytest.raises(sc.GraphError, match="needs `input_shape`"):
        sc.nn.Sequential(sc.nn.ReLU(), input_format="channels_first")
