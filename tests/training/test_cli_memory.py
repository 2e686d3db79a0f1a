"""``symcnn memory``: the figures of ``training_memory`` and the largest batch in a budget."""

from __future__ import annotations

import io
import json
import pathlib

import pytest

import symcnn as sc
from symcnn.cli import main
from symcnn.cli.memory import parse_bytes


def run(*argv):
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_json_figures_equal_the_library_and_the_largest_batch_fits_exactly():
    code, text = run("memory", "--zoo", "resnet18", "--input", "64,64,3", "--budget", "1GiB",
                     "--optimizer", "momentum", "--format", "json")
    assert code == 0
    doc = json.loads(text)
    # the documented header and schema, as every JSON document has (memory had neither)
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((pathlib.Path(sc.__file__).parent / "schemas" /
                         "cli-output.schema.json").read_text())
    jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)
    assert doc["schema"] == "symcnn/memory" and doc["version"] == 1
    mem = sc.zoo.resnet18((64, 64, 3)).training_memory(optimizer="momentum")
    assert doc["bytes"]["weights"] == mem.weights
    assert sc.parse_expression(doc["bytes"]["total"], {"B": sc.symbols("B")}) == mem.total
    best = doc["budget"]["largest"]
    B = sc.symbols("B")
    assert mem.total.subs(B, best) <= 2**30 < mem.total.subs(B, best + 1)


def test_a_numeric_batch_is_a_json_integer():
    """"batch": "4" was a string for a number."""
    code, text = run("memory", "--zoo", "vgg11", "--input", "32,32,3", "--batch", "4",
                     "--format", "json")
    assert code == 0 and json.loads(text)["batch"] == 4


def test_text_output_and_per_layer_rows():
    code, text = run("memory", "--zoo", "vgg11", "--input", "32,32,3", "--batch", "4",
                     "--layers", "--optimizer", "sgd")
    assert code == 0
    mem = sc.zoo.vgg11((32, 32, 3)).training_memory(batch=4, optimizer="sgd")
    assert f"total            {int(mem.total):,}" in text
    assert "block1_conv1_relu" in text


def test_per_layer_columns_are_as_wide_as_their_longest_name_and_type():
    """The type column was 20 characters wide, so `GlobalAveragePooling2D 0` ran into the
    bytes column. Every row now has its name, type and bytes apart, the bytes aligned."""
    code, text = run("memory", "--zoo", "mobilenet_v2", "--input", "32,32,3", "--batch", "2",
                     "--optimizer", "sgd", "--layers")
    assert code == 0
    rows = text.split("activation bytes per layer:\n", 1)[1].splitlines()
    mem = sc.zoo.mobilenet_v2((32, 32, 3)).training_memory(batch=2, optimizer="sgd")
    assert "GlobalAveragePooling2D" in [kind for _, kind, _ in mem.layers]
    assert len(rows) == len(mem.layers)
    for row, (name, kind, value) in zip(rows, mem.layers):
        assert row.split() == [name, kind, sc.format_count(value)]
        assert row.strip().split("  ")[0] == name  # two spaces at least between columns
        assert f"{kind}  " in row
    assert len({row.rindex(" ") for row in rows}) == 1  # the bytes start in one column


def test_no_batch_fits_is_exit_code_5_and_bad_input_is_one_line_exit_2():
    assert run("memory", "--zoo", "resnet18", "--input", "64,64,3", "--budget", "1MiB")[0] == 5
    assert run("memory", "--zoo", "resnet18", "--budget", "lots")[0] == 2
    assert run("memory")[0] == 2


def test_parse_bytes_units():
    assert parse_bytes("2KiB") == 2048 and parse_bytes("0.5 GB") == 500_000_000
    # exponents as the other budgets take them (docs/cli.md), read exactly
    assert parse_bytes("16e9") == 16 * 10**9 and parse_bytes("1.5e3 MB") == 1_500_000_000
    for bad in ("1e999", "1e-3", "e9"):
        with pytest.raises(Exception, match=f"Received: '{bad}'"):
            parse_bytes(bad)
    with pytest.raises(Exception, match="Received: '12 parsecs'"):
        parse_bytes("12 parsecs")


def test_a_budget_with_another_free_symbol_asks_for_subs_as_solve_does(capsys):
    code, out = run("memory", "--zoo", "resnet18", "--budget", "4GiB", "--batch", "32",
                    "--for", "H", "--optimizer", "sgd")
    assert code == 2 and "fix them with --subs (e.g. --subs W=...)" in capsys.readouterr().err
    code, out = run("memory", "--zoo", "resnet18", "--budget", "4GiB", "--batch", "32",
                       "--for", "H", "--optimizer", "sgd", "--subs", "W=224")
    assert code == 0 and "largest H within 4GiB" in out


def test_a_non_ascii_digit_batch_is_a_usage_error(capsys):
    """--batch ² passed str.isdigit and then failed int(): exit 70, an internal error."""
    from symcnn.cli import main

    path = pathlib.Path(__file__).resolve().parents[2] / "examples" / "models" / \
        "free_width.yaml"
    assert main(["memory", str(path), "--subs", "n=10",
                 "--batch", "\u00b2"]) == 2
    assert "--batch: a positive integer or a symbol name" in capsys.readouterr().err


REPEATED = """
import symcnn as sc
H, W = sc.symbols("H W")
block = sc.Sequential([sc.Input((H, W, 8)), sc.ReLU(), sc.Dropout(0.1)])
model = sc.Sequential([sc.Input((H, W, 3)), sc.Conv2D(8, 3, padding="same"),
                       sc.Repeat(block, {times}), sc.GlobalAveragePooling2D(), sc.Dense(10)])
"""


def _script(tmp_path, text: str, name: str = "net.py") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("batch", ["0", "000", "-1", "1.5", "x+y", "2*N", " ", "9" * 5000,
                                   "H", "L"])
def test_every_bad_batch_is_a_usage_error(tmp_path, capsys, batch):
    """--batch 0 exited 1 (the library's CostError) and --batch -1 exited 2; --batch H (a
    symbol of the model) exited 1 and 5,000 digits exited 70. Each is now exit code 2 with
    one message that says what --batch takes, or that the name is the model's."""
    path = _script(tmp_path, REPEATED.format(times='"L"'))
    assert main(["memory", path, f"--batch={batch}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("symcnn memory: error: --batch: ") and err.count("\n") == 1
    if batch in ("H", "L"):
        assert f"{batch} is a symbol of the model" in err
    else:
        assert "a positive integer or a symbol name" in err and "Received: --batch" in err


def test_the_default_batch_is_not_a_symbol_of_the_model(tmp_path):
    """The command passed batch="B" even when B was a size of the model (exit 1); without
    --batch it now takes the library's default, `batch`."""
    path = _script(tmp_path, "import symcnn as sc\n"
                             "model = sc.Sequential([sc.Input(('H', 8, 3)), sc.Conv2D('B', 3)])\n")
    code, text = run("memory", path)
    assert code == 0 and "(batch batch, adam, float32)" in text


def test_subs_takes_a_repeat_count_that_only_the_figures_show(tmp_path):
    """A Repeat of a block without parameters that keeps the shape: its count L is in no
    shape or parameter count of the model, so --subs L=3 was "no symbol named 'L'" while the
    figures showed L. It is substituted into the figures, and equals the model with 3."""
    symbolic = _script(tmp_path, REPEATED.format(times='"L"'), "symbolic.py")
    three = _script(tmp_path, REPEATED.format(times=3), "three.py")
    code, text = run("memory", symbolic, "--format", "json")
    assert code == 0 and "L" in json.loads(text)["bytes"]["activations"]
    for extra in ([], ["--batch", "2", "--subs", "H=4", "W=5"]):
        code, text = run("memory", symbolic, "--subs", "L=3", *extra, "--format", "json")
        assert code == 0
        assert json.loads(text) == json.loads(run("memory", three, *extra,
                                                  "--format", "json")[1])
    # a count of 0 is no value of a symbol (a usage error, as any value below 1); an unknown
    # name is refused as TrainingMemory.subs refuses it
    assert run("memory", symbolic, "--subs", "L=0")[0] == 2
    assert run("memory", symbolic, "--subs", "q=1")[0] == 1


def test_the_hint_for_the_batch_symbol_is_batch_not_subs(capsys):
    """--budget with --for H said "fix them with --subs (e.g. --subs B=...)" for the batch."""
    code, _ = run("memory", "--zoo", "resnet18", "--budget", "4GiB", "--for", "H",
                  "--subs", "W=H")
    err = capsys.readouterr().err
    assert code == 2 and "fix the batch size with --batch (e.g. --batch 32)" in err
    assert "--subs B=" not in err
    code, _ = run("memory", "--zoo", "resnet18", "--budget", "4GiB", "--for", "H")
    err = capsys.readouterr().err
    assert code == 2 and "still depends on B, W besides H; fix W with --subs (e.g. --subs " \
        "W=...) and the batch size with --batch (e.g. --batch 32)" in err


SHRINKING = """
import symcnn as sc
block = sc.Sequential([sc.Input((None, None, 8)), sc.Conv2D(8, 3, strides=2, padding="same")])
model = sc.Sequential([sc.Input(("H", "W", 8)), sc.Repeat(block, {times})])
"""


def test_a_symbolic_count_of_a_shrinking_block_asks_for_the_count(tmp_path, capsys):
    """L repetitions of a block that halves the map keep different tensors each time: the
    command said the Repeat "does not state what it keeps for backward" (as for a custom
    layer without saved_for_backward). It asks for the count, and --subs L=3 answers as the
    model written with 3."""
    symbolic = _script(tmp_path, SHRINKING.format(times='"L"'), "symbolic.py")
    three = _script(tmp_path, SHRINKING.format(times=3), "three.py")
    assert main(["memory", symbolic]) == 1
    err = capsys.readouterr().err
    assert "substitute the count with --subs" in err and "Received: times=L" in err
    assert "does not state what it keeps" not in err
    code, text = run("memory", symbolic, "--subs", "L=3", "--format", "json")
    assert code == 0 and json.loads(text) == json.loads(run("memory", three,
                                                            "--format", "json")[1])


def test_a_size_budget_answers_only_sizes_the_model_takes(tmp_path):
    """The largest H was solved on the bare total and answered 8, where both 5x5 valid
    convolutions cannot run (the model needs H >= 9, which costs more than the budget)."""
    path = tmp_path / "net.py"
    path.write_text("import symcnn as sc\nH = sc.symbols('H')\n"
                    "model = sc.Sequential([sc.Input((H, H, 3)), sc.Conv2D(16, 5), "
                    "sc.Conv2D(16, 5), sc.GlobalAveragePooling2D(), sc.Dense(10)])\n")
    H = sc.symbols("H")
    mem = sc.Sequential([sc.Input((H, H, 3)), sc.Conv2D(16, 5), sc.Conv2D(16, 5),
                         sc.GlobalAveragePooling2D(), sc.Dense(10)]).training_memory(
        batch=4, optimizer="sgd")
    assert mem.total.subs(H, 8) <= 69840 < mem.total.subs(H, 9)  # only a refused size fits
    code, text = run("memory", str(path), "--for", "H", "--budget", "69840", "--batch", "4",
                     "--optimizer", "sgd", "--format", "json")
    assert code == 5 and json.loads(text)["budget"]["largest"] is None
    code, text = run("memory", str(path), "--for", "H", "--budget", "80000", "--batch", "4",
                     "--optimizer", "sgd", "--format", "json")
    largest = json.loads(text)["budget"]["largest"]
    assert code == 0 and mem.total.subs(H, largest) <= 80000 < mem.total.subs(H, largest + 1)
