"""Model files keep an attention layer's note of a masked call (``masked:``), so that a model
read back is refused by the exports as the model written was; a mask must be a tensor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import symcnn as sc

SCHEMA = json.loads((Path(sc.__file__).parent / "schemas" / "model.schema.json").read_text())


def _masked_models():
    q, v = sc.Input((5, 8)), sc.Input((7, 8))
    yield "Attention", sc.Model([q, v], sc.Attention()([q, v], use_causal_mask=True))
    yield "AdditiveAttention", sc.Model([q, v], sc.AdditiveAttention()([q, v], mask=[v, None]))
    yield "MultiHeadAttention", sc.Model([q, v], sc.MultiHeadAttention(2, 4)(
        q, v, use_causal_mask=True))
    yield "GroupedQueryAttention", sc.Model([q, v], sc.GroupedQueryAttention(
        4, 4, 2)(q, v, attention_mask=q))


@pytest.mark.parametrize("kind, model", list(_masked_models()))
def test_a_masked_call_is_written_and_read_back_so_the_exports_still_refuse_it(kind, model):
    """``model_to_spec`` wrote ``{Attention: {}}``: the model read back exported to Keras as
    an attention over every position."""
    written = model.layers[-1].layer.masked_call
    doc = json.loads(json.dumps(sc.model_to_spec(model)))
    assert doc["layers"][-1]["masked"] == written
    again = sc.model_from_spec(doc)
    assert again.layers[-1].layer.masked_call == written
    assert (again.params, again.output_shape) == (model.params, model.output_shape)
    with pytest.raises(sc.ConversionError, match="called with"):
        again.to_keras()
    jsonschema = pytest.importorskip("jsonschema")
    assert list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(doc)) == []


def test_an_unmasked_call_writes_no_note():
    q, v = sc.Input((5, 8)), sc.Input((7, 8))
    doc = sc.model_to_spec(sc.Model([q, v], sc.Attention()([q, v])))
    assert "masked" not in doc["layers"][-1]


@pytest.mark.parametrize("entry, message", [
    ({"Attention": {}, "inputs": ["q", "v"], "masked": "os.system('x')"},
     "`masked` names the masks of the call"),
    ({"Attention": {}, "inputs": ["q", "v"], "masked": 3}, "`masked` names the masks"),
    ({"Dense": {"units": 3}, "inputs": "q", "masked": "use_causal_mask=True"},
     "`masked` belongs to the attention layers"),
])
def test_a_masked_note_of_another_form_or_on_another_layer_is_refused(entry, message):
    doc = {"inputs": {"q": [5, 8], "v": [7, 8]}, "layers": [entry]}
    with pytest.raises(sc.SpecError, match=message):
        sc.model_from_spec(doc)
    jsonschema = pytest.importorskip("jsonschema")
    if isinstance(entry["masked"], int) or "(" in entry["masked"]:
        assert list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(doc))


@pytest.mark.parametrize("call", [
    lambda layer, q, v: layer([q, v], mask="x"),
    lambda layer, q, v: layer([q, v], mask=[3, None]),
    lambda layer, q, v: layer([q, v], use_causal_mask="yes"),
])
def test_a_mask_that_is_no_tensor_is_refused_naming_the_argument(call):
    """``Attention()([q, v], mask="x")`` was recorded as a masked call."""
    q, v = sc.Input((5, 8)), sc.Input((7, 8))
    layer = sc.Attention()
    with pytest.raises(sc.LayerArgumentError, match=r"Attention layer: `(mask|use_causal_mask)`"):
        call(layer, q, v)
    assert layer.masked_call is None


def test_multi_head_attention_checks_its_masks_alike():
    q, v = sc.Input((5, 8)), sc.Input((7, 8))
    with pytest.raises(sc.LayerArgumentError, match="`attention_mask` must be a mask tensor"):
        sc.MultiHeadAttention(2, 4)(q, v, attention_mask=3)
    mha = sc.MultiHeadAttention(2, 4)
    mha(q, v, attention_mask=q, use_causal_mask=True)
    assert mha.masked_call == "attention_mask=<tensor>, use_causal_mask=True"
