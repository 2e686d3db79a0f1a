"""model.to_torch() refuses Keras' SimpleRNN, LSTM, GRU and Bidirectional where PyTorch's
modules compute another function or count, and says why: each message's reason is checked
here against Keras and PyTorch themselves.

The message names a PyTorch module to build instead (``sc.nn.GRU(3, 4, batch_first=True)``).
Where it says the counts differ, they differ by the number it states; where it says the
function differs (GRU with ``reset_after=False``, another activation), the counts agree and
the outputs on the same weights do not. Where PyTorch's module computes the same function
with the same count (Keras' GRU with ``reset_after=True``, SimpleRNN and LSTM without bias),
the Keras layer's random weights copied into that module give Keras' outputs, and to_torch
exports the layer (its values: tests/interop/test_keras_recurrent_export.py).
"""

import re

import numpy as np
import pytest

import symcnn as sc

from ..conftest import require

pytestmark = pytest.mark.frameworks

torch = require("torch")
keras = require("keras")
tnn = torch.nn

T, X, U = 6, 3, 4

#: PyTorch's gate blocks in Keras' order: its GRU is r, z, n where Keras' is z, r, h.
ORDER = {"GRU": [1, 0, 2], "LSTM": [0, 1, 2, 3], "RNN": [0]}


def refusal(build) -> str:
    """The to_torch message for the symcnn layer ``build(sc)`` on ``(T, X)``: its line."""
    model = sc.Sequential([sc.Input((T, X)), build(sc)])
    with pytest.raises(sc.ConversionError) as info:
        model.to_torch()
    (line,) = [l for l in str(info.value).splitlines() if l.startswith("  - layer")]
    return line


def suggested(message: str):
    """The PyTorch module the message says to build, made by PyTorch from the message's
    text (``sc.nn.GRU(3, 4, batch_first=True)`` is ``nn.GRU(3, 4, batch_first=True)``)."""
    (call,) = re.findall(r"sc\.nn\.(\w+\([^)]*\))", message)
    return eval("tnn." + call, {"tnn": tnn})  # noqa: S307 - our own message, in a test


def exported(build):
    """The PyTorch module to_torch makes of the symcnn layer ``build(sc)`` on ``(T, X)``,
    with ``bias``, ``nonlinearity`` and ``bidirectional`` as the module it names has."""
    (module,) = sc.Sequential([sc.Input((T, X)), build(sc)]).to_torch().children()
    return module


def keras_model(build):
    x = keras.Input((T, X))
    return keras.Model(x, build(keras.layers)(x))


def count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def randomize(model) -> None:
    rng = np.random.default_rng(0)
    for layer in model.layers:
        layer.set_weights([rng.standard_normal(np.shape(w)).astype("float32")
                           for w in layer.get_weights()])


def copy_direction(keras_cell_weights, module, kind: str, suffix: str) -> None:
    """One Keras direction's weights (kernel, recurrent kernel, bias) into ``module``."""
    order = ORDER[kind]

    def gates(w):
        blocks = np.split(np.asarray(w), len(order), axis=-1)
        return torch.tensor(np.concatenate([blocks[g] for g in order], axis=-1))

    kernel, recurrent, *bias = keras_cell_weights
    with torch.no_grad():
        getattr(module, f"weight_ih_l0{suffix}").copy_(gates(kernel).T)
        getattr(module, f"weight_hh_l0{suffix}").copy_(gates(recurrent).T)
        if bias:
            b = np.asarray(bias[0]).reshape(-1, np.shape(kernel)[-1])  # GRU: (2, 3U)
            getattr(module, f"bias_ih_l0{suffix}").copy_(gates(b[0]))
            getattr(module, f"bias_hh_l0{suffix}").copy_(
                gates(b[1]) if len(b) > 1 else torch.zeros_like(gates(b[0])))


def copy_weights(kmodel, module) -> None:
    layer = kmodel.layers[-1]
    kind = next(c.__name__ for c in type(module).__mro__  # a go_backwards layer's module
                if c in (torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU))  # subclasses one
    if isinstance(layer, keras.layers.Bidirectional):
        copy_direction(layer.forward_layer.get_weights(), module, kind, "")
        copy_direction(layer.backward_layer.get_weights(), module, kind, "_reverse")
    else:
        copy_direction(layer.get_weights(), module, kind, "")


def outputs(kmodel, module):
    """Keras' sequence output and PyTorch's on one batch (PyTorch's module returns the
    sequence and the states; the module of a layer that goes backwards flips its input in
    time itself and returns Keras' output, the sequence in the order it read it)."""
    x = np.random.default_rng(1).standard_normal((2, T, X)).astype("float32")
    with torch.no_grad():
        theirs = module(torch.tensor(x))
    theirs = theirs if isinstance(theirs, torch.Tensor) else theirs[0]
    return np.asarray(kmodel(x).detach()), theirs.numpy()


SAME = [
    ("GRU", lambda L: L.GRU(U, return_sequences=True)),
    ("GRU without bias", lambda L: L.GRU(U, use_bias=False, return_sequences=True)),
    ("GRU backwards", lambda L: L.GRU(U, go_backwards=True, return_sequences=True)),
    ("LSTM without bias", lambda L: L.LSTM(U, use_bias=False, return_sequences=True)),
    ("SimpleRNN without bias", lambda L: L.SimpleRNN(U, use_bias=False, return_sequences=True)),
    ("SimpleRNN relu without bias",
     lambda L: L.SimpleRNN(U, use_bias=False, activation="relu", return_sequences=True)),
    ("Bidirectional GRU", lambda L: L.Bidirectional(L.GRU(U, return_sequences=True))),
]


@pytest.mark.parametrize("build", [c[1] for c in SAME], ids=[c[0] for c in SAME])
def test_where_pytorch_computes_the_same_with_that_count_to_torch_exports_it(build):
    module = exported(build)
    kmodel = keras_model(build)
    assert kmodel.count_params() == count(module)
    randomize(kmodel)
    copy_weights(kmodel, module)
    keras_out, torch_out = outputs(kmodel, module)
    np.testing.assert_allclose(keras_out, torch_out, rtol=1e-5, atol=1e-5)


FEWER = [
    ("LSTM", lambda L: L.LSTM(U), 1),
    ("SimpleRNN", lambda L: L.SimpleRNN(U), 1),
    ("GRU reset before", lambda L: L.GRU(U, reset_after=False), 1),
    ("Bidirectional LSTM", lambda L: L.Bidirectional(L.LSTM(U)), 2),
    ("Bidirectional SimpleRNN", lambda L: L.Bidirectional(L.SimpleRNN(U)), 2),
]


@pytest.mark.parametrize("build, directions", [c[1:] for c in FEWER], ids=[c[0] for c in FEWER])
def test_where_the_message_says_the_counts_differ_they_differ_by_what_it_says(build,
                                                                             directions):
    message = refusal(build)
    (by,) = map(int, re.findall(r"counts would differ by (\d+)", message))
    assert count(suggested(message)) - keras_model(build).count_params() == by * directions
    assert ("per direction" in message) == (directions == 2)


def test_a_gru_that_resets_before_its_recurrent_kernel_has_pytorchs_count_but_not_its_function():
    def build(L):
        return L.GRU(U, reset_after=False, use_bias=False, return_sequences=True)

    message = refusal(build)
    assert "reset_after=False" in message and "no nn.GRU computes this function" in message
    assert "would differ" not in message  # without biases the counts agree:
    module, kmodel = suggested(message), keras_model(build)
    assert count(module) == kmodel.count_params()
    randomize(kmodel)
    copy_weights(kmodel, module)  # ... but the same weights give other outputs
    keras_out, torch_out = outputs(kmodel, module)
    assert np.abs(keras_out - torch_out).max() > 1e-2


def test_an_activation_pytorch_lacks_is_the_reason_given_and_changes_the_outputs():
    def build(L):
        return L.LSTM(U, use_bias=False, activation="relu", return_sequences=True)

    message = refusal(build)
    assert message.startswith("  - layer 'lstm' (LSTM): activation='relu': PyTorch's nn.LSTM "
                              "has tanh built in")
    module, kmodel = suggested(message), keras_model(build)
    assert count(module) == kmodel.count_params()
    randomize(kmodel)
    copy_weights(kmodel, module)
    keras_out, torch_out = outputs(kmodel, module)
    assert np.abs(keras_out - torch_out).max() > 1e-2


def test_a_bidirectional_layer_is_explained_by_the_layer_it_wraps():
    gru = refusal(lambda L: L.Bidirectional(L.GRU(U, reset_after=False)))
    assert "layer.reset_after=False: Keras' GRU" in gru and \
        "sc.nn.GRU(3, 4, batch_first=True, bidirectional=True)" in gru
    assert not re.search(r"LSTM|SimpleRNN|nn\.RNN", gru)
    lstm = refusal(lambda L: L.Bidirectional(L.LSTM(U)))
    assert "layer.use_bias=True: Keras' LSTM" in lstm and "sc.nn.LSTM(3, 4, batch_first=True, " \
        "bidirectional=True)" in lstm and "GRU" not in lstm
    mixed = refusal(lambda L: L.Bidirectional(L.LSTM(U, return_sequences=True),
                                              backward_layer=L.GRU(7, go_backwards=True,
                                                                   return_sequences=True)))
    assert "backward_layer=GRU(7) with layer=LSTM(4)" in mixed
    merged = refusal(lambda L: L.Bidirectional(L.GRU(U, reset_after=False,
                                                     return_sequences=True), merge_mode="sum"))
    assert "concatenated rather than merged by merge_mode='sum'" in merged


def test_the_suggested_symcnn_layer_has_the_suggested_modules_count():
    for build in [c[1] for c in FEWER]:
        message = refusal(build)
        (call,) = re.findall(r"sc\.nn\.\w+\([^)]*\)", message)
        layer = eval(call, {"sc": sc})  # noqa: S307 - our own message, in a test
        x = sc.Input((T, X))
        assert sc.Model(x, layer(x)).params == count(suggested(message))
