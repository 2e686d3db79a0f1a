"""A budget is written as people write it: ``params=25M``, ``macs=4.1G``, and a budget in
bytes as ``param_bytes=24GiB`` (``symcnn memory --budget 24GiB`` already read that); each
is read exactly, to the same answer as the number written out. A multiplier's answer on a
decimal grid is shown as a decimal, as the user wrote the step.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

import symcnn as sc
from symcnn.cli.arguments import BYTE_UNITS, COUNT_UNITS, parse_budgets
from symcnn.cli.memory import parse_bytes

from .test_cli import ok, run
from .test_cli_option_values import FREE_WIDTH, USAGE


@given(whole=st.integers(1, 10**6), tenths=st.integers(0, 9),
       unit=st.sampled_from(sorted(COUNT_UNITS)))
def test_a_count_with_a_unit_is_the_number_written_out(whole, tenths, unit):
    exact = Fraction(10 * whole + tenths, 10) * COUNT_UNITS[unit]
    written_out = f"{exact.numerator}/{exact.denominator}"
    assert parse_budgets([f"macs={whole}.{tenths}{unit}"]) == \
        parse_budgets([f"macs={written_out}"])


@given(amount=st.integers(1, 10**4), unit=st.sampled_from(sorted(BYTE_UNITS)),
       spelled=st.sampled_from([str.lower, str.upper, lambda u: u]))
def test_a_byte_budget_takes_the_units_memory_takes(amount, unit, spelled):
    text = f"{amount}{spelled(unit)}"
    assert parse_budgets([f"param_bytes={text}"]) == {"param_bytes": parse_bytes(text)} \
        == {"param_bytes": amount * BYTE_UNITS[unit]}


def test_solve_answers_the_same_with_a_unit_as_with_the_number():
    with_unit = ok("solve", FREE_WIDTH, "--budget", "params=100k", "--budget",
                   "param_bytes=0.4MB", "--for", "n")
    written_out = ok("solve", FREE_WIDTH, "--budget", "params=100000", "--budget",
                     "param_bytes=400000", "--for", "n")
    assert with_unit == written_out
    model = sc.load_spec(FREE_WIDTH)
    n = next(iter(model.free_symbols))
    assert with_unit.startswith(f"n = {sc.solve_budget(model, 100_000, n)}:")


def test_memory_reads_si_units_as_solve_does():
    assert parse_bytes("24G") == parse_bytes("24GB") == 24 * 10**9
    assert parse_bytes("512k") == 512_000


@pytest.mark.parametrize("item, words", [
    ("params=100m", "millions are M"),
    ("params=1GiB", "GiB is bytes, for param_bytes"),
    ("params=3q", "unknown unit 'q'"),
])
def test_a_unit_the_budget_cannot_take_is_named(item, words):
    code, _, err = run("solve", FREE_WIDTH, "--budget", item, "--for", "n")
    assert code == USAGE and words in err and f"Received: {item}" in err


def test_a_multiplier_on_a_decimal_grid_is_answered_as_a_decimal(tmp_path):
    script = tmp_path / "mnet.py"
    script.write_text("import symcnn as sc\n"
                      "model = sc.zoo.mobilenet_v2(alpha=sc.multiplier('alpha'))\n")
    out = ok("solve", script, "--budget", "trainable_params=3M", "--for", "alpha",
             "--step", "0.05")
    alpha = sc.multiplier("alpha")
    best = sc.solve_budget(sc.zoo.mobilenet_v2(alpha=alpha).trainable_params, 3_000_000,
                           alpha, step=Fraction(1, 20))
    decimal = f"{best.p / best.q:.2f}"
    assert out.splitlines()[0].startswith(f"alpha = {decimal} ({best}): the largest alpha")
