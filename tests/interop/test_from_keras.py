"""sc.from_keras reads live Keras 3 models, their JSON configs and .keras files.

Every imported model is compared with the Keras model it came from: layer names, types,
output shapes and parameter counts (total, trainable, non-trainable), layer by layer.
"""

import json

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn as sc
from symcnn.zoo import textbook

from ..conftest import require
from ..support import keras_worked_examples as keras_examples
from ..support.keras_build import build_keras

pytestmark = pytest.mark.frameworks

H, W = sc.symbols("H W")


def weights(variables):
    return sum(int(np.prod(v.shape)) for v in variables)


def keras_rows(model):
    """(name, type, output shape, params, trainable) per layer, InputLayers included (a
    functional model lists them first, in Keras as in symcnn)."""
    rows = []
    for layer in model.layers:
        out = layer.output
        shape = [tuple(t.shape[1:]) for t in out] if isinstance(out, list) else tuple(out.shape[1:])
        rows.append((layer.name, type(layer).__name__, shape, layer.count_params(),
                     weights(layer.trainable_weights)))
    return rows


def symcnn_rows(model):
    return [(r.name, r.type, r.output_shape, r.params, r.trainable_params) for r in model.layers]


def assert_matches_keras(imported, k):
    assert symcnn_rows(imported) == keras_rows(k)
    assert (imported.params, imported.trainable_params, imported.non_trainable_params) == (
        k.count_params(), weights(k.trainable_weights), weights(k.non_trainable_weights))
    outputs = k.outputs
    shapes = [tuple(t.shape[1:]) for t in outputs]
    assert (imported.output_shape if isinstance(imported.output_shape, list)
            else [imported.output_shape]) == shapes


def worked_examples_in_keras(keras):
    """Examples B (functional), C (its code) and E (Sequential): Keras model and ours."""
    return {"cifar": (keras_examples.cifar(keras), textbook.cifar()),
            "lenet_code": (keras_examples.lenet_code(keras), textbook.lenet_code()),
            "vgg_style": (keras_examples.vgg_style(keras), textbook.vgg_style())}


@pytest.mark.parametrize("example", ["cifar", "lenet_code", "vgg_style"])
def test_worked_examples_written_in_keras_import_with_keras_counts_and_shapes(example):
    keras = require("keras")
    k, ours = worked_examples_in_keras(keras)[example]
    for source in (k, k.to_json(), json.loads(k.to_json())):
        imported = sc.from_keras(source)
        assert_matches_keras(imported, k)
        assert (imported.params, imported.trainable_params) == (ours.params, ours.trainable_params)
        assert [r.output_shape for r in imported.layers] == [r.output_shape for r in ours.layers]


def test_symbolic_input_gives_closed_forms_that_match_keras_at_any_size():
    keras = require("keras")
    k, _ = worked_examples_in_keras(keras)["vgg_style"]
    symbolic = sc.from_keras(k.to_json(), input_shape=("H", "W", 3))
    assert symbolic.layers[2].output_shape == (sympy.floor(H / 2), sympy.floor(W / 2), 64)
    assert symbolic.params == 277_569

    @settings(max_examples=12, deadline=None)
    @given(h=st.integers(4, 61), w=st.integers(4, 61))
    def agree(h, w):
        config = json.loads(k.to_json())
        config["config"]["layers"][0]["config"]["batch_shape"] = [None, h, w, 3]
        rebuilt = keras.Sequential.from_config(config["config"])
        point = {H: h, W: w}
        ours = [tuple(sympy.sympify(d).xreplace(point) for d in r.output_shape)
                for r in symbolic.layers]
        assert ours == [row[2] for row in keras_rows(rebuilt)]

    agree()


def test_nested_models_shared_layers_and_several_inputs_and_outputs():
    keras = require("keras")
    L = keras.layers
    image, extra = keras.Input((16, 16, 3), name="image"), keras.Input((5,), name="extra")
    shared = L.Conv2D(3, 3, padding="same", name="shared")
    x = shared(shared(image))  # one layer, two calls, one set of weights
    inner = keras.Sequential([L.Conv2D(4, 1), L.BatchNormalization(), L.ReLU()], name="inner")
    frozen = keras.Sequential([keras.Input((16, 16, 4)), L.Conv2D(4, 3, padding="same")],
                              name="frozen")
    frozen.trainable = False
    y = frozen(inner(x))
    merged = L.Concatenate()([L.GlobalAveragePooling2D()(y), L.Dense(4)(extra)])
    k = keras.Model([image, extra], [L.Dense(2, name="a")(merged), L.Dense(3, name="b")(merged)])
    imported = sc.from_keras(k)
    assert_matches_keras(imported, k)
    assert imported.get_layer("shared").calls == 2
    assert imported.get_layer("frozen").trainable_params == 0
    assert [t.shape for t in imported.inputs] == [(16, 16, 3), (5,)]
    assert sc.from_keras(k.to_json(), input_shape=[("H", "W", 3), (5,)]).get_layer(
        "inner").output_shape == (H, W, 4)


def test_a_nested_functional_model_may_give_the_outer_models_output():
    """Keras 3 numbers a nested functional model's first call node 1 in ``output_layers``
    (its own construction is node 0) and node 0 where a later layer reads it: read as
    "a malformed Keras config (KeyError: "('inner', 1)")"."""
    keras = require("keras")
    L = keras.layers
    x = keras.Input((8,), name="x")
    inner = keras.Model(x, L.Dense(4, name="d")(x), name="inner")
    y = keras.Input((8,), name="y")
    nested = inner(y)
    alone = keras.Model(y, nested, name="alone")
    beside = keras.Model(y, [nested, L.Dense(2, name="head")(nested)], name="beside")
    for outer in (alone, beside):
        for source in (outer, outer.to_json()):
            imported = sc.from_keras(source)
            assert imported.params == outer.count_params()
            assert [t.shape for t in imported.outputs] == [
                tuple(t.shape[1:]) for t in outer.outputs]


def test_unknown_sizes_become_symbols_and_keras_files_are_read(tmp_path):
    keras = require("keras")
    L = keras.layers
    k = keras.Sequential([keras.Input((None, None, 1)), L.Rescaling(1 / 255),
                          L.Conv2D(8, 3, strides=2), L.GlobalMaxPooling2D()])
    imported = sc.from_keras(k)
    assert imported.layers[1].output_shape == (sympy.ceiling(H / 2) - 1, sympy.ceiling(W / 2) - 1, 8)
    assert imported.layers[0].type == "Rescaling" and imported.layers[0].params == 0
    assert imported.constraints == [H >= 3, W >= 3]
    path = tmp_path / "model.keras"
    k.save(path)
    assert sc.from_keras(path).params == sc.from_keras(str(path)).params == k.count_params()


def test_an_unbuilt_sequential_needs_input_shape():
    keras = require("keras")
    L = keras.layers
    k = keras.Sequential([L.Conv2D(4, 3), L.Flatten(), L.Dense(3)])
    with pytest.raises(sc.ConversionError, match=r"does not record its input shape.*"
                                                 r"pass input_shape="):
        sc.from_keras(k)
    assert sc.from_keras(k, input_shape=(8, 8, 1)).params == 4 * 9 + 4 + 6 * 6 * 4 * 3 + 3


def test_layers_without_an_equivalent_are_listed_together():
    keras = require("keras")
    L = keras.layers
    # named: Keras numbers unnamed layers per process (lambda_1 after another test's lambda)
    k = keras.Sequential([keras.Input((10,)), L.Lambda(lambda t: t * 2, name="lambda"),
                          L.Dense(4, name="dense"), L.Discretization(bin_boundaries=[0.0],
                                                                     name="discretization"),
                          L.CategoryEncoding(2, output_mode="multi_hot",
                                             name="category_encoding")])
    with pytest.raises(sc.ConversionError) as info:
        sc.from_keras(k)
    message = str(info.value)
    assert message.startswith("from_keras: 3 operations have no symcnn equivalent")
    for name in ("'lambda' (Lambda)", "'discretization' (Discretization)",
                 "'category_encoding' (CategoryEncoding)"):
        assert name in message
    assert "'dense'" not in message


def test_legacy_keras_2_json_is_read_without_keras():
    config = {"class_name": "Model", "config": {
        "name": "legacy", "input_layers": [["in", 0, 0]], "output_layers": [["add", 0, 0]],
        "layers": [
            {"class_name": "InputLayer", "name": "in", "inbound_nodes": [],
             "config": {"batch_input_shape": [None, 9, 9, 2], "name": "in"}},
            {"class_name": "Conv2D", "name": "c", "config": {
                "name": "c", "filters": 2, "kernel_size": [3, 3], "padding": "same",
                "kernel_initializer": {"class_name": "GlorotUniform", "config": {}}},
             "inbound_nodes": [[["in", 0, 0, {}]]]},
            {"class_name": "Add", "name": "add", "config": {"name": "add"},
             "inbound_nodes": [[["in", 0, 0, {}], ["c", 0, 0, {}]]]}]}}
    model = sc.from_keras(config)
    assert (model.params, model.output_shape) == (38, (9, 9, 2))


def test_malformed_input_is_a_spec_error():
    with pytest.raises(sc.SpecError, match="not valid JSON.*Received: '{\"class_name\": '"):
        sc.from_keras('{"class_name": ')
    with pytest.raises(sc.SpecError, match="neither JSON nor an existing file"):
        sc.from_keras("no_such_model.keras")
    with pytest.raises(sc.SpecError, match="not a Keras Sequential or functional model"):
        sc.from_keras({"class_name": "Dense", "config": {}})


@settings(max_examples=80, deadline=None)
@given(spec=st.deferred(lambda: _keras_specs()))
def test_random_keras_models_import_from_their_json_with_keras_counts_and_shapes(spec):
    import warnings

    keras = require("keras")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        k = build_keras(keras, spec)
    assert_matches_keras(sc.from_keras(k.to_json()), k)


def _keras_specs():
    from ..crosscheck.keras_specs import keras_models

    return keras_models()


def test_a_call_reading_a_tensor_that_is_never_produced_is_named():
    config = {"class_name": "Functional", "config": {
        "name": "broken", "input_layers": ["in", 0, 0], "output_layers": ["d", 0, 0],
        "layers": [
            {"class_name": "InputLayer", "name": "in", "inbound_nodes": [],
             "config": {"batch_shape": [None, 4], "name": "in"}},
            {"class_name": "Dense", "name": "d", "config": {"name": "d", "units": 2},
             "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {
                 "keras_history": ["ghost", 0, 0]}}], "kwargs": {}}]}]}}
    with pytest.raises(sc.ConversionError, match=r"the call d\[0\] reads ghost\[0\], which is "
                                                 r"never produced"):
        sc.from_keras(config)


def test_layers_reaching_the_outputs_only_through_a_mask_or_initial_state_are_an_error():
    keras = require("keras")
    L = keras.layers
    enc_in, dec_in = keras.Input((7, 5)), keras.Input((6, 3))
    _, h, c = L.LSTM(8, return_state=True, name="encoder")(enc_in)
    y = L.LSTM(8, return_sequences=True, name="decoder")(dec_in, initial_state=[h, c])
    seq2seq = keras.Model([enc_in, dec_in], y)
    # the encoder's 448 parameters would silently drop out (symcnn said 384, Keras 832)
    with pytest.raises(sc.ConversionError,
                       match=r"'encoder' reach the outputs only through initial_state="):
        sc.from_keras(seq2seq)
    gate_in, x = keras.Input((5,)), keras.Input((5, 3))
    masked = keras.Model([x, gate_in], L.LSTM(4)(x, mask=L.Dense(5, name="gate")(gate_in)))
    with pytest.raises(sc.ConversionError, match=r"'gate' reach the outputs only through mask="):
        sc.from_keras(masked)
    # a mask that is a model input drops no layer: read, with Keras' count
    flags = keras.Input((5,), dtype="bool")
    plain = keras.Model([x, flags], L.LSTM(4)(x, mask=flags))
    assert sc.from_keras(plain).params == plain.count_params() == 128


@pytest.mark.parametrize("shape", [5, "abc"])
def test_an_input_shape_that_is_not_a_tuple_is_named(shape):
    keras = require("keras")
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3)])
    # "abc" was read as the symbols (a, b, c), making the channels a symbol
    with pytest.raises(sc.ConversionError, match=r"`input_shape` is a tuple such as"):
        sc.from_keras(model, input_shape=shape)


def test_a_value_keras_would_refuse_is_an_error_in_the_config_not_a_missing_layer():
    """A config edited to GRU(units=-1) was listed as "1 operation has no symcnn equivalent
    ... Rebuild these with supported layers", as if GRU were missing. The layer's own error
    comes out, with where it is in the config."""
    keras = require("keras")
    x = keras.Input((5, 8), name="x")
    config = json.loads(keras.Model(x, keras.layers.GRU(2, name="gru")(x)).to_json())
    next(layer for layer in config["config"]["layers"]
         if layer["class_name"] == "GRU")["config"]["units"] = -1
    with pytest.raises(sc.LayerArgumentError) as info:
        sc.from_keras(json.dumps(config))
    message = str(info.value)
    assert message.startswith("from_keras: layer 'gru' (GRU)") and "Received: units=-1" in message
    assert "no symcnn equivalent" not in message
