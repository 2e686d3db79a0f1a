"""Frozen attention and recurrent layers, and products of tensors, keep what the frameworks keep.

A product keeps each factor only for the other factor's gradient. Attention and recurrent
layers keep their inputs' copies (attention also the heads' output, the recurrent layers their
previous states) for their weights' gradients only, so a frozen one after a trainable layer
keeps less than a trainable one: ``4*N*d + h*N**2`` values per example for self-attention,
``u*T`` for a SimpleRNN, ``6*u*T`` for a GRU or an LSTM. ``Multiply`` keeps a factor only
where the other factor requires a gradient, and ``Maximum`` and ``Minimum`` keep nothing for
a pair of operands that no gradient flows through; which inputs require one, and which are one
tensor (``mha(x, x)``), a layer reads from the call (``symcnn.layers.saved.Call``).

Every figure is measured with saved-tensor hooks (tests/support/saved_tensors.py): PyTorch on
``to_torch`` twins, ``from_torch`` models and hand-built twins (oneDNN off for the recurrent
modules), Keras 3 on its torch backend for the merges. Keras' own attention and recurrent
layers compute otherwise on the torch backend (an einsum attention, a step loop of
``keras.ops``), so symcnn states, and these tests measure, PyTorch's modules for them.

Trainable attention and recurrent layers copy their batch-major input, except at batch 1,
where PyTorch keeps the input itself (docs/training-memory.md, "Copies of the input"); those
are measured at batches 2 and 3, frozen ones (which keep no copy) at batches 1 and 3 too.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings, strategies as st

import symcnn as sc
from symcnn.layers.saved import Call, kept_input
from tests.conftest import fuzz_examples, require

torch = require("torch")
from torch import nn  # noqa: E402

from tests.support.saved_tensors import KerasTraining, measure  # noqa: E402

B = sc.symbols("B")


def _frozen(module):
    for p in module.parameters():
        p.requires_grad_(False)
    return module


def _batches(copies: bool) -> tuple:
    """Batches where the figure is exact: from 2 on for a layer that copies its input (a
    trainable attention or recurrent layer), from 1 on otherwise."""
    return (2, 3) if copies else (1, 3)


def _measured(net, shape, batch, onednn: bool = True) -> int:
    with torch.backends.mkldnn.flags(enabled=onednn):
        return measure(net, torch.randn(batch, *shape))[0]


def _assert_keeps_what_torch_keeps(model, net, shape, copies: bool, onednn: bool = True):
    closed = model.training_memory(batch="B").activations
    for batch in _batches(copies):
        assert closed.subs(B, batch) == _measured(net, shape, batch, onednn), batch


# ------------------------------------------------------------- sc.nn.RNN, GRU, LSTM (to_torch)

BEFORE = ("input", "linear", "frozen_linear")  # what the recurrent module reads


@st.composite
def _torch_recurrent(draw):
    """A recurrent module (trainable or frozen, any layers, directions, projection and
    dropout) on the model's input, on a trainable Linear's output (which requires a
    gradient) or on a frozen Linear's (which does not), with a Linear head or none."""
    kind = draw(st.sampled_from(["RNN", "GRU", "LSTM"]))
    width, hidden = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    kwargs = dict(num_layers=draw(st.integers(1, 2)), bidirectional=draw(st.booleans()),
                  batch_first=True)
    if kwargs["num_layers"] > 1 and draw(st.booleans()):
        kwargs["dropout"] = 0.5
    if kind == "RNN" and draw(st.booleans()):
        kwargs["nonlinearity"] = "relu"
    if kind == "LSTM" and hidden > 1 and draw(st.booleans()):
        kwargs["proj_size"] = draw(st.integers(1, hidden - 1))
    trainable = draw(st.booleans())
    copies = trainable and kwargs["bidirectional"]  # one step: no copy, the input once
    return dict(kind=kind, width=width, hidden=hidden, kwargs=kwargs, trainable=trainable,
                before=draw(st.sampled_from(BEFORE)), head=draw(st.booleans()),
                steps=draw(st.integers(2 if copies else 1, 5)))


def _torch_recurrent_model(kind, width, hidden, kwargs, trainable, before, head, steps):
    x = sc.Input((steps, width))
    y = x if before == "input" else sc.nn.Linear(width, width,
                                                 trainable=before == "linear")(x)
    rnn = getattr(sc.nn, kind)(width, hidden, trainable=trainable, **kwargs)
    y = rnn(y)[0]
    if head:
        y = sc.nn.Linear(y.shape[-1], 2)(y)
    return sc.Model(x, y)


@settings(max_examples=fuzz_examples(50))
@given(_torch_recurrent())
def test_torch_recurrent_modules_frozen_or_not_keep_what_pytorch_keeps(config):
    """Frozen (``requires_grad_(False)``), the module keeps no copy of its input, no later
    layer's input and no previous state; the nonlinearity's or the gates' tensors and the
    dropout masks wherever a gradient flows through it."""
    model = _torch_recurrent_model(**config)
    _assert_keeps_what_torch_keeps(model, model.to_torch(), (config["steps"], config["width"]),
                                   copies=config["trainable"] and config["kwargs"][
                                       "bidirectional"], onednn=False)


@pytest.mark.parametrize("kind,kwargs", [
    ("RNN", {}), ("GRU", {}), ("LSTM", {}), ("LSTM", {"proj_size": 2}),
    ("GRU", {"num_layers": 2, "dropout": 0.5, "bidirectional": True}),
])
def test_a_frozen_torch_recurrent_module_after_a_linear_keeps_less_than_a_trainable_one(
        kind, kwargs):
    config = dict(kind=kind, width=3, hidden=4, kwargs=dict(kwargs, batch_first=True),
                  before="linear", head=False, steps=5)
    rows = []
    for trainable in (True, False):
        model = _torch_recurrent_model(**config, trainable=trainable)
        _assert_keeps_what_torch_keeps(model, model.to_torch(), (5, 3), copies=trainable,
                                       onednn=False)
        rows.append(model.training_memory(batch="B").layers[-1][2])
    assert (rows[1] - rows[0]).subs(B, 1) < 0


# ------------------------------------------------- Keras-named SimpleRNN, GRU, LSTM, Bidirectional


class _RecurrentTwin(nn.Module):
    """A Linear (or nothing) and PyTorch's recurrent module (``batch_first``), frozen or not."""

    def __init__(self, kind, width, units, before, trainable, bidirectional):
        super().__init__()
        self.pre = None if before == "input" else nn.Linear(width, width)
        if before == "frozen_linear":
            _frozen(self.pre)
        self.rnn = getattr(nn, kind)(width, units, batch_first=True,
                                     bidirectional=bidirectional)
        if not trainable:
            _frozen(self.rnn)

    def forward(self, x):
        return self.rnn(x if self.pre is None else self.pre(x))[0]


KERAS_RECURRENT = {"SimpleRNN": "RNN", "GRU": "GRU", "LSTM": "LSTM"}


@pytest.mark.parametrize("kind", sorted(KERAS_RECURRENT))
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("before", BEFORE)
@pytest.mark.parametrize("trainable", [True, False])
def test_keras_recurrent_layers_frozen_or_not_keep_what_pytorch_keeps(kind, bidirectional,
                                                                       before, trainable):
    """``SimpleRNN``, ``GRU`` and ``LSTM`` (in ``Bidirectional`` or not) with
    ``trainable=False`` on an input that requires a gradient keep ``u*T`` or ``6*u*T`` per
    direction, no copy of the input."""
    steps, width, units = 5, 3, 4
    x = sc.Input((steps, width))
    y = x if before == "input" else sc.Dense(width, trainable=before == "linear")(x)
    if bidirectional:
        layer = sc.Bidirectional(getattr(sc, kind)(units, return_sequences=True),
                                 trainable=trainable)
    else:
        layer = getattr(sc, kind)(units, return_sequences=True, trainable=trainable)
    model = sc.Model(x, layer(y))
    torch.manual_seed(0)
    net = _RecurrentTwin(KERAS_RECURRENT[kind], width, units, before, trainable, bidirectional)
    _assert_keeps_what_torch_keeps(model, net, (steps, width),
                                   copies=trainable and bidirectional, onednn=False)


# -------------------------------------------------- MultiHeadAttention (from nn.MultiheadAttention)


class _Attention(nn.Module):
    """``nn.MultiheadAttention(batch_first=True)`` on a query, key and value each read from
    the input (``"x"``), a trainable Linear of it (``"linear"``), a frozen one
    (``"frozen_linear"``), or the same tensor as the query or value (``"q"``, ``"v"``)."""

    def __init__(self, d, heads, kdim, sources: dict, trainable: bool):
        super().__init__()
        self.sources = sources
        self.pre = nn.ModuleDict()
        for role, source in sources.items():
            if source in ("linear", "frozen_linear"):
                linear = nn.Linear(d, d if role == "q" else kdim or d)
                self.pre[role] = _frozen(linear) if source == "frozen_linear" else linear
        self.mha = nn.MultiheadAttention(d, heads, batch_first=True, kdim=kdim, vdim=kdim)
        if not trainable:
            _frozen(self.mha)

    def forward(self, x):
        t: dict = {}
        for role in ("q", "v", "k"):
            source = self.sources[role]
            t[role] = x if source == "x" else t[source] if source in t else self.pre[role](x)
        return self.mha(t["q"], t["k"], t["v"])[0]


@st.composite
def _attentions(draw):
    kdim = draw(st.sampled_from([None, 5]))
    own = ["linear", "frozen_linear"] + (["x"] if kdim is None else [])  # x is d wide
    sources = {"q": draw(st.sampled_from(["x", "linear", "frozen_linear"])),
               "v": draw(st.sampled_from(own + (["q"] if kdim is None else [])))}
    sources["k"] = draw(st.sampled_from(own + ["v"] + (["q"] if kdim is None else [])))
    trainable = draw(st.booleans())  # trainable: a copy of each input, except of one token
    return kdim, sources, trainable, draw(st.integers(2 if trainable else 1, 6))


@settings(max_examples=fuzz_examples(60))
@given(_attentions())
def test_attention_frozen_or_not_keeps_what_pytorch_keeps(config):
    """Self-attention (one tensor as query, key and value) or cross-attention, a packed or
    separate key, each input requiring a gradient or not, the layer trainable or frozen."""
    kdim, sources, trainable, tokens = config
    torch.manual_seed(0)
    net = _Attention(8, 2, kdim, sources, trainable)
    model = sc.from_torch(net, (tokens, 8))
    _assert_keeps_what_torch_keeps(model, net, (tokens, 8), copies=trainable)


@pytest.mark.parametrize("sources", [
    {"q": "linear", "v": "q", "k": "q"},                # self-attention
    {"q": "linear", "v": "linear", "k": "v"},           # cross: key and value packed
    {"q": "linear", "v": "linear", "k": "linear"},      # separate key
    {"q": "linear", "v": "x", "k": "v"},                # the key requires no gradient
])
def test_a_frozen_attention_after_linears_keeps_less_than_a_trainable_one(sources):
    rows = []
    for trainable in (True, False):
        torch.manual_seed(0)
        net = _Attention(8, 2, None, sources, trainable)
        model = sc.from_torch(net, (4, 8))
        _assert_keeps_what_torch_keeps(model, net, (4, 8), copies=trainable)
        rows.append(model.training_memory(batch="B").layers[-1][2])
    assert (rows[1] - rows[0]).subs(B, 1) < 0


def test_self_attention_and_cross_attention_differ_only_when_frozen():
    """``mha(x, x)`` projects ``x`` in one product and keeps its whole output (``3*N*d``);
    ``mha(q, v)`` projects ``q`` and ``v`` apart, with a copy each: the same total where the
    weights train, ``N*d`` more for self-attention where they are frozen (PyTorch measures
    both)."""
    x = sc.Input(("N", 8))
    h, other = sc.Dense(8)(x), sc.Dense(8)(x)

    def last_row(trainable, value):
        mha = sc.MultiHeadAttention(num_heads=2, key_dim=4, trainable=trainable)
        return sc.Model(x, mha(h, value)).training_memory(batch="B").layers[-1][2]

    assert last_row(True, h) == last_row(True, other)
    assert last_row(False, h) - last_row(False, other) == 8 * sc.symbols("N") * B * 4
    for sources in ({"q": "linear", "v": "q", "k": "q"}, {"q": "linear", "v": "linear",
                                                           "k": "v"}):
        net = _Attention(8, 2, None, sources, trainable=False)
        _assert_keeps_what_torch_keeps(sc.from_torch(net, (4, 8)), net, (4, 8), copies=False)


# ------------------------------------------------------------ Multiply, Maximum, Minimum

SOURCES = ("input", "dense", "frozen_dense", "relu")  # relu of the input: no gradient


@st.composite
def _merges(draw):
    """A merge of 2 to 4 inputs, each the model's input, a trainable or frozen Dense of it,
    its ReLU, or an earlier input again, then a trainable or frozen Dense head or none."""
    n = draw(st.integers(2, 4))
    inputs = []
    for i in range(n):
        choices = list(SOURCES) + ([("again", j) for j in range(i)] if i else [])
        inputs.append(draw(st.sampled_from(choices)))
    merge = draw(st.sampled_from([sc.Multiply, sc.Maximum, sc.Minimum]))
    return merge, inputs, draw(st.sampled_from([None, True, False]))


def _merge_model(merge, inputs, head):
    x = sc.Input((6,))
    tensors = []
    for i, source in enumerate(inputs):
        if isinstance(source, tuple):
            tensors.append(tensors[source[1]])
        elif source == "input":
            tensors.append(x)
        elif source == "relu":
            tensors.append(sc.ReLU(name=f"relu_{i}")(x))
        else:
            tensors.append(sc.Dense(6, trainable=source == "dense", name=f"dense_{i}")(x))
    y = merge(name="merge")(tensors)
    if head is not None:
        y = sc.Dense(3, trainable=head, name="head")(y)
    return sc.Model(x, y)


def _keras_step(model, shape, batches):
    if os.environ.get("KERAS_BACKEND") != "torch":
        pytest.skip("needs KERAS_BACKEND=torch")
    require("keras")
    twin = KerasTraining(model.to_keras())
    return [measure(twin, torch.randn(batch, *shape))[0] for batch in batches]


@settings(max_examples=fuzz_examples(40))
@given(_merges())
def test_products_keep_a_factor_only_for_the_other_factors_gradient_as_the_frameworks_do(
        merge_config):
    """Measured on ``to_torch`` and on Keras 3 (torch backend), which both compute
    ``((x0 op x1) op x2) ...``."""
    model = _merge_model(*merge_config)
    closed = model.training_memory(batch="B").activations
    batches = (1, 3)
    ours = [closed.subs(B, batch) for batch in batches]
    assert ours == [_measured(model.to_torch(), (6,), batch) for batch in batches]
    assert ours == _keras_step(model, (6,), batches)


def test_a_product_with_the_models_input_keeps_only_that_input():
    """``Dense(x)*x``: the product keeps ``x`` for the Dense output's gradient and not the
    Dense output, for ``x``, which requires none; the Dense keeps ``x`` too, stored once."""
    model = _merge_model(sc.Multiply, ["dense", "input"], None)
    mem = model.training_memory(batch="B")
    assert mem.layers[-1][2] == 0  # the merge row: x was counted by the Dense
    _assert_keeps_what_torch_keeps(model, model.to_torch(), (6,), copies=False)
    batches = (1, 3)
    assert [mem.activations.subs(B, b) for b in batches] == _keras_step(model, (6,), batches)


# ------------------------------------------------------------ the protocol


CALLS: list = []


class _Recording(sc.Multiply):
    """A product that records the call it is asked about (in ``CALLS``)."""

    def saved_for_backward(self, input_shapes, output_shapes, call=None):
        CALLS.append(call)
        return (kept_input(0),)


def test_saved_for_backward_reads_which_inputs_require_a_gradient_and_are_one_tensor():
    x = sc.Input((4,))
    dense, frozen = sc.Dense(4)(x), sc.Dense(4, trainable=False)(x)
    CALLS.clear()
    sc.Model(x, _Recording()([dense, x, frozen, dense])).training_memory()
    assert CALLS == [Call(grads=(True, False, False, True), same=(0, 1, 2, 0))]
    assert CALLS[0].one_tensor(0, 3) and not CALLS[0].one_tensor(0, 1)


def test_a_saved_for_backward_without_call_is_asked_with_the_shapes_only():
    class Scale(sc.layers.core._Identity):
        def saved_for_backward(self, input_shapes, output_shapes):
            return (kept_input(),)

    x = sc.Input((4,))
    model = sc.Model(x, Scale()(sc.Dense(4)(x)))
    assert model.training_memory(batch=1).activations == 4 * (4 + 4)
