"""The bound on a numeric Repeat count counts the layer calls written out, in Python and in
model files alike (:func:`symcnn.layers.repeat.written_calls`).

A block that keeps the shape is checked once, whatever its count, also inside a repetition
of a block that changes the shape: three downsampling stages of ``10**9`` residual blocks
each write out 9 layer calls. The bound counted ``10**9`` repetitions per stage there
(shapes aside), so this model was refused in Python and in model files. A model that writes
out more than :data:`~symcnn.layers.repeat.MAX_LAYER_CALLS` calls is still refused, with
the same message.
"""

from __future__ import annotations

import json

import pytest
import yaml

import symcnn as sc
from symcnn.layers.repeat import MAX_LAYER_CALLS, written_calls

H, W, L = sc.symbols("H W L")


def residual_block(channels: int = 8):
    x = sc.Input(("h", "w", channels))
    y = sc.Conv2D(channels, 3, padding="same", name="conv")(x)
    return sc.Model(x, sc.Add(name="add")([x, y]), name="residual")


def stage(count, channels: int = 8):
    """``count`` residual blocks, then a stride-2 convolution: the stage halves the sizes."""
    return sc.Sequential([sc.Input(("h", "w", channels)), sc.Repeat(residual_block(), count),
                          sc.Conv2D(channels, 3, strides=2, padding="same", name="down")],
                         name="stage")


def staged(count, stages: int = 3, shape=(H, W, 8)):
    return sc.Sequential([sc.Input(shape), sc.Repeat(stage(count), stages)])


def written_out(count: int, stages: int = 3):
    """The same network with every residual block and every stage written out by hand."""
    x = inputs = sc.Input((H, W, 8))
    for _ in range(stages):
        for _ in range(count):
            x = sc.Add()([x, sc.Conv2D(8, 3, padding="same")(x)])
        x = sc.Conv2D(8, 3, strides=2, padding="same")(x)
    return sc.Model(inputs, x)


def through_file(model, tmp_path):
    path = tmp_path / "model.yaml"
    path.write_text(yaml.safe_dump(sc.model_to_spec(model)))
    return sc.load_spec(path)


def test_a_huge_shape_keeping_count_inside_a_shape_changing_repeat_builds():
    model = staged(10**9)
    symbolic = staged(L)
    assert model.output_shape == symbolic.output_shape
    assert model.params == symbolic.params.subs(L, 10**9)
    assert model.macs == symbolic.macs.subs(L, 10**9)
    assert written_calls(model) == (9, True)  # 3 x (conv, add; down)
    # the example as stated, with sizes of any value (None)
    unnamed = staged(10**9, shape=(None, None, 8))
    assert unnamed.params == model.params


@pytest.mark.parametrize("count", [0, 1, 2, 3])
def test_the_symbolic_count_is_the_blocks_written_out_by_hand(count):
    """What the huge model is compared with: the symbolic inner count, checked against the
    layers written out at small counts."""
    symbolic, by_hand = staged(L), written_out(count)
    assert symbolic.params.subs(L, count) == by_hand.params
    assert symbolic.macs.subs(L, count) == by_hand.macs
    assert symbolic.output_shape == by_hand.output_shape
    assert staged(count).params == by_hand.params and staged(count).macs == by_hand.macs


def test_the_nested_model_round_trips_through_a_model_file(tmp_path):
    model = staged(10**9)
    back = through_file(model, tmp_path)
    assert back.params == model.params
    assert back.trainable_params == model.trainable_params
    assert back.output_shape == model.output_shape
    assert back.macs == model.macs
    assert sc.model_to_spec(back) == sc.model_to_spec(model)
    doc = json.loads(json.dumps(sc.model_to_spec(model)))
    assert sc.model_from_spec(doc).params == model.params


def test_python_and_model_files_count_the_same_calls():
    """One count for both: the model-file reader counts the calls Repeat itself bounds."""
    doc = sc.model_to_spec(staged(10**9))
    assert written_calls(sc.model_from_spec(doc)) == written_calls(staged(10**9)) == (9, True)
    # the shape-keeping count is counted once per repetition of the stage: 3 calls each
    assert written_calls(sc.Repeat(stage(10**9), 5), [(H, W, 8)]) == (15, True)


def huge_stage(units: int = 40_000):
    """``units`` Dense(4) written out (they change 8 features to 4 once): 40,001 calls on
    2 features and on 4; the stage maps both to 4 features."""
    return sc.Sequential([sc.Input((2,)), sc.Dense(8, name="wide"),
                          sc.Repeat(sc.Dense(4, name="narrow"), units)], name="huge")


def test_a_model_that_writes_out_too_many_calls_is_still_refused():
    """3 repetitions of 40,001 written-out calls each: 120,003 (from the second repetition on
    the stage's input is its output, so every later repetition is the same)."""
    with pytest.raises(sc.ShapeError) as err:
        sc.Sequential([sc.Input((2,)), sc.Repeat(huge_stage(), 3, name="deep")])
    message = str(err.value)
    assert "Repeat layer 'deep'" in message
    assert "3 repetitions of 'huge' are written out one by one, 120,003 layer calls, more " \
           "than the 100,000" in message
    assert "Give the count as a symbol" in message and message.endswith("Received: times=3")
    stage_doc = sc.model_to_spec(huge_stage())
    del stage_doc["symcnn"], stage_doc["symbols"]  # declared at the top of a file
    doc = {"input": [2], "layers": [{"Repeat": {"block": stage_doc, "times": 3}}]}
    with pytest.raises(sc.SpecError, match=r"model file: layers\[0\] \(Repeat\): the model "
                                           r"unrolls to more than 100,000 layer calls.*"
                                           r"Received: 120,003 calls"):
        sc.model_from_spec(doc)
    doc["layers"][0]["Repeat"]["times"] = 2  # 80,002 calls: within the bound
    assert sc.model_from_spec(doc).params == \
        sc.Sequential([sc.Input((2,)), sc.Repeat(huge_stage(), 2)]).params


def test_a_file_of_entries_within_the_bound_each_is_refused_by_their_total():
    """Python builds each entry (80,002 calls); a file holds them all (160,005). The writer
    counts the model at once and stops past the bound (at least that many); the reader
    counts entry by entry, each exactly."""
    model = sc.Sequential([sc.Input((2,)), sc.Repeat(huge_stage(), 2), sc.Dense(2),
                           sc.Repeat(huge_stage(), 2)])  # 80,002 + 1 + 80,002 calls
    with pytest.raises(sc.SpecError, match=r"model_to_spec: the model unrolls to more than "
                                           r"100,000 layer calls") as err:
        sc.model_to_spec(model)
    received = str(err.value).split("Received: at least ")[1]
    assert MAX_LAYER_CALLS < int(received.removesuffix(" calls").replace(",", "")) <= 160_005
    stage_doc = sc.model_to_spec(huge_stage())
    del stage_doc["symcnn"], stage_doc["symbols"]
    entry = {"Repeat": {"block": stage_doc, "times": 2}}
    with pytest.raises(sc.SpecError, match=r"model file: the model unrolls to more than "
                                           r"100,000 layer calls.*Received: 160,005 calls"):
        sc.model_from_spec({"input": [2], "layers": [entry, {"Dense": 2}, entry]})


@pytest.mark.parametrize("stages", [10**6, 10**12])
def test_a_huge_count_of_the_stage_itself_is_refused_at_once(stages):
    """Each repetition of the stage writes out at least its 3 calls, so 10**6 of them pass
    the bound whatever the shapes; refused before any is walked."""
    with pytest.raises(sc.ShapeError, match=rf"{stages:,} repetitions of 'stage' are written "
                                            rf"out one by one, at least {3 * stages:,} layer "
                                            rf"calls, more than the 100,000"):
        staged(10**9, stages=stages)
    doc = sc.model_to_spec(staged(10**9))
    doc["layers"][0]["Repeat"]["times"] = stages
    with pytest.raises(sc.SpecError, match=r"layers\[0\] \(Repeat\): the model unrolls to more "
                                           rf"than 100,000 layer calls.*Received: at least "
                                           rf"{3 * stages:,} calls"):
        sc.model_from_spec(doc)
    assert written_calls(sc.Repeat(stage(10**9), stages), [(H, W, 8)]) == (3 * stages, False)
    assert 3 * stages > MAX_LAYER_CALLS
