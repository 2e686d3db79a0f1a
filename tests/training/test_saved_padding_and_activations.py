"""What padded PyTorch convolutions, Keras activations and Keras recurrent layers keep, against
the PyTorch modules ``from_torch`` reads and ``to_torch`` writes.

* A reflection or replication ``F.pad`` before a PyTorch convolution keeps its input only
  where that input requires a gradient: on the model's input, or on a dropout, pooling or
  activation of it, the convolution keeps the padded copy and nothing more. symcnn counted
  the pad's input there too (4,800 bytes for PyTorch's 2,880 on a 10x8 input at batch 2).
* Activations keep what the PyTorch function ``to_torch`` writes for them keeps: squareplus
  and log-sigmoid a second tensor of their size, ``tanh_shrink`` and ``sparse_plus`` a new
  tensor rather than their input, ``sparse_plus`` two boolean masks besides; symcnn counted
  one tensor, the input, for each.
* ``SimpleRNN(activation="relu")`` and ``Bidirectional(merge_mode="mul")``, which
  ``to_torch`` exports, were refused with a ``CostError``.
* A ``Flatten`` of a channels-last feature map is a copy in the export that symcnn counts as
  a view: a known difference (docs/training-memory.md), pinned here as the page states it.

Every figure is PyTorch's, measured with saved-tensor hooks (tests/support/saved_tensors.py)
at batches 2 and 3.
"""

from __future__ import annotations

import pytest
import sympy

import symcnn as sc
from symcnn.suggest import KERAS_ACTIVATIONS
from tests.conftest import require

torch = require("torch")
from torch import nn  # noqa: E402

from tests.support.saved_tensors import KerasTraining, measure  # noqa: E402

B = sc.symbols("B")
BATCHES = (2, 3)


def _measured(net, x, onednn: bool = True) -> int:
    with torch.backends.mkldnn.flags(enabled=onednn):  # off: the recurrent step kernel
        return measure(net, x)[0]


def _assert_equal_at_batches(model, net, shape, onednn: bool = True):
    """symcnn's closed form equals what ``net`` keeps at each batch, on inputs of ``shape``
    (without the batch axis, as ``net`` takes them)."""
    closed = model.training_memory(batch="B", optimizer="sgd").activations
    for batch in BATCHES:
        assert closed.subs(B, batch) == _measured(net, torch.randn(batch, *shape), onednn), \
            batch


# ---------------------------------------- reflection and replication padding of PyTorch's convs

SPATIAL = {1: (10,), 2: (10, 8), 3: (6, 5, 4)}


def _module(name, rank):
    return getattr(nn, f"{name}{rank}d")


#: What the padded convolution reads: tensors that require no gradient (the model's input and
#: what is computed from it without trainable weights), and tensors that do.
BEFORE = {
    "input": lambda rank: [],
    "relu_of_the_input": lambda rank: [nn.ReLU()],
    "dropout_of_the_input": lambda rank: [nn.Dropout(0.3)],
    "average_pooling_of_the_input": lambda rank: [_module("AvgPool", rank)(1)],
    "frozen_convolution": lambda rank: [_module("Conv", rank)(3, 3, 1).requires_grad_(False)],
    "convolution": lambda rank: [_module("Conv", rank)(3, 3, 1)],
    "convolution_and_relu": lambda rank: [_module("Conv", rank)(3, 3, 1), nn.ReLU()],
}


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("before", sorted(BEFORE))
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_a_padded_torch_convolution_keeps_the_pads_input_only_where_it_requires_a_gradient(
        mode, before, rank):
    shape = (3, *SPATIAL[rank])
    net = nn.Sequential(*BEFORE[before](rank),
                        _module("Conv", rank)(3, 3, 2, padding=1, padding_mode=mode))
    model = sc.from_torch(net, input_shape=shape)
    _assert_equal_at_batches(model, net, shape)
    _assert_equal_at_batches(model, model.to_torch(), shape)


def test_a_replicate_padded_convolution_on_the_input_keeps_only_its_padded_copy():
    net = nn.Sequential(nn.Conv2d(3, 3, 2, padding=1, padding_mode="replicate"))
    model = sc.from_torch(net, input_shape=(3, 10, 8))
    mem = model.training_memory(batch=2, optimizer="sgd")
    assert mem.activations == _measured(net, torch.randn(2, 3, 10, 8)) == 2 * 4 * 3 * 12 * 10


@pytest.mark.parametrize("trainable", [True, False])
@pytest.mark.parametrize("mode", ["reflect", "replicate"])
def test_symcnn_named_convolutions_after_a_pooling_of_the_input_keep_what_their_export_keeps(
        mode, trainable):
    model = sc.nn.Sequential(
        sc.nn.AvgPool1d(1), sc.nn.Dropout(0.2),
        sc.nn.Conv1d(3, 4, 3, padding=2, padding_mode=mode, trainable=trainable),
        sc.nn.ReLU(), sc.nn.Conv1d(4, 2, 3, padding="same", padding_mode=mode),
        input_shape=(3, 9))
    _assert_equal_at_batches(model, model.to_torch(), (3, 9))


@pytest.mark.parametrize("pad", ["ReflectionPad", "ReplicationPad", "CircularPad"])
@pytest.mark.parametrize("before", ["input", "relu_of_the_input", "convolution"])
def test_explicit_padding_modules_keep_their_input_where_it_requires_a_gradient(pad, before):
    shape = (3, *SPATIAL[2])
    net = nn.Sequential(*BEFORE[before](2), _module(pad, 2)(1), nn.Conv2d(3, 3, 2))
    _assert_equal_at_batches(sc.from_torch(net, input_shape=shape), net, shape)


def test_a_symbolic_repeat_of_a_reflect_padded_convolution_on_the_input_asks_for_a_number():
    """The first repetition's pad reads the model's input and keeps nothing, the later ones
    keep their input: no one count covers both. Numbers are counted repetition by
    repetition."""
    block = sc.nn.Sequential(sc.nn.Conv2d(3, 3, 3, padding=1, padding_mode="reflect"),
                             input_shape=(3, 6, 6))

    def model(times):
        return sc.nn.Sequential(sc.nn.Dropout(0.1), sc.Repeat(block, times),
                                input_shape=(3, 6, 6))

    with pytest.raises(sc.CostError, match="repeats a block"):
        model("L").training_memory()
    for times in (1, 3):
        _assert_equal_at_batches(model(times), model(times).to_torch(), (3, 6, 6))


# ------------------------------------------------------------------------- Keras activations

#: The Keras activations to_torch refuses (test_export_activations.py says why).
REFUSED = {"glu", "sparsemax", "threshold", "prelu"}
EXPORTED = sorted(KERAS_ACTIVATIONS - REFUSED)

#: Where the activation runs on a 5x5x4 input: after a convolution (whose output nothing else
#: keeps), after a ReLU (which keeps its output, the activation's input), fused into a
#: convolution, and before a convolution (which keeps the activation's output).
PLACEMENTS = {
    "after_a_convolution": lambda a: [sc.Conv2D(4, 1), sc.Activation(a)],
    "after_a_relu": lambda a: [sc.Conv2D(4, 1), sc.ReLU(), sc.Activation(a)],
    "fused_into_a_convolution": lambda a: [sc.Conv2D(4, 1, activation=a), sc.Conv2D(3, 1)],
    "before_a_convolution": lambda a: [sc.Conv2D(4, 1), sc.Activation(a), sc.Conv2D(3, 1)],
}


@pytest.mark.parametrize("placement", sorted(PLACEMENTS))
@pytest.mark.parametrize("name", EXPORTED)
def test_every_exported_keras_activation_keeps_what_its_pytorch_function_keeps(name, placement):
    model = sc.Sequential([sc.Input((5, 5, 4)), *PLACEMENTS[placement](name)])
    _assert_equal_at_batches(model, model.to_torch(), (4, 5, 5))


@pytest.mark.parametrize("name", ["squareplus", "log_sigmoid", "sparse_plus", "tanh_shrink"])
def test_activations_of_a_dense_output_keep_what_their_pytorch_function_keeps(name):
    model = sc.Sequential([sc.Input((6,)), sc.Dense(5), sc.ReLU(), sc.Activation(name),
                           sc.Dense(3, activation=name)])
    _assert_equal_at_batches(model, model.to_torch(), (6,))


def test_sparse_plus_keeps_two_masks_of_one_byte_per_element_whatever_the_dtype():
    model = sc.Sequential([sc.Input((5,)), sc.Dense(5), sc.ReLU(), sc.Activation("sparse_plus")])
    added = [model.training_memory(batch=1, dtype=dtype).layers[-1][2]
             for dtype in ("float32", "bfloat16")]
    assert added == [5 * 4 + 2 * 5, 5 * 2 + 2 * 5]  # x + 1 at the dtype, the masks at 1 byte


@pytest.mark.parametrize("name", sorted(REFUSED - {"glu"}))
def test_activations_without_a_measured_counterpart_are_refused_naming_the_layer(name):
    for layers, owner in (([sc.Activation(name)], "Activation"),
                          ([sc.Dense(4, activation=name)], "Dense")):
        model = sc.Sequential([sc.Input((6,)), sc.Dense(6), *layers])
        with pytest.raises(sc.CostError, match=f"{owner}: what activation='{name}' keeps"):
            model.training_memory()


def test_glu_keeps_its_input_as_keras_3_does():
    keras = require("keras")
    theirs = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4), keras.layers.ReLU(),
                               keras.layers.Activation("glu")])
    _assert_equal_at_batches(sc.from_keras(theirs), KerasTraining(theirs), (6,))


# ------------------------------------------- SimpleRNN(activation="relu"), Bidirectional("mul")

def _recurrent(kind, return_sequences, **kwargs):
    """A Keras-named recurrent layer that to_torch exports (no bias where PyTorch would have
    two vectors)."""
    if kind == "GRU":
        return sc.GRU(5, return_sequences=return_sequences, **kwargs)
    layer = getattr(sc, kind.split("_")[0])
    extra = {"activation": "relu"} if kind == "SimpleRNN_relu" else {}
    return layer(5, use_bias=False, return_sequences=return_sequences, **extra, **kwargs)


def _sequence_model(layer, before, steps=4, width=3):
    x = sc.Input((steps, width))
    y = x if before == "input" else sc.Dense(width, trainable=before == "dense")(x)
    return sc.Model(x, layer(y))


#: to_torch takes a channels-last model's input channels first: (batch, width, steps).
SEQUENCE_INPUT = (3, 4)


@pytest.mark.parametrize("trainable", [True, False])
@pytest.mark.parametrize("before", ["input", "dense", "frozen_dense"])
@pytest.mark.parametrize("return_sequences", [True, False])
def test_a_relu_simple_rnn_keeps_what_a_relu_nn_rnn_keeps(return_sequences, before, trainable):
    model = _sequence_model(_recurrent("SimpleRNN_relu", return_sequences, trainable=trainable),
                            before)
    _assert_equal_at_batches(model, model.to_torch(), SEQUENCE_INPUT, onednn=False)


@pytest.mark.parametrize("trainable", [True, False])
@pytest.mark.parametrize("before", ["input", "dense", "frozen_dense"])
@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("kind", ["SimpleRNN", "SimpleRNN_relu", "LSTM", "GRU"])
def test_a_bidirectional_product_keeps_both_directions_output(kind, return_sequences, before,
                                                              trainable):
    layer = sc.Bidirectional(_recurrent(kind, return_sequences), merge_mode="mul",
                             trainable=trainable)
    model = _sequence_model(layer, before)
    _assert_equal_at_batches(model, model.to_torch(), SEQUENCE_INPUT, onednn=False)


@pytest.mark.parametrize("merge_mode", ["mul", "sum", "concat"])
def test_a_dense_after_an_activation_of_a_merged_sequence_keeps_what_the_export_keeps(
        merge_mode):
    """The merged sequence is time-major in PyTorch (a transposed view): a Dense after a
    ReLU of it folds a copy from batch 2 on. ``mul`` stated no layout: 160 bytes short."""
    x = sc.Input((4, 3))
    y = sc.Bidirectional(sc.GRU(5, return_sequences=True), merge_mode=merge_mode)(x)
    model = sc.Model(x, sc.Dense(2)(sc.ReLU()(y)))
    _assert_equal_at_batches(model, model.to_torch(), SEQUENCE_INPUT, onednn=False)


def test_the_product_adds_the_output_of_both_directions_to_what_the_sum_keeps():
    def added(mode):
        layer = sc.Bidirectional(sc.GRU(5, return_sequences=True), merge_mode=mode)
        mem = _sequence_model(layer, "dense", steps="T").training_memory(batch=1, dtype="int8")
        return mem.layers[-1][2]

    assert sympy.expand(added("mul") - added("sum")) == 2 * 5 * sc.symbols("T")


@pytest.mark.parametrize("layer,match", [
    (sc.SimpleRNN(4, activation="sigmoid"), "activation"),
    (sc.LSTM(4, activation="relu"), "activation"),
])
def test_recurrent_activations_pytorch_does_not_build_in_are_still_refused(layer, match):
    with pytest.raises(sc.CostError, match=match):
        sc.Sequential([sc.Input((5, 3)), layer]).training_memory()


# ---------------------------------------------- channels-last Flatten: a known difference, pinned

#: Whether the activation keeps its output (so that the feature map is kept twice in the
#: export: by the activation, and as the copy the flatten makes for the Dense).
KEEPS_ITS_OUTPUT = {"relu": True, "sigmoid": True, "tanh": True, "softmax": True,
                    "gelu": False, "linear": False}


@pytest.mark.parametrize("name", sorted(KEEPS_ITS_OUTPUT))
@pytest.mark.parametrize("rank", [1, 2])
def test_the_export_copies_a_channels_last_map_for_flatten_which_symcnn_counts_as_a_view(
        name, rank):
    """docs/training-memory.md: the export keeps the flattened copy at every batch; symcnn
    counts the map, which an activation that keeps its output keeps once more."""
    shape, conv = ((13, 2), sc.Conv1D(4, 2)) if rank == 1 else ((6, 5, 2), sc.Conv2D(4, 2))
    model = sc.Sequential([sc.Input(shape), conv, sc.Activation(name), sc.Flatten(),
                           sc.Dense(1)])
    net = model.to_torch()
    feature_map = sc.formulas.prod(model.layers[1].output_shape)
    for batch in (1, *BATCHES):
        ours = model.training_memory(batch=batch, optimizer="sgd").activations
        theirs = _measured(net, torch.randn(batch, shape[-1], *shape[:-1]))
        assert theirs - ours == (4 * batch * feature_map if KEEPS_ITS_OUTPUT[name] else 0)


def test_the_export_copies_a_channels_last_map_for_a_dense_on_it_from_batch_2_on():
    model = sc.Sequential([sc.Input((5, 5, 3)), sc.Conv2D(8, 3, padding="same"), sc.ReLU(),
                           sc.Dense(4)])
    net = model.to_torch()
    differences = [_measured(net, torch.randn(batch, 3, 5, 5))
                   - model.training_memory(batch=batch).activations for batch in (1, 2, 3)]
    assert differences == [0, 2 * 4 * 200, 3 * 4 * 200]
