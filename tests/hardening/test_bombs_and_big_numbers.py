"""Expression bombs and huge integers: bounded before they are built, each a clean error in
well under 10 s (every case runs under a time limit)."""

import io
import json

import pytest
import sympy

import symcnn as sc
from symcnn.cli import main

from .test_bounded_reads import run_cli, within

n = sc.symbols("n")


def pow_model(units: str):
    return sc.model_from_spec({"input": [4], "symbols": ["n"],
                               "layers": [{"Dense": {"units": units}}]})


CASES = [
    ("exponent tower at n=5", lambda: pow_model("2**2**2**n").subs(n=5), sc.ExpressionError,
     r"Dense: `units`: the value of 2\*\*\(2\*\*\(2\*\*n\)\) at n=5 would have about "
     r"4,294,967,296 bits; symcnn builds numbers of at most 14,000 bits"),
    ("a symbolic exponent of 41 terms", lambda: pow_model("2**((n + 1)**40)"),
     sc.ExpressionError, r"a symbolic exponent may expand to at most 16 terms"),
    ("2**n at n=10**10", lambda: pow_model("2**n").subs(n=10**10), sc.ExpressionError,
     r"the value of 2\*\*n at n=10000000000 would have about 10,000,000,000 bits"),
    ("input size 2**n at n=10**10",
     lambda: sc.Sequential([sc.Input((2**n,)), sc.Dense(2)]).subs(n=10**10), sc.ExpressionError,
     r"2\*\*n at n=10000000000"),
    ("a power of powers in a file", lambda: pow_model("((n**64)**64)**64"), sc.ExpressionError,
     r"layers\[0\] \(Dense\): `units`: expression: the expression has degree 4096 in its "
     r"symbols \(at most 64\) at position 9"),
    ("solve_budget of degree 4,096", lambda: sc.solve_budget(n**4096 + n, 10**6, n),
     sc.SolveError, r"cannot decide n exactly: its degree \(4096\) exceeds 256"),
    ("solve n**n", lambda: sc.solve(n**n, 10**30, n), sc.SolveError,
     r"solve: cannot solve for n: it appears in an exponent or a function \(the power n\*\*n "
     r"is not a non-negative integer power\)"),
    ("solve n*2**n", lambda: sc.solve(n * 2**n, 10**10, n), sc.SolveError,
     r"solve: cannot solve for n: it appears in an exponent"),
    ("solve_budget n*2**n", lambda: sc.solve_budget(n * 2**n, 10**10, n), sc.SolveError,
     r"cannot decide n exactly: the power 2\*\*n"),
    ("sweep sqrt over 10**5", lambda: sc.sweep(sympy.sqrt(n), n=range(1, 10**5 + 1)),
     sc.SolveError, r"sweep: sqrt\(n\) is outside the exact integer evaluator .* limited to "
                    r"2,000 points. Received: 100,000 points"),
    ("sweep over 10**18 points", lambda: sc.sweep(160 * n, n=range(1, 10**18 + 1)),
     sc.SolveError, r"sweep: more than 10,000,000 grid points.*Received: n: "
                    r"1,000,000,000,000,000,000 values"),
    ("sweep of a huge power", lambda: sc.sweep(n**100_000, n=[2, 3]), sc.SolveError,
     r"sweep: the power n\*\*100000 would build numbers of about 200,000 bits"),
    ("sweep with a fixed value in a huge power",
     lambda: sc.sweep(n * sc.symbols("H")**100_000, n=range(1, 5), H=224), sc.ExpressionError,
     r"sweep: the value of H\*\*100000\*n at H=224 would have about 700,000 bits"),
    ("sweep of 2**n at n=10**10", lambda: sc.sweep(2**n, n=[10**10]), sc.ExpressionError,
     r"sweep: the value of 2\*\*n at n=10000000000"),
    ("sweep with a 5,000-digit value", lambda: sc.sweep(n, n=[10**5000]), sc.ExpressionError,
     r"sweep: `n` has 5,001 digits.*Received: n=<an integer of 5,001 digits>"),
    ("Dense(10**2200)", lambda: sc.Sequential([sc.Input((3,)), sc.Dense(10**2200)]).summary(),
     sc.LayerArgumentError, r"Dense: `units` is larger than 2\*\*4096 \(about 1,233 digits\).*"
                            r"Received: units=<an integer of 2,201 digits>"),
    ("Dropout(10**5000)", lambda: sc.Dropout(10**5000), sc.LayerArgumentError,
     r"Dropout: `rate` must be a number in \[0, 1\). Received: rate=<an integer of 5,001 "
     r"digits>"),
    ("parse 1e + 5,000 nines", lambda: sc.parse_expression("1e" + "9" * 5000), sc.ExpressionError,
     r"number '1e999999999999999999' is too large at position 1"),
    ("parse 5,000 digits", lambda: sc.parse_expression("9" * 5000), sc.ExpressionError,
     r"is too large"),
    ("subs with 5,000 digits", lambda: pow_model("n").subs(n=10**5000), sc.LayerArgumentError,
     r"Received: n=<an integer of 5,001 digits>"),
]


def test_solve_of_a_huge_degree_answers_at_once_without_integers():
    # found by exploratory testing: building Eq(n**4096 + n, 10**6) made SymPy factor the
    # polynomial to decide it, for minutes
    with within(5):
        solution = sc.solve(n**4096 + n, 10**6, n)
    assert solution.integers is None and "degree (4096) exceeds 256" in solution.note


def test_a_nested_symbolic_exponent_builds_at_once():
    # found by the long fuzz run: the sign decision shifted n inside 2**(2**(n**64)) and
    # SymPy's assumptions took 14 s to 33 s
    with within(5):
        model = pow_model("2**(2**(n**(2**(3))**2))")
    assert model.params == 4 * 2**(2**(n**64)) + 2**(2**(n**64))
    with within(5), pytest.raises(sc.ExpressionError, match=r"would have about"):
        model.subs(n=2)


@pytest.mark.parametrize("make, error, pattern", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_bomb_is_a_clean_error_at_once(make, error, pattern):
    with within(10), pytest.raises(error, match=pattern):
        make()


def test_counts_beyond_4300_digits_print_exactly_and_json_refuses_them_cleanly(tmp_path):
    import sys

    big = 2**4000
    huge = sc.Sequential([sc.Input((big,) * 3 + (1,)), sc.Conv3D(big, big), sc.Flatten()])
    assert huge.params == big**4 + big
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)  # the oracle: Python's own conversion, unlimited
    try:
        expected = f"{big**4 + big:,}"
    finally:
        sys.set_int_max_str_digits(old)
    assert len(expected) > 6000
    assert sc.format_count(huge.params) == expected
    assert expected in "".join(huge.summary_text().split())  # long numbers wrap
    assert expected.replace(",", "")[-40:] in repr(huge)  # repr too, beyond str()'s limit
    path = tmp_path / "m.json"
    path.write_text(json.dumps(sc.model_to_spec(huge)))
    code, err = run_cli(["summary", str(path), "--format", "json"])
    assert code == 1 and err.strip() == (
        "symcnn summary: error: JSON output: a count of 4,817 digits; JSON numbers are written "
        "up to 4,300 digits (use --format text). Received: <an integer of 4,817 digits>")


@pytest.mark.parametrize("argv, code, message", [
    (["summary", "{tower}", "--subs", "n=5"], 1, "would have about 4,294,967,296 bits"),
    (["sweep", "{pow}", "n=10000000000"], 1, "the value of 5*2**n at n=10000000000"),
    (["summary", "{pow}", "--subs", "n=1e" + "9" * 5000], 2, "is too large"),
    (["sweep", "{pow}", "n=1:1000000000000000000"], 2, "more than 1,000,000 points"),
])
def test_the_command_line_gives_one_line_for_each_bomb(tmp_path, argv, code, message):
    files = {}
    for key, units in (("tower", "2**2**2**n"), ("pow", "2**n")):
        files[key] = tmp_path / f"{key}.yaml"
        files[key].write_text(f"input: [4]\nsymbols: [n]\nlayers:\n  - Dense: {{units: '{units}'}}\n")
    got, err = run_cli([a.format(**files) for a in argv])
    lines = err.strip().splitlines()
    assert got == code and len(lines) == 1 and message in lines[0], err


def test_a_max_of_many_arguments_builds_and_prints_at_once():
    # found by exploratory testing: the derivation's doit re-decided the unevaluated Max by
    # SymPy's pairwise comparisons (18 s for 59 arguments, within the 64 the parser allows)
    unit = "max(" + ",".join(f"{i}*n-{i * i}" for i in range(1, 64)) + ")"
    with within(5):
        model = pow_model(unit)
        text = model.summary_text()
    assert model.params == 5 * sc.parse_expression(unit, {"n": n})
    assert "(Max(n - 1, 2*n - 4, 3*n - 9," in text  # the output shape's cell
