"""The `symcnn` command: outputs equal the Python API, JSON follows its schema, errors are one
clear line with a documented exit code."""

from __future__ import annotations

import io
import json
import os
import pathlib
import re
import subprocess
import sys
from fractions import Fraction

import pytest
import sympy

import symcnn as sc
from symcnn.cli import EXIT_CODES, build_parser, main
from symcnn.cli import sweep as sweep_command
from symcnn.zoo import textbook

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODELS = ROOT / "examples" / "models"
FREE_WIDTH = str(MODELS / "free_width.json")
OUTPUT_SCHEMA = json.loads((ROOT / "symcnn" / "schemas" / "cli-output.schema.json").read_text())


def run(*argv, capsys=None):
    """``(exit code, stdout, stderr)`` of ``symcnn argv`` run in-process."""
    out = io.StringIO()
    err = io.StringIO()
    saved = sys.stderr
    sys.stderr = err
    try:
        code = main([str(a) for a in argv], out=out)
    finally:
        sys.stderr = saved
    return code, out.getvalue(), err.getvalue()


def ok(*argv) -> str:
    code, out, err = run(*argv)
    assert code == 0, err
    return out


def validate(document: dict) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(document, OUTPUT_SCHEMA, cls=jsonschema.Draft202012Validator)


# -- summary ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["free_width.json", "free_width.yaml", "free_width.py"])
def test_summary_of_every_kind_of_file_is_the_models_summary(name):
    if name.endswith("yaml"):
        pytest.importorskip("yaml")
    assert ok("summary", MODELS / name) == textbook.free_width().summary_text() + "\n"


def test_summary_substitutes_symbols_first():
    assert ok("summary", FREE_WIDTH, "--subs", "n=10") == \
        textbook.free_width().subs(n=10).summary_text() + "\n"


def test_assignments_joined_by_a_comma_are_told_to_use_spaces():
    code, _, err = run("zoo", "resnet18", "--subs", "H=224,W=224")
    assert code == 2
    assert "Received: '224,W=224' (separate assignments with spaces, not commas" in err
    code, _, err = run("zoo", "resnet18", "--subs", "H=22 4")
    assert code == 2 and "separate assignments" not in err  # no '=' in the value: no hint


def test_summary_columns_are_passed_through():
    out = ok("summary", FREE_WIDTH, "--columns", "layer,params")
    assert out == textbook.free_width().summary_text(columns=["layer", "params"]) + "\n"


@pytest.mark.parametrize("fmt, method", [("markdown", "to_markdown"), ("latex", "to_latex")])
def test_markdown_and_latex_formats_are_the_models_printers(fmt, method):
    model = textbook.free_width()
    if not hasattr(model, method):
        pytest.skip(f"{method} is not in this version")
    assert ok("summary", FREE_WIDTH, "--format", fmt) == getattr(model, method)() + "\n"


SYMBOLIC = [textbook.free_width, lambda: textbook.cifar(("H", "W", 3)),
            lambda: textbook.vgg_style(("H", "H", 3)), lambda: textbook.lenet_code(("H", "W", 3)),
            lambda: sc.zoo.mobilenet_v2(alpha="alpha")]  # make_divisible reads back too


@pytest.mark.parametrize("build", SYMBOLIC)
def test_json_summary_follows_the_schema_and_reads_back_exactly(build, tmp_path):
    model = build()
    path = tmp_path / "m.json"
    path.write_text(json.dumps(sc.model_to_spec(model)))
    doc = json.loads(ok("summary", path, "--format", "json"))
    validate(doc)
    names = {s.name: s for s in model.free_symbols}

    def back(value):
        return sympy.Integer(value) if isinstance(value, int) else \
            sc.parse_expression(value, names)

    assert back(doc["totals"]["params"]) == model.params
    assert back(doc["totals"]["non_trainable_params"]) == model.non_trainable_params
    real = [r for r in model.layers if r.type != "InputLayer"]  # JSON lists inputs apart
    for entry, record in zip(doc["layers"], real):
        assert entry["name"] == record.name and entry["type"] == record.type
        assert back(entry["params"]) == record.params
        assert tuple(back(d) for d in entry["output_shape"]) == tuple(record.output_shape)
        if "macs" in entry:
            assert back(entry["macs"]) == record.macs
        # the display form is exact: expanded, it is the stored closed form
        assert sympy.expand(back(entry["display"]["params"]) - record.params) == 0
        assert entry["display"]["output_shape"] == str(record.output_shape)
    assert doc["constraints"] == [str(c) for c in model.constraints]
    assert sympy.expand(back(doc["display"]["params"]) - model.params) == 0
    assert len(doc["display"]["constraints"]) == len(model.constraints)


@pytest.mark.parametrize("name, args", [
    ("efficientnet_b0", ["width_coefficient=w", "depth_coefficient=d"]),
    ("mobilenet_v3_large", ["alpha=a"]), ("mobilenet_v2", ["alpha=a"])])
def test_json_totals_of_multiplier_models_read_back(name, args):
    """Their totals use 100 to 180 roundings (make_divisible, floor, ...): the reader
    stopped at 64, against the promise that every closed form of the output reads back."""
    doc = json.loads(ok("zoo", name, "--arg", *args, "--format", "json"))
    kwargs = dict(a.split("=") for a in args)
    model = getattr(sc.zoo, name)(**{k: sc.multiplier(v) for k, v in kwargs.items()})
    names = {s.name: s for s in model.free_symbols}
    for key in ("params", "trainable_params", "macs", "flops"):
        stored = getattr(model, key)
        assert sc.parse_expression(doc["totals"][key], names) == stored
        if key in doc["display"]:
            assert sympy.expand(sc.parse_expression(doc["display"][key], names) - stored) == 0


@pytest.mark.frameworks
@pytest.mark.parametrize("suffix", [".json", ".keras"])
def test_a_keras_model_file_gives_keras_counts(suffix, tmp_path):
    if not hasattr(sc, "from_keras"):
        pytest.skip("sc.from_keras is not in this version")
    keras = pytest.importorskip("keras")
    model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(8, 3),
                              keras.layers.BatchNormalization(), keras.layers.MaxPooling2D(),
                              keras.layers.Flatten(), keras.layers.Dense(10)])
    path = tmp_path / f"keras_model{suffix}"
    if suffix == ".json":
        path.write_text(model.to_json())
    else:
        model.save(path)
    doc = json.loads(ok("summary", path, "--format", "json"))
    assert doc["totals"]["params"] == model.count_params()
    assert doc["totals"]["trainable_params"] == sum(
        int(np_size(w)) for w in model.trainable_weights)


def np_size(weight) -> int:
    size = 1
    for d in weight.shape:
        size *= int(d)
    return size


def test_json_counts_are_exact_integers_however_large(tmp_path):
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"input": [10**15], "layers": [{"Dense": 10**12}]}))
    text = ok("summary", path, "--format", "json")
    doc = json.loads(text)
    assert doc["totals"]["params"] == 10**27 + 10**12
    assert type(doc["totals"]["params"]) is int
    assert "e+" not in text and "1e" not in text


def test_json_summary_of_a_functional_model_lists_inputs_and_connections():
    pytest.importorskip("yaml")
    doc = json.loads(ok("summary", MODELS / "residual_block.yaml", "--format", "json"))
    validate(doc)
    assert doc["model"] == {"name": "residual_block", "type": "Functional"}
    assert doc["inputs"] == [{"name": "x", "shape": ["H", "W", "C"]}]
    assert doc["layers"][-2]["inbound"] == ["x", "bn2"]


# -- solve -----------------------------------------------------------------------------------

def test_solve_gives_the_largest_width_within_budget_checked_by_brute_force():
    out = ok("solve", FREE_WIDTH, "--budget", "params=100000", "--for", "n")
    assert out.startswith("n = 323:")
    params = textbook.free_width().params
    n = sc.symbols("n")
    assert params.subs(n, 323) <= 100_000 < params.subs(n, 324)


def test_solve_shows_a_fractional_budget_as_written():
    out = ok("solve", FREE_WIDTH, "--budget", "params=100000.5", "--for", "n")
    assert out.startswith("n = 323:")
    assert "<= 100,000.5" in out and "200001/2" not in out


def test_solve_with_two_budgets_takes_the_tighter_and_says_which_binds(tmp_path):
    pytest.importorskip("yaml")
    doc = json.loads(ok("solve", MODELS / "residual_block.yaml", "--budget", "params=1e6",
                        "--budget", "trainable_params=9e5", "--for", "w", "--subs", "C=64",
                        "--format", "json"))
    validate(doc)
    model = sc.load_spec(MODELS / "residual_block.yaml").subs(C=64)
    w = sc.symbols("w")
    alone = {"params": sc.solve_budget(model.params, 10**6, w),
             "trainable_params": sc.solve_budget(model.trainable_params, 9 * 10**5, w)}
    assert doc["value"] == min(alone.values())
    assert doc["binding"] == [min(alone, key=alone.get)]
    assert {k: v["largest_alone"] for k, v in doc["budgets"].items()} == alone


def test_solve_with_no_fitting_value_exits_5():
    code, out, _ = run("solve", FREE_WIDTH, "--budget", "params=100", "--for", "n")
    assert code == EXIT_CODES["no_solution"] == 5
    assert "No positive n fits" in out
    code, out, _ = run("solve", FREE_WIDTH, "--budget", "params=100", "--for", "n",
                       "--format", "json")
    assert code == 5 and json.loads(out)["value"] is None


def test_solve_respects_the_models_constraints(tmp_path):
    path = tmp_path / "m.json"  # params = 5 + (H - 4) = H + 1, valid for H >= 5 only
    path.write_text(json.dumps({"symbols": "H", "input": ["H", 1], "layers": [
        {"Conv1D": {"filters": 1, "kernel_size": 5, "use_bias": False}}, "Flatten",
        {"Dense": {"units": 1, "use_bias": False}}]}))
    assert sc.load_spec(path).params == sc.symbols("H") + 1
    code, out, _ = run("solve", path, "--budget", "params=4", "--for", "H")
    assert code == 5 and "H = 3 is the largest" in out and "needs H >= 5" in out
    code, out, _ = run("solve", path, "--budget", "params=9", "--for", "H")
    assert code == 0 and out.startswith("H = 8:")


def test_solve_with_no_valid_value_exits_5_when_the_plain_budget_is_not_an_interval(tmp_path):
    """LeNet on H x H: the parameters within 1,800 are H = 8..11, all below H >= 12; the
    explanation solved the budget without the constraints, which raised ("does not grow
    with H everywhere"), so the text mode exited 1 where JSON exited 5."""
    path = tmp_path / "lenet.py"
    path.write_text("import symcnn as sc\n"
                    "model = sc.zoo.textbook.lenet_table(input_shape=('H', 'W', 3))\n")
    code, out, err = run("solve", path, "--budget", "params=1800", "--for", "H",
                         "--subs", "W=H")
    assert (code, err) == (5, "")
    assert out.strip() == "No valid H fits: no H the model admits (H >= 12) is within the " \
                          "params budget."


def test_a_budget_on_a_quantity_without_the_symbol_is_met_or_not_whatever_its_value(tmp_path):
    """free_width has no non-trainable parameters: the budget non_trainable_params=1 holds
    for every n. Solving it alone raised ("does not depend on n"), so the command refused
    what model.solve_budget answers (323)."""
    argv = ("solve", FREE_WIDTH, "--budget", "params=1e5", "--budget",
            "non_trainable_params=1", "--for", "n")
    out = ok(*argv)
    assert out.startswith("n = 323:") and "(does not depend on n)" in out
    doc = json.loads(ok(*argv, "--format", "json"))
    validate(doc)
    assert doc["value"] == 323 and doc["binding"] == ["params"]
    assert doc["budgets"]["non_trainable_params"]["largest_alone"] == "any"
    path = tmp_path / "bn.json"  # 16 non-trainable moving statistics whatever n is
    path.write_text(json.dumps({"symbols": "n", "input": [8], "layers": [
        "BatchNormalization", {"Dense": {"units": "n"}}]}))
    code, out, _ = run("solve", path, "--budget", "params=1e5", "--budget",
                       "non_trainable_params=10", "--for", "n")
    assert code == 5 and "exceeds the non_trainable_params budget" in out


def test_solve_for_a_multiplier_on_a_grid_of_steps(tmp_path):
    """A multiplier takes fractional values: the command pointed to Python
    (sc.solve_budget(..., step=Fraction(1, 20))), which a shell user cannot give. --step
    answers on the grid, as the library does."""
    path = tmp_path / "mnet.py"
    path.write_text("import symcnn as sc\nmodel = sc.zoo.mobilenet_v2((224, 224, 3), "
                    "alpha=sc.multiplier('alpha'))\n")
    model = sc.zoo.mobilenet_v2((224, 224, 3), alpha=sc.multiplier("alpha"))
    alpha = next(s for s in model.free_symbols if s.name == "alpha")
    expected = sc.solve_budget(model.trainable_params, 3_000_000, alpha, step=Fraction(1, 20))
    out = ok("solve", path, "--budget", "trainable_params=3e6", "--for", "alpha",
             "--step", "0.05")
    assert out.startswith(f"alpha = {float(expected):g} ({expected}): ")  # 0.85 (17/20)
    doc = json.loads(ok("solve", path, "--budget", "trainable_params=3e6", "--for", "alpha",
                        "--step", "1/20", "--format", "json"))
    validate(doc)
    assert doc["value"] == str(expected) == doc["budgets"]["trainable_params"]["largest_alone"]
    for extra, message in (([], "alpha is a multiplier.*--step 0.05"),
                           (["--step", "-1"], "--step: a positive number"),
                           (["--step", "x"], "--step: a positive number")):
        code, _, err = run("solve", path, "--budget", "trainable_params=3e6", "--for",
                           "alpha", *extra)
        assert code == 2 and re.search(message, err) and "sc.solve_budget" not in err
    code, _, err = run("solve", FREE_WIDTH, "--budget", "params=1e5", "--for", "n",
                       "--step", "0.5")
    assert code == 2 and "n is an integer symbol, so the step is a whole number" in err
    assert ok("solve", FREE_WIDTH, "--budget", "params=1e5", "--for", "n", "--step", "2") \
        .startswith("n = 322:")


def test_plot_and_sweep_hints_are_in_the_command_lines_words():
    """plot said "fix it with .subs(...)" and sweep "leave it out of --subs to solve for it"."""
    code, _, err = run("plot", str(MODELS / "residual_block.yaml"), "w=1:9", "-o", "x.png")
    assert code == 2 and "fix them with --subs (e.g. --subs C=...)" in err
    assert ".subs(" not in err
    code, _, err = run("sweep", FREE_WIDTH, "n=1:3", "--subs", "n=4")
    assert code == 1 and "leave it out of --subs to sweep over it" in err


def test_a_repeats_peak_memory_says_the_command_lines_way_to_substitute(tmp_path):
    """The peak memory of a symbolic number of repetitions of a block that changes the shape
    said "substitute the count (model.subs(...), or --subs on the command line)" in solve,
    sweep and plot; the command line says "with --subs (e.g. --subs L=...)"."""
    path = tmp_path / "shrink.py"
    path.write_text(
        "import symcnn as sc\n"
        "block = sc.Sequential([sc.Input(('H', 'W', 8)), sc.Conv2D(8, 3, padding='same', "
        "strides=2)])\n"
        "model = sc.Sequential([sc.Input(('H', 'W', 8)), sc.Repeat(block, 'L'), sc.Flatten(), "
        "sc.Dense(3)])\n")
    for argv in (["solve", path, "--budget", "peak_activation_memory=1e6", "--for", "H"],
                 ["sweep", path, "H=8:16:8", "--y", "peak_activation_memory"]):
        code, _, err = run(*argv, "--subs", "W=8")
        assert code == 1 and "substitute the count with --subs (e.g. --subs L=...) for the " \
            "peak memory" in err, err
        assert "model.subs" not in err
    # the library still says both ways
    with pytest.raises(sc.CostError, match=r"\(model\.subs\(\.\.\.\), or --subs on the "
                       r"command line\)") as info:
        sc.Sequential([sc.Input((16, 16, 8)), sc.Repeat(
            sc.Sequential([sc.Input((16, 16, 8)), sc.MaxPooling2D(2)]), "L")]) \
            .peak_activation_memory()
    assert info.value.substitute == ("L",)


def test_solve_answers_as_model_solve_budget_does_with_the_constraints(tmp_path):
    path = tmp_path / "g.json"  # params = 4*(n/2) + 4 = 2*n + 4 with n even (groups=2)
    path.write_text(json.dumps({"symbols": ["n"], "input": [8, 8, "n"], "layers": [
        {"Conv2D": {"filters": 4, "kernel_size": 1, "groups": 2}}]}))
    model = sc.load_spec(path)
    expected = model.solve_budget(params=102)
    n = sc.symbols("n")
    assert expected == 48 and model.params.subs(n, 49) <= 102  # 49 fits the count, not groups
    code, out, _ = run("solve", path, "--budget", "params=102", "--for", "n")
    assert code == 0 and out.startswith(f"n = {expected}:")
    doc = json.loads(ok("solve", path, "--budget", "params=102", "--for", "n", "--format",
                        "json"))
    assert doc["value"] == expected and doc["budgets"]["params"]["largest_alone"] == expected


def test_solve_names_the_symbols_when_the_one_asked_for_is_absent():
    code, _, err = run("solve", FREE_WIDTH, "--budget", "params=1e5", "--for", "w")
    assert code == 1 and "no symbol 'w' (its symbols: n)" in err
    code, _, err = run("solve", FREE_WIDTH, "--budget", "params=1e5", "--for", "n",
                       "--subs", "n=3")
    assert code == 1 and "--subs fixed n already: leave it out of --subs" in err


# -- sweep -----------------------------------------------------------------------------------

def test_sweep_values_equal_substituting_each_value():
    doc = json.loads(ok("sweep", FREE_WIDTH, "n=1:40:3", "--format", "json"))
    validate(doc)
    model = textbook.free_width()
    assert [p["value"] for p in doc["points"]] == list(range(1, 41, 3))
    for point in doc["points"]:
        assert point["valid"] and point["params"] == model.subs(n=point["value"]).params


def test_the_sweep_table_says_peak_activation_memory_is_in_bytes():
    header, *rows = ok("sweep", FREE_WIDTH, "n=1:2", "--y", "params,peak_activation_memory",
                       "--no-progress").splitlines()
    assert header.split("  ")[-1].strip() == "peak_activation_memory (bytes)"
    model = textbook.free_width().subs(n=2)
    assert rows[-1].split()[-1] == f"{int(model.peak_activation_memory('float32')):,}"
    csv_header = ok("sweep", FREE_WIDTH, "n=1:2", "--y", "peak_activation_memory",
                    "--format", "csv").splitlines()[0]
    assert csv_header == "n,valid,peak_activation_memory"  # machine names stay as --y names


def test_sweep_marks_sizes_the_model_cannot_take_as_invalid(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"symbols": "H", "input": ["H", "H", 1],
                                "layers": [{"Conv2D": [2, 3]}, "Flatten", {"Dense": 1}]}))
    out = ok("sweep", path, "H=1,2,3,4", "--format", "csv")
    lines = out.splitlines()
    assert lines[0] == "H,valid,params"
    for line, h in zip(lines[1:], (1, 2, 3, 4)):
        value, valid, params = line.split(",")
        if h < 3:
            assert valid == "false" and params == ""
        else:
            model = sc.load_spec(path).subs(H=h)
            assert valid == "true" and int(params) == model.params


def test_a_long_sweep_is_bounded_and_its_values_are_grouped_as_its_counts():
    """The command took 10,000,000 points (a 3,000,000-point sweep took 30 s and 1.6 GB);
    its value column printed 1000001 beside counts printed 160,048,480."""
    code, _, err = run("sweep", FREE_WIDTH, "n=1:3000000")
    assert code == 2 and "more than 1,000,000 points" in err and "coarser STEP" in err
    lines = ok("sweep", FREE_WIDTH, "n=999999:1000001").splitlines()
    assert lines[1].split() == ["999,999", "160,048,160"]
    assert lines[-1].split() == ["1,000,001", "160,048,480"]


def test_sweep_needs_the_other_symbols_fixed():
    code, _, err = run("zoo", "textbook.free_width", "--input", "H,31,1")
    assert code == 0
    code, _, err = run("sweep", FREE_WIDTH, "n=1:3", "--y", "params,unknown")
    assert code == 2 and "unknown quantity 'unknown'" in err


def test_the_progress_bar_draws_on_a_terminal_only(monkeypatch, capsys):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    bar = sweep_command.Progress(100, True)
    bar.start -= 10
    bar.update(64)
    bar.close()
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    bar = sweep_command.Progress(100, True)
    bar.start -= 10
    bar.update(64)
    bar.update(100)
    bar.close()
    err = capsys.readouterr().err
    assert "64/100" in err and "100/100" in err and err.endswith("\n")


# -- latex, plot, spec, zoo --------------------------------------------------------------------

def test_latex_writes_the_models_latex(tmp_path):
    model = textbook.free_width()
    if not hasattr(model, "to_latex"):
        pytest.skip("to_latex is not in this version")
    target = tmp_path / "notes.tex"
    code, out, err = run("latex", FREE_WIDTH, "--style", "derivation", "-o", target)
    assert code == 0 and out == "" and "wrote" in err
    assert target.read_text().rstrip("\n") == model.to_latex(style="derivation").rstrip("\n")


def test_plot_writes_an_image(tmp_path):
    if not hasattr(sc, "plot"):
        pytest.skip("sc.plot is not in this version")
    pytest.importorskip("matplotlib")
    target = tmp_path / "params.png"
    code, _, err = run("plot", FREE_WIDTH, "n=1:50", "--budget", "params=50000", "-o", target)
    assert code == 0, err
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_spec_command_writes_a_file_that_rebuilds_the_model(tmp_path):
    target = tmp_path / "m.json"
    code, _, _ = run("spec", MODELS / "free_width.py", "-o", target)
    assert code == 0
    assert ok("summary", target) == textbook.free_width().summary_text() + "\n"


def test_zoo_lists_models_and_summarises_one():
    listing = ok("zoo")
    assert "textbook.free_width" in listing
    assert ok("zoo", "textbook.free_width", "--subs", "n=5") == \
        textbook.free_width().subs(n=5).summary_text() + "\n"
    doc = json.loads(ok("zoo", "--format", "json"))
    validate(doc)
    assert {m["name"] for m in doc["models"]} >= {"textbook.free_width", "textbook.cifar"}


@pytest.mark.parametrize("options, named", [
    (["--columns", "layer,params"], "--columns applies"), (["--subs", "H=224"], "--subs applies"),
    (["--format", "markdown"], "--format markdown applies"),
    (["--input", "224,224,3", "--format", "latex"], "--input, --format latex apply")])
def test_options_of_one_models_table_are_refused_for_the_zoo_list(options, named):
    """They were ignored: `symcnn zoo --format markdown` printed the plain list."""
    code, out, err = run("zoo", *options)
    assert code == 2 and out == ""
    assert f"{named} to one model's table" in err and "Received: " in err
    assert ok("zoo", "--format", "json").startswith("{")  # the list's own formats stay


def test_columns_with_json_are_refused_before_the_file_is_read(tmp_path):
    """The JSON document has every column; said from the command line alone (exit 2, not
    the missing file's 3)."""
    code, out, err = run("summary", tmp_path / "missing.yaml", "--format", "json",
                         "--columns", "layer,params")
    assert code == 2 and out == ""
    assert "--columns applies to text, markdown and latex, not json" in err
    assert "Received: --columns layer,params" in err


def test_zoo_input_shape_and_arguments_reach_the_model_function():
    out = ok("zoo", "textbook.free_width", "--input", "H,31,1", "--arg", "width=w")
    assert out == textbook.free_width(width="w", input_shape=("H", 31, 1)).summary_text() + "\n"


def test_zoo_arguments_named_by_a_symbol_are_made_by_the_model_function():
    """``--arg alpha=alpha`` is ``mobilenet_v2(alpha="alpha")``: a multiplier (a positive
    rational), not a positive integer (which made 0.75 a refused substitution)."""
    out = ok("zoo", "mobilenet_v2", "--arg", "alpha=alpha", "--subs", "alpha=0.75", "H=224",
             "W=224")
    expected = sc.zoo.mobilenet_v2((224, 224, 3), alpha=0.75)
    assert f"Total params: {int(expected.params):,}" in out
    assert ok("zoo", "mobilenet_v2", "--arg", "alpha=alpha") == \
        sc.zoo.mobilenet_v2(alpha="alpha").summary_text() + "\n"


def test_zoo_arg_takes_tuples_with_symbols():
    """``--arg depths=(3,3,L,3)`` is ``convnext(depths=(3, 3, "L", 3))`` (a tuple was an
    expression error)."""
    expected = sc.zoo.convnext(depths=(3, 3, "L", 3), dims=("d", 96, 192, 384))
    for given in (["depths=(3,3,L,3)", "dims=[d, 96, 192, 384]"],
                  ["depths=3,3,L,3", "dims=(d,96,192,384)"]):
        out = ok("zoo", "convnext", "--arg", *given)
        assert f"Total params: {sc.show(expected.params)}" in out
    code, _, err = run("zoo", "convnext", "--arg", "depths=(3,3,,L")
    assert code == 2 and "--arg" in err


def test_zoo_suggests_close_names():
    code, _, err = run("zoo", "textbook.free_widht")
    assert code == 2 and "did you mean textbook.free_width" in err


# -- errors and exit codes -------------------------------------------------------------------

@pytest.mark.parametrize("argv, code, message", [
    (["summary", "absent.yaml"], 3, "absent.yaml: no such file"),
    (["summary", FREE_WIDTH, "--subs", "q=1"], 1, "no symbol named 'q'"),
    (["summary", FREE_WIDTH, "--subs", "n=1/0"], 2, "--subs: expression: division by zero"),
    (["summary", FREE_WIDTH, "--subs", "n"], 2, "expected NAME=VALUE"),
    (["solve", FREE_WIDTH, "--budget", "power=1", "--for", "n"], 2, "unknown quantity 'power'"),
    (["solve", FREE_WIDTH, "--budget", "params=-1", "--for", "n"], 2, "positive number"),
    (["sweep", FREE_WIDTH, "n=5:1"], 2, "START <= STOP"),
    (["solve", str(MODELS / "residual_block.yaml"), "--budget", "params=1e6", "--for", "w"], 2,
     "the budgeted quantities still depend on C besides w; fix them with --subs (e.g. --subs "
     "C=...)"),
    (["sweep", FREE_WIDTH, "q=1:3"], 1,
     "symcnn sweep: error: the model has no symbol 'q' (its symbols: n). Received: RANGE "
     "q=1:3"),
    (["plot", FREE_WIDTH, "q=1:3", "-o", "x.png"], 1,
     "symcnn plot: error: the model has no symbol 'q'"),
    (["summary", str(MODELS)], 3, "is a directory"),
    (["summary", __file__], 3, "defines no `model`"),
    (["summary", FREE_WIDTH, "--format", "json", "--columns", "params"], 2, "not json"),
])
def test_errors_are_one_line_with_their_exit_code(argv, code, message):
    got, out, err = run(*argv)
    assert got == code
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("symcnn ") and message in err
    assert "Traceback" not in err
    assert f"error: {argv[0]}: " not in err  # the command is named once


def test_a_looping_or_broken_link_is_said_to_be_one(tmp_path):
    """A symbolic link that loops or points nowhere exists as a name: "no such file" would
    send the user looking for a missing file."""
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    (tmp_path / "c.yaml").symlink_to(tmp_path / "nowhere.yaml")
    for name, reason in (("a.yaml", "Too many levels of symbolic links"),
                         ("c.yaml", "No such file or directory")):
        code, out, err = run("summary", str(tmp_path / name))
        assert code == 3 and out == ""
        assert f"cannot read the file ({reason})" in err and "no such file." not in err


def test_argparse_usage_errors_exit_2(capsys):
    assert main(["summary"]) == 2
    assert capsys.readouterr().err == ("symcnn summary: error: the following arguments are "
                                       "required: FILE (see `symcnn summary --help`)\n")
    assert main(["no-such-command"]) == 2
    err = capsys.readouterr().err  # one line, no usage block (issue 15)
    assert err.startswith("symcnn: error: argument COMMAND: invalid choice: 'no-such-command'")
    assert len(err.splitlines()) == 1 and "usage:" not in err


def test_a_mistyped_command_or_choice_gets_a_did_you_mean(capsys):
    assert main(["sumary", "x.yaml"]) == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'sumary'" in err and "Did you mean 'summary'?" in err
    assert main(["summary", "--format", "jsn", "x.yaml"]) == 2
    assert "Did you mean 'json'?" in capsys.readouterr().err
    assert main(["zzzz"]) == 2
    assert "Did you mean" not in capsys.readouterr().err  # nothing close: no guess


def test_a_file_with_bad_content_exits_3_and_names_the_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.json"
    path.write_text(json.dumps({"input": [8], "layers": [
        {"Dense": "__import__('os').system('touch pwned')"}]}))
    code, _, err = run("summary", path)
    assert code == 3 and "evil.json: layers[0] (Dense): `units`: expression:" in err
    assert not (tmp_path / "pwned").exists()


def test_a_python_file_that_raises_exits_3_with_the_exception_named(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("import symcnn as sc\nmodel = sc.Sequential([sc.Input((4,)), sc.Dense(-1)])\n")
    code, _, err = run("summary", path)
    assert code == 3 and "broken.py:" in err and "units=-1" in err


def test_a_python_file_can_name_its_model_variable(tmp_path):
    path = tmp_path / "two.py"
    path.write_text("from symcnn.zoo import textbook\nnet = textbook.free_width()\n")
    code, _, err = run("summary", path)
    assert code == 3 and "Models it defines: net (choose with --model NAME)" in err
    assert ok("summary", path, "--model", "net") == textbook.free_width().summary_text() + "\n"


def test_pdf_without_pdflatex_exits_4(monkeypatch, tmp_path):
    if not hasattr(textbook.free_width(), "to_latex"):
        pytest.skip("to_latex is not in this version")
    monkeypatch.setenv("PATH", str(tmp_path))
    code, _, err = run("latex", FREE_WIDTH, "-o", tmp_path / "n.tex", "--pdf")
    assert code == 4 and "needs pdflatex" in err
    assert (tmp_path / "n.tex").exists()


def test_a_bug_is_one_line_exit_70_and_debug_shows_the_traceback(monkeypatch):
    def broken(args, out):
        raise RuntimeError("boom")

    parser = build_parser()
    monkeypatch.setattr("symcnn.cli.build_parser", lambda: _with_run(parser, broken))
    code, _, err = run("zoo")
    assert code == 70 and "internal error: RuntimeError: boom" in err and "--debug" in err
    with pytest.raises(RuntimeError, match="boom"):
        main(["--debug", "zoo"])


def _with_run(parser, run_fn):
    parser.set_defaults()
    for action in parser._subparsers._group_actions:
        for sub in action.choices.values():
            sub.set_defaults(run=run_fn)
    return parser


def test_debug_reraises_the_original_error():
    with pytest.raises(sc.SymbolError, match="no symbol named 'q'"):
        main(["summary", FREE_WIDTH, "--subs", "q=1", "--debug"])


@pytest.mark.parametrize("command", ["summary", "solve", "sweep", "latex", "plot", "zoo", "spec"])
def test_every_command_has_help_with_examples_and_exit_codes(command, capsys):
    assert main([command, "--help"]) == 0
    text = capsys.readouterr().out
    assert "examples:" in text and f"symcnn {command}" in text and "exit codes:" in text


def test_the_installed_console_script_runs():
    exe = pathlib.Path(sys.executable).with_name("symcnn")
    if not exe.exists():
        pytest.skip("the symcnn console script is not installed in this environment")
    run_ = subprocess.run([str(exe), "summary", FREE_WIDTH, "--format", "json"],
                          capture_output=True, text=True, timeout=120)
    assert run_.returncode == 0, run_.stderr
    assert json.loads(run_.stdout)["totals"]["params"] == "160*n + 48320"
    bad = subprocess.run([str(exe), "summary", "absent.json"], capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 3 and bad.stderr.count("\n") == 1


def test_documented_exit_codes_match_the_table_in_the_module_docstring():
    import symcnn.cli as cli

    for name, code in EXIT_CODES.items():
        assert f"\n{code} " in cli.__doc__ or f"\n{code}  " in cli.__doc__, name
    assert os.EX_SOFTWARE == EXIT_CODES["internal"] if hasattr(os, "EX_SOFTWARE") else True


def test_latex_pdf_compiles_with_pdflatex(tmp_path):
    import shutil

    if shutil.which("pdflatex") is None or not hasattr(textbook.free_width(), "to_latex"):
        pytest.skip("pdflatex or to_latex is not available")
    target = tmp_path / "notes.tex"
    code, _, err = run("latex", FREE_WIDTH, "--style", "derivation", "-o", target, "--pdf")
    assert code == 0, err
    assert (tmp_path / "notes.pdf").read_bytes()[:5] == b"%PDF-"


def test_latex_pdf_names_the_pdf_as_the_tex_file_was_named(tmp_path, monkeypatch):
    """It said "wrote notes.tex and /tmp/.../notes.pdf"."""
    import shutil

    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not available")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    code, _, err = run("latex", FREE_WIDTH, "-o", "out/notes.tex", "--pdf")
    assert code == 0 and err.strip() == f"wrote {os.path.join('out', 'notes.tex')} and " \
        f"{os.path.join('out', 'notes.pdf')}"


@pytest.mark.parametrize("command", ["summary", "check", "solve", "latex"])
def test_every_command_says_a_keras_file_is_a_model_it_reads(command, capsys):
    code, _, _ = run(command, "--help")  # argparse prints the help to sys.stdout
    assert code == 0 and ".keras file" in " ".join(capsys.readouterr().out.split())


def test_zoo_lists_each_models_first_sentence_as_plain_text_within_the_width():
    out = ok("zoo")
    assert "``" not in out and ":class:" not in out
    assert all(len(line) <= 110 for line in out.splitlines())
    resnet = out.split("\nresnet ")[1].split("\nresnet18")[0]
    assert " ".join(resnet.split()).endswith("or of any blocks per stage.")  # was cut at "any"


def test_solve_takes_the_activation_quantities_as_the_library_does(tmp_path):
    pytest.importorskip("yaml")
    spec = tmp_path / "act.yaml"
    spec.write_text("symcnn: 1\nname: act\nsymbols: [n, H]\ninput: [H, H, 3]\nlayers:\n"
                    "  - Conv2D: {filters: n, kernel_size: 3}\n  - MaxPooling2D: 2\n")
    out = ok("solve", spec, "--budget", "peak_activation_memory=1e6", "--for", "n",
             "--subs", "H=64")
    model = sc.load_spec(spec).subs(H=64)
    n = sc.symbols("n")
    assert out.startswith("n = 52:")
    peak = model.peak_activation_memory()
    assert peak.subs(n, 52) <= 10**6 < peak.subs(n, 53)


def test_solve_says_when_the_model_s_own_conditions_bind(tmp_path):
    """A budget on a quantity that does not depend on the depth ``L``: the answer is the
    deepest model that can be built (64 halves 6 times), which no budget line explains."""
    path = tmp_path / "head.py"
    path.write_text("import symcnn as sc\nL = sc.symbols('L')\n"
                    "model = sc.Sequential([sc.Input((64, 64, 4)), sc.Repeat("
                    "sc.MaxPooling2D(2), L), sc.GlobalAveragePooling2D(), sc.Dense(2)])\n")
    L = sc.symbols("L")
    model = sc.Sequential([sc.Input((64, 64, 4)), sc.Repeat(sc.MaxPooling2D(2), L),
                           sc.GlobalAveragePooling2D(), sc.Dense(2)])
    out = ok("solve", path, "--budget", "params=10", "--for", "L")
    assert out.startswith(f"L = {model.solve_budget(for_=L, params=10)}: ")
    (condition,) = model.constraints
    assert out.splitlines()[-1] == f"  the model's conditions bind: {sc.show(condition)}"
    assert "conditions bind" not in ok("solve", path, "--budget", "params=10", "--for", "L",
                                       "--format", "json")
