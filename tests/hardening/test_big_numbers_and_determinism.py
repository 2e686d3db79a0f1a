"""Exact big numbers everywhere, and byte-identical output across runs and processes."""

import subprocess
import sys

import sympy

import symcnn as sc


def test_a_trillion_parameter_configuration_is_an_exact_integer():
    model = sc.Sequential([sc.Input((10**6,)), sc.Dense(10**6), sc.Dense(10**6)])
    expected = 2 * (10**6 * 10**6 + 10**6)
    assert model.params == expected and isinstance(model.params, sympy.Integer)
    assert "Total params: 2,000,002,000,000" in model.summary_text()


def test_million_wide_layers_substitute_exactly_beyond_float_precision():
    n = sc.symbols("n")
    model = sc.Sequential([sc.Input((2**40,)), sc.Dense(n), sc.Dense(n)])
    value = model.subs(n=10**6 + 1).params
    exact = 2**40 * (10**6 + 1) + (10**6 + 1) + (10**6 + 1) ** 2 + (10**6 + 1)
    assert value == exact and int(value) != int(float(exact))


def test_the_budget_solver_stays_exact_for_budgets_beyond_two_to_the_53():
    n = sc.symbols("n")
    expr = (2**40 + 1) * n + 7
    budget = (2**40 + 1) * (2**30 + 3) + 6  # one short of n = 2**30 + 3
    assert sc.solve_budget(expr, budget, n) == 2**30 + 2


SCRIPT = """
import symcnn as sc
H, W, n = sc.symbols("H W n")
x = sc.Input((H, W, 3))
a = sc.Conv2D(n, 3, padding="same")(x)
b = sc.Conv2D(n, 1)(x)
y = sc.Concatenate()([a, b])
y = sc.MaxPooling2D(3, strides=2)(y)
m = sc.Model(x, sc.Dense(10)(sc.GlobalAveragePooling2D()(y)), name="det")
m.summary(columns=["layer", "output_shape", "params", "working", "macs"])
print(m.to_markdown())
print(m.to_latex(style="derivation", standalone=True))
print(m.constraints, sorted(map(str, m.free_symbols)), m.macs)
import io, json, tempfile, os
from symcnn.cli import main
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "m.json")
    with open(path, "w") as handle:
        json.dump(sc.model_to_spec(m), handle)
    out = io.StringIO()
    main(["summary", path, "--format", "json"], out=out)
    print(out.getvalue())
"""


def test_summary_markdown_latex_and_json_are_byte_identical_across_hash_seeds():
    outputs = set()
    for seed in ("0", "1", "12345"):
        result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                                env={"PYTHONHASHSEED": seed, "PATH": ""}, check=True)
        outputs.add(result.stdout)
    assert len(outputs) == 1


def test_the_command_line_json_carries_big_counts_as_exact_integers(tmp_path):
    import io
    import json

    from symcnn.cli import main

    path = tmp_path / "big.json"
    path.write_text(json.dumps({"input": [10**9], "symbols": ["n"],
                                "layers": [{"Dense": {"units": 10**9}}, {"Dense": {"units": "n"}}]}))
    out = io.StringIO()
    assert main(["summary", str(path), "--format", "json", "--subs", f"n={10**9 + 1}"], out=out) == 0
    text = out.getvalue()
    data = json.loads(text)
    expected = (10**9 * 10**9 + 10**9) + (10**9 * (10**9 + 1) + 10**9 + 1)
    assert expected > 2**53
    assert str(expected) in text and "e+" not in text
    totals = [v for k, v in _walk(data) if k in ("params", "total")]
    assert expected in totals


def _walk(value, key=None):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v, key)
    else:
        yield key, value
