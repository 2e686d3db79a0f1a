"""Training memory of attention through the PyTorch bridges, against PyTorch's saved tensors.

``from_torch`` records ``nn.MultiheadAttention``'s ``dropout`` and the call's ``need_weights``
(``need_weights=False`` attends with the fused kernel, which keeps no attention weights);
``to_torch`` writes both back, so what ``training_memory`` counts is what the export keeps.
Measured with tests/support/saved_tensors.py, from batch 2 on (the attention copies a
batch-major input, which at batch 1 needs no copy).
"""

from __future__ import annotations

import itertools

import pytest

import symcnn as sc
from tests.conftest import require

torch = require("torch")
from torch import nn  # noqa: E402

from tests.support.saved_tensors import Unpacked, measure  # noqa: E402

B, N = sc.symbols("B"), sc.symbols("N")
D = 8


class _Attend(nn.Module):
    """Linear projections, then ``nn.MultiheadAttention`` as self-attention (``"self"``),
    cross-attention with key = value (``"kv"``) or three tensors (``"qkv"``)."""

    def __init__(self, heads, mode, need_weights, bias=True, kdim=None, frozen=False,
                 raw_query=False, dropout=0.0):
        super().__init__()
        self.pq, self.pv, self.pk = nn.Linear(D, D), nn.Linear(D, kdim or D), nn.Linear(D, kdim or D)
        self.mha = nn.MultiheadAttention(D, heads, dropout=dropout, bias=bias, batch_first=True,
                                         kdim=kdim, vdim=kdim)
        if frozen:
            self.mha.requires_grad_(False)
        self.mode, self.need_weights, self.raw_query = mode, need_weights, raw_query

    def forward(self, x):
        q = x if self.raw_query else self.pq(x)
        if self.mode == "self":
            return self.mha(q, q, q, need_weights=self.need_weights)[0]
        v = self.pv(x)
        k = v if self.mode == "kv" else self.pk(x)
        return self.mha(q, k, v, need_weights=self.need_weights)[0]


CASES = [(h, mode, nw, bias, kdim, frozen, raw)
         for h, mode, nw, bias, kdim, frozen, raw in itertools.product(
             (1, 2, 4), ("self", "kv", "qkv"), (True, False), (True, False), (None, 5),
             (False, True), (False, True))
         if not (mode == "self" and (kdim or raw)) and (h == 2 or (bias and not frozen))]


@pytest.mark.parametrize("heads,mode,need_weights,bias,kdim,frozen,raw_query", CASES)
def test_from_torch_counts_what_the_call_keeps(heads, mode, need_weights, bias, kdim, frozen,
                                               raw_query):
    torch.manual_seed(0)
    net = _Attend(heads, mode, need_weights, bias, kdim, frozen, raw_query)
    model = sc.from_torch(net, (N, D))
    assert model.get_layer("mha").layer.need_weights is need_weights
    closed = model.training_memory(batch="B").activations
    for tokens, batch in itertools.product((4, 7), (2, 3)):
        want = measure(net, torch.randn(batch, tokens, D))[0]
        assert closed.subs({N: tokens, B: batch}) == want, (tokens, batch)


def test_need_weights_false_keeps_no_attention_weights():
    """The reproducer: self-attention, d=8, h=2, N=4, B=2: PyTorch keeps 1856 bytes with
    need_weights=False, 2304 with True; the gap is h*N**2 + (d - h)*N values per example."""
    figures = {}
    for need_weights in (True, False):
        torch.manual_seed(0)
        net = _Attend(2, "self", need_weights)
        got = sc.from_torch(net, (4, D)).training_memory(batch=2).activations
        assert got == measure(net, torch.randn(2, 4, D))[0]
        figures[need_weights] = got
    assert figures[True] - figures[False] == 2 * 4 * (2 * 4 ** 2 + (D - 2) * 4)


def _block(mode, trainable, need_weights, n_q, n_k):
    q_in, kv_in = sc.Input((n_q, D), name="q"), sc.Input((n_k, 6), name="kv")
    q = sc.Dense(D)(q_in)
    mha = sc.MultiHeadAttention(2, 4, trainable=trainable, need_weights=need_weights)
    if mode == "self":
        return sc.Model(q_in, sc.Dense(3)(mha(q, q)))
    v = sc.Dense(6)(kv_in)
    y = mha(q, v) if mode == "kv" else mha(q, v, sc.Dense(5)(v))
    return sc.Model([q_in, kv_in], sc.Dense(3)(y))


@pytest.mark.parametrize("mode,lengths", [("self", (4, 4)), ("kv", (4, 4)), ("kv", (5, 3)),
                                          ("qkv", (5, 3))])
@pytest.mark.parametrize("trainable", [True, False])
@pytest.mark.parametrize("need_weights", [True, False])
def test_to_torch_keeps_what_training_memory_counts(mode, lengths, trainable, need_weights):
    model = _block(mode, trainable, need_weights, *lengths)
    closed = model.training_memory(batch="B").activations
    net = model.to_torch()
    calls = [n.kwargs for n in net.graph.nodes
             if n.op == "call_module" and isinstance(net.get_submodule(n.target),
                                                     nn.MultiheadAttention)]
    assert calls == [{"need_weights": need_weights}]
    for batch in (2, 3):
        # the export is channels last: it reads (batch, features, tokens)
        xs = [torch.randn(batch, D, lengths[0])] + (
            [] if mode == "self" else [torch.randn(batch, 6, lengths[1])])
        wrapped = Unpacked(net)
        assert closed.subs(B, batch) == measure(wrapped, xs)[0], batch


def test_the_exports_need_weights_changes_no_value():
    model = _block("self", True, True, 4, 4)
    net = model.to_torch().eval()
    twin = _block("self", True, False, 4, 4).to_torch().eval()
    twin.load_state_dict(net.state_dict())
    x = torch.randn(2, D, 4)
    with torch.no_grad():
        torch.testing.assert_close(net(x), twin(x))


def test_from_torch_keeps_the_modules_dropout():
    """PyTorch keeps more with the module's dropout (its mask, the dropped weights) than the
    dropout-free figure; the import keeps ``dropout``, so training memory refuses it as for
    ``sc.MultiHeadAttention(..., dropout=p)``, and both exports carry it back."""
    torch.manual_seed(0)
    net = _Attend(2, "self", True, dropout=0.1)
    model = sc.from_torch(net, (4, D))
    assert model.get_layer("mha").layer.dropout == pytest.approx(0.1)
    torch.manual_seed(0)
    plain = _Attend(2, "self", True)
    without = sc.from_torch(plain, (4, D)).training_memory(batch=2).activations
    assert without == measure(plain, torch.randn(2, 4, D))[0]
    assert measure(net, torch.randn(2, 4, D))[0] > without
    with pytest.raises(sc.CostError, match="dropout"):
        model.training_memory(batch=2)
    exported = model.to_torch().get_submodule("mha")
    assert exported.dropout == pytest.approx(0.1)
    back = sc.from_torch(model.to_torch(), (4, D)).get_layer("mha").layer
    assert back.dropout == pytest.approx(0.1) and back.need_weights is True
    keras_layer = [layer for layer in model.to_keras().layers
                   if type(layer).__name__ == "MultiHeadAttention"]
    assert [layer.dropout for layer in keras_layer] == [pytest.approx(0.1)]


def test_need_weights_false_survives_subs_and_round_trips():
    net = _Attend(2, "kv", False)
    model = sc.from_torch(net, (N, D))
    layer = model.subs(N=4).get_layer("mha").layer
    assert layer.need_weights is False and "need_weights=False" in repr(layer)
    back = sc.from_torch(model.subs(N=4).to_torch(), (4, D)).get_layer("mha").layer
    assert back.need_weights is False
    assert sc.MultiHeadAttention(2, 4).get_config().get("need_weights", True) is True
    with pytest.raises(sc.SymcnnError, match="need_weights"):
        sc.MultiHeadAttention(2, 4, need_weights="no")
