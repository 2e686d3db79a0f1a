"""Model files keep ``Model(..., input_format=...)``: written at the model's top level where
the model states it (never otherwise), read back into the model, also in a nested model
document, and described by the JSON schema. (That the model read back exports the same
PyTorch function: tests/interop/test_torch_input_format.py.)"""

import json
from pathlib import Path

import pytest

import symcnn as sc

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "symcnn" / "schemas" / "model.schema.json").read_text())


def stated(fmt="channels_first", name="stated"):
    x = sc.Input(("C", "H", "W"))
    y = sc.Concatenate(axis=1)([x, sc.Activation("exponential")(x)])
    return sc.Model(x, y, name=name, input_format=fmt)


def test_a_stated_layout_is_written_at_the_top_level_before_the_inputs():
    spec = sc.model_to_spec(stated())
    assert spec["input_format"] == "channels_first"
    keys = list(spec)
    assert keys.index("name") < keys.index("input_format") < keys.index("inputs")


def test_a_model_that_states_no_layout_writes_none():
    assert "input_format" not in sc.model_to_spec(sc.zoo.textbook.free_width())


@pytest.mark.parametrize("fmt", ["channels_first", "channels_last"])
def test_a_model_file_reads_the_stated_layout_back(fmt):
    read = sc.model_from_spec(json.loads(json.dumps(sc.model_to_spec(stated(fmt)))))
    assert read.input_format == fmt
    assert read.subs(C=3).input_format == fmt
    assert sc.model_to_spec(read) == sc.model_to_spec(stated(fmt))


def test_a_sequential_document_states_it_too():
    read = sc.model_from_spec({"input_format": "channels_first", "symbols": "H",
                               "input": [3, "H"], "layers": ["Flatten"]})
    assert type(read).__name__ == "Sequential" and read.input_format == "channels_first"
    assert sc.model_from_spec({"input": [3], "layers": ["ReLU"]}).input_format is None


def test_a_nested_model_keeps_its_own_statement():
    inner = stated()
    outer = sc.Sequential([sc.Input(("C", "H", "W")), inner, sc.Activation("relu")])
    spec = sc.model_to_spec(outer)
    assert "input_format" not in spec
    assert spec["layers"][0]["Functional"]["input_format"] == "channels_first"
    read = sc.model_from_spec(spec)
    assert read.input_format is None
    assert read.layers[0].layer.input_format == "channels_first"


@pytest.mark.parametrize("value", ["NCHW", "channels-first", None, 1, ["channels_first"]])
def test_an_unknown_layout_in_a_model_file_is_refused_naming_it(value):
    doc = {"input": [3], "layers": ["ReLU"], "input_format": value}
    with pytest.raises(sc.SpecError, match=r"^model file: `input_format` is channels_first .*"
                                           r"Received: input_format="):
        sc.model_from_spec(doc)


def test_an_unknown_layout_in_a_nested_document_names_its_place():
    doc = {"input": [3], "layers": [{"Sequential": {"input": [3], "layers": ["ReLU"],
                                                    "input_format": "NHWC"}}]}
    with pytest.raises(sc.SpecError, match=r"layers\[0\].*`input_format`.*'NHWC'"):
        sc.model_from_spec(doc)


def test_the_schema_describes_the_key():
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(sc.model_to_spec(stated()), SCHEMA)
    nested = sc.Sequential([sc.Input(("C", "H", "W")), stated()])
    jsonschema.validate(sc.model_to_spec(nested), SCHEMA)
    for bad in ("NCHW", None):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({"input": [3], "layers": ["ReLU"], "input_format": bad}, SCHEMA)


def test_a_model_file_on_disk_keeps_it(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps(sc.model_to_spec(stated())))
    assert sc.load_spec(path).input_format == "channels_first"
