"""Every script in examples/ runs and prints what its worked example asks for."""

import pathlib
import subprocess
import sys

import pytest

EXAMPLES = sorted((pathlib.Path(__file__).parents[1] / "examples").glob("*.py"))


def run(script, *args):
    result = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_script_runs(script):
    assert run(script).strip()


def test_the_main_job_prints_table_closed_form_and_budget_answer():
    out = run(EXAMPLES[0].parent / "d_free_width.py")
    assert "dense (Dense)" in out
    assert "params(n) = 160*n + 48320" in out
    assert "the widest n with params(n) <= 100,000 is n = 323" in out
