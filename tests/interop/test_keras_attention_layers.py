"""from_keras reads Keras 3's ``Attention``, ``AdditiveAttention``, ``Dot`` and
``GroupQueryAttention`` (live models, their JSON configs and ``.keras`` files; calls on a
list, calls with tensors as arguments, masks), to_keras writes them back and model files
keep them: counts, shapes and MACs as Keras', the same values on the same weights."""

from __future__ import annotations

import json

import numpy as np
import pytest

import symcnn as sc

from ..conftest import require

pytestmark = pytest.mark.frameworks


def _keras_model(keras, t=5, s=7):
    """A model calling each layer: cross-attention on a query of ``t`` positions and a
    memory of ``s`` (value and key of their own widths), as Keras' own examples call them."""
    q, v, k = keras.Input((t, 16), name="q"), keras.Input((s, 12), name="v"), \
        keras.Input((s, 16), name="k")
    L = keras.layers
    outs = [L.Attention(name="luong")([q, v, k]),
            L.Attention(use_scale=True, score_mode="concat", name="concat")([q, k]),
            L.AdditiveAttention(name="bahdanau")([q, v, k]),
            L.Dot(axes=(2, 2), name="scores")([q, k]),
            L.Dot(axes=-1, normalize=True, name="cosine")([q, q]),
            L.GroupQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2,
                                  name="gqa")(q, k, v)]
    return keras.Model([q, v, k], outs)


def _check_against(ours, theirs):
    assert ours.params == theirs.count_params()
    assert ours.output_shape == [tuple(o.shape[1:]) for o in theirs.outputs]
    for layer in theirs.layers:
        if layer.weights:
            assert ours.get_layer(layer.name).params == layer.count_params()


@pytest.mark.parametrize("source", ["live", "json", "file"])
def test_each_layer_imports_with_kerass_counts_and_shapes(source, tmp_path):
    keras = require("keras")
    theirs = _keras_model(keras)
    given = {"live": theirs, "json": theirs.to_json()}.get(source)
    if source == "file":
        given = str(tmp_path / "attention.keras")
        theirs.save(given)
    ours = sc.from_keras(given)
    _check_against(ours, theirs)
    kinds = {r.name: r.type for r in ours.layers}
    assert kinds["gqa"] == "GroupedQueryAttention" and kinds["bahdanau"] == "AdditiveAttention"


def test_symbolic_lengths_give_closed_forms_that_hold_at_every_length():
    keras = require("keras")
    T, S = sc.symbols("T S")
    theirs = _keras_model(keras)
    ours = sc.from_keras(theirs, input_shape=[(T, 16), (S, 12), (S, 16)])
    assert ours.output_shape[3] == (T, S)  # the Dot of query and key
    for t, s in ((1, 2), (3, 9), (8, 4)):
        sized = _keras_model(keras, t, s)
        assert sc.from_keras(sized).macs == ours.macs.subs({T: t, S: s})
        assert ours.subs(T=t, S=s).output_shape == [tuple(o.shape[1:]) for o in sized.outputs]


@pytest.mark.parametrize("layer", ["luong", "gqa"])
def test_masks_of_a_call_are_noted_and_the_exports_refuse_the_layer(layer):
    keras = require("keras")
    q, v = keras.Input((5, 16)), keras.Input((7, 16))
    valid = keras.Input((7,), dtype="bool")
    if layer == "luong":
        out = keras.layers.Attention(name=layer)([q, v], mask=[None, valid])
        shown = "mask=<tensor>"
    else:
        out = keras.layers.GroupQueryAttention(4, 4, 2, name=layer)(q, v,
                                                                     use_causal_mask=True)
        shown = "use_causal_mask=True"
    theirs = keras.Model([q, v, valid], out)
    ours = sc.from_keras(theirs)
    assert ours.params == theirs.count_params()
    assert ours.get_layer(layer).layer.masked_call == shown
    with pytest.raises(sc.ConversionError, match=rf"layer '{layer}' .*called with {shown}: "
                                                 rf"masks change no shape"):
        ours.to_keras()


def test_returned_attention_scores_used_downstream_are_refused_by_name():
    keras = require("keras")
    q, v = keras.Input((5, 16)), keras.Input((7, 16))
    out, scores = keras.layers.Attention(name="luong")([q, v], return_attention_scores=True)
    with pytest.raises(sc.ConversionError, match=r"uses output 1 of layer 'luong', but symcnn's "
                                                 r"Attention gives 1 output"):
        sc.from_keras(keras.Model([q, v], [out, scores]))


def test_exported_to_keras_they_are_kerass_layers_with_the_same_values():
    keras = require("keras")
    theirs = _keras_model(keras)
    again = sc.from_keras(theirs).to_keras()
    assert [type(layer).__name__ for layer in again.layers[3:]] == [
        "Attention", "Attention", "AdditiveAttention", "Dot", "Dot", "GroupedQueryAttention"]
    assert again.get_layer("scores").axes == (2, 2)
    assert again.get_layer("concat").score_mode == "concat"
    _check_against(sc.from_keras(again), theirs)
    again.set_weights(theirs.get_weights())
    rng = np.random.default_rng(0)
    data = [rng.normal(size=(2, *i.shape[1:])).astype("float32") for i in theirs.inputs]
    for mine, real in zip(again.predict(data, verbose=0), theirs.predict(data, verbose=0)):
        np.testing.assert_allclose(mine, real, rtol=1e-5, atol=1e-6)


def test_model_files_keep_them_with_symbolic_sizes():
    T, h = sc.symbols("T h")
    q, v = sc.Input((T, 32), name="q"), sc.Input(("S", 32), name="v")
    outs = [sc.Attention(use_scale=True, dropout=0.1)([q, v]),
            sc.AdditiveAttention(use_scale=False)([q, v, v]),
            sc.Dot(axes=(2, 2))([q, v]),
            sc.GroupQueryAttention(head_dim=8, num_query_heads=2 * h, num_key_value_heads=h,
                                   use_gate=True)(q, v)]
    model = sc.Model([q, v], outs)
    spec = sc.model_to_spec(model)
    assert {"name": "grouped_query_attention", "GroupedQueryAttention": {
        "head_dim": 8, "num_query_heads": "2*h", "num_key_value_heads": "h",
        "use_gate": True}, "inputs": ["q", "v"]} in spec["layers"]
    back = sc.model_from_spec(json.loads(json.dumps(spec)))
    assert (back.params, back.output_shape, back.macs) == \
        (model.params, model.output_shape, model.macs)
    keras_named = json.loads(json.dumps(spec).replace('"GroupedQueryAttention"',
                                                      '"GroupQueryAttention"'))
    assert sc.model_from_spec(keras_named).params == model.params  # Keras' exported name


def test_a_typo_in_a_head_count_is_refused_in_a_model_file():
    doc = {"symbols": ["T", "h"], "input": ["T", 32], "layers": [
        {"GroupQueryAttention": {"head_dim": 8, "num_query_heads": "hh",
                                 "num_key_value_heads": "h"}}]}
    with pytest.raises(sc.SpecError, match=r"`num_query_heads`: expression: unknown name"):
        sc.model_from_spec(doc)
