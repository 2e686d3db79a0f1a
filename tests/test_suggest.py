""""Did you mean": layer types, activations, padding words and names, in Python, model files
and on the command line; ``python -m symcnn``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import symcnn as sc
from symcnn.suggest import KERAS_ACTIVATIONS, closest
from tests.conftest import require


def test_a_mistyped_activation_is_refused_with_the_closest_name():
    with pytest.raises(sc.LayerArgumentError, match="unknown activation 'reul'. Did you mean 'relu'"):
        sc.Conv2D(8, 3, activation="reul")
    with pytest.raises(sc.LayerArgumentError, match="Did you mean 'softmax'"):
        sc.Dense(10, activation="softmx")
    with pytest.raises(sc.LayerArgumentError, match="Did you mean 'sigmoid'"):
        sc.Activation("sigmod")
    assert sc.Dense(10, activation="relu").activation == "relu"


@pytest.mark.parametrize("build, arg, value", [
    (lambda: sc.LSTM(4, recurrent_activation="sigmoyd"), "recurrent_activation", "'sigmoyd'"),
    (lambda: sc.GRU(4, recurrent_activation=0), "recurrent_activation", "0"),
    (lambda: sc.LSTM(4, activation=True), "activation", "True"),
    (lambda: sc.SimpleRNN(4, activation=2.5), "activation", "2.5"),
    (lambda: sc.Dense(4, activation=7), "activation", "7"),
])
def test_an_activation_that_is_no_name_nor_function_is_refused_naming_the_argument(
        build, arg, value):
    """They were accepted (a recurrent_activation never checked, any non-string taken for a
    function), as Keras refuses them: "Could not interpret activation function identifier"."""
    with pytest.raises(sc.LayerArgumentError, match=rf"Received: {arg}={value}"):
        build()
    assert sc.Dense(4, activation=lambda x: x).activation is not None  # a function is fine
    assert sc.GRU(4, recurrent_activation="hard_sigmoid").recurrent_activation == "hard_sigmoid"


def test_every_keras_activation_name_is_known():
    require("keras")
    from keras.src.activations import ALL_OBJECTS_DICT

    assert set(ALL_OBJECTS_DICT) <= KERAS_ACTIVATIONS
    for name in ALL_OBJECTS_DICT:
        sc.Dense(4, activation=name)


def test_a_mistyped_padding_is_refused_with_the_closest_word():
    with pytest.raises(sc.LayerArgumentError, match="Did you mean 'valid'"):
        sc.Conv2D(8, 3, padding="vaild")
    with pytest.raises(sc.LayerArgumentError, match="Did you mean 'same'"):
        sc.MaxPooling2D(2, padding="smae")


def _spec(layer):
    return {"input": [8, 8, 3], "layers": [layer]}


def test_model_files_suggest_layer_types_and_padding():
    with pytest.raises(sc.SpecError, match="unknown layer type 'Conv2d'. Did you mean 'Conv2D'"):
        sc.model_from_spec(_spec({"Conv2d": {"filters": 4, "kernel_size": 3}}))
    with pytest.raises(sc.SpecError, match="Did you mean 'valid'.*padding='vaild'"):
        sc.model_from_spec(_spec({"Conv2D": {"filters": 4, "kernel_size": 3,
                                             "padding": "vaild"}}))
    with pytest.raises(sc.SymcnnError, match="Did you mean 'relu'"):
        sc.model_from_spec(_spec({"Conv2D": {"filters": 4, "kernel_size": 3,
                                             "activation": "reul"}}))


def test_summary_columns_are_suggested():
    model = sc.zoo.textbook.cifar()
    with pytest.raises(sc.SymcnnError, match="Did you mean 'params'"):
        model.summary_text(columns=["layer", "parms"])


def test_closest_ignores_case_and_gives_nothing_when_far():
    assert closest("CONV2D", ["Conv2D", "Dense"]) == ["Conv2D"]
    assert closest("xyzzy", ["Conv2D", "Dense"]) == []


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "symcnn", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def test_python_dash_m_symcnn_runs_the_command_line(tmp_path):
    done = run("zoo", "textbook.cifar")
    assert done.returncode == 0 and 'Model: "cifar"' in done.stdout
    path = tmp_path / "m.json"
    path.write_text(json.dumps(_spec({"Conv2D": {"filters": 4, "kernel_size": 3,
                                                 "padding": "vaild"}})))
    bad = run("summary", str(path))
    assert bad.returncode != 0 and "Did you mean 'valid'" in bad.stderr
    typo = run("zoo", "textbook.cifr")
    assert typo.returncode != 0 and "did you mean textbook.cifar" in typo.stderr
