"""Training memory of sequence and attention layers against PyTorch's saved tensors.

Layers with a torch.nn counterpart (nn.Embedding, nn.MultiheadAttention, nn.RNN/LSTM/GRU with
oneDNN off) are measured on hand-built twins; Keras-only layers (Rescaling, Normalization,
LayerScale, CustomScaleLayer, keras.ops arithmetic) on Keras 3 itself, run on the torch
backend: both with tests/support/saved_tensors.py's saved_tensors_hooks.
"""

from __future__ import annotations

import os

import pytest

import symcnn as sc
from tests.conftest import require

torch = require("torch")
from torch import nn  # noqa: E402

from tests.support.saved_tensors import measure  # noqa: E402

V, D = 50, 6


class _Seq(nn.Module):
    """Embedding, recurrent layers (batch_first), a Dense on the last output."""

    def __init__(self, rnns, last):
        super().__init__()
        self.emb = nn.Embedding(V, D)
        self.rnns = nn.ModuleList(r for r, _ in rnns)
        self.merges = [m for _, m in rnns]
        self.head = nn.Linear(last, 3)

    def forward(self, ids):
        y = self.emb(ids)
        for rnn, merge in zip(self.rnns, self.merges):
            y = rnn(y)[0]
            if merge in ("sum", "ave"):
                u = y.shape[-1] // 2
                y = y[..., :u] + y[..., u:]
                y = y / 2 if merge == "ave" else y
        return self.head(y[:, -1])


def _rnn_pair(kind, units, x, bidirectional=None):
    ours = {"RNN": sc.SimpleRNN, "LSTM": sc.LSTM, "GRU": sc.GRU}[kind]
    layer = ours(units, return_sequences=True)
    twin = getattr(nn, kind)(x, units, batch_first=True, bidirectional=bidirectional is not None)
    if bidirectional is not None:
        layer = sc.Bidirectional(layer, merge_mode=bidirectional)
    width = units * (2 if bidirectional == "concat" else 1)
    return layer, (twin, bidirectional), width


@pytest.mark.parametrize("stack", [
    [("LSTM", 4, None), ("LSTM", 5, None)],
    [("GRU", 4, None), ("RNN", 3, None)],
    [("LSTM", 3, "concat"), ("GRU", 4, None)],
    [("RNN", 4, "sum")],
    [("GRU", 3, "ave")],
])
def test_embedding_and_recurrent_stacks_keep_what_pytorch_keeps(stack):
    layers, twins, width = [sc.Embedding(V, D)], [], D
    for kind, units, bidirectional in stack:
        layer, twin, width = _rnn_pair(kind, units, width, bidirectional)
        layers.append(layer)
        twins.append(twin)
    torch.manual_seed(0)
    net = _Seq(twins, width)
    for steps in (5, 8):
        x = sc.Input((steps,))
        y = x
        for layer in layers:
            y = layer(y)
        y = sc.Cropping1D((steps - 1, 0))(y)
        model = sc.Model(x, sc.Dense(3)(sc.Flatten()(y)))
        mem = model.training_memory(batch="B")
        for batch in (2, 3):
            with torch.backends.mkldnn.flags(enabled=False):
                total, _ = measure(net, torch.randint(0, V, (batch, steps)))
            assert mem.activations.subs(sc.symbols("B"), batch) == total, (steps, batch)


def test_bidirectional_after_a_sequence_output_counts_the_documented_extra_copy():
    # PyTorch's recurrent output is time-major underneath, so a Bidirectional layer right
    # after it needs no copy of its input and keeps it once; symcnn counts a copy per
    # direction (docs/training-memory.md): T*x values per example more, exactly.
    steps, units = 5, 4
    layers = [sc.Embedding(V, D), sc.Bidirectional(sc.SimpleRNN(units, return_sequences=True)),
              sc.Bidirectional(sc.LSTM(3, return_sequences=True), merge_mode="sum")]
    torch.manual_seed(0)
    net = _Seq([(nn.RNN(D, units, batch_first=True, bidirectional=True), "concat"),
                (nn.LSTM(2 * units, 3, batch_first=True, bidirectional=True), "sum")], 3)
    x = sc.Input((steps,))
    y = x
    for layer in layers:
        y = layer(y)
    model = sc.Model(x, sc.Dense(3)(sc.Flatten()(sc.Cropping1D((steps - 1, 0))(y))))
    with torch.backends.mkldnn.flags(enabled=False):
        total, _ = measure(net, torch.randint(0, V, (2, steps)))
    assert model.training_memory(batch=2).activations - total == 2 * steps * 2 * units * 4


class _Attend(nn.Module):
    def __init__(self, d, heads, mode, kdim=None):
        super().__init__()
        self.pre_q, self.pre_k = nn.Linear(d, d), nn.Linear(d, kdim or d)
        self.pre_v = nn.Linear(d, kdim or d)
        self.mha = nn.MultiheadAttention(d, heads, batch_first=True, kdim=kdim, vdim=kdim)
        self.mode = mode

    def forward(self, x):
        q = self.pre_q(x)
        if self.mode == "self":
            return self.mha(q, q, q)[0]
        v = self.pre_v(x)
        return self.mha(q, v, v if self.mode == "kv" else self.pre_k(x))[0]


@pytest.mark.parametrize("mode,kdim", [("self", None), ("kv", None), ("kv", 5), ("qkv", None)])
def test_multi_head_attention_keeps_what_pytorch_keeps(mode, kdim):
    d, heads = 8, 2
    torch.manual_seed(0)
    net = _Attend(d, heads, mode, kdim)
    for tokens in (4, 7):
        x = sc.Input((tokens, d))
        q = sc.Dense(d)(x)
        mha = sc.MultiHeadAttention(num_heads=heads, key_dim=d // heads)
        if mode == "self":
            y = mha(q, q)
        else:
            v = sc.Dense(kdim or d)(x)
            y = mha(q, v) if mode == "kv" else mha(q, v, sc.Dense(kdim or d)(x))
        mem = sc.Model(x, y).training_memory(batch="B")
        for batch in (2, 3):
            total, _ = measure(net, torch.randn(batch, tokens, d))
            assert mem.activations.subs(sc.symbols("B"), batch) == total, (tokens, batch)


class _ViTTokens(nn.Module):
    def __init__(self, n, d):
        super().__init__()
        self.pre = nn.Linear(d, d)
        self.token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos = nn.Parameter(torch.zeros(1, n + 1, d))
        self.post = nn.Linear(d, 3)

    def forward(self, x):
        y = self.pre(x)
        y = torch.cat([self.token.expand(y.shape[0], -1, -1), y], dim=1) + self.pos
        return self.post(y)


def test_class_token_and_position_embedding_keep_what_torchvision_vit_keeps():
    n, d = 6, 8
    model = sc.Sequential([sc.Input((n, d)), sc.Dense(d), sc.ClassToken(),
                           sc.PositionEmbedding(), sc.Dense(3)])
    total, _ = measure(_ViTTokens(n, d), torch.randn(2, n, d))
    assert model.training_memory(batch=2).activations == total


def _keras_twin(last):
    """Keras 3 (torch backend): an Input, a Dense, then ``last(keras, tensor)``."""
    import keras

    x = keras.Input((5, 6, 4))
    return keras.Model(x, last(keras, keras.layers.Dense(4)(x)))


def _layer_scale(keras, y):
    from keras.src.applications.convnext import LayerScale

    return LayerScale(1e-6, 4)(y)


def _frozen_layer_scale(keras, y):
    """Frozen, it keeps nothing of its input (it counted it: 160 bytes, Keras 80)."""
    from keras.src.applications.convnext import LayerScale

    return LayerScale(1e-6, 4, trainable=False)(y)


def _custom_scale(keras, y):
    from keras.src.applications.inception_resnet_v2 import CustomScaleLayer

    return CustomScaleLayer(0.17)([y, keras.layers.Dense(4)(y)])


KERAS_ONLY = {  # symcnn layers after the Dense; the Keras twin's tail (None: to_keras)
    "rescaling": ([sc.Rescaling(1 / 255, 0.5)], None),
    "rescaling_per_channel": ([sc.Rescaling([1.0, 2.0, 3.0, 4.0])], None),
    "normalization": ([sc.Normalization(mean=0.5, variance=2.0)], None),
    "normalization_axes": ([sc.Normalization(axis=(1, 3), mean=0.5, variance=2.0,
                                             invert=True)], None),
    "layer_scale": ([sc.LayerScale(1e-6, 4)], _layer_scale),
    "layer_scale_frozen": ([sc.LayerScale(1e-6, 4, trainable=False)], _frozen_layer_scale),
    **{f"ops_{op}": ([sc.Elementwise(op, 3.0)],
                     lambda keras, y, op=op: getattr(keras.ops, op)(y, 3.0))
       for op in ("add", "subtract", "multiply", "divide", "power", "maximum", "minimum")},
}


@pytest.mark.parametrize("name", sorted(KERAS_ONLY) + ["custom_scale"])
def test_keras_only_layers_keep_what_keras_on_torch_keeps(name):
    if os.environ.get("KERAS_BACKEND") != "torch":
        pytest.skip("needs KERAS_BACKEND=torch")
    require("keras")
    x = sc.Input((5, 6, 4))
    y = sc.Dense(4)(x)
    if name == "custom_scale":
        model, twin = sc.Model(x, sc.CustomScaleLayer(0.17)([y, sc.Dense(4)(y)])), \
            _keras_twin(_custom_scale)
    else:
        layers, tail = KERAS_ONLY[name]
        for layer in layers:
            y = layer(y)
        model = sc.Model(x, y)
        twin = model.to_keras() if tail is None else _keras_twin(tail)
    total, _ = measure(twin, torch.randn(2, 5, 6, 4))
    assert model.training_memory(batch=2).activations == total


def test_input_batch_size_is_the_default_batch():
    for given, expected in ((32, 32), ("N", sc.symbols("N"))):
        model = sc.Sequential([sc.Input((8, 8, 3), batch_size=given), sc.Conv2D(4, 3)])
        mem = model.training_memory()
        assert mem.batch == expected
        assert mem.activations == model.training_memory(batch=given).activations
    assert model.training_memory(batch=2).batch == 2
    a, b = sc.Input((4,), batch_size=8), sc.Input((4,), batch_size=16)
    with pytest.raises(sc.CostError, match="batch_size"):
        sc.Model([a, b], sc.Add()([a, b])).training_memory()
    with pytest.raises(sc.SymcnnError, match="batch_size"):
        sc.Input((4,), batch_size=0)


@pytest.mark.parametrize("layer,match", [
    (sc.LSTM(4, dropout=0.2), "dropout"),
    (sc.GRU(4, reset_after=False), "reset_after"),
])
def test_recurrent_layers_without_a_pytorch_counterpart_say_so(layer, match):
    model = sc.Sequential([sc.Input((5, 3)), layer])
    with pytest.raises(sc.CostError, match=match):
        model.training_memory()


def test_attention_without_a_pytorch_counterpart_says_so():
    x = sc.Input((5, 8))
    model = sc.Model(x, sc.MultiHeadAttention(num_heads=2, key_dim=3)(x, x))
    with pytest.raises(sc.CostError, match="num_heads\\*key_dim"):
        model.training_memory()
