"""Model files with nested models and wrapped layers: a model used as a layer, ``Repeat``'s
block and ``Bidirectional``'s layer, written in place (symcnn.spec_export) and read back
(symcnn.spec_reader) exactly; and what such files may not make the reader do."""

from __future__ import annotations

import inspect
import json
import pathlib

import pytest

import symcnn as sc
from symcnn.layers.base import Graph

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "symcnn" / "schemas" / "model.schema.json").read_text())
PAYLOAD = "__import__('os').system('touch pwned')"


def through_json(model):
    doc = json.loads(json.dumps(sc.model_to_spec(model)))
    return doc, sc.model_from_spec(doc)


def same_model(a, b) -> None:
    assert a.summary_text() == b.summary_text()
    assert a.summary_text(expand_nested=True) == b.summary_text(expand_nested=True)
    assert a.params == b.params and a.trainable_params == b.trainable_params
    assert a.output_shape == b.output_shape and a.constraints == b.constraints
    assert a.macs == b.macs


def nests(model) -> bool:
    """Whether a model holds a nested model or a wrapping layer (Repeat, Bidirectional)."""
    return any(isinstance(r.layer, Graph) or type(r.layer).wrapped_arguments
               for r in model._records)


# -- every zoo model, and the symbolic-depth variants -------------------------------------------

_NEEDS_ARGUMENTS = {"densenet": lambda: sc.zoo.densenet((6, 12, 24, 16)),
                    "resnet": lambda: sc.zoo.resnet(50), "vgg": lambda: sc.zoo.vgg(16)}
ZOO = {name: _NEEDS_ARGUMENTS.get(name, getattr(sc.zoo, name))
       for name in sc.zoo.__all__
       if inspect.isfunction(getattr(sc.zoo, name)) and name != "make_divisible"}
SYMBOLIC_DEPTH = {
    "resnet(blocks=symbols, bottleneck)": lambda: sc.zoo.resnet(
        blocks=("a", "b", "c", "d"), bottleneck=True),
    "resnet(blocks=symbols, basic)": lambda: sc.zoo.resnet(
        blocks=("a", "b", "c", "d"), bottleneck=False),
    "resnet(blocks=mixed)": lambda: sc.zoo.resnet(blocks=(2, "b", 3, "c"), bottleneck=True),
    "efficientnet_b0(depth_coefficient=d)": lambda: sc.zoo.efficientnet_b0(
        depth_coefficient=sc.multiplier("d")),
    "efficientnet_b0(width and depth symbolic)": lambda: sc.zoo.efficientnet_b0(
        width_coefficient=sc.multiplier("w"), depth_coefficient=sc.multiplier("d")),
    "convnext(depths=symbols)": lambda: sc.zoo.convnext(depths=("a", "b", "c", "d")),
    "vit(num_layers=L)": lambda: sc.zoo.vit(num_layers="L"),
}
ALL = {**ZOO, **SYMBOLIC_DEPTH}


@pytest.mark.parametrize("name", sorted(ALL))
def test_every_zoo_model_round_trips_exactly_through_json(name):
    model = ALL[name]()
    doc, again = through_json(model)
    same_model(model, again)
    assert sc.model_to_spec(again) == doc  # and writes the same file again


def test_the_zoo_models_that_nest_are_the_ones_that_could_not_be_written_before():
    """Before nesting, model_to_spec refused exactly these (Repeat or a nested model)."""
    nested = sorted(name for name, build in ALL.items() if nests(build()))
    assert set(SYMBOLIC_DEPTH) <= set(nested)
    assert {"convnext_tiny", "convnext_large", "vit_b_16", "vit_h_14"} <= set(nested)
    assert len(nested) >= 18, nested


def test_a_written_zoo_model_with_nesting_validates_against_the_schema():
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for build in (SYMBOLIC_DEPTH["resnet(blocks=symbols, bottleneck)"], sc.zoo.vit_b_16,
                  SYMBOLIC_DEPTH["efficientnet_b0(depth_coefficient=d)"]):
        doc = json.loads(json.dumps(sc.model_to_spec(build())))
        assert list(validator.iter_errors(doc)) == []


# -- the format -----------------------------------------------------------------------------------

def test_bidirectional_writes_its_layer_as_a_nested_entry_and_reads_it_back():
    model = sc.Sequential([sc.Input(("T", 8)),
                           sc.Bidirectional(sc.LSTM(4, return_sequences=True)), sc.Dense(3)])
    doc, again = through_json(model)
    assert doc["layers"][0] == {"Bidirectional": {
        "layer": {"LSTM": {"units": 4, "return_sequences": True}}}}
    same_model(model, again)


def test_bidirectional_with_its_own_backward_layer_round_trips():
    model = sc.Sequential([sc.Input(("T", 8)), sc.Bidirectional(
        sc.GRU(4, return_sequences=True, name="fw"), merge_mode="sum",
        backward_layer=sc.GRU(4, return_sequences=True, go_backwards=True))])
    doc, again = through_json(model)
    entry = doc["layers"][0]["Bidirectional"]
    assert entry["layer"] == {"name": "fw", "GRU": {"units": 4, "return_sequences": True}}
    assert entry["backward_layer"] == {"GRU": {"units": 4, "return_sequences": True,
                                               "go_backwards": True}}
    same_model(model, again)


def test_a_hand_written_bidirectional_entry_reads_as_in_keras():
    by_name = sc.model_from_spec({"symbols": "T", "input": ["T", 8], "layers": [
        {"Bidirectional": {"layer": {"LSTM": {"units": 4, "return_sequences": True}},
                           "merge_mode": "concat"}}]})
    positional = sc.model_from_spec({"symbols": "T", "input": ["T", 8], "layers": [
        {"Bidirectional": [{"LSTM": [4], "name": "lstm"}]}]})
    python = sc.Sequential([sc.Input(("T", 8)),
                            sc.Bidirectional(sc.LSTM(4, return_sequences=True))])
    assert by_name.summary_text() == python.summary_text()
    assert positional.params == sc.Sequential([sc.Input(("T", 8)),
                                               sc.Bidirectional(sc.LSTM(4))]).params


def test_repeat_of_a_layer_and_of_a_model_document_with_a_symbolic_count():
    doc = {"symbols": "H W L", "input": ["H", "W", 3], "layers": [
        {"Repeat": {"block": {"Conv2D": [16, 3], "name": "conv"}, "times": 1}},
        {"Repeat": {"times": "L", "block": {
            "name": "residual", "inputs": {"x": ["H - 2", "W - 2", 16]},
            "layers": [{"Conv2D": {"filters": 16, "kernel_size": 3, "padding": "same"},
                        "name": "conv"},
                       {"Add": None, "inputs": ["x", "conv"]}]}}}]}
    model = sc.model_from_spec(doc)
    L = sc.symbols("L")
    assert model.params == 448 + 2320 * L
    block = model.layers[1].layer.block
    assert block.name == "residual" and model.layers[0].layer.block.name == "conv"
    same_model(model, through_json(model)[1])


def test_a_model_used_as_a_layer_is_a_functional_or_sequential_entry():
    x = sc.Input(("H", "H", 8))
    block = sc.Model(x, sc.Add()([x, sc.Conv2D(8, 3, padding="same")(x)]), name="res")
    inner = sc.Sequential([sc.Input((8,)), sc.Dense(8), sc.ReLU()], name="mlp")
    model = sc.Sequential([sc.Input(("H", "H", 8)), block, sc.GlobalAveragePooling2D(), inner])
    doc, again = through_json(model)
    assert list(doc["layers"][0]) == ["Functional"] and doc["layers"][0]["Functional"]["name"] == "res"
    assert doc["layers"][2] == {"Sequential": {"name": "mlp", "input": [8],
                                               "layers": [{"Dense": {"units": 8}}, "ReLU"]}}
    same_model(model, again)
    assert "symbols" not in doc["layers"][0]["Functional"]  # declared once, at the top
    assert doc["symbols"] == ["H"]


def test_a_nested_model_with_two_inputs_in_a_functional_model():
    a, b = sc.Input((4,), name="a"), sc.Input((4,), name="b")
    two = sc.Model([a, b], sc.Add()([sc.Dense(4)(a), b]), name="two")
    p, q = sc.Input((4,), name="p"), sc.Input((4,), name="q")
    model = sc.Model([p, q], sc.Dense(1)(two([p, q])))
    doc, again = through_json(model)
    assert doc["layers"][0]["inputs"] == ["p", "q"]
    same_model(model, again)


def test_a_model_entry_takes_its_name_from_the_entry_or_the_document_not_both():
    inner = {"input": [4], "layers": [{"Dense": 4}]}
    model = sc.model_from_spec({"input": [4], "layers": [{"name": "m", "Model": inner}]})
    assert model.layers[0].layer.name == "m"
    with pytest.raises(sc.SpecError, match=r"layers\[0\]\.Model: `name` is given twice"):
        sc.model_from_spec({"input": [4], "layers": [{"name": "m",
                                                      "Model": {**inner, "name": "n"}}]})


def test_repeats_nested_in_repeats_round_trip():
    block = sc.Sequential([sc.Input((16,)), sc.Repeat(sc.Dense(16), "a")], name="inner")
    model = sc.Sequential([sc.Input((16,)), sc.Repeat(block, "b"), sc.Repeat(sc.ReLU(), 3)])
    doc, again = through_json(model)
    assert doc["layers"][1] == {"Repeat": {"block": "ReLU", "times": 3}}
    same_model(model, again)


# -- what stays unsupported -----------------------------------------------------------------------

def test_a_shared_layer_inside_a_nested_model_is_refused_naming_the_path():
    dense = sc.Dense(4)
    x = sc.Input((4,))
    shared = sc.Model(x, dense(dense(x)), name="shared_inside")
    with pytest.raises(sc.SpecError, match=r"layer 'shared_inside' \(Functional\): layer "
                                           r"'dense' \(Dense\): shared layers"):
        sc.model_to_spec(sc.Sequential([sc.Input((4,)), shared]))


def test_a_nested_model_called_twice_is_a_shared_layer():
    x = sc.Input((4,))
    block = sc.Model(x, sc.Dense(4)(x), name="block")
    p = sc.Input((4,))
    with pytest.raises(sc.SpecError, match="shared layers"):
        sc.model_to_spec(sc.Model(p, block(block(p))))


# -- hostile and malformed nested entries ---------------------------------------------------------

def repeat_of(block, times=2, **top):
    return {"input": [8], **top, "layers": [{"Repeat": {"block": block, "times": times}}]}


@pytest.mark.parametrize("doc, message", [
    (repeat_of({"input": [8], "layers": [{"Dense": "n"}]}),
     r"layers\[0\]\.Repeat\.block\.layers\[0\] \(Dense\): `units`: expression: unknown name 'n'"),
    (repeat_of({"input": [8], "layers": [{"Dense": -3}]}),
     r"layers\[0\]\.Repeat\.block\.layers\[0\] \(Dense\): .*Received: units=-3"),
    (repeat_of({"Dense": {"units": {"a": 1}}}),
     r"layers\[0\]\.Repeat\.block \(Dense\): `units` must be a number, text or a list. "
     r"Received: units="),
    (repeat_of({"input": [8], "layers": ["ReLU"], "symbols": ["m"]}, symbols="n"),
     r"layers\[0\]\.Repeat\.block: symbols are declared once, at the top of the file; .*"
     r"Received: symbols=\['m'\]"),
    (repeat_of({"input": [8], "layers": ["ReLU"], "symcnn": 1}),
     r"layers\[0\]\.Repeat\.block: the format version is given once"),
    (repeat_of({"input": [8], "layers": ["ReLU"], "extra": 1}),
     r"layers\[0\]\.Repeat\.block: unknown key\(s\) 'extra' in a nested model"),
    (repeat_of({"input": [8], "layers": []}), r"Repeat\.block: `layers` must be a non-empty"),
    (repeat_of({"inputs": [8], "layers": ["ReLU"]}), r"Repeat\.block: `inputs` maps input names"),
    (repeat_of({"input": [None], "layers": ["ReLU"]}), r"Repeat\.block\.input: a size .* not null"),
    (repeat_of({"Conv9D": 3}), r"layers\[0\]\.Repeat\.block: unknown layer type 'Conv9D'"),
    (repeat_of({}), r"Repeat\.block: an entry names exactly one layer type"),
    (repeat_of([{"Dense": 8}]), r"layers\[0\] \(Repeat\): `block` is a layer entry .* "
                                r"Received: block=\[\{'Dense': 8\}\]"),
    (repeat_of(None), r"layers\[0\] \(Repeat\): Repeat: `block` must be .* Received: block=None"),
    (repeat_of({"Dense": 8}, times=-1), r"layers\[0\] \(Repeat\): .*Received: times=-1"),
    (repeat_of({"Dense": 8}, times="1/2"), r"layers\[0\] \(Repeat\): .*Received: times=1/2"),
    (repeat_of({"Dense": 8}, times="k"), r"layers\[0\] \(Repeat\): `times`: expression: "
                                         r"unknown name 'k'"),
    (repeat_of({"Dense": 8, "inputs": "x"}), r"Repeat\.block \(Dense\): `inputs` belongs to "
                                             r"functional models"),
    ({"input": [4, 8], "layers": [{"Bidirectional": {"layer": {"Dense": 4}}}]},
     r"layers\[0\] \(Bidirectional\): Bidirectional: `layer` must be a recurrent layer"),
    ({"input": [4, 8], "layers": [{"Bidirectional": {"layer": {"LSTM": {"units": 0}}}}]},
     r"layers\[0\]\.Bidirectional\.layer \(LSTM\): .*Received: units=0"),
    ({"input": [4, 8], "layers": [{"Bidirectional": {"layer": 4}}]},
     r"`layer` is a layer entry .* Received: layer=4"),
    ({"input": [8], "layers": [{"Sequential": {"inputs": {"x": [8]}, "layers": ["ReLU"]}}]},
     r"layers\[0\]\.Sequential: a Sequential document gives `input`"),
    ({"input": [8], "layers": [{"Functional": [1, 2]}]},
     r"layers\[0\]\.Functional: a nested model is a model document"),
    ({"input": [8], "layers": [{"Functional": {"inputs": {"x": [8]}, "layers": ["ReLU"],
                                               "outputs": "y"}}]},
     r"layers\[0\]\.Functional\.outputs: .*Received: 'y'"),
    ({"symbols": "n", "input": [8], "layers": [{"Sequential": {
        "input": [8], "layers": ["ReLU"], "constraints": ["n >>= 2"]}}]},
     r"layers\[0\]\.Sequential\.constraints\[0\]: a relation"),
    ({"input": [2, 2, 1], "layers": [{"Sequential": {"input": [2, 2, 1],
                                                     "layers": [{"Conv2D": [4, 5]}]}}]},
     r"model file: layers\[0\]\.Sequential\.layers\[0\] \(Conv2D\): Conv2D layer .*kernel_size "
     r"is larger"),
])
def test_malformed_nested_entries_are_refused_naming_the_path_argument_and_value(doc, message):
    with pytest.raises(sc.SymcnnError, match=message) as info:
        sc.model_from_spec(doc)
    assert str(info.value).startswith("model file: ")
    assert "Traceback" not in str(info.value)


def test_a_code_payload_in_a_nested_entry_is_refused_and_nothing_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for doc in (repeat_of({"input": [8], "layers": [{"Dense": PAYLOAD}]}),
                repeat_of({"Dense": 8}, times=PAYLOAD),
                {"input": [4, 8], "layers": [{"Bidirectional": {"layer": {"LSTM": PAYLOAD}}}]},
                {"input": [8], "layers": [{"Functional": {"inputs": {"x": [PAYLOAD]},
                                                          "layers": ["ReLU"]}}]}):
        with pytest.raises(sc.ExpressionError, match="unexpected character"):
            sc.model_from_spec(doc)
    assert not (tmp_path / "pwned").exists()


def test_errors_of_a_nested_entry_in_a_file_name_the_file(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(repeat_of({"input": [8], "layers": ["Conv9D"]})))
    with pytest.raises(sc.SpecError, match=r"deep\.json: layers\[0\]\.Repeat\.block\.layers\[0\]:"
                                           r" unknown layer type"):
        sc.load_spec(path)


def nested_sequentials(depth: int) -> dict:
    doc = {"input": [8], "layers": ["ReLU"]}
    for _ in range(depth):
        doc = {"input": [8], "layers": [{"Sequential": doc}]}
    return doc


def nested_repeats(depth: int) -> dict:
    entry = {"Dense": 8}
    for _ in range(depth):
        entry = {"Repeat": {"block": entry, "times": 1}}
    return {"input": [8], "layers": [entry]}


def test_ten_levels_of_nesting_are_read():
    assert sc.model_from_spec(nested_sequentials(10)).output_shape == (8,)
    assert sc.model_from_spec(nested_repeats(10)).params == 72


@pytest.mark.parametrize("doc", [nested_sequentials(11), nested_repeats(11)])
def test_deeper_nesting_is_refused_saying_how_deep(doc):
    with pytest.raises(sc.SpecError, match=r"models and layers nested more than 10 levels "
                                           r"deep .*Received: a nesting of more than 10"):
        sc.model_from_spec(doc)


@pytest.mark.parametrize("doc", [nested_sequentials(5000), nested_repeats(5000)])
def test_absurd_nesting_given_from_python_is_refused_without_recursing(doc):
    with pytest.raises(sc.SpecError, match="nested deeper than 64 levels"):
        sc.model_from_spec(doc)


def test_a_document_that_contains_itself_is_refused():
    doc = {"input": [8], "layers": []}
    doc["layers"].append({"Sequential": doc})
    with pytest.raises(sc.SpecError, match="nested deeper than 64 levels"):
        sc.model_from_spec(doc)


@pytest.mark.parametrize("times, inner", [("10**9", 1), ("2**64", 1), (10**6, 1000)])
def test_numeric_counts_of_a_block_that_changes_the_shape_are_bounded_before_any_work(
        times, inner):
    """Dense(4) on 8 features changes the shape: its repetitions are written out."""
    block = {"Dense": 4} if inner == 1 else {"Repeat": {"block": {"Dense": 4}, "times": inner}}
    with pytest.raises(sc.SpecError, match=r"layers\[0\] \(Repeat\): the model unrolls to more "
                                           r"than 100,000 layer calls"):
        sc.model_from_spec(repeat_of(block, times=times))


def residual_block():
    x = sc.Input(("H", "W", 8))
    return sc.Model(x, sc.Add()([x, sc.Conv2D(8, 3, padding="same")(x)]), name="residual")


@pytest.mark.parametrize("make", [
    lambda: sc.Sequential([sc.Input((8,)), sc.Repeat(sc.Dense(8), 10**9)]),
    lambda: sc.Sequential([sc.Input((8,)), sc.Repeat(sc.Dense(8), 2**64), sc.Dense(2)]),
    lambda: sc.Sequential([sc.Input((8,)), sc.Repeat(sc.Repeat(sc.Dense(8), 1000), 1000)]),
    lambda: sc.Sequential([sc.Input(("H", "W", 8)), sc.Repeat(residual_block(), 10**9)] +
                          [sc.Repeat(residual_block(), 60_000) for _ in range(2)]),
    lambda: sc.Sequential([sc.Input((1, 1, 3)),  # a stride keeps a size of 1
                           sc.Repeat(sc.Conv2D(3, 3, strides=2, padding="same"), 10**9)]),
    lambda: functional_with_a_huge_repeat(),
])
def test_huge_counts_of_a_block_that_keeps_the_shape_read_as_in_python(make):
    """Repeat checks a block that keeps the shape once, whatever the count, and so does the
    reader: the file of a Python model reads back with its parameters and MACs (the writer
    and the reader refused any count past 100,000)."""
    model = make()
    doc, back = through_json(model)
    same_model(model, back)
    assert back.macs == model.macs
    assert sc.model_to_spec(back) == doc


def functional_with_a_huge_repeat():
    x = sc.Input(("T", 16), name="tokens")
    y = sc.Repeat(sc.Dense(16), 10**12, name="deep")(x)
    return sc.Model(x, sc.Concatenate(name="both")([x, y]))


def test_whether_a_block_keeps_the_shape_is_decided_on_its_input_as_repeat_does():
    """A stride keeps a size of 1 and halves a size of 8: the same entry reads on [1, 1, 3]
    and is refused on [8, 8, 3], as Python refuses to write that one out."""
    entry = {"Repeat": {"block": {"Conv2D": {"filters": 3, "kernel_size": 3, "strides": 2,
                                              "padding": "same"}}, "times": 10**9}}
    assert sc.model_from_spec({"input": [1, 1, 3], "layers": [entry]}).output_shape == (1, 1, 3)
    with pytest.raises(sc.SpecError, match=r"layers\[0\] \(Repeat\): the model unrolls to more "
                                           r"than 100,000 layer calls.*Received: 1,000,000,000"):
        sc.model_from_spec({"input": [8, 8, 3], "layers": [entry]})
    with pytest.raises(sc.ShapeError, match="`times` is too large for a block that changes"):
        sc.Sequential([sc.Input((8, 8, 3)),
                       sc.Repeat(sc.Conv2D(3, 3, strides=2, padding="same"), 10**9)])


def test_a_file_counts_the_layer_calls_of_all_its_entries():
    """Two blocks that change the shape, each within the bound, are refused together."""
    doc = {"input": [8], "layers": [{"Repeat": {"block": {"Dense": 4}, "times": 60_000}},
                                    {"Dense": 8},
                                    {"Repeat": {"block": {"Dense": 4}, "times": 60_000}}]}
    with pytest.raises(sc.SpecError, match=r"model file: the model unrolls to more than "
                                           r"100,000 layer calls.*Received: 120,001 calls"):
        sc.model_from_spec(doc)


def test_a_symbolic_count_unrolls_nothing_and_is_not_bounded():
    model = sc.model_from_spec(repeat_of({"Dense": 8}, times="n", symbols="n"))
    assert model.params == 72 * sc.symbols("n")


def test_the_writer_refuses_what_the_reader_would():
    layer = sc.Dense(8)
    for _ in range(11):
        layer = sc.Repeat(layer, 1)
    with pytest.raises(sc.SpecError, match="nested more than 10 levels deep cannot be written"):
        sc.model_to_spec(sc.Sequential([sc.Input((8,)), layer]))


@pytest.mark.parametrize("digits", [999, 1000, 1001, 1200])
def test_a_written_number_reads_back_or_is_refused_when_written(digits):
    """A coefficient of more than 1,000 digits was written, and the reader refused its own
    file; the writer now refuses it with the reader's reason, and writes what reads back."""
    n = sc.symbols("n")
    model = sc.Sequential([sc.Input(("n",)), sc.Dense(10 ** (digits - 1) * n + 1)])
    try:
        parsed = sc.parse_expression(str(10 ** (digits - 1) * n + 1), {"n": n})
    except sc.ExpressionError as err:
        with pytest.raises(sc.SpecError, match="cannot be written so that the model file "
                                               "reads back.*too large"):
            sc.model_to_spec(model)
        assert "too large" in str(err)
    else:
        text = json.dumps(sc.model_to_spec(model))
        assert sc.model_from_spec(json.loads(text)).params == model.params
        assert parsed == 10 ** (digits - 1) * n + 1


def test_the_schema_describes_nested_entries():
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(SCHEMA)
    good = [
        {"symbols": "T", "input": ["T", 8], "layers": [
            {"Bidirectional": {"layer": {"LSTM": {"units": 4}}, "merge_mode": "concat"}}]},
        repeat_of({"Dense": [8]}, times="L", symbols="L"),
        repeat_of({"name": "b", "inputs": {"x": [8]}, "layers": ["ReLU"]}),
        {"input": [8], "layers": [{"Model": {"input": [8], "layers": ["ReLU"]}}]},
    ]
    for doc in good:
        assert list(validator.iter_errors(doc)) == [], doc
        sc.model_from_spec(doc)
    bad = [
        repeat_of({"input": [8], "layers": ["ReLU"], "symbols": ["n"]}),
        {"input": [8], "layers": [{"Sequential": {"inputs": {"x": [8]}, "layers": ["ReLU"]}}]},
        {"input": [4, 8], "layers": [{"Bidirectional": {"layer": {"LSTM": 3, "inputs": "x"}}}]},
        repeat_of([{"Dense": 8}]),
        {"input": [8], "layers": [{"Functional": {"inputs": {"x": [8]}, "layers": []}}]},
        {"symbols": "T", "input": ["T", 8], "layers": [  # a merge mode Keras does not have
            {"Bidirectional": {"layer": {"LSTM": {"units": 4}}, "merge_mode": "average"}}]},
    ]
    for doc in bad:
        assert list(validator.iter_errors(doc)), doc
        with pytest.raises(sc.SymcnnError):
            sc.model_from_spec(doc)


def test_the_writer_refuses_a_model_that_unrolls_past_the_reader_s_bound():
    """A Python model may write out two repeated blocks that change the shape, each within
    the bound, 100,001 calls in all; the writer wrote it and the reader then refused its own
    file. The writer refuses it with the reader's message; at the bound it writes a file
    that reads back. (``Dense(8)`` on 4 features changes the shape, so every repetition is
    written out, also those after it, on 8.)"""
    def stacked(second: int):
        return sc.Sequential([sc.Input((4,)), sc.Repeat(sc.Dense(8), 50_000), sc.Dense(4),
                              sc.Repeat(sc.Dense(8), second)])

    with pytest.raises(sc.SpecError, match=r"model_to_spec: the model unrolls to more than "
                                           r"100,000 layer calls.*Received: 100,001 calls"):
        sc.model_to_spec(stacked(50_000))
    with pytest.raises(sc.SpecError, match=r"model file: the model unrolls to more than "
                                           r"100,000 layer calls.*Received: 100,001 calls"):
        sc.model_from_spec({"input": [4], "layers": [
            {"Repeat": {"block": {"Dense": 8}, "times": 50_000}}, {"Dense": 4},
            {"Repeat": {"block": {"Dense": 8}, "times": 50_000}}]})
    at_bound = stacked(49_999)
    assert sc.model_from_spec(sc.model_to_spec(at_bound)).params == at_bound.params


def test_a_float_size_passes_the_schema_and_is_refused_by_the_reader_as_documented():
    """JSON Schema's integer admits 4.0; docs/model-files.md says the reader refuses it."""
    jsonschema = pytest.importorskip("jsonschema")
    doc = json.loads('{"input": [8], "layers": [{"Dense": 4.0}]}')
    assert list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(doc)) == []
    with pytest.raises(sc.LayerArgumentError, match=r"Dense.*units.*Received: units=4\.0"):
        sc.model_from_spec(doc)
    docs = pathlib.Path(__file__).parents[1] / "docs" / "model-files.md"
    assert "admits `4.0`" in docs.read_text()


@pytest.mark.parametrize("key, value", [("symbols", ["H", "H"]), ("symbols", "H W H"),
                                        ("multipliers", "a a")])
def test_a_name_declared_twice_is_refused(key, value):
    doc = {key: value, "input": [8], "layers": ["ReLU"]}
    with pytest.raises(sc.SpecError, match=f"`{key}` declares '(H|a)' twice.*Received"):
        sc.model_from_spec(doc)
