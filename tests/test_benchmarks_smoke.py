"""The benchmark harness runs end to end on tiny cases (timing is never asserted here).

``benchmarks/run.py --quick`` runs every case with small models and one process per side;
the full run (``python benchmarks/run.py``) is not part of the unit tests.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "benchmarks" / "run.py"


def _load_harness():
    spec = importlib.util.spec_from_file_location("symcnn_bench_run", RUN)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("torchinfo")  # the [bench] extra
    out = tmp_path_factory.mktemp("bench") / "quick.json"
    proc = subprocess.run([sys.executable, str(RUN), "--quick", "--json", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=900)
    return proc, json.loads(out.read_text()) if out.exists() else None


@pytest.mark.slow
def test_quick_run_exits_zero_and_measures_every_case(quick_run):
    proc, report = quick_run
    assert proc.returncode == 0, proc.stdout + proc.stderr
    cases = [row["case"] for row in report["rows"]]
    expected = ["symbolic H, W, through sc.zoo", "symbolic H, W, through sc.from_torch",
                "at 224x224", "a width symbol each: summary", "stride 2 every 4th conv: memory",
                "3x3 valid convs: derivation", "Peak memory", "Sweep: params of free-width",
                "Sweep: macs of resnet", "solve_budget", "symcnn --help", "symcnn zoo resnet50"]
    for piece in expected:
        assert any(piece in case for case in cases), (piece, cases)
    for row in report["rows"]:
        assert row["ours"] not in ("", "ERROR") and "n/a" not in row["ours"], row


@pytest.mark.slow
def test_quick_run_prints_a_table_of_ratios_against_the_peers(quick_run):
    proc, _ = quick_run
    header = next(line for line in proc.stdout.splitlines() if line.startswith("case"))
    assert header.split() == ["case", "symcnn", "(median)", "peer", "(median)", "ratio",
                              "target", "result"]
    for peer in ("torch.export", "torchinfo", "lambdify+NumPy", "import sympy"):
        assert peer in proc.stdout


@pytest.mark.slow
def test_quick_run_checks_exactness_of_every_sweep_against_sympy(quick_run):
    _, report = quick_run
    sweeps = [row for row in report["rows"] if row["case"].startswith("Sweep")]
    assert sweeps and all(item["exact"] for row in sweeps for item in row["data"]["items"])


def test_a_missed_target_makes_the_harness_exit_non_zero(monkeypatch, capsys):
    harness = _load_harness()
    monkeypatch.setitem(harness.RUNNERS, "solve", lambda cfg: [
        harness.Row("solve_budget", "80 ms", ratio="-", target="<= 50 ms", ok=False)])
    assert harness.main(["--cases", "solve"]) == 1
    assert "MISSED" in capsys.readouterr().out


def test_targets_met_exit_zero_and_quick_runs_never_fail_on_timing(monkeypatch, capsys):
    harness = _load_harness()
    monkeypatch.setitem(harness.RUNNERS, "solve", lambda cfg: [
        harness.Row("solve_budget", "80 ms", target="<= 50 ms", ok=cfg.quick)])
    assert harness.main(["--cases", "solve"]) == 1
    assert harness.main(["--cases", "solve", "--quick"]) == 0
    monkeypatch.setitem(harness.RUNNERS, "solve", lambda cfg: [
        harness.Row("solve_budget", "8 ms", target="<= 50 ms", ok=True)])
    assert harness.main(["--cases", "solve"]) == 0
    capsys.readouterr()


def test_unknown_cases_are_refused(capsys):
    harness = _load_harness()
    with pytest.raises(SystemExit) as exit_info:
        harness.main(["--cases", "nope"])
    assert exit_info.value.code == 2
    assert "unknown case(s) nope" in capsys.readouterr().err
