"""The command line on model files that name a layer's several outputs, zoo arguments passed
on through ``**kwargs``, outputs that cannot be written, long integers, symbol names and
options that name nothing: each works as Python does, or is one clear line with the exit
code docs/cli.md gives."""

from __future__ import annotations

import inspect
import json
import os
import pathlib

import pytest

import symcnn as sc
from symcnn.cli import EXIT_CODES
from symcnn.cli.zoo import arguments, zoo_entries

from .test_cli import FREE_WIDTH, ok, run

ROOT = pathlib.Path(__file__).resolve().parents[1]


def write(tmp_path, name: str, doc) -> str:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return str(path)


def one_error_line(err: str) -> str:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


# -- a layer's several outputs, named in a file ---------------------------------------------

def test_summary_of_a_file_feeding_a_layers_several_outputs_on_is_pythons(tmp_path):
    """The file of the report (exit 70: "'list' object has no attribute 'shape'")."""
    path = write(tmp_path, "m.json", {
        "symbols": "T", "inputs": {"x": ["T", 16]},
        "layers": [{"name": "l", "LSTM": {"units": 4, "return_state": True}},
                   {"Concatenate": {}, "inputs": ["l"], "name": "c"}]})
    x = sc.Input(("T", 16), name="x")
    python = sc.Model(x, sc.Concatenate(name="c")(sc.LSTM(4, return_state=True, name="l")(x)))
    assert ok("summary", path) == python.summary_text() + "\n"
    spec = json.loads(ok("spec", path))  # written back: the same model
    assert sc.model_from_spec(spec).summary_text() == python.summary_text()


def test_outputs_naming_a_layer_with_several_outputs_in_a_list_are_its_outputs(tmp_path):
    doc = {"symbols": "T", "inputs": {"x": ["T", 16]},
           "layers": [{"name": "l", "LSTM": {"units": 4, "return_state": True}}]}
    listed = write(tmp_path, "listed.json", {**doc, "outputs": ["l"]})
    left_out = write(tmp_path, "left_out.json", doc)
    assert ok("summary", listed) == ok("summary", left_out)


# -- zoo arguments passed on through **kwargs -----------------------------------------------

@pytest.mark.parametrize("name", ["vit_b_16", "convnext_tiny", "swin_t"])
def test_zoo_takes_the_arguments_a_builder_passes_on_and_names_them(name):
    """``vit_b_16(input_shape=None, **kwargs)`` passes ``classes`` on to ``vit``: the CLI read
    the signature literally (``--arg classes=10`` refused, ``--arg kwargs=3`` exit 70)."""
    build = getattr(sc.zoo, name)
    python = build(input_shape=(64, 64, 3), classes=10)
    assert ok("zoo", name, "--input", "64,64,3", "--arg", "classes=10") \
        == python.summary_text() + "\n"
    code, out, err = run("zoo", name, "--arg", "kwargs=3")
    assert (code, out) == (EXIT_CODES["usage"], "")
    assert one_error_line(err) == (f"symcnn zoo: error: {name} has no argument 'kwargs'; it "
                                   f"takes input_shape, classes, include_top, name")


def test_every_argument_the_zoo_lists_is_one_python_takes():
    """Bound against the signature of the function each builder calls: a listed name never
    makes a TypeError, and a builder's ``**kwargs`` is never listed as ``kwargs``."""
    for name, build in zoo_entries().items():
        names = arguments(build)
        assert "kwargs" not in names and len(set(names)) == len(names), name
        own = inspect.signature(build).parameters
        if not any(p.kind is p.VAR_KEYWORD for p in own.values()):
            assert names == list(own), name
            continue
        callee = getattr(sc.zoo, name.split("_")[0])  # vit_b_16 calls vit
        passed_on = [n for n in names if n not in own]
        inspect.signature(callee).bind_partial(**{n: None for n in passed_on})
        assert passed_on == [p.name for p in inspect.signature(callee).parameters.values()
                             if p.kind is p.KEYWORD_ONLY], name


# -- outputs that cannot be written: exit code 1 -------------------------------------------

@pytest.mark.parametrize("target", ["/dev/full", "missing/x.tex"])
@pytest.mark.parametrize("command", ["latex", "spec", "plot", "exercises"])
def test_an_output_that_cannot_be_written_fails_the_request_with_exit_code_1(
        command, target, tmp_path):
    """docs/cli.md: "1: the request failed ... the output cannot be written"; latex and spec
    said 2, "bad command line"."""
    if target != "/dev/full":
        target = str(tmp_path / target.replace(".tex", ".png" if command == "plot" else ".tex"))
    elif command == "plot":
        target = str(tmp_path / "full.png")
        os.symlink("/dev/full", target)
    elif not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    argv = {"latex": ["latex", FREE_WIDTH], "spec": ["spec", FREE_WIDTH],
            "plot": ["plot", FREE_WIDTH, "n=1:5"],
            "exercises": ["exercises", "output_size", "-n", "1"]}[command]
    code, out, err = run(*argv, "-o", target)
    reason = "No space left on device" if "full" in target else "No such file or directory"
    assert (code, out) == (EXIT_CODES["error"], "")
    line = one_error_line(err)
    assert line.startswith(f"symcnn {command}: error: cannot write ") and reason in line
    assert target in line


# -- long integers in a model file ----------------------------------------------------------

@pytest.mark.parametrize("suffix", ["json", "yaml"])
def test_a_5000_digit_integer_is_refused_with_the_readers_limit_and_its_path(suffix, tmp_path):
    """Python's "use sys.set_int_max_str_digits() to increase the limit" is no advice for a
    model file: the message gives symcnn's limit and where the value is."""
    if suffix == "yaml":
        pytest.importorskip("yaml")
        text = "input: [16]\nlayers:\n  - Dense: {units: " + "9" * 5000 + "}\n"
    else:
        text = '{"input": [16], "layers": [{"Dense": {"units": ' + "9" * 5000 + "}}]}"
    path = write(tmp_path, f"big.{suffix}", text)
    code, out, err = run("summary", path)
    assert (code, out) == (EXIT_CODES["file"], "")
    assert one_error_line(err) == (
        f"symcnn summary: error: {path}: layers[0].Dense.units: an integer of more than 4,300 "
        f"digits, the most symcnn reads in a file. Received: layers[0].Dense.units=<an "
        f"integer of 5,000 digits>")
    with pytest.raises(sc.SpecError, match=r"layers\[0\]\.Dense\.units: an integer of more"):
        sc.load_spec(path)


def test_integers_up_to_the_limit_read_as_before(tmp_path):
    """The bound is Python's: 4300 digits read (and are then refused as a size, by the
    layer, naming it), 4301 do not."""
    for digits, message in ((4300, "the largest size symcnn takes"),
                            (4301, "an integer of more than 4,300 digits")):
        path = write(tmp_path, f"d{digits}.json",
                     '{"input": [16], "layers": [{"Dense": ' + "9" * digits + "}]}")
        with pytest.raises(sc.SymcnnError, match=message):
            sc.load_spec(path)


# -- symbol names ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["H\u00e9", "x y", "2n", "n-1"])
def test_a_symbol_name_that_is_no_ascii_identifier_is_told_what_a_name_is(name, tmp_path):
    """It said "names such as H or n_1 (not a function name)"; sc.symbols refuses these
    names too."""
    if name != "x y":  # sc.symbols("x y") makes two symbols
        with pytest.raises(sc.SymcnnError, match="not a symbol name"):
            sc.symbols(name)
    path = write(tmp_path, "m.json", {"symbols": [name], "input": [4], "layers": ["Flatten"]})
    code, _, err = run("summary", path)
    assert code == EXIT_CODES["file"]
    assert one_error_line(err) == (
        f"symcnn summary: error: {path}: `symbols` entries must be names made of ASCII "
        f"letters, digits and underscores, not starting with a digit (such as H or n_1). "
        f"Received: {name!r}")


# -- options that name nothing, or are ignored ----------------------------------------------

@pytest.mark.parametrize("argv, option", [
    (["sweep", FREE_WIDTH, "n=1:3", "--y", ""], "--y ''"),
    (["sweep", FREE_WIDTH, "n=1:3", "--y", ","], "--y ','"),
    (["plot", FREE_WIDTH, "n=1:3", "--y", "", "-o", "never.png"], "--y ''"),
    (["summary", FREE_WIDTH, "--columns", ""], "--columns ''"),
])
def test_an_option_naming_no_quantity_or_column_is_a_usage_error(argv, option):
    """``--y ""`` fell back to params silently."""
    code, out, err = run(*argv)
    assert (code, out) == (EXIT_CODES["usage"], "")
    assert one_error_line(err).endswith(f"Received: {option}")
    assert not os.path.exists("never.png")


@pytest.mark.parametrize("command", ["summary", "sweep", "memory"])
def test_model_for_a_file_that_is_no_python_script_is_a_usage_error(command):
    """--model picks the variable of a Python FILE; with a model file it was ignored."""
    extra = ["n=1:3"] if command == "sweep" else []
    code, out, err = run(command, FREE_WIDTH, *extra, "--model", "x")
    assert (code, out) == (EXIT_CODES["usage"], "")
    assert one_error_line(err) == (
        f"symcnn {command}: error: --model names the variable holding the model in a Python "
        f"FILE (.py); {FREE_WIDTH} holds one model, so leave --model out. Received: --model x")
    assert ok("summary", FREE_WIDTH, "--model", "model") == ok("summary", FREE_WIDTH)
