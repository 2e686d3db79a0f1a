"""model.to_torch() exports Keras' SimpleRNN, LSTM, GRU and Bidirectional where PyTorch's
nn.RNN, nn.LSTM and nn.GRU compute the same function with the same count: GRU with
``reset_after=True`` (Keras' default, with or without bias), SimpleRNN and LSTM without bias.

Each case is built twice from one description, in symcnn and in Keras 3 (same layer names);
Keras' random weights are copied into the exported module in PyTorch's layout (written out
here: kernels transposed, gate blocks reordered, a GRU's two biases split), and every output
of the module is compared with Keras' on random inputs; the counts are symcnn's.
"""

import numpy as np
import pytest

import symcnn as sc

from ..conftest import require

pytestmark = pytest.mark.frameworks

torch = require("torch")
keras = require("keras")

T, X, U = 6, 3, 4

#: Keras' gate blocks in PyTorch's order: PyTorch's GRU is r, z, n where Keras' is z, r, h.
ORDER = {"GRU": [1, 0, 2], "LSTM": [0, 1, 2, 3], "RNN": [0]}


def torch_gates(w, kind: str):
    """Keras' ``(..., g*u)`` array with its gate blocks in PyTorch's order."""
    blocks = np.split(np.asarray(w), len(ORDER[kind]), axis=-1)
    return torch.tensor(np.concatenate([blocks[g] for g in ORDER[kind]], axis=-1))


def copy_direction(weights, module, suffix: str) -> None:
    """One Keras direction (kernel ``(x, g*u)``, recurrent kernel ``(u, g*u)``, a GRU's
    bias ``(2, 3*u)``) into ``module``'s ``weight_ih_l0``/``weight_hh_l0``/``bias_*``."""
    kind = next(c.__name__ for c in type(module).__mro__  # a go_backwards layer's module
                if c in (torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU))  # subclasses one
    kernel, recurrent, *bias = weights
    params = dict(module.named_parameters())
    with torch.no_grad():
        params[f"weight_ih_l0{suffix}"].copy_(torch_gates(kernel, kind).T)
        params[f"weight_hh_l0{suffix}"].copy_(torch_gates(recurrent, kind).T)
        if bias:
            input_bias, recurrent_bias = np.asarray(bias[0])  # only GRU(reset_after) has one
            params[f"bias_ih_l0{suffix}"].copy_(torch_gates(input_bias, kind))
            params[f"bias_hh_l0{suffix}"].copy_(torch_gates(recurrent_bias, kind))


def copy_weights(kmodel, net) -> None:
    """Every Keras recurrent layer's weights into the exported submodule of its name."""
    for layer in kmodel.layers:
        if isinstance(layer, keras.layers.Bidirectional):
            module = net.get_submodule(layer.name)
            copy_direction(layer.forward_layer.get_weights(), module, "")
            copy_direction(layer.backward_layer.get_weights(), module, "_reverse")
        elif isinstance(layer, keras.layers.RNN):
            copy_direction(layer.get_weights(), net.get_submodule(layer.name), "")
        elif layer.get_weights():  # Dense, Conv1D: kernel transposed, bias as is
            module = net.get_submodule(layer.name)
            kernel, bias = layer.get_weights()
            kernel = np.moveaxis(kernel, -1, 0)  # (out, ...)
            if kernel.ndim == 3:  # Conv1D: Keras (k, in, out), PyTorch (out, in, k)
                kernel = np.moveaxis(kernel, -1, 1)
            with torch.no_grad():
                module.weight.copy_(torch.tensor(np.ascontiguousarray(kernel)))
                module.bias.copy_(torch.tensor(bias))


def both(build):
    """The symcnn model and the Keras model of ``build`` on ``(T, X)``."""
    x = sc.Input((T, X))
    ours = sc.Model(x, build(sc)(x))
    k = keras.Input((T, X))
    return ours, keras.Model(k, build(keras.layers)(k))


def random_weights_into(kmodel, net):
    """Random weights set in ``kmodel`` and copied into its export ``net``; a random
    ``(2, T, X)`` input drawn after them (seed 0) is returned."""
    rng = np.random.default_rng(0)
    for layer in kmodel.layers:
        layer.set_weights([rng.standard_normal(np.shape(w)).astype("float32")
                           for w in layer.get_weights()])
    copy_weights(kmodel, net)
    return rng.standard_normal((2, T, X)).astype("float32")


def assert_exported_exactly(build) -> None:
    ours, kmodel = both(build)
    net = ours.to_torch()
    assert sum(p.numel() for p in net.parameters()) == ours.params == kmodel.count_params()
    x = random_weights_into(kmodel, net)
    expected = kmodel(x)
    expected = [expected] if not isinstance(expected, (list, tuple)) else list(expected)
    with torch.no_grad():  # a channels-last model's module reads (N, X, T), as for Conv1D
        got = net(torch.tensor(x).transpose(1, 2))
    got = [got] if not isinstance(got, tuple) else list(got)
    outputs = ours.outputs
    assert len(got) == len(expected) == len(outputs)
    for theirs, mine, tensor in zip(expected, got, outputs):
        mine = mine.movedim(1, -1) if mine.ndim == 3 else mine  # back to Keras' (N, T, u)
        assert tuple(mine.shape[1:]) == tuple(tensor.shape)
        np.testing.assert_allclose(mine.numpy(), np.asarray(theirs.detach()), rtol=1e-5,
                                   atol=1e-5)


SINGLE = {
    "GRU": lambda L: L.GRU(U, name="rnn"),
    "GRU sequence": lambda L: L.GRU(U, return_sequences=True, name="rnn"),
    "GRU without bias, states": lambda L: L.GRU(U, use_bias=False, return_state=True,
                                                name="rnn"),
    "GRU backwards, sequence and state": lambda L: L.GRU(
        U, go_backwards=True, return_sequences=True, return_state=True, name="rnn"),
    "GRU backwards": lambda L: L.GRU(U, go_backwards=True, name="rnn"),
    "LSTM without bias": lambda L: L.LSTM(U, use_bias=False, name="rnn"),
    "LSTM without bias, sequence and states": lambda L: L.LSTM(
        U, use_bias=False, return_sequences=True, return_state=True, name="rnn"),
    "LSTM without bias backwards": lambda L: L.LSTM(U, use_bias=False, go_backwards=True,
                                                    return_sequences=True, name="rnn"),
    "SimpleRNN without bias": lambda L: L.SimpleRNN(U, use_bias=False, name="rnn"),
    "SimpleRNN without bias, states": lambda L: L.SimpleRNN(
        U, use_bias=False, return_sequences=True, return_state=True, name="rnn"),
    "SimpleRNN relu without bias backwards": lambda L: L.SimpleRNN(
        U, use_bias=False, activation="relu", go_backwards=True, name="rnn"),
}


@pytest.mark.parametrize("build", list(SINGLE.values()), ids=list(SINGLE))
def test_a_recurrent_layer_pytorch_computes_exports_with_kerass_values_and_count(build):
    assert_exported_exactly(build)


BIDIRECTIONAL = {
    "GRU": lambda L: L.Bidirectional(L.GRU(U), name="bi"),
    "GRU sequence": lambda L: L.Bidirectional(L.GRU(U, return_sequences=True), name="bi"),
    "GRU without bias, states": lambda L: L.Bidirectional(
        L.GRU(U, use_bias=False, return_state=True), name="bi"),
    "LSTM without bias, sequence and states": lambda L: L.Bidirectional(
        L.LSTM(U, use_bias=False, return_sequences=True, return_state=True), name="bi"),
    "SimpleRNN without bias": lambda L: L.Bidirectional(L.SimpleRNN(U, use_bias=False),
                                                        name="bi"),
    "GRU summed": lambda L: L.Bidirectional(L.GRU(U, return_sequences=True),
                                            merge_mode="sum", name="bi"),
    "GRU averaged": lambda L: L.Bidirectional(L.GRU(U), merge_mode="ave", name="bi"),
    "GRU multiplied": lambda L: L.Bidirectional(L.GRU(U, return_sequences=True),
                                                merge_mode="mul", name="bi"),
    "GRU unmerged, states": lambda L: L.Bidirectional(
        L.GRU(U, return_sequences=True, return_state=True), merge_mode=None, name="bi"),
    "GRU with its backward layer": lambda L: L.Bidirectional(
        L.GRU(U, return_sequences=True),
        backward_layer=L.GRU(U, go_backwards=True, return_sequences=True), name="bi"),
}


@pytest.mark.parametrize("build", list(BIDIRECTIONAL.values()), ids=list(BIDIRECTIONAL))
def test_a_bidirectional_layer_exports_as_one_bidirectional_module(build):
    assert_exported_exactly(build)
    ours, _ = both(build)
    assert ours.to_torch().get_submodule("bi").bidirectional


def test_recurrent_layers_in_a_model_read_and_give_the_layout_around_them():
    def build(L):
        def stack(x):
            x = L.Conv1D(5, 2, padding="same", name="conv")(x)
            x = L.GRU(U, return_sequences=True, name="gru1")(x)
            x = L.Bidirectional(L.LSTM(U, use_bias=False, return_sequences=True), name="bi")(x)
            x = L.GRU(U, name="gru2")(x)
            return L.Dense(2, name="head")(x)
        return stack
    assert_exported_exactly(build)


def test_the_exported_modules_are_pytorchs_named_after_the_layers():
    ours, _ = both(lambda L: L.Bidirectional(L.LSTM(U, use_bias=False), name="bi"))
    module = ours.to_torch().get_submodule("bi")
    assert type(module) is torch.nn.LSTM
    assert (module.input_size, module.hidden_size, module.bias, module.batch_first) == \
        (X, U, False, True)


def refusal(layers) -> str:
    model = sc.Sequential(layers)
    with pytest.raises(sc.ConversionError) as info:
        model.to_torch()
    (line,) = [l for l in str(info.value).splitlines() if l.startswith("  - layer")]
    return line


def test_what_pytorch_computes_otherwise_stays_refused_with_the_reason():
    dropout = refusal([sc.Input((T, X)), sc.GRU(U, dropout=0.25, name="rnn")])
    assert dropout.startswith("  - layer 'rnn' (GRU): dropout=0.25: Keras' GRU drops its "
                              "inputs at every step while training")
    stateful = refusal([sc.Input((T, X)), sc.GRU(U, stateful=True, name="rnn")])
    assert "stateful=True: Keras' GRU starts each batch from the last batch's states" in \
        stateful
    differ = refusal([sc.Input((T, X)), sc.Bidirectional(
        sc.GRU(U), backward_layer=sc.GRU(U, use_bias=False, go_backwards=True), name="bi")])
    assert "backward_layer.use_bias=False with layer.use_bias=True" in differ


def test_a_layer_after_a_mask_is_refused_as_keras_skips_the_masked_steps():
    message = refusal([sc.Input((T,)), sc.Embedding(10, X, mask_zero=True, name="emb"),
                       sc.GRU(U, name="rnn")])
    assert message == ("  - layer 'rnn' (GRU): its input may carry the mask of Embedding "
                       "'emb': Keras' recurrent layers skip the masked steps, PyTorch's "
                       "modules read every step")
    sc.Sequential([sc.Input((T,)), sc.Embedding(10, X, name="emb"),
                   sc.GRU(U, name="rnn")]).to_torch()  # without a mask it exports
