"""sc.from_keras reads every call a Keras 3 model records as Keras runs it.

Pinned here, each against Keras 3 itself (``count_params``, output shapes, values) and
PyTorch's FlopCounterMode on the Keras model (MACs = FLOPs / 2, tests/support/flops.py):

- an output of a nested functional model called several times is the call Keras reads
  (``output_layers`` numbers its calls from 1);
- a nested model whose input has ``None`` sizes may be called at several sizes, with its
  weights counted once;
- one layer object in two models (an outer and a nested one) is refused by name, never
  counted twice; its JSON, which cannot tell it from two layers of one name, too;
- a call that passes its tensors as ``inputs=`` reads them;
- a ``keras.ops`` call with an array constant (``x + np.ones(4)``) is refused as such.

Found by a hunt that ran these models through Keras and symcnn side by side: the first
gave 32 MACs where Keras runs 48, the second a ShapeError, the third twice Keras' count,
the fourth "a malformed Keras config", the fifth "Add ... expects a list of 2 tensors".
"""

import json

import numpy as np
import pytest

import symcnn as sc

from ..conftest import require
from ..support.flops import torch_macs

pytestmark = pytest.mark.frameworks


def _inputs(k, batch=2, seed=0):
    import torch
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn((batch,) + tuple(t.shape[1:]), generator=gen) for t in k.inputs]


def _run(k, xs):
    out = k(xs if len(xs) > 1 else xs[0])
    return [np.asarray(o.detach()) for o in (out if isinstance(out, (list, tuple)) else [out])]


def _weighted_layers(k, prefix=""):
    """(name in ``to_keras``' export, layer) for Keras' layers with weights; the export
    names a nested model's layer ``<model>_<layer>``."""
    for layer in k.layers:
        if hasattr(layer, "layers"):
            yield from _weighted_layers(layer, f"{prefix}{layer.name}_")
        elif layer.get_weights():
            yield prefix + layer.name, layer


def assert_counts_like_keras(imported, k):
    """Parameters, output shapes and MACs of the import are Keras' (MACs as PyTorch counts
    the Keras model's own forward pass on the torch backend)."""
    xs = _inputs(k, batch=1)
    assert imported.params == k.count_params()
    shapes = imported.output_shape if isinstance(imported.output_shape, list) \
        else [imported.output_shape]
    assert shapes == [tuple(t.shape[1:]) for t in k.outputs]
    assert imported.macs == torch_macs(k, xs if len(xs) > 1 else xs[0], onednn=True)


def test_an_output_of_a_nested_functional_model_is_the_call_keras_reads():
    keras = require("keras")
    L = keras.layers
    i = keras.Input((4,))
    block = keras.Model(i, L.Dense(4, name="inner_dense")(i), name="block")
    x = keras.Input((4,), name="x")
    first = block(x)
    second = block(L.Dense(4, name="before")(x))
    only_outputs = keras.Model(x, [first, second], name="only_outputs")
    # one output from the first call, a later layer reading the second (and vice versa)
    mixed = keras.Model(x, [first, L.Dense(3, name="after_second")(second),
                            L.Dense(2, name="after_first")(first), second], name="mixed")
    for k in (only_outputs, mixed):
        for source in (k, k.to_json()):
            imported = sc.from_keras(source)
            assert_counts_like_keras(imported, k)
            exported = imported.to_keras()
            for name, layer in _weighted_layers(k):
                exported.get_layer(name).set_weights(layer.get_weights())
            xs = _inputs(k)
            want, got = _run(k, xs), _run(exported, xs)
            assert not np.allclose(want[0], want[-1])  # the two calls differ in Keras
            assert len(got) == len(want)
            assert all(np.allclose(g, w, atol=1e-5) for g, w in zip(got, want))


def test_a_nested_model_with_unknown_sizes_may_be_called_at_several_sizes():
    keras = require("keras")
    L = keras.layers
    i = keras.Input((None, None, 3))
    inner = keras.Model(i, L.Conv2D(4, 3, name="conv")(i), name="inner")
    a, b = keras.Input((8, 8, 3)), keras.Input((16, 16, 3))
    functional = keras.Model([a, b], [inner(a), inner(b)], name="two_sizes")
    j = keras.Input((None, 5))
    seq = keras.Sequential([j, L.Conv1D(6, 3, name="conv1d")], name="seq")
    c, d = keras.Input((10, 5)), keras.Input((7, 5))
    sequential = keras.Model([c, d], L.Concatenate(axis=1)([seq(c), seq(d)]), name="seq_sizes")
    for k in (functional, sequential):
        for source in (k, k.to_json()):
            imported = sc.from_keras(source)
            assert_counts_like_keras(imported, k)  # the nested weights counted once
            assert imported.constraints == []


def test_a_nested_model_with_a_fixed_size_is_still_refused_at_another():
    """Keras refuses the call too (it cannot be made on a live model: the config is
    edited), so the template rule must not make fixed sizes accept anything."""
    keras = require("keras")
    L = keras.layers
    i = keras.Input((8, 8, 3))
    inner = keras.Model(i, L.Conv2D(4, 3)(i), name="inner")
    a, b = keras.Input((8, 8, 3), name="a"), keras.Input((8, 8, 3), name="b")
    config = json.loads(keras.Model([a, b], [inner(a), inner(b)]).to_json())["config"]
    assert sc.from_keras({"class_name": "Functional", "config": config}).params == 112
    next(item for item in config["layers"] if item["name"] == "b")["config"][
        "batch_shape"] = [None, 16, 16, 3]
    with pytest.raises(sc.ShapeError, match="the tensor has 16 on axis 0"):
        sc.from_keras({"class_name": "Functional", "config": config})


def test_one_layer_in_an_outer_and_a_nested_model_is_refused_by_name():
    keras = require("keras")
    L = keras.layers
    conv = L.Conv2D(3, 3, padding="same", name="shared")
    i = keras.Input((8, 8, 3))
    inner = keras.Model(i, conv(i), name="inner")
    x = keras.Input((8, 8, 3))
    k = keras.Model(x, conv(inner(x)), name="outer")
    with pytest.raises(sc.ConversionError, match=r"layer 'shared' is one layer in two models: "
                                                 r"'outer', 'outer/inner'"):
        sc.from_keras(k)
    # the JSON writes it in both models, as two layers of one name (Keras' own
    # model_from_json counts it twice): refused too, never counted twice
    assert keras.models.model_from_json(k.to_json()).count_params() == 2 * k.count_params()
    with pytest.raises(sc.ConversionError, match=r"layer 'shared' is in model 'outer' and, "
                                                 r"with the same config, in its nested model "
                                                 r"'outer/inner'"):
        sc.from_keras(k.to_json())


def test_two_layers_of_one_name_in_an_outer_and_a_nested_model_are_two_layers():
    """Not the same layer object: the live model is read, and counted as Keras counts it."""
    keras = require("keras")
    L = keras.layers
    i = keras.Input((8, 8, 3))
    inner = keras.Model(i, L.Conv2D(3, 3, padding="same", name="twin")(i), name="inner")
    x = keras.Input((8, 8, 3))
    k = keras.Model(x, L.Conv2D(3, 3, padding="same", name="twin")(inner(x)), name="outer")
    assert_counts_like_keras(sc.from_keras(k), k)


def test_a_layer_shared_by_two_nested_models_is_refused_by_name():
    keras = require("keras")
    L = keras.layers
    dense = L.Dense(4, name="common")
    i, j = keras.Input((4,)), keras.Input((4,))
    first = keras.Model(i, dense(i), name="first")
    second = keras.Model(j, L.Dense(2)(dense(j)), name="second")
    x = keras.Input((4,))
    k = keras.Model(x, [first(x), second(x)], name="outer")
    with pytest.raises(sc.ConversionError, match=r"layer 'common' is one layer in two models"):
        sc.from_keras(k)


def test_tensors_given_as_inputs_keyword_are_read():
    keras = require("keras")
    L = keras.layers
    x = keras.Input((4,))
    one = keras.Model(x, L.Dense(3)(inputs=x))
    a, b = keras.Input((4,)), keras.Input((4,))
    merged = keras.Model([a, b], L.Dense(2)(L.Add()(inputs=[a, b])))
    c = keras.Input((4,))
    single = keras.Model(c, L.Dense(2)(L.Concatenate()(inputs=[c, L.Dense(3)(inputs=c)])))
    for k in (one, merged, single):
        for source in (k, k.to_json()):
            assert_counts_like_keras(sc.from_keras(source), k)


def test_a_keras_ops_call_with_an_array_constant_is_refused_as_such():
    keras = require("keras")
    L = keras.layers
    x = keras.Input((4,))
    k = keras.Model(x, L.Dense(2)(x + np.ones((4,), "float32")))
    assert k.count_params() == 10  # Keras runs it: the refusal is symcnn's
    for source in (k, k.to_json()):
        with pytest.raises(sc.ConversionError) as err:
            sc.from_keras(source)
        message = str(err.value)
        assert "a keras.ops call (Add) with a constant that is not a number" in message
        assert "__numpy__" in message and "at least 2 tensors" not in message


@pytest.mark.parametrize("op", [lambda ops, x: ops.mean(x, axis=1),
                                lambda ops, x: ops.transpose(x, (0, 2, 1))],
                         ids=["mean", "transpose"])
def test_a_keras_ops_call_without_an_equivalent_names_its_ops_module(op):
    keras = require("keras")
    L = keras.layers
    x = keras.Input((4, 5))
    k = keras.Model(x, L.Dense(2)(op(keras.ops, x)))
    with pytest.raises(sc.ConversionError) as err:
        sc.from_keras(k)
    message = str(err.value)
    assert "keras.src.ops" in message and "'keras.layers'" not in message


def test_token_ids_of_unknown_length_are_named_l_as_sequences_are():
    """``keras.Input((None,))`` feeding an ``Embedding``: its length became ``d1``; the
    docs name a sequence's unknown length ``L``. Keras' count and shape at several lengths."""
    keras = require("keras")
    x = keras.Input((None,))
    model = keras.Model(x, keras.layers.Embedding(100, 8)(x))
    imported = sc.from_keras(model)
    (length,) = imported.input_shape
    assert str(length) == "L" and imported.params == model.count_params()
    for n in (1, 5, 12):
        ids = keras.Input((n,))
        fixed = keras.Model(ids, model.layers[-1](ids))
        assert imported.subs(L=n).output_shape == tuple(fixed.output.shape[1:]) == (n, 8)
