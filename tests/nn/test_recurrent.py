"""symcnn.nn.RNN, LSTM and GRU agree with torch.nn.RNN, LSTM and GRU.

Each drawn configuration is built twice from the same arguments, once as ``torch.nn.<Name>``
and once as ``symcnn.nn.<Name>``: ``trainable_params`` must equal ``sum(p.numel())``; the
output and the states must have the shapes of a real forward pass without its batch axis (dim
0 of the batch-first output, dim 1 of ``h_n`` and ``c_n``); the MACs must equal
``FlopCounterMode`` / 2 (oneDNN off: the non-fused path) per example; what training keeps must
equal what autograd saves (saved-tensor hooks) at two batch sizes; and the closed forms on
symbols ``T`` and ``H`` must equal the numeric answers.
"""

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc
from symcnn import nn

from ..conftest import require
from ..support.flops import torch_macs

pytestmark = pytest.mark.frameworks

T, H = sc.symbols("T H")


@st.composite
def configs(draw):
    """(class name, input_size, hidden_size, keyword arguments) of a random module."""
    kind = draw(st.sampled_from(["RNN", "LSTM", "GRU"]))
    hidden = draw(st.integers(1, 6))
    kwargs = dict(num_layers=draw(st.integers(1, 3)), bias=draw(st.booleans()),
                  batch_first=draw(st.booleans()), bidirectional=draw(st.booleans()))
    if kwargs["num_layers"] > 1 and draw(st.booleans()):
        kwargs["dropout"] = draw(st.sampled_from([0.25, 0.5]))
    if kind == "RNN" and draw(st.booleans()):
        kwargs["nonlinearity"] = "relu"
    if kind == "LSTM" and hidden > 1 and draw(st.booleans()):
        kwargs["proj_size"] = draw(st.integers(1, hidden - 1))
    return kind, draw(st.integers(1, 6)), hidden, kwargs


def _torch_shapes(torch, module, steps, batch=2):
    """Shapes (without the batch axis) of a real forward pass: output, then the states."""
    x = torch.zeros((batch, steps, module.input_size) if module.batch_first
                    else (steps, batch, module.input_size))
    out, states = module(x)
    states = states if isinstance(states, tuple) else (states,)
    first = tuple(out.shape[1:]) if module.batch_first else (out.shape[0], out.shape[2])
    return [first] + [(s.shape[0], s.shape[2]) for s in states]


@settings(max_examples=40, deadline=None)
@given(configs(), st.integers(1, 9))
def test_counts_shapes_and_macs_match_torch(config, steps):
    torch = require("torch")
    kind, x, h, kwargs = config
    twin = getattr(torch.nn, kind)(x, h, **kwargs)
    layer = getattr(nn, kind)(x, h, **kwargs)
    inp = sc.Input((steps, x))
    model = sc.Model(inp, layer(inp))
    assert model.trainable_params == sum(p.numel() for p in twin.parameters())
    assert [tuple(s) for s in model.output_shape] == _torch_shapes(torch, twin, steps)
    batch = 2
    shape = (batch, steps, x) if twin.batch_first else (steps, batch, x)
    assert model.macs * batch == torch_macs(twin, torch.randn(shape))


@settings(max_examples=25, deadline=None)
@given(configs())
def test_closed_forms_in_steps_and_hidden_size_equal_numeric_builds(config):
    kind, x, h, kwargs = config
    proj = kwargs.pop("proj_size", 0)
    hidden = H + proj if proj else H  # keeps proj_size < hidden_size for every H >= 1
    inp = sc.Input((T, x))
    general = sc.Model(inp, getattr(nn, kind)(x, hidden, proj_size=proj, **kwargs)(inp)
                       if proj else getattr(nn, kind)(x, hidden, **kwargs)(inp))
    memory = general.training_memory(batch="B").activations
    for steps, size in ((3, h), (8, h + 2)):
        inp = sc.Input((steps, x))
        numeric_hidden = size + proj if proj else size
        extra = {"proj_size": proj} if proj else {}
        numeric = sc.Model(inp, getattr(nn, kind)(x, numeric_hidden, **extra, **kwargs)(inp))
        values = {T: steps, H: size}
        assert general.params.subs(values) == numeric.params
        assert general.macs.subs(values) == numeric.macs
        assert [tuple(sympy.sympify(d).subs(values) for d in s)
                for s in general.output_shape] == [tuple(s) for s in numeric.output_shape]
        assert memory.subs(values) == numeric.training_memory(batch="B").activations


@pytest.mark.parametrize("kind, kwargs", [
    ("RNN", {}), ("RNN", {"num_layers": 2, "nonlinearity": "relu", "bidirectional": True}),
    ("LSTM", {}), ("LSTM", {"num_layers": 3, "dropout": 0.5}),
    ("LSTM", {"proj_size": 2, "bidirectional": True, "num_layers": 2}),
    ("GRU", {"bias": False, "batch_first": True}), ("GRU", {"num_layers": 2, "bidirectional": True}),
])
def test_training_memory_is_what_autograd_saves(kind, kwargs):
    torch = require("torch")
    from ..support.saved_tensors import measure

    x, h = 5, 4
    for steps in (3, 6):
        inp = sc.Input((steps, x))
        model = sc.Model(inp, getattr(nn, kind)(x, h, name="rnn", **kwargs)(inp))
        net = model.to_torch()  # the batch-first model symcnn describes
        memory = model.training_memory(batch="B").activations
        for batch in (2, 3):
            with torch.backends.mkldnn.flags(enabled=False):
                total, _ = measure(net, torch.randn(batch, steps, x))
            assert memory.subs(sc.symbols("B"), batch) == total, (steps, batch)  # bytes


@pytest.mark.parametrize("make, match", [
    (lambda: nn.RNN(4, 3, nonlinearity="sigmoid"), "`nonlinearity` must be 'tanh' or 'relu'"),
    (lambda: nn.GRU(4, 3, dropout=1.5), "`dropout` must be a number in \\[0, 1\\]"),
    (lambda: nn.LSTM(4, 3, dropout=True), "Received: dropout=True"),
    (lambda: nn.LSTM(4, 3, proj_size=3), "`proj_size` must be smaller than `hidden_size`"),
    (lambda: nn.LSTM(4, 3, proj_size=-1), "`proj_size` must be 0 \\(no projection\\)"),
    (lambda: nn.GRU(4, 0), "`hidden_size` must be"),
    (lambda: nn.RNN(4, 3, num_layers=0), "`num_layers` must be"),
    (lambda: nn.LSTM(4, 3, batch_first=1), "`batch_first` must be True or False"),
    (lambda: nn.GRU(4, 3, proj_size=2), "unexpected argument `proj_size`"),
])
def test_arguments_torch_refuses_are_refused(make, match):
    with pytest.raises(sc.LayerArgumentError, match=match):
        make()


def test_the_declared_input_size_is_checked_and_a_symbolic_projection_is_a_constraint():
    with pytest.raises(sc.ShapeError, match="`input_size` is 8 but the input has 6 features"):
        nn.LSTM(8, 4)(sc.Input((T, 6)))
    P = sc.symbols("P")
    model = sc.Model(inp := sc.Input((T, 6)), nn.LSTM(6, H, proj_size=P)(inp))
    assert model.constraints == [H - P >= 1]


def test_config_rebuilds_the_layer_and_batch_first_changes_nothing():
    layer = nn.LSTM(6, 5, num_layers=2, batch_first=True, proj_size=3, device="cpu")
    assert layer.get_config() == {"input_size": 6, "hidden_size": 5, "num_layers": 2,
                                  "batch_first": True, "proj_size": 3}
    again = nn.LSTM(**layer.get_config())
    first = sc.Model(a := sc.Input((T, 6)), layer(a))
    other = sc.Model(b := sc.Input((T, 6)), nn.LSTM(6, 5, num_layers=2, proj_size=3)(b))
    assert repr(again) == repr(layer)
    assert (first.output_shape, first.params, first.macs) == \
        (other.output_shape, other.params, other.macs)
