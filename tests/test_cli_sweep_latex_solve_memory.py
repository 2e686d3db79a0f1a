"""The commands beyond summary: sweep's JSON of byte counts, latex --pdf's file names,
multiplier sweeps, solve's sentence for a multiplier nothing fits, memory's hints, sweep's
exit code for a free symbol, the hint after a simultaneous --subs, plot's notes."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
import sympy

import symcnn as sc

from .test_cli import FREE_WIDTH, MODELS, run, validate

MULTIPLIER_MODEL = """\
import symcnn as sc
a = sc.multiplier("alpha")
model = sc.Sequential([sc.Input((8, 8, 3)), sc.Conv2D(sc.zoo.make_divisible(32 * a, 8), 3),
                       sc.GlobalAveragePooling2D(), sc.Dense(10)])
"""


@pytest.fixture
def mul(tmp_path):
    path = tmp_path / "mul.py"
    path.write_text(MULTIPLIER_MODEL)
    return path


def _keras_params(filters: int) -> int:
    keras = pytest.importorskip("keras")
    net = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(filters, 3),
                            keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(10)])
    return net.count_params()


@pytest.mark.parametrize("quantity", ["param_bytes", "activation_bytes",
                                      "peak_activation_memory"])
def test_sweep_json_of_a_byte_count_is_its_closed_form(quantity):
    """The JSON document read the byte counts with getattr (methods): exit 70, SympifyError."""
    code, out, err = run("sweep", FREE_WIDTH, "n=1:3", "--y", quantity, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    model = sc.zoo.textbook.free_width()
    expr = sc.parse_expression(doc["expressions"][quantity], {"n": sympy.Symbol("n")})
    for point in doc["points"]:
        n = point["value"]
        assert expr.subs("n", n) == point[quantity] == sc.costs.quantity(model.subs(n=n),
                                                                          quantity)


def test_latex_pdf_writes_only_the_files_named(tmp_path):
    """-o notes.txt --pdf overwrote notes.tex; -o notes.pdf wrote TeX to notes.pdf."""
    kept = tmp_path / "notes.tex"
    kept.write_text("mine\n")
    code, _, err = run("latex", FREE_WIDTH, "-o", tmp_path / "notes.txt", "--pdf")
    assert code == 2 and "-o: with --pdf" in err and "notes.txt" in err
    assert kept.read_text() == "mine\n" and not (tmp_path / "notes.txt").exists()
    if shutil.which("pdflatex") is None or shutil.which("pdftotext") is None:
        pytest.skip("pdflatex and pdftotext are needed to compile and read the PDF")
    code, _, err = run("latex", FREE_WIDTH, "-o", tmp_path / "notes.pdf", "--pdf")
    assert code == 0, err
    assert err.strip() == f"wrote {tmp_path / 'notes.pdf'}"
    assert (tmp_path / "notes.pdf").read_bytes().startswith(b"%PDF")
    assert kept.read_text() == "mine\n"
    # a name pdflatex cannot take (% and ~) compiles too, beside a .tex named so
    odd = tmp_path / "a%b~c.tex"
    code, _, err = run("latex", FREE_WIDTH, "-o", odd, "--pdf")
    assert code == 0, err
    text = subprocess.run(["pdftotext", str(tmp_path / "a%b~c.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "free_width" in text and "\\documentclass" in odd.read_text()


def test_a_multiplier_is_swept_at_fractional_values(tmp_path):
    """alpha=0.25,0.5,0.75,1 was refused: "values must be integers"."""
    keras = pytest.importorskip("keras")
    path = tmp_path / "mnet.py"
    path.write_text("import symcnn as sc\nmodel = sc.zoo.mobilenet_v2(alpha=sc.multiplier("
                    "'alpha'), input_shape=(32, 32, 3))\n")
    code, out, err = run("sweep", path, "alpha=0.25:1:0.25", "--format", "csv")
    assert code == 0, err
    rows = dict(line.split(",", 1) for line in out.splitlines()[1:])
    assert list(rows) == ["0.25", "0.5", "0.75", "1"]
    for alpha in ("0.5", "0.75"):
        expected = keras.applications.MobileNetV2(alpha=float(alpha), weights=None,
                                                  input_shape=(32, 32, 3)).count_params()
        assert rows[alpha] == f"true,{expected}"
    doc = json.loads(run("sweep", path, "alpha=1/3,0.5", "--format", "json")[1])
    assert [p["value"] for p in doc["points"]] == ["1/3", "1/2"]
    validate(doc)  # the output schema states fractional values
    # a size still takes whole numbers only, and the message says why
    code, _, err = run("sweep", FREE_WIDTH, "n=0.5,1")
    assert code == 2 and "values must be integers" in err and "multiplier" in err


def test_solve_says_even_the_least_step_exceeds_the_budget(mul):
    """It printed "No valid alpha fits: no alpha there is is within the params budget."."""
    code, out, _ = run("solve", mul, "--budget", "params=300", "--for", "alpha",
                       "--step", "0.25")
    least = _keras_params(8)  # make_divisible(32 * 1/4, 8) = 8 filters
    assert least > 300
    assert code == 5
    assert out.strip() == (f"No positive alpha fits: even alpha = 0.25 (1/4) exceeds the "
                           f"params budget ({least} > 300).")


def test_memory_hints_are_for_the_command_line(mul):
    """memory --for alpha said to call sc.solve_budget(..., step=...) only; a batch fixed
    with --subs B=4 was called "a numeric --batch"."""
    code, _, err = run("memory", mul, "--budget", "1MiB", "--batch", "4", "--for", "alpha")
    assert code == 1 and "memory --budget answers over whole numbers (it has no --step)" in err
    assert "--subs alpha=0.75" in err and "Received: --for alpha" in err
    code, _, err = run("memory", FREE_WIDTH, "--subs", "B=4", "--budget", "1MiB")
    assert code == 2 and "(--subs B=4 fixed it)" in err and "--for n" in err
    assert "numeric --batch" not in err
    code, _, err = run("memory", FREE_WIDTH, "--subs", "n=10", "B=4", "--budget", "1MiB")
    assert code == 2 and "no symbol left to solve for" in err


def test_a_free_symbol_is_a_usage_error_in_sweep_as_elsewhere():
    """sweep exited 1 (SolveError); plot, solve and memory exit 2."""
    block = str(MODELS / "residual_block.yaml")
    code, _, err = run("sweep", block, "C=1:3", "--subs", "H=4", "W=5")
    assert code == 2 and "fix them with --subs (e.g. --subs w=...)" in err
    code, _, err = run("solve", block, "--for", "C", "--budget", "params=1000", "--subs",
                       "H=4", "W=5")
    assert code == 2 and "fix them with --subs (e.g. --subs w=...)" in err


def test_the_hint_says_subs_apply_all_at_once():
    """--subs H=w-1 W=5 w=2 said "fix ... (e.g. w=224)" though w=2 was given."""
    code, _, err = run("sweep", str(MODELS / "residual_block.yaml"), "C=1:3",
                       "--subs", "H=w-1", "W=5", "w=2")
    assert code == 2
    assert "applies its assignments all at once, so w in H=w-1 stays the symbol w" in err
    assert "(e.g. H=1)" in err  # w - 1 at w = 2


def test_plot_says_when_no_value_fits(tmp_path):
    """A budget nothing fits drew the budget line and said nothing."""
    pytest.importorskip("matplotlib")
    out = tmp_path / "p.png"
    code, _, err = run("plot", FREE_WIDTH, "n=1:20", "--budget", "params=100", "-o", out)
    least = sc.zoo.textbook.free_width().subs(n=1).params
    assert code == 0 and out.exists()
    assert f"no n fits the params budget 100 for free_width: even n = 1 gives {int(least):,}" in err
