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


def test_masks_from_mask_zero_and_masking_are_left_out_and_the_layers_counted():
    """``Embedding(mask_zero=True)`` and ``Masking`` hand a mask to the next layers through
    operations (``NotEqual``, ``Any``) that Keras records in the config: they change no shape
    and have no weights, so they are left out (they aborted the import)."""
    keras = require("keras")
    import torch

    ids = keras.Input((None,))
    x = keras.layers.Embedding(1000, 16, mask_zero=True)(ids)
    y = keras.layers.Bidirectional(keras.layers.GRU(4, return_sequences=True))(x)
    z = keras.layers.LSTM(8)(y)
    pooled = keras.layers.GlobalAveragePooling1D()(x)
    embedded = keras.Model(ids, [z, pooled])
    steps = keras.Input((None, 3))
    masked = keras.Model(steps, keras.layers.SimpleRNN(5)(keras.layers.Masking()(steps)))
    for theirs, given, inputs in [(embedded, ("T",), torch.ones(2, 7, dtype=torch.long)),
                                  (masked, ("T", 3), torch.ones(2, 7, 3))]:
        ours = sc.from_keras(theirs, input_shape=given)
        assert ours.params == theirs.count_params()
        assert all(r.type not in ("NotEqual", "Any") for r in ours.layers)
        real = theirs(inputs)
        real = real if isinstance(real, (list, tuple)) else [real]
        shapes = ours.output_shape if isinstance(ours.output_shape, list) else \
            [ours.output_shape]
        assert [tuple(s) for s in shapes] == [tuple(t.shape[1:]) for t in real]
