"""Embedding, ClassToken and PositionEmbedding: Keras' and PyTorch's counts, no MACs."""

import pytest
import sympy
from hypothesis import given, settings, strategies as st

import symcnn as sc

from ..conftest import require
from ..support.flops import torch_macs


def test_embedding_adds_an_axis_of_output_dim_and_counts_the_table():
    T, V, d = sc.symbols("T V d")
    m = sc.Sequential([sc.Input((T,)), sc.Embedding(V, d)])
    assert (m.output_shape, m.params, m.macs) == ((T, d), V * d, 0)


def test_vit_tokens_and_positions():
    N, d = sc.symbols("N d")
    x = sc.Input((N, d))
    y = sc.PositionEmbedding()(sc.ClassToken()(x))
    m = sc.Model(x, y)
    assert (m.output_shape, m.params, m.macs) == ((N + 1, d), N * d + 2 * d, 0)


@pytest.mark.parametrize("build, message", [
    (lambda: sc.Embedding(0, 4), "Embedding: `input_dim`.*input_dim=0"),
    (lambda: sc.Embedding(10, "x y"), "Embedding: `output_dim`"),
    (lambda: sc.Embedding(10, 4, mask_zero=1), "Embedding: `mask_zero`.*mask_zero=1"),
])
def test_bad_arguments_name_the_layer_the_argument_and_the_value(build, message):
    with pytest.raises(sc.LayerArgumentError, match=message):
        build()


def test_tokens_need_a_sequence_of_vectors():
    with pytest.raises(sc.ShapeError, match="ClassToken layer.*rank 2"):
        sc.ClassToken()(sc.Input((4, 4, 3)))


@pytest.mark.frameworks
@settings(max_examples=15, deadline=None)
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=3), vocab=st.integers(1, 50),
       dim=st.integers(1, 8))
def test_embedding_agrees_with_keras_and_torch(shape, vocab, dim):
    keras, torch = require("keras"), require("torch")
    theirs = keras.layers.Embedding(vocab, dim)
    ids = torch.zeros((1, *shape), dtype=torch.long)
    real = tuple(theirs(ids).shape[1:])
    model = sc.Sequential([sc.Input(tuple(shape)), sc.Embedding(vocab, dim)])
    assert model.output_shape == real
    assert model.params == theirs.count_params()
    ref = torch.nn.Embedding(vocab, dim)
    assert model.params == sum(p.numel() for p in ref.parameters())
    assert model.macs == torch_macs(ref, ids)


def test_every_new_layer_derives_its_counts_and_the_working_evaluates_to_the_value():
    T = sc.symbols("T")
    x = sc.Input((T,))
    y = sc.Embedding(1000, 32)(x)
    y = sc.MultiHeadAttention(4, 8, value_dim=3, output_shape=(2, 5), use_gate=True)(y, y)
    y = sc.Reshape((T, 10))(y)
    y = sc.PositionEmbedding()(sc.ClassToken()(y))
    y = sc.Bidirectional(sc.LSTM(16, return_sequences=True), merge_mode="ave")(y)
    y = sc.SimpleRNN(4, return_sequences=True, use_bias=False)(y)
    y = sc.GRU(8, reset_after=False)(y)
    y = sc.LayerScale()(sc.Normalization()(sc.Rescaling(0.5)(y)))
    model = sc.Model(x, sc.Elementwise("add", 3.0)(y))
    for record in model.layers[1:]:
        derivation = record.derivation
        assert derivation["params"].working.doit() == record.params, record.name
        assert not any("no formula" in note.lower() for note in derivation.notes), record.name
        for step in derivation:
            assert sympy.expand(step.working.doit() - step.value) == 0, (record.name, step.key)
