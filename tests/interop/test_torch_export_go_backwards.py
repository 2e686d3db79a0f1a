"""model.to_torch() writes Keras' SimpleRNN, LSTM and GRU with ``go_backwards=True`` (and no
``return_state``) as one module, a subclass of ``nn.RNN``/``nn.LSTM``/``nn.GRU`` that flips
its input in time and returns Keras' output, which ``sc.from_torch`` reads back as the Keras
layer.

The export was ``torch.flip`` in the graph before PyTorch's module, which ``from_torch``
refused (no symcnn layer flips). The module has PyTorch's module's state dict, and on
Keras' weights (copied in as tests/interop/test_keras_recurrent_export.py copies them)
gives Keras' outputs, in a model too; read back and exported again, it gives them still.
"""

import numpy as np
import pytest

import symcnn as sc

from ..conftest import require
from .test_keras_recurrent_export import (T, U, X, assert_exported_exactly, both,
                                          random_weights_into)

pytestmark = pytest.mark.frameworks

torch = require("torch")
tnn = torch.nn

BACKWARDS = {
    "LSTM sequence": lambda L: L.LSTM(U, use_bias=False, go_backwards=True,
                                      return_sequences=True, name="rnn"),
    "LSTM last state": lambda L: L.LSTM(U, use_bias=False, go_backwards=True, name="rnn"),
    "GRU sequence": lambda L: L.GRU(U, go_backwards=True, return_sequences=True, name="rnn"),
    "GRU last state without bias": lambda L: L.GRU(U, use_bias=False, go_backwards=True,
                                                   name="rnn"),
    "SimpleRNN sequence": lambda L: L.SimpleRNN(U, use_bias=False, go_backwards=True,
                                                return_sequences=True, name="rnn"),
    "SimpleRNN relu last state": lambda L: L.SimpleRNN(U, use_bias=False, activation="relu",
                                                       go_backwards=True, name="rnn"),
    "in a model": lambda L: lambda x: L.Dense(2, name="head")(
        L.GRU(U, go_backwards=True, return_sequences=True, name="rnn")(
            L.Conv1D(5, 2, padding="same", name="conv")(x))),
}

#: PyTorch's module for each Keras layer, as the export builds it.
TORCH = {"SimpleRNN": tnn.RNN, "LSTM": tnn.LSTM, "GRU": tnn.GRU}


def _keras_outputs(kmodel, net):
    """Keras' output and the module's (``(N, X, T)`` in: a channels-last model's sequence
    as ``to_torch`` takes it; a sequence out moved back to ``(N, T, u)``) on Keras'
    random weights copied into ``net``."""
    x = random_weights_into(kmodel, net)
    with torch.no_grad():
        got = net(torch.tensor(x).transpose(1, 2))
    got = got.movedim(1, -1) if got.ndim == 3 else got
    return np.asarray(kmodel(x).detach()), got.numpy()


@pytest.mark.parametrize("name", list(BACKWARDS))
def test_the_module_has_pytorchs_state_dict_and_gives_kerass_outputs(name):
    build = BACKWARDS[name]
    assert_exported_exactly(build)  # Keras' outputs, on Keras' weights
    ours, _ = both(build)
    layer = ours.get_layer("rnn").layer
    module = ours.to_torch().get_submodule("rnn")
    plain = TORCH[type(layer).__name__](X if name != "in a model" else 5, U, batch_first=True,
                                        bias=layer.use_bias)
    assert isinstance(module, type(plain))
    assert list(module.state_dict()) == list(plain.state_dict())
    assert [p.shape for p in module.parameters()] == [p.shape for p in plain.parameters()]


@pytest.mark.parametrize("name", list(BACKWARDS))
def test_read_back_and_exported_again_it_gives_kerass_outputs(name):
    build = BACKWARDS[name]
    ours, kmodel = both(build)
    back = sc.from_torch(ours.to_torch(), input_shape=(X, T))
    (read,) = [r.layer for r in back.layers if r.name == "rnn"]
    assert repr(read) == repr(ours.get_layer("rnn").layer)
    assert (back.params, back.trainable_params) == (ours.params, ours.trainable_params)
    expected, got = _keras_outputs(kmodel, back.to_torch())
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_a_frozen_layer_that_goes_backwards_reads_back_frozen():
    model = sc.Sequential([sc.Input((T, X)), sc.GRU(U, go_backwards=True, trainable=False,
                                                    name="rnn")])
    net = model.to_torch()
    assert not any(p.requires_grad for p in net.parameters())
    back = sc.from_torch(net, input_shape=(X, T))
    assert not back.get_layer("rnn").layer.trainable
    assert (back.trainable_params, back.non_trainable_params) == (0, model.params)


def test_with_its_states_it_stays_pytorchs_module_after_a_flip():
    """``return_state=True`` returns the states as well, several outputs, which
    ``from_torch`` does not read from one module call: the export keeps ``torch.flip`` before
    the plain module, with Keras' outputs (test_keras_recurrent_export.py)."""
    model = sc.Sequential([sc.Input((T, X)), sc.GRU(U, go_backwards=True, name="rnn")])
    x = sc.Input((T, X))
    with_states = sc.Model(x, sc.GRU(U, go_backwards=True, return_state=True, name="rnn")(x))
    assert "torch.flip" not in model.to_torch().code
    net = with_states.to_torch()
    assert "torch.flip" in net.code and type(net.get_submodule("rnn")) is tnn.GRU
