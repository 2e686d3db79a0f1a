"""model.to_keras() of PyTorch's recurrent modules (``sc.nn.RNN``, ``GRU``, ``LSTM``).

Each exported model is run against PyTorch's own module on the same weights and input: the
sequence and the states ``h_n`` (and ``c_n``) agree value for value, in PyTorch's order of
layers and directions. Where Keras has no layer with PyTorch's parameters (its LSTM and
SimpleRNN have one bias per gate, PyTorch two), the export refuses and says by how much the
counts would differ.
"""

import numpy as np
import pytest

import symcnn as sc
from symcnn import nn

from ..conftest import require

pytestmark = pytest.mark.frameworks

T, X, H = 7, 5, 6

#: Keras' gate order by PyTorch's: GRU z, r, h from PyTorch's r, z, n; LSTM and RNN alike.
GATES = {"GRU": [1, 0, 2], "LSTM": [0, 1, 2, 3], "RNN": [0]}


def _keras_weights(torch_module, kind: str, layer: int, suffix: str) -> list:
    """PyTorch's weights of one layer and direction in Keras' layout."""
    order = GATES[kind]

    def gates(w):
        return np.concatenate([np.split(w, len(order))[g] for g in order])

    get = lambda n: getattr(torch_module, f"{n}_l{layer}{suffix}").detach().numpy()  # noqa: E731
    out = [gates(get("weight_ih")).T, gates(get("weight_hh")).T]
    if torch_module.bias:  # only GRU exports with biases: Keras' (2, 3H), input then recurrent
        out.append(np.stack([gates(get("bias_ih")), gates(get("bias_hh"))]))
    return out


def _exported(layer):
    x = sc.Input((T, X))
    model = sc.Model(x, list(layer(x)), name="rnn_model")
    return model, model.to_keras()


CASES = [
    (nn.GRU, {}),
    (nn.GRU, {"num_layers": 2, "bidirectional": True}),
    (nn.GRU, {"bias": False, "num_layers": 3}),
    (nn.LSTM, {"bias": False}),
    (nn.LSTM, {"bias": False, "num_layers": 2, "bidirectional": True}),
    (nn.RNN, {"bias": False}),
    (nn.RNN, {"bias": False, "nonlinearity": "relu", "num_layers": 2, "bidirectional": True}),
]


@pytest.mark.parametrize("cls, options", CASES)
def test_the_export_computes_what_pytorch_computes(cls, options):
    torch = require("torch")
    require("keras")
    kind = cls.__name__
    model, exported = _exported(cls(X, H, batch_first=True, name="rec", **options))
    assert exported.count_params() == model.params
    assert [tuple(t.shape[1:]) for t in exported.outputs] == [t.shape for t in model.outputs]

    torch.manual_seed(0)
    module = getattr(torch.nn, kind)(X, H, batch_first=True, **options).eval()
    recurrent = exported.get_layer("rec")
    for i in range(module.num_layers):
        if module.bidirectional:
            wrapper = recurrent.get_layer(f"{recurrent.name}_l{i}_bi")
            wrapper.forward_layer.set_weights(_keras_weights(module, kind, i, ""))
            wrapper.backward_layer.set_weights(_keras_weights(module, kind, i, "_reverse"))
        else:
            recurrent.get_layer(f"{recurrent.name}_l{i}").set_weights(
                _keras_weights(module, kind, i, ""))
    batch = np.random.default_rng(1).normal(size=(3, T, X)).astype("float32")
    with torch.no_grad():
        sequence, states = module(torch.from_numpy(batch))
    states = states if isinstance(states, tuple) else (states,)
    expected = [sequence.numpy()] + [s.transpose(0, 1).numpy() for s in states]  # batch first
    got = [np.asarray(y.detach() if hasattr(y, "detach") else y) for y in exported(batch)]
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        assert a.shape == b.shape and np.allclose(a, b, atol=1e-5), (a, b)


def test_dropout_between_layers_is_a_keras_dropout_layer():
    require("keras")
    model, exported = _exported(nn.GRU(X, H, num_layers=3, dropout=0.25, name="rec"))
    inner = exported.get_layer("rec")
    rates = [layer.rate for layer in inner.layers if layer.__class__.__name__ == "Dropout"]
    assert rates == [0.25, 0.25] and exported.count_params() == model.params


@pytest.mark.parametrize("cls, keras_name, gates", [(nn.LSTM, "LSTM", 4), (nn.RNN, "SimpleRNN", 1)])
def test_two_biases_per_gate_are_refused_with_the_difference(cls, keras_name, gates):
    require("keras")
    x = sc.Input((T, X))
    model = sc.Model(x, list(cls(X, H, num_layers=2, bidirectional=True)(x)))
    missing = gates * H * 2 * 2  # one bias vector per gate, layer and direction
    with pytest.raises(sc.ConversionError, match=(
            rf"bias=True: PyTorch's {cls.__name__} has two bias vectors per gate.*Keras' "
            rf"{keras_name} one \({gates * H}\), so the Keras model would have {missing:,} "
            rf"fewer parameters.*Received: bias=True")):
        model.to_keras()


def test_a_projected_lstm_is_refused():
    require("keras")
    x = sc.Input((T, X))
    model = sc.Model(x, list(nn.LSTM(X, H, proj_size=2, bias=False)(x)))
    with pytest.raises(sc.ConversionError, match=r"proj_size \(Keras' LSTM has no projection"):
        model.to_keras()
