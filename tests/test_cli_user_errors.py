"""Mistakes a first-time user of the command makes, each said in one line that says what to
do (found by a first-time-user hunt):

- ``sweep FILE n=1-10`` read the typo'd range as the single value -9 and printed one
  ``invalid`` row with exit code 0; ``n=0:3`` printed a ``0 invalid`` row. Every symbol is
  positive, so a RANGE value below 1 is a usage error naming RANGE and the value;
- a Python FILE whose ``model`` is a Keras model or a ``torch.nn.Module`` was called, and
  said "calling `model()` raised TypeError: missing a required argument: 'inputs'";
- ``summary --subs n=10 FILE``: ``--subs`` took FILE as one of its values and argparse said
  only that FILE is required;
- "unknown quantity 'parms'; Did you mean 'params'? choose from ..." was not a sentence.
"""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys
import textwrap

import pytest

from symcnn.cli import EXIT_CODES
from symcnn.cli.options import BEFORE_MULTI_VALUE_OPTIONS
from symcnn.zoo import textbook

from .test_cli import run

ROOT = pathlib.Path(__file__).resolve().parents[1]
FREE_WIDTH = str(ROOT / "examples" / "models" / "free_width.yaml")
USAGE, FILE_ERROR = EXIT_CODES["usage"], EXIT_CODES["file"]


def one_line(err: str, command: str) -> str:
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"symcnn {command}: error: "), err
    return err.strip()


# -- a RANGE value below 1 -------------------------------------------------------------------

def _lowest(spec: str) -> int:
    """The lowest value of a RANGE spec, computed by Python (``1-10`` is -9)."""
    if ":" in spec:
        start, stop, *step = (int(eval(p)) for p in spec.split(":"))  # noqa: S307 - test data
        return min(range(start, stop + 1, *(step or [1])))
    return min(int(eval(p)) for p in spec.split(","))  # noqa: S307 - test data


@pytest.mark.parametrize("command", ["sweep", "plot"])
@pytest.mark.parametrize("spec", ["1-10", "8 - 128", "0:3", "-3,5", "0", "-2:4:2"])
def test_a_range_value_below_one_is_a_usage_error_naming_range_and_the_value(
        tmp_path, monkeypatch, command, spec):
    monkeypatch.chdir(tmp_path)
    text = f"n={spec}"
    argv = ["sweep", FREE_WIDTH, text] if command == "sweep" else \
        ["plot", FREE_WIDTH, text, "-o", "out.png"]
    code, out, err = run(*argv)
    line = one_line(err, command)
    assert (code, out) == (USAGE, ""), err
    assert "RANGE" in line and repr(text) in line and "must be positive" in line
    low = _lowest(spec)
    assert low < 1 and str(low) in line
    dashed = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", spec)
    if dashed:  # read as one negative value: the hint says how a range is written
        assert f"for a range write n={dashed.group(1)}:{dashed.group(2)}" in line
    else:
        assert "for a range write" not in line
    assert list(tmp_path.iterdir()) == []  # plot wrote nothing


def test_the_range_the_hint_suggests_sweeps_every_value():
    code, out, err = run("sweep", FREE_WIDTH, "n=1-10")
    hint = re.search(r"for a range write (\S+)\.", err).group(1)
    code, out, err = run("sweep", FREE_WIDTH, hint, "--format", "csv")
    assert code == 0, err
    rows = [line.split(",") for line in out.splitlines()[1:]]
    assert [int(n) for n, _, _ in rows] == list(range(1, 11))
    for n, valid, params in rows:
        assert valid == "true"
        assert int(params) == textbook.free_width().subs(n=int(n)).params


def test_a_positive_range_computed_with_a_minus_is_still_taken():
    """Only a value below 1 is refused: ``n=20-4`` is 16, a positive size."""
    code, out, err = run("sweep", FREE_WIDTH, "n=20-4", "--format", "csv")
    assert code == 0, err
    n, valid, params = out.splitlines()[1].split(",")
    assert int(n) == 20 - 4 and int(params) == textbook.free_width().subs(n=16).params


# -- a Keras model or a torch.nn.Module in a Python FILE ----------------------------------

KERAS_SEQUENTIAL = """
    import keras
    net = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(8, 3),
                            keras.layers.Flatten(), keras.layers.Dense(10)])
"""
KERAS_FUNCTIONAL = """
    import keras
    x = keras.Input((16, 16, 3))
    y = keras.layers.Dense(4)(keras.layers.GlobalAveragePooling2D()(
        keras.layers.Conv2D(8, 3)(x)))
    net = keras.Model(x, y)
"""
TORCH_SEQUENTIAL = """
    import torch
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU(),
                              torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
                              torch.nn.Linear(8, 10))
"""
TORCH_CLASS = """
    import torch

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 8, 3)
            self.pool = torch.nn.AdaptiveAvgPool2d(1)

        def forward(self, x):
            return self.pool(self.conv(x))
"""

#: (script defining the framework's model, `model = ...`, the hint, how the framework counts
#: the parameters of the object the hint converts)
FOREIGN = [
    (KERAS_SEQUENTIAL, "net", "sc.from_keras(model)", "model.count_params()"),
    (KERAS_FUNCTIONAL, "net", "sc.from_keras(model)", "model.count_params()"),
    (TORCH_SEQUENTIAL, "net", "sc.from_torch(model, input_shape=(3, 'H', 'W'))",
     "sum(p.numel() for p in model.parameters())"),
    (TORCH_CLASS, "Net()", "sc.from_torch(model, input_shape=(3, 'H', 'W'))",
     "sum(p.numel() for p in model.parameters())"),
    (TORCH_CLASS, "Net", "sc.from_torch(model(), input_shape=(3, 'H', 'W'))",
     "sum(p.numel() for p in model().parameters())"),
    (TORCH_SEQUENTIAL, "lambda: net", "sc.from_torch(model(), input_shape=(3, 'H', 'W'))",
     "sum(p.numel() for p in model().parameters())"),
]


@pytest.mark.parametrize("script, value, hint, count", FOREIGN,
                         ids=["keras-sequential", "keras-functional", "torch-sequential",
                              "torch-module", "torch-class", "function-returning-torch"])
def test_a_keras_or_torch_model_in_a_python_file_says_how_to_convert_it(
        tmp_path, monkeypatch, script, value, hint, count):
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    pytest.importorskip("keras" if "keras" in script else "torch")
    source = textwrap.dedent(script) + f"\nmodel = {value}\n"
    path = tmp_path / "net.py"
    path.write_text(source)
    code, out, err = run("summary", path)
    line = one_line(err, "summary")
    assert (code, out) == (FILE_ERROR, ""), err
    assert f"convert it with {hint}" in line and "TypeError" not in line
    kind = "a Keras model" if "keras" in script else "a torch.nn.Module"
    assert kind in line

    # following the hint gives the model, with the parameters the framework counts
    converted = tmp_path / "converted.py"
    converted.write_text(f"import symcnn as sc\n{source}\nconverted = {hint}\n"
                         f"expected = {count}\n")
    sizes = () if "keras" in script else ("--subs", "H=16", "W=16")  # Keras' are fixed
    code, out, err = run("summary", converted, "--model", "converted", *sizes,
                         "--format", "json")
    assert code == 0, err
    import json
    import runpy

    expected = runpy.run_path(str(converted))["expected"]
    assert json.loads(out)["totals"]["params"] == int(expected)


def test_a_keras_layer_is_told_apart_from_a_keras_model(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    pytest.importorskip("keras")
    path = tmp_path / "layer.py"
    path.write_text("import keras\nmodel = keras.layers.Dense(3)\n")
    code, out, err = run("summary", path)
    line = one_line(err, "summary")
    assert code == FILE_ERROR and "a Keras layer" in line and "sc.from_keras" in line


def test_frameworks_are_recognised_by_class_names_without_importing_them(tmp_path):
    """Classes named as Keras' and torch's are recognised in a process that never imports
    either framework."""
    probe = textwrap.dedent("""
        import sys
        from symcnn.cli.loading import _foreign_kind

        def named(module, name, base=object):
            return type(name, (base,), {"__module__": module, "__qualname__": name})

        Module = named("torch.nn.modules.module", "Module")
        Layer = named("keras.src.layers.layer", "Layer", Module)
        Model = named("keras.src.models.model", "Model", Layer)
        Net = named("mine", "Net", Module)
        kinds = [_foreign_kind(Model()), _foreign_kind(Layer()), _foreign_kind(Net()),
                 _foreign_kind(Net), _foreign_kind(named("mine", "Module")())]
        print(kinds, "torch" in sys.modules, "keras" in sys.modules)
    """)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    assert result.stdout.split() == ["['keras',", "'keras", "layer',", "'torch',",
                                     "'torch',", "None]", "False", "False"]


# -- FILE or RANGE taken by an option that takes several values ----------------------------

SWALLOWED = [
    (("summary", "--subs", "n=10", FREE_WIDTH), "--subs"),
    (("summary", "--sub", "n=10", FREE_WIDTH), "--subs"),  # an abbreviation argparse takes
    (("summary", "--columns", "layer", FREE_WIDTH), "--columns"),
    (("sweep", "--y", "params", FREE_WIDTH, "n=1:3"), "--y"),
    (("sweep", FREE_WIDTH, "--y", "params", "n=1:3"), "--y"),
    (("plot", FREE_WIDTH, "--y", "params", "n=1:3", "-o", "out.png"), "--y"),
    (("latex", "--assume-divisible", "n=2", FREE_WIDTH), "--assume-divisible"),
    (("solve", "--subs", "n=1", FREE_WIDTH, "--budget", "params=1e5", "--for", "n"),
     "--subs"),
]


@pytest.mark.parametrize("argv, option", SWALLOWED, ids=[" ".join(a[:3]) for a, _ in SWALLOWED])
def test_file_or_range_taken_by_an_option_with_several_values_gets_the_hint(
        tmp_path, monkeypatch, argv, option):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(*argv)
    line = one_line(err, argv[0])
    assert (code, out) == (USAGE, ""), err
    assert "the following arguments are required" in line
    assert f"{BEFORE_MULTI_VALUE_OPTIONS}, such as {option}" in line


def test_the_hint_is_the_one_a_nameless_value_gets():
    """The same words as ``--subs`` says for a value without ``=`` (FILE after it)."""
    code, _, err = run("summary", FREE_WIDTH, "--subs", "n=10", "net.yaml")
    assert code == USAGE and BEFORE_MULTI_VALUE_OPTIONS in err


@pytest.mark.parametrize("argv", [("summary",), ("sweep", FREE_WIDTH),
                                  ("summary", "--format", "json")])
def test_a_missing_file_without_such_an_option_gets_no_hint(argv):
    code, _, err = run(*argv)
    assert code == USAGE and "required" in err and BEFORE_MULTI_VALUE_OPTIONS not in err


def test_with_file_first_the_same_command_line_works():
    code, out, err = run("summary", FREE_WIDTH, "--subs", "n=10", "--format", "json")
    assert code == 0, err
    import json

    assert json.loads(out)["totals"]["params"] == textbook.free_width().subs(n=10).params


# -- "did you mean" inside a sentence ------------------------------------------------------

TYPO = [
    (("sweep", FREE_WIDTH, "n=1:3", "--y", "parms"), "--y"),
    (("sweep", FREE_WIDTH, "n=1:3", "--y", "params,parms"), "--y"),
    (("plot", FREE_WIDTH, "n=1:3", "--y", "parms", "-o", "out.png"), "--y"),
    (("solve", FREE_WIDTH, "--budget", "parms=1e5", "--for", "n"), "--budget"),
    (("plot", FREE_WIDTH, "n=1:3", "--budget", "parms=1e5", "-o", "out.png"), "--budget"),
]


@pytest.mark.parametrize("argv, option", TYPO, ids=[" ".join(a[2:]) for a, _ in TYPO])
def test_an_unknown_quantity_is_one_sentence_naming_the_option(tmp_path, monkeypatch, argv,
                                                                option):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(*argv)
    line = one_line(err, argv[0])
    assert (code, out) == (USAGE, ""), err
    assert f"{option}: unknown quantity 'parms' (did you mean 'params'?); choose from " \
           f"params," in line
    assert not re.search(r"[;,] [A-Z]", line), line  # no capital inside the sentence
    assert "Received:" in line
