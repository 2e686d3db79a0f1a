"""nn.RNN, nn.LSTM and nn.GRU through sc.from_torch and model.to_torch, against real torch.

from_torch: the usual ways of using a recurrent module's outputs (``out, (h, c) =
self.lstm(x)``, ``out[:, -1]``, ``h[-1]``, ``torch.cat((h[-2], h[-1]), 1)``, ``h.squeeze(0)``,
time-major ``out[-1]``) give the shapes of a real forward pass and ``sum(p.numel())``.
to_torch: sc.nn layers export to the torch modules; the export runs at two sequence lengths
with symcnn's shapes and counts, and imports back to the same model.
"""

import pytest

import symcnn as sc
from symcnn import nn

from ..conftest import require

pytestmark = pytest.mark.frameworks

torch = require("torch")
tnn = torch.nn


class Classifier(tnn.Module):
    def __init__(self, kind, read, **kwargs):
        super().__init__()
        self.emb = tnn.Embedding(30, 6)
        self.rnn = getattr(tnn, kind)(6, 5, **kwargs)
        d = 2 if kwargs.get("bidirectional") else 1
        width = {"last": d * 5, "h": 5, "both": 2 * 5, "squeeze": 5, "time": d * 5}[read]
        self.fc = tnn.Linear(width, 3)
        self.kind, self.read = kind, read

    def forward(self, ids):
        if self.kind == "LSTM":
            out, (h, c) = self.rnn(self.emb(ids))
        else:
            out, h = self.rnn(self.emb(ids))
        if self.read == "last":
            return self.fc(out[:, -1])
        if self.read == "h":
            return self.fc(h[-1])
        if self.read == "both":
            return self.fc(torch.cat((h[-2], h[-1]), dim=1))
        if self.read == "squeeze":
            return self.fc(h.squeeze(0))
        return self.fc(out[-1])  # time-major output


CASES = [
    ("LSTM", "last", dict(batch_first=True, num_layers=2)),
    ("LSTM", "h", dict(batch_first=True, proj_size=0, num_layers=3)),
    ("GRU", "both", dict(batch_first=True, bidirectional=True)),
    ("RNN", "squeeze", dict(batch_first=True, nonlinearity="relu")),
    ("GRU", "last", dict(batch_first=True, bidirectional=True, num_layers=2)),
]


@pytest.mark.parametrize("kind, read, kwargs", CASES)
def test_common_uses_of_the_outputs_import_with_torch_shapes_and_counts(kind, read, kwargs):
    net = Classifier(kind, read, **kwargs)
    model = sc.from_torch(net, input_shape=("T",))
    assert model.trainable_params == sum(p.numel() for p in net.parameters())
    for steps in (4, 9):
        out = net(torch.randint(0, 30, (2, steps)))
        assert model.subs(T=steps).output_shape == tuple(out.shape[1:])
    assert model.get_layer("rnn").type == kind


def test_time_major_modules_on_a_model_input_and_their_states():
    class TimeMajor(tnn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = tnn.LSTM(4, 6, num_layers=2)  # batch_first=False, PyTorch's default
            self.fc = tnn.Linear(6, 2)

        def forward(self, x):
            out, (h, c) = self.lstm(x)
            return self.fc(out[-1]), c.transpose(0, 1)

    net = TimeMajor()
    model = sc.from_torch(net, input_shape=("T", 4))
    assert model.trainable_params == sum(p.numel() for p in net.parameters())
    y, c = net(torch.zeros(7, 3, 4))  # (T, N, features)
    assert model.subs(T=7).output_shape == [tuple(y.shape[1:]), tuple(c.shape[1:])]


def test_a_single_module_imports_with_its_outputs_and_a_guessed_input():
    model = sc.from_torch(tnn.GRU(8, 16, batch_first=True, bidirectional=True))
    out, h = tnn.GRU(8, 16, batch_first=True, bidirectional=True)(torch.zeros(2, 5, 8))
    assert model.input_shape == (sc.symbols("T"), 8)
    assert model.subs(T=5).output_shape == [tuple(out.shape[1:]), (h.shape[0], h.shape[2])]


@pytest.mark.parametrize("forward, match", [
    (lambda self, x: self.rnn(x)[0], "batch_first=False\\) on a batch-first tensor"),
    (lambda self, x: self.rnn(x.transpose(0, 1), x)[0], "initial states \\(hx\\)"),
    (lambda self, x: self.rnn(x.transpose(0, 1))[1] + 1, "batch axis at dim 1 \\(time-major\\)"),
    (lambda self, x: self.pre(self.rnn(x.transpose(0, 1))[0]),  # was "more than one tensor"
     "module 'pre' .*batch axis at dim 1 .*batch_first=True, or write x.transpose\\(0, 1\\)"),
    (lambda self, x: torch.relu(self.rnn(x.transpose(0, 1))[0]), "batch axis at dim 1"),
    (lambda self, x: self.rnn(x.transpose(0, 1))[1][:, 0], "only dim 0 can be indexed"),
])
def test_uses_symcnn_cannot_read_are_refused_not_misread(forward, match):
    class Net(tnn.Module):
        def __init__(self):
            super().__init__()
            self.pre = tnn.Linear(3, 3)
            self.rnn = tnn.GRU(3, 4)

        def forward(self, x):
            return forward(self, self.pre(x))

    with pytest.raises(sc.ConversionError, match=match):
        sc.from_torch(Net(), input_shape=(5, 3))


@pytest.mark.parametrize("kind, kwargs", [
    ("LSTM", dict(num_layers=2, proj_size=3, bidirectional=True)),
    ("LSTM", dict(batch_first=True)),
    ("GRU", dict(bias=False, dropout=0.5, num_layers=2)),
    ("RNN", dict(nonlinearity="relu", batch_first=True, bidirectional=True)),
])
def test_to_torch_exports_the_modules_and_round_trips(kind, kwargs):
    T = sc.symbols("T")
    x = sc.Input((T, 6))
    out, *states = getattr(nn, kind)(6, 5, name="rnn", **kwargs)(x)
    head = nn.Linear(out.shape[-1], 2, name="fc")(sc.layers.Reshape((out.shape[-1],))(
        nn.Slice(((T - 1, T), (None, None)), name="last")(out)))
    model = sc.Model(x, [head, *states])
    for steps in (4, 9):
        sized = model.subs(T=steps)
        net = sized.to_torch()
        assert isinstance(net.rnn, getattr(tnn, kind))
        assert sum(p.numel() for p in net.parameters()) == sized.trainable_params
        got = net(torch.randn(3, steps, 6))
        assert [tuple(t.shape[1:]) for t in got] == [tuple(s) for s in sized.output_shape]
        back = sc.from_torch(net, input_shape=(steps, 6))
        assert (back.output_shape, back.params, back.macs) == \
            (sized.output_shape, sized.params, sized.macs)
        assert back.get_layer("rnn").layer.get_config() == sized.get_layer("rnn").layer.get_config()


@pytest.mark.parametrize("layer, suggested, reason", [
    (sc.LSTM(4), "sc.nn.LSTM(", "counts would differ"),
    (sc.GRU(4, reset_after=False), "sc.nn.GRU(", "no nn.GRU computes this function"),
    (sc.SimpleRNN(4), "sc.nn.RNN(", "counts would differ"),  # the reasons are checked in
    # test_recurrent_refusals; GRU(4) itself is exported (test_keras_recurrent_export)
    (sc.Bidirectional(sc.LSTM(4)), "bidirectional=True", "counts would differ"),
])
def test_keras_named_recurrent_layers_are_refused_pointing_to_symcnn_nn(layer, suggested,
                                                                        reason):
    model = sc.Sequential([sc.Input((5, 3)), layer])
    with pytest.raises(sc.ConversionError) as info:
        model.to_torch()
    assert suggested in str(info.value) and reason in str(info.value)
