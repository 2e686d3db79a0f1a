"""model.to_keras() of PyTorch's recurrent modules (``sc.nn.RNN``, ``GRU``, ``LSTM``).

Each exported model is run against PyTorch's own module on the same weights and input: the
sequence and the states ``h_n`` (and ``c_n``) agree value for value, in PyTorch's order of
layers and directions; models with ``batch_first=False``, states read by later layers or one
layer called on two lengths are run against ``model.to_torch()``. Where Keras has no layer
with PyTorch's parameters (its LSTM and SimpleRNN have one bias per gate, PyTorch two), the
export refuses and says by how much the counts would differ.
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


def _copy_weights(module, recurrent) -> None:
    """A PyTorch module's weights into the Keras model ``to_keras`` made of it."""
    kind = type(module).__name__
    for i in range(module.num_layers):
        if module.bidirectional:
            wrapper = recurrent.get_layer(f"{recurrent.name}_l{i}_bi")
            wrapper.forward_layer.set_weights(_keras_weights(module, kind, i, ""))
            wrapper.backward_layer.set_weights(_keras_weights(module, kind, i, "_reverse"))
        else:
            recurrent.get_layer(f"{recurrent.name}_l{i}").set_weights(
                _keras_weights(module, kind, i, ""))


def _numpy(values) -> list:
    values = values if isinstance(values, (list, tuple)) else [values]
    return [np.asarray(v.detach() if hasattr(v, "detach") else v) for v in values]


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
    _copy_weights(module, exported.get_layer("rec"))
    batch = np.random.default_rng(1).normal(size=(3, T, X)).astype("float32")
    with torch.no_grad():
        sequence, states = module(torch.from_numpy(batch))
    states = states if isinstance(states, tuple) else (states,)
    expected = [sequence.numpy()] + [s.transpose(0, 1).numpy() for s in states]  # batch first
    got = _numpy(exported(batch))
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        assert a.shape == b.shape and np.allclose(a, b, atol=1e-5), (a, b)


def test_dropout_between_layers_is_a_keras_dropout_layer():
    require("keras")
    model, exported = _exported(nn.GRU(X, H, num_layers=3, dropout=0.25, name="rec"))
    inner = exported.get_layer("rec")
    rates = [layer.rate for layer in inner.layers if layer.__class__.__name__ == "Dropout"]
    assert rates == [0.25, 0.25] and exported.count_params() == model.params


def _same_as_to_torch(model, batches, layer_name="rec", dense=()) -> None:
    """``model.to_keras()`` and ``model.to_torch()`` on the same weights and batches (batch
    first, as every symcnn export takes them) give the same outputs."""
    torch = require("torch")
    require("keras")
    torch.manual_seed(0)
    module = model.to_torch().eval()
    exported = model.to_keras()
    _copy_weights(module.get_submodule(layer_name), exported.get_layer(layer_name))
    for name in dense:  # nn.Linear's weight is Keras' kernel transposed
        linear = module.get_submodule(name)
        exported.get_layer(name).set_weights([linear.weight.detach().numpy().T,
                                              linear.bias.detach().numpy()])
    with torch.no_grad():
        expected = _numpy(module(*[torch.from_numpy(b) for b in batches]))
    got = _numpy(exported(batches if len(batches) > 1 else batches[0]))
    assert [a.shape for a in got] == [b.shape for b in expected]
    for a, b in zip(got, expected):
        assert np.allclose(a, b, atol=1e-5), (a, b)


def _batch(steps=T, seed=1):
    return np.random.default_rng(seed).normal(size=(3, steps, X)).astype("float32")


@pytest.mark.parametrize("cls, options", [
    (nn.GRU, {}),
    (nn.LSTM, {"bias": False, "num_layers": 2, "bidirectional": True}),
    (nn.RNN, {"bias": False, "nonlinearity": "relu"}),
])
def test_batch_first_changes_nothing_in_the_export(cls, options):
    """symcnn's shapes have no batch axis, so ``batch_first`` only says how PyTorch lays the
    tensors out: the Keras model (batch first, as Keras is) is the same layer for layer and
    needs no ``Permute``, and computes what ``to_torch()`` computes (which transposes around
    a time-major module) on the same batch-first input."""
    require("keras")
    time_major = _exported(cls(X, H, batch_first=False, name="rec", **options))
    batch_first = _exported(cls(X, H, batch_first=True, name="rec", **options))
    kinds = [[type(layer).__name__ for layer in k.get_layer("rec").layers]
             for _, k in (time_major, batch_first)]
    assert kinds[0] == kinds[1] and "Permute" not in kinds[0]
    assert time_major[1].count_params() == batch_first[1].count_params() == time_major[0].params
    _same_as_to_torch(time_major[0], [_batch()])


def test_the_states_can_feed_later_layers():
    """``h_n`` ``(D*num_layers, H)`` flattened into a dense head, as a classifier reads it."""
    require("keras")
    x = sc.Input((T, X))
    out, h, c = nn.LSTM(X, H, num_layers=2, bidirectional=True, bias=False, name="rec")(x)
    logits = sc.Dense(3, name="head")(sc.Flatten(name="flat")(h))
    model = sc.Model(x, [out, logits], name="classifier")
    exported = model.to_keras()
    assert exported.count_params() == model.params
    assert [tuple(t.shape[1:]) for t in exported.outputs] == [t.shape for t in model.outputs]
    _same_as_to_torch(model, [_batch()], dense=["head"])


def test_a_shared_layer_reads_sequences_of_several_lengths():
    """One PyTorch module called on two inputs is one Keras model (its weights shared) whose
    length is free, so it takes both."""
    require("keras")
    short, long = sc.Input((T, X), name="short"), sc.Input((T + 4, X), name="long")
    gru = nn.GRU(X, H, num_layers=2, bidirectional=True, name="rec")
    model = sc.Model([short, long], [gru(short)[0], *gru(long)], name="shared")
    exported = model.to_keras()
    once = _exported(nn.GRU(X, H, num_layers=2, bidirectional=True, name="rec"))[0]
    assert exported.count_params() == model.params == once.params  # counted once
    assert [tuple(t.shape[1:]) for t in exported.outputs] == [t.shape for t in model.outputs]
    _same_as_to_torch(model, [_batch(), _batch(T + 4, seed=2)])


@pytest.mark.parametrize("cls, keras_name", [(nn.LSTM, "LSTM"), (nn.RNN, "SimpleRNN")])
def test_two_biases_per_gate_are_refused_with_the_difference(cls, keras_name):
    torch = require("torch")
    require("keras")
    x = sc.Input((T, X))
    model = sc.Model(x, list(cls(X, H, num_layers=2, bidirectional=True, name="enc")(x)))
    module = getattr(torch.nn, cls.__name__)(X, H, num_layers=2, bidirectional=True)
    per_gate_set = module.bias_hh_l0.numel()  # one bias vector per gate
    missing = sum(p.numel() for n, p in module.named_parameters() if n.startswith("bias_hh"))
    with pytest.raises(sc.ConversionError, match=(
            rf"layer 'enc' \({cls.__name__}\): bias=True: PyTorch's {cls.__name__} has two "
            rf"bias vectors per gate.*Keras' {keras_name} one \({per_gate_set}\), so the Keras "
            rf"model would have {missing:,} fewer parameters.*Received: bias=True")):
        model.to_keras()


def test_a_projected_lstm_is_refused():
    require("keras")
    x = sc.Input((T, X))
    model = sc.Model(x, list(nn.LSTM(X, H, proj_size=2, bias=False)(x)))
    with pytest.raises(sc.ConversionError, match=r"proj_size \(Keras' LSTM has no projection"):
        model.to_keras()
