"""from_keras reads sequence models: attention called with keywords, wrapped recurrent layers,
returned states, embeddings; counts and shapes as Keras."""

import math

import pytest

import symcnn as sc

from ..conftest import require

pytestmark = pytest.mark.frameworks


def test_attention_recurrent_and_embedding_layers_import_with_keras_counts_and_shapes():
    keras = require("keras")
    ids, k = keras.Input((10,)), keras.Input((12, 8))
    x = keras.layers.Embedding(50, 16)(ids)
    y = keras.layers.MultiHeadAttention(2, 4)(x, x)
    z = keras.layers.MultiHeadAttention(2, 4, value_dim=3)(x, k, key=k)
    w = keras.layers.MultiHeadAttention(3, 2, output_shape=5)(query=x, value=k)
    b = keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True),
                                   merge_mode="sum")(keras.layers.Add()([x, y, z]))
    g = keras.layers.Bidirectional(keras.layers.GRU(2), backward_layer=keras.layers.GRU(
        4, go_backwards=True))(w)
    o, h, c = keras.layers.LSTM(3, return_state=True)(b)
    outs = [o, h, c, g]
    theirs = keras.Model([ids, k], outs)
    ours = sc.from_keras(theirs)
    assert ours.params == theirs.count_params()
    assert ours.trainable_params == sum(math.prod(v.shape) for v in theirs.trainable_weights)
    import torch

    real = theirs([torch.zeros(1, 10, dtype=torch.long), torch.zeros(1, 12, 8)])
    # the forward pass, not Keras' declared shapes: Keras declares twice the forward width
    # for a concatenated Bidirectional with a backward layer of another width ((4,), not (6,))
    assert list(ours.output_shape) == [tuple(t.shape[1:]) for t in real]
    for layer in [l for l in theirs.layers if type(l).__name__ != "InputLayer"]:
        assert ours.get_layer(layer.name).params == layer.count_params(), layer.name


def test_a_symbolic_sequence_length_gives_closed_forms():
    keras = require("keras")
    x = keras.Input((None, 16))
    y = keras.layers.MultiHeadAttention(4, 4)(x, x)
    ours = sc.from_keras(keras.Model(x, keras.layers.LSTM(8)(y)))
    L = sc.symbols("L")
    assert ours.macs == 2 * L**2 * 16 + 4 * L * 16**2 + L * 4 * 8 * (16 + 8)
