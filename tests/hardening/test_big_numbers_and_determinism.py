"""Exact big numbers everywhere, and byte-identical output across runs and processes."""

import subprocess
import sys

import sympy

import symcnn as sc


def test_a_trillion_parameter_configuration_is_an_exact_integer():
    model = sc.Sequential([sc.Input((10**6,)), sc.Dense(10**6), sc.Dense(10**6)])
    expected = 2 * (10**6 * 10**6 + 10**6)
    assert model.params == expected and isinstance(model.params, sympy.Integer)
    assert "Total params: 2,000,002,000,000" in model.summary()


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
print(m.summary())
print(m.constraints, sorted(map(str, m.free_symbols)))
"""


def test_output_is_byte_identical_across_processes_with_different_hash_seeds():
    outputs = set()
    for seed in ("0", "1", "12345"):
        result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                                env={"PYTHONHASHSEED": seed, "PATH": ""}, check=True)
        outputs.add(result.stdout)
    assert len(outputs) == 1
