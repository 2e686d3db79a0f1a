"""Declarative model files: what they build, what they refuse, and their round trip."""

from __future__ import annotations

import json
import pathlib

import pytest
import sympy
from .conftest import fuzz_examples
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc
from symcnn import spec as spec_module
from symcnn.zoo import textbook

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples" / "models").glob("*.*[nl]"))  # .json .yaml .yml
SCHEMA = json.loads((ROOT / "symcnn" / "schemas" / "model.schema.json").read_text())



def write(tmp_path, name: str, text: str) -> pathlib.Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def same_model(a, b) -> None:
    assert a.summary_text() == b.summary_text()
    assert a.params == b.params and a.trainable_params == b.trainable_params
    assert a.output_shape == b.output_shape and a.constraints == b.constraints


# -- what a model file builds -----------------------------------------------------------------

def test_free_width_model_file_is_the_worked_example(tmp_path):
    for suffix in ("yaml", "json"):
        model = sc.load_spec(ROOT / "examples" / "models" / f"free_width.{suffix}")
        same_model(model, textbook.free_width())
        assert model.params == 160 * sc.symbols("n") + 48320


def test_yaml_and_json_files_of_the_same_document_build_the_same_model(tmp_path):
    pytest.importorskip("yaml")
    doc = {"symbols": "H w", "input": ["H", "H", 3],
           "layers": [{"Conv2D": {"filters": "2*w + 1", "kernel_size": 3, "padding": "same"}},
                      {"MaxPooling2D": [2]}, "Flatten", {"Dense": 10}]}
    import yaml

    a = sc.load_spec(write(tmp_path, "m.json", json.dumps(doc)))
    b = sc.load_spec(write(tmp_path, "m.yml", yaml.safe_dump(doc)))
    same_model(a, b)


def test_expression_arguments_equal_the_same_model_built_in_python():
    H, w = sc.symbols("H w")
    from_file = sc.model_from_spec({
        "symbols": ["H", "w"], "input": ["2*H", "H + 1", 3],
        "layers": [{"Conv2D": {"filters": "2*w + 1", "kernel_size": [3, "1 + 1"],
                               "strides": "max(1, 2)", "padding": "same"}},
                   {"Dense": {"units": "w**2", "use_bias": False}}]})
    in_python = sc.Sequential([sc.Input((2 * H, H + 1, 3)),
                               sc.Conv2D(2 * w + 1, (3, 2), strides=2, padding="same"),
                               sc.Dense(w**2, use_bias=False)])
    same_model(from_file, in_python)


def test_argument_forms_mapping_list_scalar_and_bare_name_are_equivalent():
    forms = [{"MaxPooling2D": {"pool_size": 2, "strides": 1}}, {"MaxPooling2D": [2, 1]},
             {"MaxPooling2D": {"pool_size": 2, "strides": 1, "name": None}}]
    built = [sc.model_from_spec({"input": [8, 8, 3], "layers": [f]}) for f in forms]
    for model in built[1:]:
        same_model(built[0], model)
    bare = sc.model_from_spec({"input": [8, 8, 3], "layers": ["MaxPooling2D"]})
    scalar = sc.model_from_spec({"input": [8, 8, 3], "layers": [{"MaxPooling2D": 2}]})
    same_model(bare, scalar)


def test_functional_file_chains_unnamed_layers_and_wires_named_ones():
    model = sc.load_spec(ROOT / "examples" / "models" / "residual_block.yaml") \
        if _has_yaml() else None
    if model is None:
        pytest.skip("PyYAML is not installed")
    H, W, C, w = sc.symbols("H W C w")
    x = sc.Input((H, W, C), name="x")
    y = sc.Conv2D(w, 3, padding="same", use_bias=False)(x)
    y = sc.ReLU()(sc.BatchNormalization()(y))
    y = sc.Conv2D(C, 3, padding="same", use_bias=False)(y)
    y = sc.BatchNormalization(name="bn2")(y)
    z = sc.ReLU()(sc.Add(name="add")([x, y]))
    same_model(model, sc.Model(x, z, name="residual_block"))


def _has_yaml() -> bool:
    try:
        import yaml  # noqa: F401
    except ImportError:
        return False
    return True


def test_functional_file_with_two_inputs_and_two_outputs():
    model = sc.model_from_spec({
        "symbols": "n", "inputs": {"a": [16], "b": ["n"]},
        "layers": [{"name": "da", "Dense": 4, "inputs": "a"},
                   {"name": "db", "Dense": 4, "inputs": "b"},
                   {"name": "cat", "Concatenate": None, "inputs": ["da", "db"]}],
        "outputs": ["cat", "da"]})
    assert model.output_shape == [(8,), (4,)]
    assert model.params == (16 * 4 + 4) + (4 * sc.symbols("n") + 4)


# -- round trip: model -> file -> model -------------------------------------------------------

TEXTBOOK = [textbook.cifar, textbook.lenet_table, textbook.lenet_code, textbook.free_width,
            textbook.vgg_style, textbook.alexnet_two_tower_convs,
            lambda: textbook.cifar(("H", "W", 3)), lambda: textbook.vgg_style(("H", "H", 3))]


@pytest.mark.parametrize("build", TEXTBOOK)
def test_model_to_spec_round_trips_through_json(build):
    model = build()
    again = sc.model_from_spec(json.loads(json.dumps(sc.model_to_spec(model))))
    same_model(model, again)


def test_pytorch_named_models_round_trip_and_validate_against_the_schema():
    """A model of symcnn.nn layers (what from_torch gives) was written with torch type names
    that no model file could read back ("unknown layer type 'Linear'")."""
    jsonschema = pytest.importorskip("jsonschema")
    n = sc.symbols("n")
    model = sc.nn.Sequential(
        sc.nn.Conv2d(3, n, 3, padding=1), sc.nn.BatchNorm2d(n), sc.nn.ReLU(inplace=True),
        sc.nn.MaxPool2d(2), sc.nn.Flatten(), sc.nn.Linear(n * 16 * 16, 10),
        sc.nn.Softmax(dim=1), input_shape=(3, 32, 32))
    doc = json.loads(json.dumps(sc.model_to_spec(model)))
    assert [next(iter(e)) if isinstance(e, dict) else e for e in doc["layers"]][:3] == \
        ["nn.Conv2d", "nn.BatchNorm2d", "nn.ReLU"]
    jsonschema.validate(doc, SCHEMA)
    same_model(model, sc.model_from_spec(doc))
    # a hand-written file may name an unambiguous PyTorch type without nn.
    plain = sc.model_from_spec({"input": [4], "layers": [{"Linear": [4, 3]}, "nn.ReLU"]})
    assert plain.params == 15 and plain.layers[-1].layer.get_config() == {}


@pytest.mark.parametrize("name", ["lenet5", "swin_t"])
def test_zoo_models_with_their_own_layer_types_round_trip(name):
    build = getattr(sc.zoo, name)
    model = build() if name == "lenet5" else build(input_shape=(64, 64, 3))
    spec = sc.model_to_spec(model)
    same_model(model, sc.model_from_spec(json.loads(json.dumps(spec))))


def test_the_schema_allows_one_layer_type_per_entry():
    jsonschema = pytest.importorskip("jsonschema")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"input": [4], "layers": [{"Dense": 3, "ReLU": None}]}, SCHEMA)
    with pytest.raises(sc.SpecError, match="names exactly one layer type"):
        sc.model_from_spec({"input": [4], "layers": [{"Dense": 3, "ReLU": None}]})


@pytest.mark.parametrize("name", ["resnet18", "vgg11_bn", "mobilenet_v2", "alexnet"])
def test_zoo_models_round_trip_through_json(name):
    build = getattr(sc.zoo, name, None)
    if build is None:
        pytest.skip(f"sc.zoo.{name} is not in this version")
    model = build()
    spec = sc.model_to_spec(model)  # every zoo model: tests/test_spec_nested.py
    same_model(model, sc.model_from_spec(json.loads(json.dumps(spec))))


sizes = st.one_of(st.integers(1, 9), st.sampled_from(["k", "k + 1", "2*k", "k**2"]))


@st.composite
def sequential_docs(draw):
    layers = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["conv", "pool", "bn", "dense", "relu", "pad"]))
        if kind == "conv":
            layers.append({"Conv2D": {"filters": draw(sizes), "kernel_size": draw(st.integers(1, 3)),
                                      "strides": draw(st.integers(1, 2)),
                                      "padding": draw(st.sampled_from(["same", "valid", 1])),
                                      "use_bias": draw(st.booleans())}})
        elif kind == "pool":
            layers.append({"MaxPooling2D": {"pool_size": draw(st.integers(1, 2)),
                                            "padding": draw(st.sampled_from(["same", "valid"]))}})
        elif kind == "bn":
            layers.append("BatchNormalization")
        elif kind == "dense":
            layers.append({"Dense": {"units": draw(sizes)}})
        elif kind == "pad":
            layers.append({"ZeroPadding2D": draw(st.integers(0, 2))})
        else:
            layers.append("ReLU")
    return {"symbols": ["H", "k"], "input": ["H + 8", draw(st.sampled_from([9, 16, "H + 8"])),
                                              draw(sizes)], "layers": layers}


@settings(max_examples=40, deadline=None)
@given(sequential_docs())
def test_any_sequential_file_round_trips_and_keeps_its_counts(doc):
    model = sc.model_from_spec(doc)
    again = sc.model_from_spec(json.loads(json.dumps(sc.model_to_spec(model))))
    same_model(model, again)


def test_model_to_spec_refuses_shared_layers_plainly():
    x = sc.Input((4,))
    dense = sc.Dense(4)
    model = sc.Model(x, dense(dense(x)))
    with pytest.raises(sc.SpecError, match="shared layers"):
        sc.model_to_spec(model)


def test_a_layer_with_several_outputs_round_trips_when_the_model_outputs_them_all():
    """``LSTM(return_state=True)`` as the model's outputs is ``outputs: lstm`` (the export
    raised a bare KeyError on any layer with several outputs)."""
    x = sc.Input(("T", 3))
    model = sc.Model(x, sc.LSTM(2, return_state=True)(sc.Dense(5)(x)))
    back = sc.model_from_spec(json.loads(json.dumps(sc.model_to_spec(model))))
    assert back.output_shape == model.output_shape == [(2,), (2,), (2,)]
    assert back.params == model.params
    listed = sc.Model(x, [sc.Dense(3)(x)])  # a list of one output stays a list
    again = sc.model_from_spec(sc.model_to_spec(listed)).output_shape
    assert isinstance(again, list) and again == listed.output_shape


@pytest.mark.parametrize("pick", ["one output", "a reader of one output"])
def test_one_of_several_outputs_is_refused_with_a_spec_error_naming_it(pick):
    x = sc.Input((4, 3))
    output, h, _ = sc.LSTM(2, return_state=True)(x)
    model = sc.Model(x, h if pick == "one output" else sc.Dense(3)(h))
    with pytest.raises(sc.SpecError, match=r"output 1 of the 3 of layer 'lstm'.*"
                                           r"Received: lstm\[1\]"):
        sc.model_to_spec(model)


def lstm_with_states():
    """``x`` and the three outputs of ``LSTM(4, return_state=True)`` named ``l``."""
    x = sc.Input(("T", 16), name="x")
    return x, sc.LSTM(4, return_state=True, name="l")(x)


LSTM_ENTRY = {"name": "l", "LSTM": {"units": 4, "return_state": True}}


@pytest.mark.parametrize("inputs", ["l", ["l"], None])
def test_a_name_of_a_layer_with_several_outputs_gives_a_layer_its_outputs_as_python_does(inputs):
    """``inputs: l`` (or ``[l]``, or the previous entry) passes the LSTM's three outputs, as
    ``Concatenate()(lstm(x))`` does in Python (``[l]`` crashed the reader with an
    AttributeError)."""
    x, outputs = lstm_with_states()
    python = sc.Model(x, sc.Concatenate(name="c")(outputs))
    entry = {"name": "c", "Concatenate": {}}
    if inputs is not None:
        entry["inputs"] = inputs
    doc = {"symbols": "T", "inputs": {"x": ["T", 16]}, "layers": [LSTM_ENTRY, entry]}
    same_model(sc.model_from_spec(doc), python)


@pytest.mark.parametrize("outputs", ["l", ["l"], None])
def test_outputs_naming_a_layer_with_several_outputs_are_its_outputs(outputs):
    """``outputs: [l]`` was refused with a GraphError showing a list inside a list."""
    x, lstm_outputs = lstm_with_states()
    python = sc.Model(x, lstm_outputs)
    doc = {"symbols": "T", "inputs": {"x": ["T", 16]}, "layers": [LSTM_ENTRY]}
    if outputs is not None:
        doc["outputs"] = outputs
    same_model(sc.model_from_spec(doc), python)


@pytest.mark.parametrize("key, entry_path", [("inputs", "layers[2] (Concatenate)"),
                                              ("outputs", "outputs")])
def test_a_layer_with_several_outputs_beside_other_tensors_is_refused_naming_where(
        key, entry_path):
    """Python refuses a list inside a layer's list of inputs; a file says which entry."""
    x, outputs = lstm_with_states()
    with pytest.raises(sc.SymcnnError, match="must be called on a tensor"):
        sc.Concatenate()([outputs, sc.Flatten()(x)])
    doc = {"symbols": "T", "inputs": {"x": ["T", 16]},
           "layers": [LSTM_ENTRY, {"name": "f", "Flatten": {}, "inputs": "x"}]}
    if key == "inputs":
        doc["layers"].append({"Concatenate": {}, "inputs": ["l", "f"]})
    else:
        doc["outputs"] = ["l", "f"]
    with pytest.raises(sc.SpecError) as info:
        sc.model_from_spec(doc)
    assert str(info.value) == (
        f"model file: {entry_path}: `{key}` names 'l', a layer with 3 outputs (a list), "
        f"beside other tensors; a model file names such a layer's outputs all together and alone ({key}: "
        f"l), as Python passes them (a list of tensors, not a list holding a list). "
        f"Received: {key}=['l', 'f']")


def test_a_functional_entry_that_does_not_fit_its_inputs_names_the_entry():
    """A layer's own complaint about its inputs is prefixed with the entry's path (it named
    no entry: ``Dense layer: expects 1 input tensor(s)``)."""
    x, outputs = lstm_with_states()
    with pytest.raises(sc.ShapeError) as python:
        sc.Dense(3)(outputs)
    doc = {"symbols": "T", "inputs": {"x": ["T", 16]}, "layers": [LSTM_ENTRY, {"Dense": 3}]}
    with pytest.raises(sc.ShapeError) as info:
        sc.model_from_spec(doc)
    assert str(info.value) == f"model file: layers[1] (Dense): {python.value}"


def test_a_layer_reading_all_outputs_of_another_round_trips():
    """``Concatenate()(lstm(x))`` is written chained after ``l`` or with ``inputs: l``, and
    read back as that list; ``model_to_spec`` refused it ("reads output 0 of the 3")."""
    x, outputs = lstm_with_states()
    chained = sc.Model(x, sc.Concatenate(name="c")(outputs))
    flat = sc.Flatten(name="f")(x)
    apart = sc.Model(x, [sc.Concatenate(name="c")(outputs), flat])
    inner_x = sc.Input((8,), name="i")
    two = sc.Model(inner_x, [sc.Dense(3, name="a")(inner_x), sc.Dense(3, name="b")(inner_x)],
                   name="two")
    y = sc.Input((8,), name="y")
    nested = sc.Model(y, sc.Add(name="add")(two(y)))
    for model in (chained, apart, nested):
        doc = sc.model_to_spec(model)
        same_model(sc.model_from_spec(json.loads(json.dumps(doc))), model)
    assert sc.model_to_spec(chained)["layers"][1] == {"name": "c", "Concatenate": {}}
    assert sc.model_to_spec(apart)["layers"][2] == {"name": "c", "Concatenate": {},
                                                    "inputs": "l"}


# -- what a model file refuses ------------------------------------------------------------------

@pytest.mark.parametrize("doc, message", [
    ([], "must be a mapping"),
    ({"input": [4]}, "`layers` must be a non-empty list"),
    ({"input": [4], "layers": ["Dense"], "extra": 1}, "unknown top-level key(s) 'extra'"),
    ({"symcnn": 2, "input": [4], "layers": ["Flatten"]}, "format version 2 is not supported"),
    ({"layers": ["Flatten"]}, "either `input`"),
    ({"input": [4], "inputs": {"x": [4]}, "layers": ["Flatten"]}, "either `input`"),
    ({"input": 4, "layers": ["Flatten"]}, "a shape is a non-empty list"),
    ({"input": [4], "layers": ["Conv9D"]}, "unknown layer type 'Conv9D'"),
    ({"input": [4], "layers": [{"Dense": 4, "Flatten": None}]}, "exactly one layer type"),
    ({"input": [4], "layers": [{"Dense": {"unit": 4}}]}, "do not fit Dense"),
    ({"input": [4], "layers": [{"Dense": [1, 2, 3, 4, 5, 6]}]}, "do not fit Dense"),
    ({"input": [4], "layers": [{"Dense": "n"}]}, "unknown name 'n'"),
    ({"input": [4], "layers": [{"Dense": "n"}]}, "Declare symbols under `symbols`"),
    ({"symbols": ["floor"], "input": [4], "layers": ["Flatten"]},
     "'floor' is a function of symcnn expressions"),
    ({"symbols": ["__x"], "input": [4], "layers": ["Flatten"]}, "a special name of Python"),
    ({"symbols": ["H\u00e9"], "input": [4], "layers": ["Flatten"]},
     "names made of ASCII letters, digits and underscores, not starting with a digit"),
    ({"symbols": ["x y"], "input": [4], "layers": ["Flatten"]}, "Received: 'x y'"),
    ({"symbols": ["1n"], "input": [4], "layers": ["Flatten"]}, "not starting with a digit"),
    ({"symbols": 3, "input": [4], "layers": ["Flatten"]}, "list of names"),
    ({"input": [4], "layers": [{"Dense": 4, "inputs": "x"}]}, "belongs to functional models"),
    ({"input": [4], "layers": ["Dense"]}, "do not fit Dense"),
    ({"input": [4], "layers": ["Dense"]}, "Received: a bare `Dense`, with no arguments"),
    ({"input": [4], "layers": [{"Dense": -3}]}, "Received: units=-3"),
    ({"inputs": {"x": [4]}, "layers": [{"Dense": 4, "inputs": "y"}]}, "Received: 'y'"),
    ({"inputs": {"a": [4], "b": [4]}, "layers": ["Add"]}, "say which tensor(s)"),
    ({"inputs": {"x": [4]}, "layers": [{"name": "x", "Dense": 4}]}, "already used"),
    ({"input": [4], "layers": [{"Dense": {"units": {"a": 1}}}]}, "must be a number, text"),
])
def test_malformed_documents_are_refused_with_a_clear_message(doc, message):
    with pytest.raises(sc.SymcnnError) as info:
        sc.model_from_spec(doc)
    assert message in str(info.value)
    assert str(info.value).startswith(("model file", "Dense", "Conv"))


def test_errors_from_a_file_name_the_file(tmp_path):
    path = write(tmp_path, "bad.json", json.dumps({"input": [4], "layers": ["Conv9D"]}))
    with pytest.raises(sc.SpecError, match=r"bad\.json: layers\[0\]: unknown layer type"):
        sc.load_spec(path)


def test_shape_errors_name_the_layer():
    with pytest.raises(sc.ShapeError, match="Conv2D layer"):
        sc.model_from_spec({"input": [2, 2, 1], "layers": [{"Conv2D": [4, 5]}]})


@pytest.mark.parametrize("name, text, message", [
    ("m.json", "{not json", r"m.json: not valid JSON \(.*\). Received: '\{not json'"),
    ("m.yaml", "a: [1, 2", "not valid YAML"),
    ("m.json", "\udcff", None),
])
def test_unreadable_files_are_spec_errors(tmp_path, name, text, message):
    if name.endswith("yaml"):
        pytest.importorskip("yaml")
    path = tmp_path / name
    if message is None:
        path.write_bytes(b"\xff\xfe\x00garbage")
        message = "not UTF-8"
    else:
        path.write_text(text)
    with pytest.raises(sc.SpecError, match=message):
        sc.load_spec(path)


@pytest.mark.parametrize("suffix", ["json", "yaml"])
def test_absurdly_nested_files_are_spec_errors(tmp_path, suffix):
    if suffix == "yaml":
        pytest.importorskip("yaml")
    path = write(tmp_path, f"deep.{suffix}", "[" * 100_000 + "]" * 100_000)
    with pytest.raises(sc.SpecError, match="not valid"):
        sc.load_spec(path)


def test_a_missing_file_is_a_spec_error(tmp_path):
    with pytest.raises(sc.SpecError, match="cannot read the file"):
        sc.load_spec(tmp_path / "absent.json")


# -- hostile files ----------------------------------------------------------------------------

PAYLOAD = "__import__('os').system('touch pwned')"


def test_a_code_payload_in_a_size_is_refused_and_nothing_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, "evil.json", json.dumps(
        {"input": [8, 8, 3], "layers": [{"Conv2D": {"filters": PAYLOAD, "kernel_size": 3}}]}))
    with pytest.raises(sc.ExpressionError, match=r"layers\[0\] \(Conv2D\): `filters`: "
                                                 r"expression: unexpected character"):
        sc.load_spec(path)
    assert not (tmp_path / "pwned").exists()


def test_a_code_payload_in_the_input_shape_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(sc.ExpressionError):
        sc.model_from_spec({"input": [PAYLOAD], "layers": ["Flatten"]})
    assert not (tmp_path / "pwned").exists()


def test_yaml_python_tags_are_refused_and_nothing_runs(tmp_path, monkeypatch):
    pytest.importorskip("yaml")
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, "evil.yaml",
                 "input: !!python/object/apply:os.system ['touch pwned']\nlayers: [Flatten]\n")
    with pytest.raises(sc.SpecError, match="not valid YAML"):
        sc.load_spec(path)
    assert not (tmp_path / "pwned").exists()


def test_a_ten_megabyte_expression_file_is_refused(tmp_path):
    path = write(tmp_path, "huge.json", json.dumps(
        {"symbols": "n", "input": [4], "layers": [{"Dense": "+".join(["n"] * 5_000_000)}]}))
    with pytest.raises(sc.SpecError, match="larger than 1,000,000 bytes"):
        sc.load_spec(path)


def test_a_ten_megabyte_expression_in_a_document_is_refused():
    doc = {"symbols": "n", "input": [4], "layers": [{"Dense": "n+" * 5_000_000 + "n"}]}
    with pytest.raises(sc.ExpressionError, match="longer than 10,000 characters"):
        sc.model_from_spec(doc)


def test_a_yaml_alias_bomb_is_refused_quickly(tmp_path):
    pytest.importorskip("yaml")
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [{', '.join(['*a' + str(i - 1)] * 9)}]")
    lines.append("input: [4]\nlayers: [Flatten]\nname: *a9")
    path = write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n")
    with pytest.raises(sc.SpecError, match="more than 100,000 values"):
        sc.load_spec(path)


# -- Keras configs ----------------------------------------------------------------------------

KERAS_CONFIG = {"class_name": "Sequential", "config": {"name": "s", "layers": []}}


def test_a_keras_config_file_is_handed_to_from_keras(tmp_path, monkeypatch):
    seen = []

    def fake_from_keras(text):
        seen.append(json.loads(text))
        return textbook.free_width()

    monkeypatch.setattr(spec_module, "from_keras", fake_from_keras)
    model = sc.load_spec(write(tmp_path, "k.json", json.dumps(KERAS_CONFIG)))
    assert seen == [KERAS_CONFIG] and model.params == textbook.free_width().params


@pytest.mark.frameworks
def test_a_real_keras_json_config_gives_keras_counts(tmp_path):
    if not hasattr(sc, "from_keras"):
        pytest.skip("sc.from_keras is not in this version")
    keras = pytest.importorskip("keras")
    model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(8, 3),
                              keras.layers.BatchNormalization(), keras.layers.Flatten(),
                              keras.layers.Dense(10)])
    path = write(tmp_path, "keras.json", model.to_json())
    loaded = sc.load_spec(path)
    assert loaded.params == model.count_params()


# -- the schema -------------------------------------------------------------------------------

def test_every_layer_type_name_fits_the_schema_pattern():
    import re

    pattern = SCHEMA["$defs"]["layerType"]["pattern"]
    assert all(re.fullmatch(pattern, name) for name in spec_module.layer_types())


def test_example_model_files_validate_against_the_schema():
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(SCHEMA)
    assert EXAMPLES
    for path in EXAMPLES:
        if path.suffix in (".yaml", ".yml") and not _has_yaml():
            continue
        data = spec_module.read_data_file(path)
        assert list(validator.iter_errors(data)) == [], path.name


@pytest.mark.parametrize("build", TEXTBOOK)
def test_written_model_files_validate_against_the_schema(build):
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(sc.model_to_spec(build()), SCHEMA,
                        cls=jsonschema.Draft202012Validator)


@pytest.mark.parametrize("doc", [
    {"input": [4], "inputs": {"x": [4]}, "layers": ["Flatten"]},
    {"input": [4], "layers": [{"name": "only_a_name"}]},
    {"input": [4], "layers": ["Flatten"], "outputs": "x"},
    {"input": [4.5], "layers": ["Flatten"]},
])
def test_schema_and_reader_both_refuse_malformed_documents(doc):
    jsonschema = pytest.importorskip("jsonschema")
    assert list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(doc))
    with pytest.raises(sc.SymcnnError):
        sc.model_from_spec(doc)


def test_exact_integers_survive_the_file():
    big = 10**30
    model = sc.model_from_spec({"input": [big], "layers": [{"Dense": 3}]})
    assert model.params == sympy.Integer(big * 3 + 3)


# -- fuzzing: random documents never crash with anything but a SymcnnError ----------------------

_keys = st.sampled_from(["symcnn", "name", "symbols", "input", "inputs", "layers", "outputs",
                         "Conv2D", "Dense", "MaxPooling2D", "Add", "Flatten", "filters",
                         "kernel_size", "units", "strides", "padding", "inputs", "x", "H"])
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 40), st.floats(allow_nan=True),
                     st.sampled_from(["H", "n", "same", "valid", "2*H", "__import__('os')",
                                      "H//0", "Conv2D", "Flatten", "x", "", "1e999"]),
                     st.text(max_size=8))
_json = st.recursive(_scalars, lambda kids: st.one_of(
    st.lists(kids, max_size=4), st.dictionaries(_keys, kids, max_size=4)), max_leaves=20)


@st.composite
def near_miss_documents(draw):
    """Mostly well-formed documents with random pieces swapped in."""
    doc = {"symbols": draw(st.one_of(st.just("H n"), _json)),
           "layers": draw(st.lists(st.one_of(
               st.sampled_from(["Flatten", "ReLU", "BatchNormalization"]),
               st.dictionaries(st.sampled_from(["Conv2D", "Dense", "MaxPooling2D", "Add"]),
                               _json, min_size=1, max_size=1),
               _json), min_size=0, max_size=4))}
    if draw(st.booleans()):
        doc["input"] = draw(st.one_of(st.just(["H", "H", 3]), _json))
    else:
        doc["inputs"] = draw(st.one_of(st.just({"x": ["H", 8, 3]}), _json))
    if draw(st.booleans()):
        doc["outputs"] = draw(_json)
    return doc


@settings(max_examples=fuzz_examples(300), deadline=None)
@given(st.one_of(_json, near_miss_documents()))
def test_random_documents_build_a_model_or_raise_a_symcnn_error(doc):
    import os
    import tempfile

    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        try:
            model = sc.model_from_spec(doc)
        except sc.SymcnnError as err:
            assert str(err)
        else:
            assert model.layers
        finally:
            os.chdir(cwd)
        assert os.listdir(folder) == []


def test_multipliers_are_declared_apart_and_round_trip_with_make_divisible(tmp_path):
    model = sc.zoo.mobilenet_v2(alpha="alpha", include_top=False)
    spec = sc.model_to_spec(model)
    assert spec["multipliers"] == ["alpha"] and spec["symbols"] == ["H", "W"]
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(spec, SCHEMA, cls=jsonschema.Draft202012Validator)
    back = sc.model_from_spec(json.loads(json.dumps(spec)))
    assert back.params == model.params and back.output_shape == model.output_shape
    assert back.subs(alpha="0.75", H=224, W=224).params == \
        model.subs(alpha="0.75", H=224, W=224).params
    with pytest.raises(sc.SpecError, match=r"'a' is declared both under `symbols`"):
        sc.model_from_spec({"symbols": "a", "multipliers": "a", "input": [4],
                            "layers": [{"Dense": "make_divisible(8*a, 8)"}]})


@pytest.mark.parametrize("entry, arg", [
    ({"MultiHeadAttention": {"num_heads": 8, "key_dim": "dd"}}, "key_dim"),
    ({"MultiHeadAttention": {"num_heads": "hh", "key_dim": 4}}, "num_heads"),
    ({"MultiHeadAttention": {"num_heads": 2, "key_dim": 4, "output_shape": "x"}}, "output_shape"),
])
def test_attention_sizes_are_read_against_the_declared_symbols(entry, arg):
    """A typo in num_heads, key_dim or output_shape made a new symbol without a word."""
    doc = {"symbols": ["T", "d"], "input": ["T", 16], "layers": [entry]}
    with pytest.raises(sc.SpecError, match=rf"`{arg}`: expression: unknown name"):
        sc.model_from_spec(doc)


def test_embedding_and_attention_expressions_are_read_and_round_trip():
    d = sc.symbols("d")
    x = sc.Input(("T", 16))
    attention = sc.Model(x, sc.MultiHeadAttention(4, 2 * d, value_dim=2 * d)(x, x))
    table = sc.Sequential([sc.Input(("T",)), sc.Embedding("n", 2 * d)])
    for model in (attention, table):  # "2*d" was refused: the layer took text as a name
        back = sc.model_from_spec(json.loads(json.dumps(sc.model_to_spec(model))))
        assert back.params == model.params and back.output_shape == model.output_shape


@pytest.mark.parametrize("word", ["same", "valid", "SAME"])
def test_a_padding_mode_is_no_amount_for_zero_padding(word):
    """``ZeroPadding2D: same`` padded by a new symbol named "same"."""
    doc = {"input": [32, 32, 3], "layers": [{"ZeroPadding2D": word}]}
    with pytest.raises(sc.LayerArgumentError, match=r"model file: layers\[0\] \(ZeroPadding2D\)"
                                                    r": ZeroPadding2D: `padding` is an amount"):
        sc.model_from_spec(doc)
    with pytest.raises(sc.LayerArgumentError, match=r"not a padding mode"):
        sc.Cropping1D(word)


@pytest.mark.parametrize("doc, message", [
    ({"input": [None, 3], "layers": ["Flatten"]}, "not null: name it"),
    ({"inputs": {"x": [4, None]}, "layers": ["Flatten"]}, "not null: name it"),
    ({"symcnn": True, "input": [4], "layers": ["Flatten"]}, "Received: symcnn=True"),
])
def test_a_null_size_and_a_boolean_version_are_refused(doc, message):
    """A null size made fresh symbols numbered by what the process read before (two reads of
    one file gave T_1 and T_2); ``symcnn: true`` passed for version 1."""
    with pytest.raises(sc.SpecError, match=message):
        sc.model_from_spec(doc)


def test_stated_constraints_round_trip_and_are_read_checked():
    """A model's stated constraints (MobileNetV3's ``alpha > 10/81``) are written under
    ``constraints`` and read back, so a value that breaks one stays refused after a round
    trip; the file's relations are parsed, never evaluated."""
    jsonschema = pytest.importorskip("jsonschema")
    model = sc.zoo.mobilenet_v3_small((64, 64, 3), alpha=sc.multiplier("alpha"))
    doc = json.loads(json.dumps(sc.model_to_spec(model)))
    stated = [str(c) for c in model.constraints]
    assert doc["constraints"] == stated == ["alpha > 10/81"]
    jsonschema.validate(doc, SCHEMA)
    again = sc.model_from_spec(doc)
    assert again.constraints == model.constraints and again.params == model.params
    with pytest.raises(sc.ShapeError, match="hold only where alpha > 10/81"):
        again.subs(alpha="0.1")
    seq = {"input": ["n"], "symbols": ["n"], "layers": [{"Dense": 4}],
           "constraints": ["2*n <= 100", "n > 3"]}
    assert set(map(str, sc.model_from_spec(seq).constraints)) == {"2*n <= 100", "n > 3"}
    for bad, message in ((["n"], "one of >="), (["n >= 1 >= 0"], "one of >="),
                         (["m >= 1"], "unknown name 'm'"), ("n >= 1", "a list"),
                         ([3], "a list"), (["__import__('os') > 1"], "unexpected character"),
                         (["1 > 2"], "false")):
        with pytest.raises(sc.SymcnnError, match=message):
            sc.model_from_spec({**seq, "constraints": bad})


def test_a_sequential_entry_that_does_not_fit_is_named_by_its_path(tmp_path):
    """A functional document said ``layers[1] (Conv2D)``; a Sequential one only ``(#1)``."""
    path = tmp_path / "m.json"
    path.write_text('{"input": [4, 4, 3], "layers": [{"Conv2D": {"filters": 2, "kernel_size": 3}},'
                    ' {"Conv2D": {"filters": 2, "kernel_size": 3}}]}')
    with pytest.raises(sc.ShapeError, match=r"m.json: layers\[1\] \(Conv2D\): Conv2D layer "
                                            r"'conv2d_1' \(#1\) on input shape \(2, 2, 2\)"):
        sc.load_spec(path)


@pytest.mark.parametrize("spec, where", [
    ({"input": [[8]], "layers": ["ReLU"]}, "model file: input: InputLayer: `shape`"),
    ({"inputs": {"x": [8], "y": [8.5]}, "outputs": "r",
      "layers": [{"ReLU": {}, "inputs": "x", "name": "r"}]},
     "model file: inputs.y: InputLayer: `shape`"),
    ({"inputs": {1: [8]}, "outputs": "r", "layers": [{"ReLU": {}, "inputs": 1, "name": "r"}]},
     "model file: inputs.1: InputLayer: `name`"),
])
def test_an_input_shape_error_names_its_place_in_the_file(spec, where):
    with pytest.raises(sc.SymcnnError) as info:
        sc.model_from_spec(spec)
    assert str(info.value).startswith(where)


def test_yaml_errors_are_the_same_with_libyaml(tmp_path):
    """The reader parses with libyaml where PyYAML has it: duplicate keys, Python tags and
    syntax errors are refused as before, each a SpecError naming the file."""
    yaml = pytest.importorskip("yaml")
    from symcnn.spec import _unique_key_loader

    assert issubclass(_unique_key_loader(yaml), getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    cases = {"dup.yaml": ("input: [8]\ninput: [9]\n", "appears twice"),
             "tag.yaml": ("input: !!python/object/apply:os.system [x]\n", "not valid YAML"),
             "bad.yaml": ("input: [8, 9\n", "not valid YAML")}
    for name, (text, message) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(sc.SpecError, match=message) as info:
            sc.load_spec(path)
        assert str(info.value).startswith(str(path))


def test_mod_size_round_trips_through_a_model_file(tmp_path):
    n = sc.symbols("n")
    model = sc.Sequential([sc.Input((4,)), sc.Dense(sympy.Mod(n, 3) + 1),
                           sc.Dense(2 * sympy.Mod(n**2 + 2 * n, 5) + 1)])
    path = tmp_path / "mod.json"
    path.write_text(json.dumps(sc.model_to_spec(model)))
    back = sc.load_spec(path)
    assert back.params == model.params
    assert [l.output_shape for l in back.layers] == [l.output_shape for l in model.layers]
    for v in range(1, 12):  # and the same numbers as the layers themselves give
        assert back.params.subs(n, v) == model.params.subs(n, v) == (
            4 * (v % 3 + 1) + (v % 3 + 1) + (v % 3 + 1) * (2 * ((v * v + 2 * v) % 5) + 1)
            + 2 * ((v * v + 2 * v) % 5) + 1)
