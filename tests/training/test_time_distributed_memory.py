"""TimeDistributed keeps what Keras 3 keeps on its torch backend: the wrapped layer's tensors
for each of the ``T`` steps.

Keras 3 calls the wrapped layer on every step ``x[:, t]``, a view of the input, and stacks the
results into a new tensor (``keras/src/layers/rnn/time_distributed.py``): no reshape to a batch
of ``B*T``. So the input's storage is kept once however many steps keep it, the layer's own
tensors (masks, indices, gates, its output) once per step, and the output is time-major.
``to_torch`` refuses TimeDistributed, so these figures are Keras' own (measured with
saved-tensor hooks, tests/support/saved_tensors.py); the wrapped layer counts as symcnn counts
it alone, so where that differs from Keras' own layer (the kernel copy of Keras' Conv2D and
Conv3D, Keras' batch normalization, GRU and SimpleRNN, a max pooling with ``same`` padding, a
1D window on a tensor the layer before keeps) it differs once per step.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import assume, given, settings, strategies as st

import symcnn as sc
from tests.conftest import fuzz_examples, require

torch = require("torch")

from tests.support.saved_tensors import KerasTraining, measure  # noqa: E402

pytestmark = pytest.mark.frameworks

B, T = sc.symbols("B T")
TD = sc.TimeDistributed


def _keras(keras_model, shape, batches, ids: int | None = None) -> list:
    """What a Keras training step keeps at each batch (token ids below ``ids`` if given)."""
    twin = KerasTraining(keras_model)
    return [measure(twin, torch.randint(0, ids, (b, *shape)) if ids else
                    torch.randn(b, *shape))[0] for b in batches]


def _symcnn_and_keras(model, steps: int, batches, ids: int | None = None):
    """symcnn's closed form in ``T`` and ``B`` at ``T = steps``, and Keras' measurement of the
    same model with ``steps`` steps, at each batch."""
    if os.environ.get("KERAS_BACKEND") != "torch":
        pytest.skip("needs KERAS_BACKEND=torch")
    closed = model.training_memory(batch=B).activations
    at = model.subs(T=steps) if T in model.free_symbols else model
    shape = tuple(int(s) for s in at.input_shape)
    return ([closed.subs({T: steps, B: b}) for b in batches],
            _keras(at.to_keras(), shape, batches, ids))


#: wrapped layers whose own statement is Keras' figure: (step's rank, layer of a width)
WRAPPED = {
    "Dense": (1, lambda w: sc.Dense(w)),
    "Dense relu": (1, lambda w: sc.Dense(w, activation="relu")),
    "Dense gelu": (1, lambda w: sc.Dense(w, activation="gelu")),
    "frozen Dense": (1, lambda w: sc.Dense(w, trainable=False)),
    "LoRA Dense": (1, lambda w: sc.Dense(w, lora_rank=1)),
    "ReLU": (1, lambda w: sc.ReLU()),
    "sigmoid": (1, lambda w: sc.Activation("sigmoid")),
    "GELU": (1, lambda w: sc.Activation("gelu")),
    "Softmax": (1, lambda w: sc.Softmax()),
    "Dropout": (1, lambda w: sc.Dropout(0.5)),
    "Dropout(0)": (1, lambda w: sc.Dropout(0.0)),
    "LayerNormalization": (1, lambda w: sc.LayerNormalization()),
    "frozen BatchNormalization": (1, lambda w: sc.BatchNormalization(trainable=False)),
    "PReLU": (1, lambda w: sc.PReLU()),
    "LSTM": (2, lambda w: sc.LSTM(w)),
    "LSTM sequences": (2, lambda w: sc.LSTM(w, return_sequences=True)),
    "Conv1D": (2, lambda w: sc.Conv1D(w, 2)),
    "MaxPooling1D": (2, lambda w: sc.MaxPooling1D(2)),
    "AveragePooling1D": (2, lambda w: sc.AveragePooling1D(2)),
}
#: Keras' own 1D convolutions and poolings keep a channels-first copy of their input, which
#: symcnn counts as the input itself (the to_torch export's): the same bytes, unless the layer
#: before keeps that input too (a ReLU: see DIFFERING)
WINDOWS_1D = {"Conv1D", "MaxPooling1D", "AveragePooling1D"}
#: symcnn counts a recurrent layer's copy of its input, which PyTorch (and Keras' own LSTM)
#: does not make at batch 1: the same bytes, unless the layer before keeps that input too
#: (docs/training-memory.md, "Copies of the input")
RECURRENT = {"LSTM", "LSTM sequences"}
WRAPPED |= {
    "GlobalAveragePooling1D": (2, lambda w: sc.GlobalAveragePooling1D()),
    "Flatten": (2, lambda w: sc.Flatten()),
    "Reshape": (2, lambda w: sc.Reshape((-1,))),
    "LayerNormalization of a sequence": (2, lambda w: sc.LayerNormalization()),
}


@pytest.mark.filterwarnings("ignore:You are using a softmax over axis -1")  # one feature
@settings(max_examples=fuzz_examples(36))
@given(kind=st.sampled_from(sorted(WRAPPED)), steps=st.integers(1, 4),
       features=st.integers(1, 4), length=st.integers(2, 3), width=st.integers(1, 4),
       before=st.sampled_from(["input", "Dense", "Dense, ReLU"]),
       after=st.sampled_from(["", "ReLU, Dense"]), batch=st.integers(1, 3))
def test_it_keeps_what_keras_keeps_step_by_step(kind, steps, features, length, width, before,
                                               after, batch):
    """On the model's input (nothing requires a gradient), after a Dense (the input is kept
    by the Dense too) or after a ReLU (which keeps the tensor every step views), and followed
    by a ReLU and a Dense that fold the time-major output (a copy from batch 2 on)."""
    assume(not (kind in WINDOWS_1D and before == "Dense, ReLU"))
    assume(not (kind in RECURRENT and before == "Dense, ReLU" and batch == 1))
    rank, wrapped = WRAPPED[kind]
    step = (features,) if rank == 1 else (length, features)
    layers = {"input": [], "Dense": [sc.Dense(features)],
              "Dense, ReLU": [sc.Dense(features), sc.ReLU()]}[before]
    layers.append(TD(wrapped(width)))
    if after:
        layers += [sc.ReLU(), sc.Dense(3)]
    model = sc.Sequential([sc.Input((T, *step)), *layers])
    ours, keras = _symcnn_and_keras(model, steps, (batch,))
    assert ours == keras


def test_the_first_example_is_counted_as_keras_counts_it():
    """``TimeDistributed(Dense(3))`` after a ``Dense(6)`` on ``(T, 6)`` was a CostError."""
    model = sc.Sequential([sc.Input((T, 6)), sc.Dense(6), TD(sc.Dense(3))])
    assert model.training_memory(batch=B).activations == 48 * B * T  # 24*T each: x, Dense's
    for steps in (1, 4):
        ours, keras = _symcnn_and_keras(model, steps, (1, 2, 3))
        assert ours == keras


def test_embeddings_of_every_step_keep_their_ids():
    model = sc.Sequential([sc.Input((T, 5)), TD(sc.Embedding(10, 3)), TD(sc.LSTM(2))])
    for steps in (1, 3):
        ours, keras = _symcnn_and_keras(model, steps, (1, 2), ids=10)
        assert ours == keras


@pytest.mark.parametrize("steps", [1, 3])
@pytest.mark.parametrize("case", ["Bidirectional", "TimeDistributed"])
def test_wrappers_in_it_keep_what_keras_keeps(case, steps):
    """Built in Keras and read with ``from_keras`` (``to_keras`` does not write a wrapper
    inside TimeDistributed); the nested steps view the ReLU's output, kept once."""
    keras = require("keras")
    if os.environ.get("KERAS_BACKEND") != "torch":
        pytest.skip("needs KERAS_BACKEND=torch")
    L = keras.layers
    if case == "Bidirectional":  # after a Dense: see RECURRENT
        before, wrapped = [L.Dense(4)], L.Bidirectional(L.LSTM(2))
    else:
        before, wrapped = [L.Dense(4), L.ReLU()], L.TimeDistributed(L.Dense(3))
    theirs = keras.Sequential([keras.Input((steps, 3, 4)), *before, L.TimeDistributed(wrapped)])
    closed = sc.from_keras(theirs).training_memory(batch=B).activations
    batches = (1, 2, 3)
    assert [closed.subs(B, b) for b in batches] == _keras(theirs, (steps, 3, 4), batches)


#: wrapped layers whose statement differs from Keras' own layer: (step shape, the layers
#: before it, the layer)
DIFFERING = {
    "Conv2D (Keras keeps a copy of its kernel)": ((5, 5, 2), (), lambda: sc.Conv2D(3, 3)),
    "Conv2D same, strides 2": ((5, 5, 2), (), lambda: sc.Conv2D(2, 3, strides=2,
                                                                  padding="same")),
    "BatchNormalization (Keras' own)": ((4,), (), lambda: sc.BatchNormalization()),
    "GRU (PyTorch's nn.GRU)": ((3, 4), (), lambda: sc.GRU(2)),
    "SimpleRNN (PyTorch's nn.RNN)": ((3, 4), (), lambda: sc.SimpleRNN(2)),
    "Conv3D (Keras keeps a copy of its kernel)": ((2, 3, 3, 2), (), lambda: sc.Conv3D(2, 1)),
    "MaxPooling2D same": ((5, 5, 2), (), lambda: sc.MaxPooling2D(2, padding="same")),
    "AveragePooling1D after a ReLU": ((3, 2), (sc.ReLU,), lambda: sc.AveragePooling1D(2)),
    "Conv1D after a ReLU": ((3, 2), (sc.ReLU,), lambda: sc.Conv1D(2, 2)),
}


@pytest.mark.parametrize("case", sorted(DIFFERING))
def test_a_layer_counted_otherwise_than_keras_differs_once_per_step(case):
    """Where symcnn's figure for the layer alone is not Keras' own (docs/training-memory.md),
    TimeDistributed's differs from Keras by that difference once per step: the statement
    carried over adds no difference of its own."""
    step, before, layer = DIFFERING[case]
    alone = sc.Sequential([sc.Input(step), sc.Dense(step[-1]), *(b() for b in before), layer()])
    wrapped = sc.Sequential([sc.Input((T, *step)), sc.Dense(step[-1]), *(b() for b in before),
                             TD(layer())])
    batches = (1, 2)
    ours_alone, keras_alone = _symcnn_and_keras(alone, 1, batches)
    assert ours_alone != keras_alone
    for steps in (1, 3):
        ours, keras = _symcnn_and_keras(wrapped, steps, batches)
        assert [k - o for k, o in zip(keras, ours)] == \
            [steps * (k - o) for k, o in zip(keras_alone, ours_alone)]


def test_a_dense_on_steps_of_two_axes_is_refused_as_keras_copies_them_from_batch_2():
    """Keras folds each step ``x[:, t]`` of ``(B, T, S, F)`` (a view whose batch axis is
    ``T*S*F`` apart) to ``(B*S, F)``: a view at batch 1, a copy from batch 2 on, which the Dense
    keeps besides the ReLU's output. The wrapped Dense's statement sees neither the batch nor
    the input's layout, so the figure is refused by name; with one step it is the fold of the
    whole input, and with steps of one row a view, both counted exactly."""
    def model(steps):
        return sc.Sequential([sc.Input((steps, 3, 4)), sc.Dense(4), sc.ReLU(),
                              TD(sc.Dense(2), name="td")])

    with pytest.raises(sc.CostError, match=r"TimeDistributed layer 'td': .* wrapped Dense on "
                                           r"steps of shape \(3, 4\): it keeps its input "
                                           r"folded to a matrix"):
        model(T).training_memory()
    with pytest.raises(sc.CostError, match="wrapped Dense on steps of shape"):
        model(3).training_memory(batch=1)
    ours, keras = _symcnn_and_keras(model(1), 1, (1, 2, 3))
    assert ours == keras
    kept = _keras(model(3).to_keras(), (3, 3, 4), (1, 2))
    assert kept[1] - 2 * kept[0] == 2 * 3 * 3 * 4 * 4  # B*T*S*F floats: the copies
    single = sc.Sequential([sc.Input((T, 1, 4)), sc.Dense(4), sc.ReLU(), TD(sc.Dense(2))])
    ours, keras = _symcnn_and_keras(single, 3, (1, 2, 3))  # steps of one row fold to a view
    assert ours == keras


def test_a_wrapped_layer_without_one_statement_is_refused_by_name():
    model = sc.Sequential([sc.Input((T, 4)), sc.Dense(4),
                           TD(sc.Repeat(sc.Dense(4), 2), name="td")])
    with pytest.raises(sc.CostError, match=r"TimeDistributed layer 'td': .* wrapped Repeat "
                                           r"on steps of shape \(4,\): it runs a model"):
        model.training_memory()


def test_to_torch_refuses_it_so_the_figure_is_keras_own():
    model = sc.Sequential([sc.Input((4, 6)), sc.Dense(6), TD(sc.Dense(3))])
    with pytest.raises(sc.ConversionError, match="no PyTorch equivalent for TimeDistributed"):
        model.to_torch()
