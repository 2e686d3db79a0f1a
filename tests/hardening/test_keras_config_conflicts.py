"""Keras configs that Keras refuses, or reads one way only, are not read with other numbers:
node indices that are not integers, two layers with one name, an InputLayer with two
shapes, a ``trainable`` that is not a bool. Each rule is checked against Keras itself."""

import copy
import json
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import pytest

import symcnn as sc


def _tensor(name, node=0):
    return {"class_name": "__keras_tensor__",
            "config": {"shape": [None, 4], "dtype": "float32", "keras_history": [name, node, 0]}}


def _dense(name, source, units=4, node=0, **config):
    return {"class_name": "Dense", "name": name, "module": "keras.layers",
            "config": {"name": name, "units": units, **config},
            "inbound_nodes": [{"args": [_tensor(source, node)], "kwargs": {}}]}


def _input(name="x", **config):
    return {"class_name": "InputLayer", "name": name, "module": "keras.layers",
            "config": {"name": name, **(config or {"batch_shape": [None, 4]})},
            "inbound_nodes": []}


def _functional(layers, output="a"):
    return {"class_name": "Functional", "module": "keras.src.models.functional",
            "registered_name": "Functional",
            "config": {"name": "f", "layers": layers, "input_layers": ["x", 0, 0],
                       "output_layers": [output, 0, 0]}}


def _keras_reads(config):
    keras = pytest.importorskip("keras")
    return keras.models.model_from_json(json.dumps(config))


def test_the_config_builder_reads_a_plain_config_as_keras_does():
    config = _functional([_input(), _dense("a", "x")])
    assert sc.from_keras(json.dumps(config)).params == _keras_reads(config).count_params()


@pytest.mark.parametrize("index", [float("inf"), 0.9, 0.0, "0", True, -1, None])
def test_a_node_index_that_is_not_a_non_negative_integer_is_refused(index):
    config = _functional([_input(), _dense("a", "x", node=index)])
    text = json.dumps(config)  # inf is written as Infinity, as in the fuzzer's file
    with pytest.raises(sc.ConversionError, match=r"the reference to layer 'x' has node index "
                                                 r".*Received: keras_history=\['x', "):
        sc.from_keras(text)


def test_keras_refuses_a_fractional_node_index():
    with pytest.raises(Exception):
        _keras_reads(_functional([_input(), _dense("a", "x", node=0.9)]))


def test_the_infinity_file_exits_cleanly_on_the_command_line(tmp_path, capsys):
    from symcnn.cli import main

    path = tmp_path / "inf.json"
    path.write_text(json.dumps(_functional([_input(), _dense("a", "x", node=float("inf"))])))
    code = main(["summary", str(path)])
    assert code not in (0, 70)
    assert "node index inf" in capsys.readouterr().err


def test_two_layers_with_one_name_are_refused_as_keras_refuses_them():
    config = _functional([_input(), _dense("a", "x"), _dense("a", "x", units=3)])
    with pytest.raises(ValueError):
        _keras_reads(config)
    with pytest.raises(sc.ConversionError, match=r"two layers named 'a'.*Received: name='a'"):
        sc.from_keras(json.dumps(config))


def test_two_input_layers_with_one_name_are_refused():
    config = _functional([_input(), _input(batch_shape=[None, 7]), _dense("a", "x")])
    with pytest.raises(sc.ConversionError, match=r"two layers named 'x'"):
        sc.from_keras(json.dumps(config))


def test_batch_input_shape_wins_over_batch_shape_as_in_keras():
    config = _functional([_input(batch_shape=[None, 4], batch_input_shape=[None, 7]),
                          _dense("a", "x")])
    model = sc.from_keras(json.dumps(config))
    assert model.params == _keras_reads(config).count_params()
    assert model.input_shape == (7,)


def test_a_shape_beside_a_batch_shape_is_refused_as_keras_refuses_it():
    config = _functional([_input(shape=[4], batch_shape=[None, 7]), _dense("a", "x")])
    with pytest.raises((ValueError, TypeError), match="both `shape` and `batch_shape`"):
        _keras_reads(copy.deepcopy(config))
    with pytest.raises(sc.ConversionError, match=r"both a shape and a batch shape"):
        sc.from_keras(json.dumps(config))


@pytest.mark.parametrize("value", ["false", 0, 1, None])
def test_trainable_must_be_a_bool_as_keras_requires(value):
    keras = pytest.importorskip("keras")
    with pytest.raises(ValueError, match="Expected `trainable` to be a boolean"):
        keras.layers.Dense(4, trainable=value)
    config = _functional([_input(), _dense("a", "x", trainable=value)])
    with pytest.raises(sc.ConversionError, match=r"`trainable` must be true or false.*"
                                                 r"Received: trainable="):
        sc.from_keras(json.dumps(config))


def test_trainable_false_is_kept():
    config = _functional([_input(), _dense("a", "x", trainable=False)])
    model = sc.from_keras(json.dumps(config))
    keras_model = _keras_reads(config)
    assert model.non_trainable_params == sum(
        int(w.numpy().size) for w in keras_model.non_trainable_weights)
